"""Demo campaigns over the demo customers, with a week of gated attempt history.

Deterministic (seeded). Both campaigns are left paused so that nothing dials until a
supervisor presses Start; the history was produced through the same gate the runner uses.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.core.clock import utcnow
from fincall.customers.models import Customer
from fincall.outbound import attempts as attempt_service
from fincall.outbound import dnc
from fincall.outbound import service as campaigns
from fincall.outbound.dialer import SimulatedTrunk, TrunkResult
from fincall.outbound.dispatch import Candidate, plan_dials
from fincall.outbound.gatedata import customers_by_id, load_inputs
from fincall.outbound.models import Campaign, CampaignMember
from fincall.outbound.outcomes import Outcome
from fincall.outbound.rules import Purpose
from fincall.outbound.runner import TRUNK_OUTCOMES, place_call

SERVICE_MIX = (
    (Outcome.PROMISE_TO_PAY, 30),
    (Outcome.ANSWERED, 45),
    (Outcome.CALLBACK_REQUESTED, 12),
    (Outcome.REFUSED, 6),
    (Outcome.WRONG_NUMBER, 7),
)
MARKETING_MIX = (
    (Outcome.SALE, 28),
    (Outcome.ANSWERED, 50),
    (Outcome.CALLBACK_REQUESTED, 10),
    (Outcome.REFUSED, 14),
    (Outcome.WRONG_NUMBER, 8),
)


def _step(
    session: Session,
    campaign: Campaign,
    at: datetime,
    rng: random.Random,
    trunk: SimulatedTrunk,
    mix: tuple[tuple[Outcome, int], ...],
    tally: dict[str, int],
) -> None:
    members = list(
        session.execute(
            select(CampaignMember)
            .where(
                CampaignMember.campaign_id == campaign.id,
                CampaignMember.status.in_(campaigns.DUE_STATUSES),
                or_(CampaignMember.next_at.is_(None), CampaignMember.next_at <= at),
            )
            .order_by(CampaignMember.id)
            .limit(8)
        ).scalars()
    )
    rng.shuffle(members)
    customers = customers_by_id(session=session, ids=(m.customer_id for m in members))
    inputs = load_inputs(session=session, customers=customers.values(), at=at)
    by_id = {m.id: m for m in members}
    candidates = [
        Candidate(m.id, d.customer, d.history, d.dnc, d.rules)
        for m in members
        if (d := inputs.get(m.customer_id)) is not None
    ]
    purpose = Purpose(campaign.purpose)
    plan = plan_dials(candidates=candidates, purpose=purpose, at=at, want=3)
    system = audit.Actor.system()
    for cand, decision in plan.blocked:
        member = by_id[cand.member_id]
        attempt_service.record_blocked(
            session,
            customer=customers[member.customer_id],
            purpose=purpose,
            decision=decision,
            campaign=campaign,
            member=member,
        )
    for cand in plan.dial:
        member = by_id[cand.member_id]
        customer = customers[member.customer_id]
        attempt, progress = place_call(
            session=session,
            dialer=trunk,
            campaign=campaign,
            member=member,
            customer=customer,
            purpose=purpose,
            at=at,
            simulated=True,
        )
        ended = at + timedelta(seconds=progress.after_seconds)
        if progress.result is TrunkResult.ANSWERED:
            attempt.answered_at = ended
            live = tally.get("live", 0) + 1
            tally["live"] = live
            within_cap = (tally.get("abandoned", 0) + 1) / live <= campaign.abandon_cap
            if campaign.dial_mode == "predictive" and within_cap and rng.random() < 0.05:
                attempt.state, attempt.abandoned = "abandoned", True
                tally["abandoned"] = tally.get("abandoned", 0) + 1
                outcome = Outcome.ANSWERED
            else:
                attempt.state, attempt.connected = "connected", True
                outcome = rng.choices([o for o, _ in mix], weights=[w for _, w in mix])[0]
                ended += timedelta(seconds=rng.randint(90, 420))
        else:
            outcome = TRUNK_OUTCOMES.get(progress.result, Outcome.NO_ANSWER)
        attempt_service.apply_outcome(
            session=session, attempt=attempt, outcome=outcome, actor=system, at=ended
        )


def seed_demo_campaigns(session: Session, *, now: datetime | None = None) -> list[Campaign]:
    """Create a service reminder and a marketing offer campaign with a week of history."""
    rng = random.Random(20261122)  # noqa: S311 - demo data
    now = (now or utcnow()).replace(second=0, microsecond=0)
    start = now - timedelta(days=6)
    system = audit.Actor.system()
    service = campaigns.create(
        session=session,
        data={
            "name": "Card repayment reminder",
            "purpose": Purpose.SERVICE.value,
            "queue_id": "cards",
            "dial_mode": "progressive",
            "script_text": "Hello, this is your bank. Your card repayment is due on the 25th.",
        },
        actor=system,
        at=start,
    )
    marketing = campaigns.create(
        session=session,
        data={
            "name": "Time deposit offer",
            "purpose": Purpose.MARKETING.value,
            "queue_id": "wealth",
            "dial_mode": "predictive",
            "abandon_cap": 0.03,
            "script_text": "We have a 12-month time deposit at a preferential rate for you.",
        },
        actor=system,
        at=start,
    )
    campaigns.add_members_by_query(session=session, campaign=service, actor=system)
    campaigns.add_members_by_query(
        session=session, campaign=marketing, actor=system, segments=("mass", "affluent", "hnw")
    )
    # Two marketing members' numbers are on the national registry.
    listed = session.execute(
        select(Customer.phone)
        .join(CampaignMember, CampaignMember.customer_id == Customer.id)
        .where(CampaignMember.campaign_id == marketing.id, Customer.consent_marketing.is_(True))
        .order_by(Customer.id)
        .limit(2)
    ).scalars()
    numbers = [p for p in listed if p]
    if numbers:
        dnc.import_national(
            session=session,
            text="phone\n" + "\n".join(numbers) + "\n",
            filename="demo-national-dnc.csv",
            actor=system,
        )
    trunks = {
        service.id: SimulatedTrunk(seed=11, answer_probability=0.45),
        marketing.id: SimulatedTrunk(seed=12, answer_probability=0.4),
    }
    at = start
    halfway = start + timedelta(hours=20)
    tallies: dict[str, dict[str, int]] = {service.id: {}, marketing.id: {}}
    while at < now - timedelta(minutes=30):
        if marketing.script_version == 1 and at >= halfway:
            campaigns.update(
                session=session,
                campaign=marketing,
                data={
                    "script_text": "Good day. As a valued client you can lock in a 12-month "
                    "time deposit rate; may I take two minutes to explain the terms and risks?"
                },
                actor=system,
            )
        _step(
            session, marketing, at, rng, trunks[marketing.id], MARKETING_MIX, tallies[marketing.id]
        )
        _step(session, service, at, rng, trunks[service.id], SERVICE_MIX, tallies[service.id])
        at += timedelta(minutes=50)
    for c in (service, marketing):
        c.status, c.started_at = "paused", start
    session.flush()
    return [service, marketing]
