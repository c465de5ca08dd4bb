"""Dial attempts over the database: every attempt, campaign or manual, passes the gate first.

A blocked attempt is stored (state ``blocked``) with every blocking rule, the reasons and
``next_allowed_at``; only attempts that reached the trunk count toward the caps. A refusal puts
the customer on the internal DNC list for the purpose in the same transaction (audited).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.core.clock import utcnow
from fincall.core.errors import Conflict, Invalid
from fincall.customers.models import Customer
from fincall.outbound import dnc
from fincall.outbound.errors import AttemptNotFound
from fincall.outbound.gate import GateDecision, evaluate
from fincall.outbound.gate_types import GateInput
from fincall.outbound.gatedata import DEFAULT_JURISDICTION, load_input
from fincall.outbound.models import Campaign, CampaignMember, DialAttempt
from fincall.outbound.outcomes import (
    CONNECTED_OUTCOMES,
    Attempt,
    AttemptState,
    MemberStatus,
    Outcome,
    next_step,
    schedule_callback,
)
from fincall.outbound.rules import Purpose

S = AttemptState
# Wrap-up codes (agent desktop dispositions) and the outcomes they mean.
DISPOSITION_OUTCOMES: dict[str, Outcome] = {
    "refused": Outcome.REFUSED,
    "do_not_call": Outcome.REFUSED,
    "dnc": Outcome.REFUSED,
    "wrong_number": Outcome.WRONG_NUMBER,
    "promise_to_pay": Outcome.PROMISE_TO_PAY,
    "ptp": Outcome.PROMISE_TO_PAY,
    "sale": Outcome.SALE,
    "callback_requested": Outcome.CALLBACK_REQUESTED,
    "callback_scheduled": Outcome.CALLBACK_REQUESTED,
    "voicemail": Outcome.VOICEMAIL,
}
DEFAULT_CALLBACK_WALL = (10, 0)  # a callback without a time: next local day at 10:00
ABANDON_RETRY = timedelta(hours=1)
_PATHS = {
    True: {
        S.DIALING: (S.RINGING, S.ANSWERED, S.CONNECTED),
        S.RINGING: (S.ANSWERED, S.CONNECTED),
        S.ANSWERED: (S.CONNECTED,),
        S.CONNECTED: (),
    },
    False: {S.DIALING: (S.FAILED,), S.RINGING: (S.FAILED,), S.FAILED: ()},
}


def disposition_outcome(disposition: str | None) -> Outcome:
    """The outcome an agent's wrap-up code stands for (other codes: answered)."""
    return DISPOSITION_OUTCOMES.get((disposition or "").lower(), Outcome.ANSWERED)


def attempt_view(a: DialAttempt) -> dict[str, Any]:
    return {
        "id": a.id,
        "campaign_id": a.campaign_id,
        "customer_id": a.customer_id,
        "purpose": a.purpose,
        "manual": a.manual,
        "state": a.state,
        "outcome": a.outcome,
        "created_at": a.created_at,
        "dialed_at": a.dialed_at,
        "answered_at": a.answered_at,
        "ended_at": a.ended_at,
        "connected": a.connected,
        "abandoned": a.abandoned,
        "trunk_result": a.trunk_result,
        "trunk_status": a.trunk_status,
        "simulated": a.simulated,
        "blocked_rules": list(a.blocked_rules or []),
        "blocks": list(a.blocks or []),
        "next_allowed_at": a.next_allowed_at,
        "script_version": a.script_version,
        "contact_id": a.contact_id,
        "callback_at": a.callback_at,
    }


def get(*, session: Session, attempt_id: str) -> DialAttempt:
    a = session.get(DialAttempt, attempt_id)
    if a is None:
        raise AttemptNotFound("no such attempt", attempt_id=attempt_id)
    return a


def list_(
    *,
    session: Session,
    campaign_id: str | None = None,
    customer_id: str | None = None,
    state: str | None = None,
    limit: int = 200,
) -> list[DialAttempt]:
    """Attempts, newest first."""
    stmt = select(DialAttempt).order_by(DialAttempt.created_at.desc(), DialAttempt.id)
    if campaign_id:
        stmt = stmt.where(DialAttempt.campaign_id == campaign_id)
    if customer_id:
        stmt = stmt.where(DialAttempt.customer_id == customer_id)
    if state:
        stmt = stmt.where(DialAttempt.state == state)
    return list(session.execute(stmt.limit(limit)).scalars())


def decide(data: GateInput, purpose: Purpose, at: datetime) -> GateDecision:
    """Run the gate over looked-up inputs."""
    return evaluate(
        customer=data.customer,
        purpose=purpose,
        at=at,
        history=data.history,
        rules=data.rules,
        dnc=data.dnc,
    )


def check(
    *,
    session: Session,
    customer_id: str,
    purpose: Purpose,
    at: datetime | None = None,
    default_jurisdiction: str = DEFAULT_JURISDICTION,
) -> GateDecision:
    """Why can (or can't) this customer be called for ``purpose`` at ``at``."""
    when = at or utcnow()
    data = load_input(
        session=session,
        customer_id=customer_id,
        default_jurisdiction=default_jurisdiction,
    )
    return decide(data, purpose, when)


def record_blocked(
    session: Session,
    *,
    customer: Customer,
    purpose: Purpose,
    decision: GateDecision,
    campaign: Campaign | None = None,
    member: CampaignMember | None = None,
    requested_by: str | None = None,
) -> DialAttempt:
    """Store a blocked attempt with every blocking rule and when the customer is callable."""
    attempt = DialAttempt(
        campaign_id=campaign.id if campaign else None,
        member_id=member.id if member else None,
        customer_id=customer.id,
        purpose=purpose.value,
        manual=campaign is None,
        state=S.BLOCKED.value,
        created_at=decision.at,
        ended_at=decision.at,
        number=customer.phone,
        blocked_rules=list(decision.rules),
        blocks=[b.to_dict() for b in decision.blocks],
        next_allowed_at=decision.next_allowed_at,
        script_version=campaign.script_version if campaign else None,
        customer_timezone=customer.timezone,
        requested_by=requested_by,
    )
    session.add(attempt)
    if member is not None:
        member.last_block = list(decision.rules)
        member.next_at = decision.next_allowed_at
        if decision.next_allowed_at is None:
            member.status = "blocked"
    session.flush()
    return attempt


def request_dial(
    *,
    session: Session,
    customer_id: str,
    purpose: Purpose,
    actor: audit.Actor,
    agent_id: str | None = None,
    at: datetime | None = None,
    default_jurisdiction: str = DEFAULT_JURISDICTION,
    campaign: Campaign | None = None,
) -> DialAttempt:
    """A manual dial: gate it; allowed → an attempt in ``dialing``, blocked → stored as blocked.

    With ``campaign`` (preview mode: the agent saw the member and dials) the attempt belongs to
    the campaign and its member, and moves the member on like a paced dial.
    """
    when = at or utcnow()
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise Invalid("unknown customer", field="customer_id", value=customer_id)
    member = None
    if campaign is not None:
        member = session.execute(
            select(CampaignMember).where(
                CampaignMember.campaign_id == campaign.id,
                CampaignMember.customer_id == customer_id,
            )
        ).scalar_one_or_none()
        if member is None:
            raise Invalid("the customer is not on this campaign", field="customer_id")
        if campaign.status != "running":
            raise Conflict("the campaign is not running", status=campaign.status)
    decision = check(
        session=session,
        customer_id=customer_id,
        purpose=purpose,
        at=when,
        default_jurisdiction=default_jurisdiction,
    )
    if not decision.allowed:
        attempt = record_blocked(
            session,
            customer=customer,
            purpose=purpose,
            decision=decision,
            campaign=campaign,
            member=member,
            requested_by=actor.user_id,
        )
        attempt.manual = True
    else:
        if member is not None:
            member.status, member.next_at = "in_progress", None
            member.attempts += 1
        attempt = DialAttempt(
            campaign_id=campaign.id if campaign else None,
            member_id=member.id if member else None,
            script_version=campaign.script_version if campaign else None,
            customer_id=customer.id,
            purpose=purpose.value,
            manual=True,
            state=S.DIALING.value,
            created_at=when,
            dialed_at=when,
            number=customer.phone,
            customer_timezone=customer.timezone,
            agent_id=agent_id,
            requested_by=actor.user_id,
        )
        session.add(attempt)
        session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="outbound.dial" if decision.allowed else "outbound.dial_blocked",
        entity_type="customer",
        entity_id=customer.id,
        detail={"attempt_id": attempt.id, "purpose": purpose.value, "rules": list(decision.rules)},
    )
    return attempt


def _finish(
    attempt: DialAttempt, outcome: Outcome, at: datetime, connected: bool | None = None
) -> None:
    """Walk the attempt's state machine to completed with ``outcome`` (illegal paths raise).

    ``connected=False``: the trunk signalled the outcome (e.g. 404 → wrong number), so the
    attempt ends through ``failed`` even for an outcome an agent could also record.
    """
    if attempt.state in (S.COMPLETED.value, S.BLOCKED.value, S.CANCELLED.value):
        raise Conflict(
            f"attempt {attempt.id} is {attempt.state}; no outcome can be recorded",
            attempt_id=attempt.id,
        )
    machine = Attempt(attempt.id, attempt.customer_id, Purpose(attempt.purpose), S(attempt.state))
    if machine.state is S.CONNECTED:
        machine.trail.append((S.CONNECTED, at))
    path = _PATHS[outcome in CONNECTED_OUTCOMES if connected is None else connected]
    for step in path.get(machine.state, ()):
        machine.move(step, at=at)
    machine.complete(outcome, at=at)
    attempt.state = machine.state.value
    attempt.outcome = outcome.value
    attempt.ended_at = at
    if machine.connected:
        attempt.connected = True
        attempt.answered_at = attempt.answered_at or at


def callback_instant(customer: Customer, local: datetime | None, at: datetime) -> datetime:
    """UTC time of a callback asked for at ``local`` (customer wall time; naive or aware)."""
    tz = customer.timezone
    if local is None:
        day = (at.astimezone(ZoneInfo(tz)) + timedelta(days=1)).date()
        return schedule_callback(day=day, wall=time(*DEFAULT_CALLBACK_WALL), timezone=tz)
    if local.tzinfo is not None:
        return local
    return schedule_callback(day=local.date(), wall=local.time(), timezone=tz)


def apply_outcome(
    *,
    session: Session,
    attempt: DialAttempt,
    outcome: Outcome,
    actor: audit.Actor,
    at: datetime | None = None,
    callback_local: datetime | None = None,
    contact_id: str | None = None,
    connected: bool | None = None,
) -> DialAttempt:
    """Complete the attempt, move its member on (retry/callback/done) and honour a refusal."""
    when = at or utcnow()
    customer = session.get(Customer, attempt.customer_id)
    callback_at = None
    if outcome is Outcome.CALLBACK_REQUESTED and customer is not None:
        callback_at = callback_instant(customer, callback_local, when)
    purpose = Purpose(attempt.purpose)
    member = session.get(CampaignMember, attempt.member_id) if attempt.member_id else None
    previous: list[Outcome] = []
    if member is not None:
        previous = [
            Outcome(str(o))
            for o in session.execute(
                select(DialAttempt.outcome).where(
                    DialAttempt.member_id == member.id,
                    DialAttempt.outcome.is_not(None),
                    DialAttempt.id != attempt.id,
                )
            ).scalars()
        ]
    step = next_step(
        outcome=outcome, at=when, purpose=purpose, previous=previous, callback_at=callback_at
    )
    _finish(attempt, outcome, when, connected)
    attempt.callback_at = callback_at
    if member is not None:
        member.last_outcome = outcome.value
        member.status = step.status.value
        member.next_at = step.retry_at
        if attempt.abandoned:
            member.status, member.next_at = MemberStatus.RETRY.value, when + ABANDON_RETRY
    if step.dnc is not None:
        dnc.add(
            session=session,
            customer_id=attempt.customer_id,
            purpose=purpose.value,
            source="refusal",
            actor=actor,
            at=when,
            contact_id=contact_id or attempt.contact_id,
            attempt_id=attempt.id,
            note=step.reason,
        )
    session.flush()
    if actor.user_id is not None:
        audit.record(
            session=session,
            actor=actor,
            action="outbound.outcome",
            entity_type="dial_attempt",
            entity_id=attempt.id,
            detail={"outcome": outcome.value, "member_status": step.status.value},
        )
    return attempt


def settle_contact(*, session: Session, contact_id: str) -> DialAttempt | None:
    """An outbound contact ended: its wrap-up code becomes the attempt's outcome (idempotent)."""
    from fincall.contacts.models import Contact

    contact = session.get(Contact, contact_id)
    if contact is None:
        return None
    attempt_id = (contact.attributes or {}).get("outbound_attempt_id")
    if not attempt_id:
        return None
    attempt = session.get(DialAttempt, str(attempt_id))
    if attempt is None or attempt.state != S.CONNECTED.value:
        return None
    if contact.status == "abandoned":
        attempt.abandoned = True
        attempt.state = S.ABANDONED.value
        return apply_outcome(
            session=session,
            attempt=attempt,
            outcome=Outcome.ANSWERED,
            actor=audit.Actor.system(),
            at=contact.ended_at,
        )
    if contact.status != "ended":
        return None
    attempt.agent_id = contact.agent_id
    return apply_outcome(
        session=session,
        attempt=attempt,
        outcome=disposition_outcome(contact.disposition),
        actor=audit.Actor.system(),
        at=contact.ended_at,
        contact_id=contact.id,
    )
