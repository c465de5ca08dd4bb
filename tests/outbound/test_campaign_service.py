"""Campaigns, attempts and do-not-call over the real (test) database, through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from fincall.agents.models import Agent
from fincall.auth import audit
from fincall.auth.models import AuditEvent
from fincall.core.events import Event
from fincall.customers.models import Customer
from fincall.outbound import attempts, dnc, runner
from fincall.outbound import service as campaigns
from fincall.outbound.dialer import SimulatedTrunk
from fincall.outbound.models import CampaignMember, DialAttempt, DncEntry
from fincall.outbound.outcomes import Outcome
from fincall.outbound.rules import Purpose

MONDAY_10_SHANGHAI = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
# a Monday 10:00 in Shanghai after any day these tests run: entries made "now" are in force
LATER_MONDAY_10_SHANGHAI = datetime(2036, 11, 24, 2, 0, tzinfo=UTC)
SYSTEM = audit.Actor.system()
NEVER_ANSWERS = SimulatedTrunk(
    seed=1, answer_probability=0.0, busy_probability=0.0, voicemail_share=0.0,
    failed_probability=0.0,
)  # fmt: skip


def cn_customer(session, **flags) -> Customer:
    stmt = select(Customer).where(Customer.region == "CN", Customer.do_not_call.is_(False))
    for key, value in flags.items():
        stmt = stmt.where(getattr(Customer, key).is_(value))
    return session.execute(stmt.order_by(Customer.id)).scalars().first()


def audit_mark(session) -> int:
    """The newest audit sequence number now: events after it are the test's own."""
    return session.execute(select(func.coalesce(func.max(AuditEvent.seq), 0))).scalar_one()


def make_campaign(session, purpose: str, queue: str, customer_ids, mode="progressive"):
    c = campaigns.create(
        session=session,
        data={"name": f"{purpose} test", "purpose": purpose, "queue_id": queue, "dial_mode": mode},
        actor=SYSTEM,
    )
    for cid in customer_ids:
        session.add(CampaignMember(campaign_id=c.id, customer_id=cid))
    campaigns.set_status(session=session, campaign=c, status="running", actor=SYSTEM)
    return c


def free_agents(session, n: int) -> None:
    for agent in session.execute(select(Agent).order_by(Agent.id).limit(n)).scalars():
        agent.state = "available"


def test_daily_cap_counts_attempts_across_campaigns_and_manual_dials(ob_world):
    rt = ob_world.runtime
    with rt.transaction() as s:
        cus = cn_customer(s)
        make_campaign(s, "service", "cards", [cus.id])
        make_campaign(s, "collection", "general-zh-CN", [cus.id])
        free_agents(s, 3)
        report = runner.tick(session=s, now=MONDAY_10_SHANGHAI, dialer_for=lambda c: NEVER_ANSWERS)
        assert report["dialed"] == 2  # one per campaign, the same customer
        third = attempts.request_dial(
            session=s, customer_id=cus.id, purpose=Purpose.SERVICE, actor=SYSTEM,
            at=MONDAY_10_SHANGHAI + timedelta(minutes=5),
        )  # fmt: skip
        assert third.state == "dialing"
        fourth = attempts.request_dial(
            session=s, customer_id=cus.id, purpose=Purpose.SERVICE, actor=SYSTEM,
            at=MONDAY_10_SHANGHAI + timedelta(minutes=10),
        )  # fmt: skip
        assert fourth.state == "blocked"
        assert fourth.blocked_rules == ["daily_attempt_cap"]
        block = fourth.blocks[0]
        assert "cap 3 a day" in block["reason"]
        # The cap clears at local midnight; the window opens at 08:00 Shanghai = 00:00 UTC.
        assert block["until"] == "2026-11-23T16:00:00+00:00"
        assert fourth.next_allowed_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
        assert fourth.dialed_at is None  # a blocked attempt never counts toward the caps


def test_refusal_puts_customer_on_dnc_for_that_purpose_only(ob_world):
    rt = ob_world.runtime
    with rt.transaction() as s:
        cus = cn_customer(s, consent_marketing=True)
        mark = audit_mark(s)  # the demo data may hold earlier audit events of this customer
        at = MONDAY_10_SHANGHAI
        a = attempts.request_dial(
            session=s, customer_id=cus.id, purpose=Purpose.MARKETING, actor=SYSTEM, at=at
        )
        assert a.state == "dialing"
        attempts.apply_outcome(
            session=s,
            attempt=a,
            outcome=Outcome.REFUSED,
            actor=SYSTEM,
            at=at + timedelta(minutes=2),
        )
        assert a.state == "completed" and a.outcome == "refused" and a.connected
        entry = s.execute(select(DncEntry).where(DncEntry.customer_id == cus.id)).scalar_one()
        assert (entry.purpose, entry.source, entry.until) == ("marketing", "refusal", None)
        logged = s.execute(
            select(AuditEvent).where(
                AuditEvent.action == "dnc.add",
                AuditEvent.entity_id == cus.id,
                AuditEvent.seq > mark,
            )
        ).scalar_one()
        assert logged.actor_role == "system"
        later = at + timedelta(days=9)
        marketing = attempts.check(
            session=s, customer_id=cus.id, purpose=Purpose.MARKETING, at=later
        )
        assert not marketing.allowed
        assert marketing.rules == ("internal_dnc",)
        assert "marketing (refusal)" in marketing.blocks[0].reason
        assert marketing.next_allowed_at is None
        # A legally required service call is not blocked by the marketing refusal.
        service = attempts.check(session=s, customer_id=cus.id, purpose=Purpose.SERVICE, at=later)
        assert service.allowed
        # A time-limited manual entry clears by itself: next_allowed_at is when it ends.
        other = cn_customer(s, consent_marketing=False)
        until = later + timedelta(days=2)
        dnc.add(
            session=s, customer_id=other.id, purpose="service", source="manual", actor=SYSTEM,
            at=later - timedelta(hours=1), until=until,
        )  # fmt: skip
        timed = attempts.check(session=s, customer_id=other.id, purpose=Purpose.SERVICE, at=later)
        assert timed.rules == ("internal_dnc",) and timed.next_allowed_at == until


def test_marketing_needs_consent_service_does_not(ob_world):
    with ob_world.runtime.transaction() as s:
        cus = cn_customer(s, consent_marketing=False)
        m = attempts.check(
            session=s, customer_id=cus.id, purpose=Purpose.MARKETING, at=MONDAY_10_SHANGHAI
        )
        assert m.rules == ("no_marketing_consent",) and m.next_allowed_at is None
        blocked = attempts.request_dial(
            session=s, customer_id=cus.id, purpose=Purpose.MARKETING, actor=SYSTEM,
            at=MONDAY_10_SHANGHAI,
        )  # fmt: skip
        assert blocked.state == "blocked" and blocked.blocked_rules == ["no_marketing_consent"]
        assert attempts.check(
            session=s, customer_id=cus.id, purpose=Purpose.SERVICE, at=MONDAY_10_SHANGHAI
        ).allowed


def test_callback_is_scheduled_in_the_customers_local_time(ob_world):
    with ob_world.runtime.transaction() as s:
        cus = cn_customer(s)
        a = attempts.request_dial(
            session=s, customer_id=cus.id, purpose=Purpose.SERVICE, actor=SYSTEM,
            at=MONDAY_10_SHANGHAI,
        )  # fmt: skip
        attempts.apply_outcome(
            session=s, attempt=a, outcome=Outcome.CALLBACK_REQUESTED, actor=SYSTEM,
            at=MONDAY_10_SHANGHAI + timedelta(minutes=3),
            callback_local=datetime(2026, 11, 24, 18, 30),  # noqa: DTZ001 - customer wall time
        )  # fmt: skip
        assert a.callback_at == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # 18:30 Shanghai


def test_runner_never_dials_a_blocked_customer_and_answered_calls_reach_the_queue(ob_world):
    rt = ob_world.runtime
    with rt.transaction() as s:
        members = list(
            s.execute(select(Customer).where(Customer.region.in_(["CN", "HK"]))).scalars()
        )
        refused = next(c for c in members if c.consent_marketing and not c.do_not_call)
        dnc.add(
            session=s, customer_id=refused.id, purpose="marketing", source="refusal", actor=SYSTEM,
            at=MONDAY_10_SHANGHAI - timedelta(days=1),
        )  # fmt: skip
        camp = make_campaign(s, "marketing", "wealth", [c.id for c in members], mode="predictive")
        free_agents(s, 12)
        trunk = SimulatedTrunk(seed=3, answer_probability=0.6)
        ticks = [MONDAY_10_SHANGHAI + timedelta(minutes=7 * i) for i in range(40)]
        ticks += [MONDAY_10_SHANGHAI + timedelta(hours=12, minutes=i) for i in range(3)]  # 22:00
        for now in ticks:
            runner.tick(session=s, now=now, dialer_for=lambda c: trunk)
        dialed = list(
            s.execute(
                select(DialAttempt)
                .where(DialAttempt.campaign_id == camp.id, DialAttempt.dialed_at.is_not(None))
                .order_by(DialAttempt.dialed_at)
            ).scalars()
        )
        assert len(dialed) >= 5, f"the campaign dialed {len(dialed)}"
        never = {c.id for c in members if not c.consent_marketing or c.do_not_call}
        never.add(refused.id)
        assert not never & {a.customer_id for a in dialed}
        blocked = list(
            s.execute(
                select(DialAttempt).where(
                    DialAttempt.campaign_id == camp.id, DialAttempt.state == "blocked"
                )
            ).scalars()
        )
        assert {a.customer_id for a in blocked} >= never
        # Re-run the gate for each dial with the history before it: every one was allowed.
        for a in dialed:
            cus = s.get(Customer, a.customer_id)
            local = a.dialed_at.astimezone(__import__("zoneinfo").ZoneInfo(cus.timezone))
            assert 9 <= local.hour < 20 and local.weekday() < 5
            same_day = [
                b for b in dialed if b.customer_id == a.customer_id and b.dialed_at < a.dialed_at
            ]
            assert len(same_day) < 2  # HK/CN marketing allow at most 1-2 a day
        answered = [a for a in dialed if a.contact_id]
        assert answered, "no simulated call was answered"
        assert len(blocked) >= len(never)
        from fincall.contacts.models import Contact
        from fincall.routing.models import QueueWait

        contact = s.get(Contact, answered[0].contact_id)
        assert (contact.channel, contact.direction, contact.queue) == (
            "voice",
            "outbound",
            "wealth",
        )
        assert s.get(QueueWait, contact.id).queue_id == "wealth"
        contact_id, attempt_id = contact.id, answered[0].id
        assert len(answered) >= 2
        quiet_contact, quiet_attempt = answered[1].contact_id, answered[1].id
    # The agent wraps up with "sale": the contact.ended event settles the attempt.
    from fincall.contacts import service as contacts
    from fincall.contacts.schemas import ContactEnd

    with rt.transaction() as s:
        contact = s.get(Contact, contact_id)
        contact.status = "active"
        contacts.end(session=s, contact=contact, data=ContactEnd(disposition="sale"), actor=SYSTEM)
    with rt.transaction() as s:
        settled = s.get(DialAttempt, attempt_id)
        assert (settled.state, settled.outcome) == ("completed", "sale")
        member = s.get(CampaignMember, settled.member_id)
        assert member.status == "completed" and member.last_outcome == "sale"
        assert settled.connected
    # A contact ended where no listener heard it (another node): the next tick settles it.
    from sqlalchemy.orm import Session

    with Session(rt.engine) as bare:
        c2 = bare.get(Contact, quiet_contact)
        c2.status, c2.disposition, c2.ended_at = "ended", "refused", ticks[-1]
        bare.commit()
    with rt.transaction() as s:
        assert s.get(DialAttempt, quiet_attempt).state == "connected"
        report = runner.tick(session=s, now=ticks[-1], dialer_for=lambda c: trunk)
        assert report["settled"] >= 1
        refused_now = s.get(DialAttempt, quiet_attempt)
        assert refused_now.outcome == "refused"
        assert (
            dnc.active_entry(session=s, customer_id=refused_now.customer_id, purpose="marketing")
            is not None
        )


def test_qa_dnc_request_event_adds_an_audited_entry(ob_world):
    rt = ob_world.runtime
    with rt.transaction() as s:
        cus = cn_customer(s, consent_marketing=True)
        cid = cus.id
        mark = audit_mark(s)
    rt.bus.publish(
        Event("qa.dnc_request", {"customer_id": cid, "contact_id": None, "purpose": "collection"})
    )
    rt.bus.publish(
        Event("qa.dnc_request", {"customer_id": cid, "contact_id": None, "purpose": "collection"})
    )
    with rt.transaction() as s:
        entries = list(s.execute(select(DncEntry).where(DncEntry.customer_id == cid)).scalars())
        assert [(e.purpose, e.source) for e in entries] == [("collection", "qa")]  # idempotent
        events = list(
            s.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "dnc.add",
                    AuditEvent.entity_id == cid,
                    AuditEvent.seq > mark,
                )
            ).scalars()
        )
        assert len(events) == 1 and events[0].actor_role == "system"
        decision = attempts.check(
            session=s, customer_id=cid, purpose=Purpose.COLLECTION, at=LATER_MONDAY_10_SHANGHAI
        )
        assert decision.rules == ("internal_dnc",)
        assert "collection (qa)" in decision.blocks[0].reason


def test_predictive_runner_keeps_abandonment_within_the_cap(ob_world):
    from fincall.outbound import reports
    from fincall.routing.models import QueueWait

    rt = ob_world.runtime
    with rt.transaction() as s:
        ids = list(s.execute(select(Customer.id)).scalars())
        camp = make_campaign(s, "service", "cards", ids, mode="predictive")
        free_agents(s, 4)
        trunk = SimulatedTrunk(seed=5, answer_probability=0.8)
        for i in range(40):
            now = MONDAY_10_SHANGHAI + timedelta(seconds=20 * i)
            runner.tick(session=s, now=now, dialer_for=lambda c: trunk)
            # Agents take every waiting call 40 s after it queued (they stay available).
            for wait in s.execute(
                select(QueueWait).where(QueueWait.outcome.is_(None), QueueWait.queue_id == "cards")
            ).scalars():
                if wait.enqueued_at <= now - timedelta(seconds=40):
                    wait.outcome = "answered"
        rows = list(
            s.execute(select(DialAttempt).where(DialAttempt.campaign_id == camp.id)).scalars()
        )
        abandoned = sum(a.abandoned for a in rows)
        live = sum(1 for a in rows if a.abandoned or a.connected)
        assert live >= 10, [a.state for a in rows]
        assert abandoned <= 0.03 * live
        m = reports.metrics_view(session=s, campaign=camp)
        assert m["within_abandon_cap"] and m["abandoned"] == abandoned


def test_qa_dnc_request_on_a_campaign_call_uses_the_calls_purpose(ob_world):
    from fincall.contacts.models import Contact

    rt = ob_world.runtime
    with rt.transaction() as s:
        contact = (
            s.execute(select(Contact).where(Contact.customer_id.is_not(None))).scalars().first()
        )
        s.add(
            DialAttempt(
                customer_id=contact.customer_id, purpose="collection", state="completed",
                contact_id=contact.id, outcome="answered",
            )
        )  # fmt: skip
        cid, con = contact.customer_id, contact.id
    payload = {"customer_id": cid, "contact_id": con, "purpose": "marketing", "source": "x"}
    rt.bus.publish(Event("qa.dnc_request", payload))
    with rt.transaction() as s:
        entries = list(s.execute(select(DncEntry).where(DncEntry.customer_id == cid)).scalars())
        assert [(e.purpose, e.contact_id) for e in entries] == [("collection", con)]
