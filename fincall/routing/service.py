"""The routing use cases over the database: queue a contact, dispatch, offer, accept, reject.

The decisions themselves come from the pure ``policy.decide``; this module takes the snapshot
it needs from the tables, applies what it decides, records why, and emits events after commit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincall.agents.models import Agent
from fincall.auth import audit
from fincall.contacts import sentiment
from fincall.contacts.lifecycle import ContactStatus, check_transition
from fincall.contacts.models import Contact
from fincall.core.clock import ensure_utc, utcnow
from fincall.core.errors import Conflict, Forbidden, Invalid, NotFound
from fincall.core.events import emit
from fincall.routing import offers as offer_rules
from fincall.routing import policy, priority
from fincall.routing.models import Offer, Queue, QueueWait, RoutingDecision
from fincall.routing.presence import AgentState, next_state

OPEN_STATUSES = (ContactStatus.OFFERED, ContactStatus.ACTIVE, ContactStatus.WRAP_UP)
MISS_POLICY = offer_rules.MissPolicy(max_consecutive_misses=3)
DEFAULT_SENTIMENT_BOOST = 1


# ---------------------------------------------------------------- queues


def queue_spec(q: Queue) -> policy.QueueSpec:
    rules = tuple(
        policy.OverflowRule(
            after_seconds=float(r["after_seconds"]),
            action=policy.OverflowAction(str(r["action"])),
            skill=r.get("skill"),  # type: ignore[arg-type]
            min_level=r.get("min_level"),  # type: ignore[arg-type]
            target_queue=r.get("target_queue"),  # type: ignore[arg-type]
        )
        for r in sorted(q.overflow or [], key=lambda r: float(r["after_seconds"]))
    )
    return policy.QueueSpec(
        id=q.id,
        priority=q.priority,
        sl_target=q.sl_target,
        sl_seconds=q.sl_seconds,
        skills=dict(q.skills or {}),
        overflow=rules,
        sticky_window_seconds=q.sticky_window_seconds,
    )


def list_queues(*, session: Session) -> list[Queue]:
    return list(session.execute(select(Queue).order_by(Queue.priority.desc(), Queue.id)).scalars())


def get_queue(*, session: Session, queue_id: str) -> Queue:
    q = session.get(Queue, queue_id)
    if q is None:
        raise NotFound("no such queue", queue_id=queue_id)
    return q


# ---------------------------------------------------------------- entering a queue


def enqueue(
    *,
    session: Session,
    contact: Contact,
    queue_id: str,
    skills: dict[str, int] | None = None,
    priority_boost: int = 0,
    now: datetime | None = None,
) -> QueueWait:
    """Put a contact in a queue with its requirements (language, skills, segment, sticky agent)."""
    now = now or utcnow()
    queue = get_queue(session=session, queue_id=queue_id)
    contact.status = check_transition(contact.status, ContactStatus.QUEUED)
    contact.queue = queue.id
    segment, region, tz, sticky = "mass", None, None, None
    if contact.customer_id:
        from fincall.customers.models import Customer

        customer = session.get(Customer, contact.customer_id)
        if customer is not None:
            segment, region, tz = customer.segment, customer.region, customer.timezone
        sticky = session.execute(
            select(Contact.agent_id)
            .where(
                Contact.customer_id == contact.customer_id,
                Contact.agent_id.is_not(None),
                Contact.id != contact.id,
            )
            .order_by(Contact.started_at.desc())
            .limit(1)
        ).scalar_one_or_none()
    wait = session.get(QueueWait, contact.id)
    if wait is None:
        wait = QueueWait(contact_id=contact.id, enqueued_at=now)
        session.add(wait)
    wait.queue_id = queue.id
    wait.channel = contact.channel
    wait.queue_entered_at = now
    wait.language = contact.language or queue.language
    wait.skills = dict(skills or {})
    wait.segment = segment
    # VIP is who the customer is (or a VIP queue); the bot's hand-over priority is its own
    # boost, applied within the VIP tier (see priority.handover_priority)
    wait.vip = queue.vip or segment in ("hnw", "private")
    wait.region = region
    wait.customer_timezone = tz
    wait.sticky_agent_id = sticky
    wait.overflow_done = 0
    wait.priority_boost = priority_boost
    wait.outcome = None
    wait.ended_at = None
    session.flush()
    emit(session, "routing.queued", contact_id=contact.id, queue_id=queue.id)
    return wait


def abandon(*, session: Session, contact: Contact, now: datetime | None = None) -> None:
    """The customer left before an agent answered."""
    now = now or utcnow()
    _withdraw_open_offers(session, contact.id, now)
    contact.status = check_transition(contact.status, ContactStatus.ABANDONED)
    contact.ended_at = now
    wait = session.get(QueueWait, contact.id)
    if wait is not None and wait.outcome is None:
        wait.outcome, wait.ended_at = "abandoned", now
    emit(session, "contact.abandoned", contact_id=contact.id, direction=contact.direction)


def move(
    *,
    session: Session,
    contact: Contact,
    queue_id: str,
    actor: audit.Actor,
    now: datetime | None = None,
) -> None:
    """A supervisor moves a waiting contact to another queue (it keeps its place in line)."""
    now = now or utcnow()
    if contact.status not in (ContactStatus.QUEUED, ContactStatus.OFFERED):
        raise Conflict("only a waiting contact can be moved", status=contact.status)
    queue = get_queue(session=session, queue_id=queue_id)
    _withdraw_open_offers(session, contact.id, now)
    wait = session.get(QueueWait, contact.id)
    if wait is None:
        raise Conflict("the contact is not in a queue")
    contact.status = ContactStatus.QUEUED
    contact.agent_id = None
    old = wait.queue_id
    wait.queue_id, wait.queue_entered_at, wait.overflow_done = queue.id, now, 0
    contact.queue = queue.id
    session.add(
        RoutingDecision(
            at=now,
            contact_id=contact.id,
            queue_id=queue.id,
            kind="move",
            reason={"from": old, "to": queue.id, "by": actor.user_id},
            text=f"moved from {old} to {queue.id} by a supervisor",
        )
    )
    audit.record(
        session=session,
        actor=actor,
        action="routing.move",
        entity_type="contact",
        entity_id=contact.id,
        detail={"from": old, "to": queue.id},
    )
    emit(session, "routing.queued", contact_id=contact.id, queue_id=queue.id)


# ---------------------------------------------------------------- snapshot and dispatch


def _agent_loads(session: Session) -> dict[str, dict[policy.Channel, int]]:
    rows = session.execute(
        select(Contact.agent_id, Contact.channel, func.count())
        .where(Contact.agent_id.is_not(None), Contact.status.in_([str(s) for s in OPEN_STATUSES]))
        .group_by(Contact.agent_id, Contact.channel)
    ).all()
    loads: dict[str, dict[policy.Channel, int]] = defaultdict(dict)
    for agent_id, channel, n in rows:
        loads[agent_id][policy.Channel(channel)] = n
    return loads


def _shifts(agent: Agent) -> tuple[policy.ShiftWindow, ...]:
    out = []
    for s in agent.shifts or []:
        start = time.fromisoformat(str(s["start"]))
        end_text = str(s["end"])
        end = time(0, 0) if end_text == "24:00" else time.fromisoformat(end_text)
        out.append(policy.ShiftWindow(start=start, end=end, weekdays=frozenset(s["days"])))
    return tuple(out)


def agent_snapshot(agent: Agent, loads: dict[policy.Channel, int]) -> policy.AgentSnapshot:
    return policy.AgentSnapshot(
        id=agent.id,
        state=AgentState(agent.state),
        languages=frozenset(agent.languages or []),
        skills=dict(agent.skills or {}),
        idle_since=ensure_utc(agent.idle_since),
        region=agent.region,
        timezone=agent.timezone,
        senior=agent.senior,
        max_chats=agent.max_chats,
        max_emails=agent.max_emails,
        max_messages=agent.max_chats,
        active=loads,
        shifts=_shifts(agent),
    )


REOFFER_PAUSE = timedelta(seconds=30)


def _recently_missed(
    session: Session, contact_ids: list[str], now: datetime
) -> dict[str, set[str]]:
    """Agents who rejected or missed each contact in the last ``REOFFER_PAUSE``."""
    rows = session.execute(
        select(Offer.contact_id, Offer.agent_id).where(
            Offer.contact_id.in_(contact_ids),
            Offer.state.in_(["rejected", "timed_out"]),
            Offer.settled_at >= now - REOFFER_PAUSE,
        )
    ).all()
    out: dict[str, set[str]] = defaultdict(set)
    for contact_id, agent_id in rows:
        out[contact_id].add(agent_id)
    return out


def waiting_contact(
    w: QueueWait,
    excluded: set[str] | None = None,
    boost: priority.Priority = priority.NONE,
) -> policy.WaitingContact:
    """The policy's view of a waiting contact; ``boost`` comes on top of the bot's hand-over
    priority (e.g. the customer's sentiment)."""
    total = priority.combined(priority.handover_priority(w.priority_boost), boost)
    return policy.WaitingContact(
        id=w.contact_id,
        queue_id=w.queue_id,
        channel=policy.Channel(w.channel),
        enqueued_at=ensure_utc(w.enqueued_at),
        queue_entered_at=ensure_utc(w.queue_entered_at),
        language=w.language,
        skills=dict(w.skills or {}),
        segment=w.segment,
        vip=w.vip,
        region=w.region,
        customer_timezone=w.customer_timezone,
        sticky_agent_id=w.sticky_agent_id,
        overflow_done=w.overflow_done,
        excluded_agents=frozenset(excluded or ()),
        priority=total.points,
        priority_reason=total.reason,
    )


def _priorities(
    session: Session, contact_ids: list[str], sentiment_boost: int
) -> dict[str, priority.Priority]:
    """Each waiting contact's boost from its customer's current sentiment flag."""
    if sentiment_boost <= 0:
        return {}
    out = {}
    for contact in session.execute(select(Contact).where(Contact.id.in_(contact_ids))).scalars():
        flag = sentiment.current_flag(contact)
        boost = priority.sentiment_priority(flag, boost=sentiment_boost)
        if boost.points:
            out[contact.id] = boost
    return out


def dispatch_once(
    *,
    session: Session,
    now: datetime | None = None,
    sentiment_boost: int = DEFAULT_SENTIMENT_BOOST,
) -> dict[str, int]:
    """One routing round: expire stale offers, then offer waiting contacts to the best agents.

    ``sentiment_boost`` is the priority given to a contact whose customer is angry or
    distressed (the ``sentiment_priority_boost`` setting).
    """
    now = now or utcnow()
    expired = expire_offers(session=session, now=now)
    waits = list(
        session.execute(
            select(QueueWait)
            .join(Contact, Contact.id == QueueWait.contact_id)
            .where(QueueWait.outcome.is_(None), Contact.status == ContactStatus.QUEUED)
        ).scalars()
    )
    if not waits:
        return {"expired": expired, "offered": 0, "overflowed": 0}
    queues = {q.id: q for q in list_queues(session=session)}
    loads = _agent_loads(session)
    agents = list(
        session.execute(
            select(Agent).where(Agent.state.in_([AgentState.AVAILABLE, AgentState.ON_CONTACT]))
        ).scalars()
    )
    ids = [w.contact_id for w in waits]
    missed = _recently_missed(session, ids, now)
    boosts = _priorities(session, ids, sentiment_boost)
    decisions = policy.decide(
        now=now,
        queues=[queue_spec(q) for q in queues.values()],
        waiting=[
            waiting_contact(w, missed.get(w.contact_id), boosts.get(w.contact_id, priority.NONE))
            for w in waits
        ],
        agents=[agent_snapshot(a, loads.get(a.id, {})) for a in agents],
    )
    by_contact = {w.contact_id: w for w in waits}
    offered = overflowed = 0
    for d in decisions:
        wait = by_contact[d.contact_id]
        if isinstance(d, policy.OverflowDecision):
            overflowed += 1
            _apply_overflow(session, wait, d, now)
            continue
        queue = queues[d.queue_id]
        offer = Offer(
            contact_id=d.contact_id,
            agent_id=d.agent_id,
            queue_id=d.queue_id,
            offered_at=now,
            expires_at=now + timedelta(seconds=queue.offer_timeout_seconds),
        )
        session.add(offer)
        offered_agent = session.get(Agent, d.agent_id)
        if offered_agent is not None:
            offered_agent.idle_since = now
        contact = session.get(Contact, d.contact_id)
        assert contact is not None
        contact.status = check_transition(contact.status, ContactStatus.OFFERED)
        contact.agent_id = d.agent_id
        if wait.queue_id != d.queue_id:
            wait.queue_id = d.queue_id
        session.add(
            RoutingDecision(
                at=now,
                contact_id=d.contact_id,
                agent_id=d.agent_id,
                queue_id=d.queue_id,
                kind="assign",
                reason=d.reason.as_dict(),
                text=d.text,
            )
        )
        session.flush()
        offered += 1
        emit(
            session,
            "routing.offer",
            offer_id=offer.id,
            agent_id=d.agent_id,
            contact_id=d.contact_id,
            expires_at=offer.expires_at.isoformat(),
        )
    return {"expired": expired, "offered": offered, "overflowed": overflowed}


def _apply_overflow(
    session: Session, wait: QueueWait, d: policy.OverflowDecision, now: datetime
) -> None:
    if d.action is policy.OverflowAction.MOVE_QUEUE and d.target_queue:
        wait.queue_id, wait.queue_entered_at, wait.overflow_done = d.target_queue, now, 0
        contact = session.get(Contact, wait.contact_id)
        if contact is not None:
            contact.queue = d.target_queue
    else:
        wait.overflow_done = max(wait.overflow_done, d.rule_index + 1)
    session.add(
        RoutingDecision(
            at=now,
            contact_id=d.contact_id,
            queue_id=d.queue_id,
            kind="overflow",
            reason={
                "action": str(d.action),
                "rule_index": d.rule_index,
                "target_queue": d.target_queue,
                "skill": d.skill,
                "min_level": d.min_level,
            },
            text=d.text,
        )
    )
    if d.action in (policy.OverflowAction.OFFER_CALLBACK, policy.OverflowAction.OFFER_BOT):
        emit(session, "routing.overflow_offer", contact_id=d.contact_id, action=str(d.action))


# ---------------------------------------------------------------- offers


def _to_rule_offer(o: Offer) -> offer_rules.Offer:
    return offer_rules.Offer(
        o.id,
        o.contact_id,
        o.agent_id,
        ensure_utc(o.offered_at),
        ensure_utc(o.expires_at),
        offer_rules.OfferState(o.state),
    )


def _settle(session: Session, row: Offer, closed: offer_rules.Offer, now: datetime) -> None:
    row.state, row.settled_at = str(closed.state), now
    agent = session.get(Agent, row.agent_id)
    assert agent is not None
    outcome = offer_rules.settle(closed, consecutive_misses=agent.missed_offers, policy=MISS_POLICY)
    agent.missed_offers = outcome.consecutive_misses
    contact = session.get(Contact, row.contact_id)
    if outcome.requeue_contact and contact is not None and contact.status == ContactStatus.OFFERED:
        contact.status = ContactStatus.QUEUED
        contact.agent_id = None
        emit(session, "routing.queued", contact_id=contact.id, queue_id=row.queue_id)
    if outcome.set_agent_not_ready and agent.state != AgentState.NOT_READY:
        agent.state = str(next_state(AgentState(agent.state), AgentState.NOT_READY))
        agent.state_since = now
        emit(session, "agent.state", agent_id=agent.id, state=agent.state, reason="missed offers")
    emit(
        session,
        "routing.offer_closed",
        offer_id=row.id,
        agent_id=row.agent_id,
        contact_id=row.contact_id,
        state=row.state,
    )


def expire_offers(*, session: Session, now: datetime) -> int:
    rows = list(
        session.execute(
            select(Offer).where(Offer.state == "offered", Offer.expires_at <= now)
        ).scalars()
    )
    for row in rows:
        _settle(
            session,
            row,
            offer_rules.transition(_to_rule_offer(row), offer_rules.OfferState.TIMED_OUT, at=now),
            now,
        )
    return len(rows)


def _withdraw_open_offers(session: Session, contact_id: str, now: datetime) -> None:
    for row in session.execute(
        select(Offer).where(Offer.contact_id == contact_id, Offer.state == "offered")
    ).scalars():
        closed = offer_rules.transition(
            _to_rule_offer(row), offer_rules.OfferState.WITHDRAWN, at=now
        )
        _settle(session, row, closed, now)


def _own_offer(session: Session, offer_id: str, agent_id: str | None) -> Offer:
    row = session.get(Offer, offer_id)
    if row is None or row.agent_id != agent_id:
        raise NotFound("no such offer", offer_id=offer_id)
    return row


def accept(
    *,
    session: Session,
    offer_id: str,
    agent_id: str | None,
    actor: audit.Actor,
    now: datetime | None = None,
) -> Contact:
    """The agent takes the contact: it becomes active and the agent is on contact."""
    now = now or utcnow()
    row = _own_offer(session, offer_id, agent_id)
    closed = offer_rules.transition(_to_rule_offer(row), offer_rules.OfferState.ACCEPTED, at=now)
    _settle(session, row, closed, now)
    contact = session.get(Contact, row.contact_id)
    assert contact is not None
    contact.status = check_transition(contact.status, ContactStatus.ACTIVE)
    contact.answered_at = contact.answered_at or now
    contact.agent_id = row.agent_id
    wait = session.get(QueueWait, contact.id)
    if wait is not None and wait.outcome is None:
        wait.outcome, wait.ended_at = "answered", now
    agent = session.get(Agent, row.agent_id)
    assert agent is not None
    if agent.state == AgentState.AVAILABLE:
        agent.state, agent.state_since = AgentState.ON_CONTACT, now
    agent.idle_since = now
    audit.record(
        session=session,
        actor=actor,
        action="offer.accept",
        entity_type="contact",
        entity_id=contact.id,
        detail={"offer_id": row.id},
    )
    emit(session, "contact.connected", contact_id=contact.id, agent_id=agent.id)
    return contact


def reject(
    *,
    session: Session,
    offer_id: str,
    agent_id: str | None,
    actor: audit.Actor,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    row = _own_offer(session, offer_id, agent_id)
    closed = offer_rules.transition(_to_rule_offer(row), offer_rules.OfferState.REJECTED, at=now)
    _settle(session, row, closed, now)
    audit.record(
        session=session,
        actor=actor,
        action="offer.reject",
        entity_type="contact",
        entity_id=row.contact_id,
        detail={"offer_id": row.id},
    )


def open_offers(*, session: Session, agent_id: str) -> list[Offer]:
    return list(
        session.execute(
            select(Offer).where(Offer.agent_id == agent_id, Offer.state == "offered")
        ).scalars()
    )


# ---------------------------------------------------------------- agent presence


def set_agent_state(
    *,
    session: Session,
    agent: Agent,
    state: str,
    actor: audit.Actor,
    forced: bool = False,
    now: datetime | None = None,
) -> Agent:
    """Change an agent's presence through the state machine (a supervisor may force it)."""
    now = now or utcnow()
    try:
        target = AgentState(state)
    except ValueError:
        raise Invalid(f"unknown agent state {state!r}", field="state") from None
    if target == AgentState.ON_CONTACT:
        raise Forbidden("on_contact is entered by accepting an offer")
    current = AgentState(agent.state)
    if current == target:
        return agent
    agent.state = str(next_state(current, target, forced=forced))
    agent.state_since = now
    if target == AgentState.AVAILABLE:
        agent.idle_since = now
        agent.missed_offers = 0
    audit.record(
        session=session,
        actor=actor,
        action="agent.state",
        entity_type="agent",
        entity_id=agent.id,
        detail={"from": str(current), "to": agent.state, "forced": forced},
    )
    emit(session, "agent.state", agent_id=agent.id, state=agent.state)
    return agent


def after_contact_closed(*, session: Session, agent_id: str | None, now: datetime) -> None:
    """When an agent's last open contact ends, they pass through wrap-up back to available."""
    if not agent_id:
        return
    agent = session.get(Agent, agent_id)
    if agent is None or agent.state != AgentState.ON_CONTACT:
        return
    still_open = session.execute(
        select(func.count())
        .select_from(Contact)
        .where(Contact.agent_id == agent_id, Contact.status.in_([str(s) for s in OPEN_STATUSES]))
    ).scalar_one()
    if still_open == 0:
        agent.state = str(
            next_state(next_state(AgentState.ON_CONTACT, AgentState.WRAP_UP), AgentState.AVAILABLE)
        )
        agent.state_since = agent.idle_since = now
        emit(session, "agent.state", agent_id=agent.id, state=agent.state)


def decisions_for(*, session: Session, contact_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(RoutingDecision)
        .where(RoutingDecision.contact_id == contact_id)
        .order_by(RoutingDecision.id)
    ).scalars()
    return [
        {
            "at": r.at,
            "kind": r.kind,
            "agent_id": r.agent_id,
            "queue_id": r.queue_id,
            "reason": r.reason,
            "text": r.text,
        }
        for r in rows
    ]
