"""The supervisor wall's figures: queues and service levels, agents by state, the day's series."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.agents.models import Agent
from fincall.contacts import sentiment
from fincall.contacts.lifecycle import ContactStatus
from fincall.contacts.models import Contact
from fincall.core.clock import ensure_utc, utcnow
from fincall.routing import service_level as sl
from fincall.routing.models import Queue, QueueWait
from fincall.routing.presence import AgentState, Presence

ACTIVE_SHOWN = 50
OUTCOME_EVENT = {"answered": sl.EventKind.ANSWERED, "abandoned": sl.EventKind.ABANDONED}


def span(seconds: float) -> str:
    """A service-level answer time as people say it: 20s, 90s, 5m, 90m, 4h, 2.5h."""
    if seconds < 120 or seconds % 60:
        return f"{seconds:g}s"
    if seconds < 7200:
        return f"{seconds / 60:g}m"
    return f"{seconds / 3600:g}h"


def _events(waits: list[QueueWait]) -> list[sl.QueueEvent]:
    events = []
    for w in waits:
        events.append(
            sl.QueueEvent(
                sl.EventKind.ENQUEUED, w.contact_id, w.queue_id, ensure_utc(w.queue_entered_at)
            )
        )
        if w.outcome in OUTCOME_EVENT and w.ended_at is not None:
            events.append(
                sl.QueueEvent(
                    OUTCOME_EVENT[w.outcome], w.contact_id, w.queue_id, ensure_utc(w.ended_at)
                )
            )
    return events


def snapshot(*, session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Everything the wall shows, as of ``now`` (the window is the UTC day so far)."""
    now = now or utcnow()
    since = now.replace(hour=0, minute=0, second=0, microsecond=0)
    queues = list(
        session.execute(select(Queue).order_by(Queue.priority.desc(), Queue.id)).scalars()
    )
    targets = {q.id: sl.SlTarget(q.sl_target, q.sl_seconds) for q in queues}
    waits = list(
        session.execute(
            select(QueueWait).where(
                (QueueWait.queue_entered_at >= since) | QueueWait.outcome.is_(None)
            )
        ).scalars()
    )
    waits = [w for w in waits if w.queue_id in targets]
    tracker = sl.ServiceLevelTracker(targets=targets)
    for e in sorted(_events(waits), key=lambda e: e.at):
        if e.at <= now:
            tracker.apply(e)
    stats = tracker.snapshot(now=now, since=since)
    series = tracker.intervals(start=since, end=max(now, since + timedelta(seconds=1)), now=now)
    agents = list(session.execute(select(Agent).order_by(Agent.name)).scalars())
    presences = [Presence(a.id, AgentState(a.state), ensure_utc(a.state_since)) for a in agents]
    names = {a.id: a.name for a in agents}
    groups = sl.agents_by_state(now=now, presences=presences)
    waiting = sorted(
        (w for w in waits if w.outcome is None),
        key=lambda w: ensure_utc(w.enqueued_at),
    )
    shown = {
        c.id: c
        for c in (
            session.execute(
                select(Contact).where(Contact.id.in_([w.contact_id for w in waiting[:20]]))
            ).scalars()
            if waiting
            else ()
        )
    }
    return {
        "at": now.isoformat(),
        "queues": [
            {
                "id": q.id,
                "name": q.name,
                "target": f"{round(q.sl_target * 100)}% in {span(q.sl_seconds)}",
                **_stats_dict(stats.get(q.id)),
            }
            for q in queues
        ],
        "agents": [
            {
                "id": a.id,
                "name": a.name,
                "state": a.state,
                "seconds_in_state": round((now - ensure_utc(a.state_since)).total_seconds()),
                "languages": a.languages,
            }
            for a in agents
        ],
        "agents_by_state": {str(g.state): g.count for g in groups},
        "longest_waiting": [
            {
                "contact_id": w.contact_id,
                "queue_id": w.queue_id,
                "channel": w.channel,
                "language": w.language,
                "vip": w.vip,
                "status": shown[w.contact_id].status if w.contact_id in shown else None,
                "sentiment_flag": (
                    sentiment.current_flag(shown[w.contact_id]) if w.contact_id in shown else None
                ),
                "waited_seconds": round((now - ensure_utc(w.enqueued_at)).total_seconds()),
            }
            for w in waiting[:20]
        ],
        "active_contacts": _active(session, now, names),
        "series": [
            {
                "start": i.start.isoformat(),
                "offered": i.offered,
                "answered": i.answered,
                "abandoned": i.abandoned,
                "service_level": i.service_level,
                "abandonment_rate": i.abandonment_rate,
            }
            for i in series
        ],
        "agent_names": names,
    }


def _active(session: Session, now: datetime, names: dict[str, str]) -> list[dict[str, Any]]:
    """Contacts with an agent now, those with an upset customer first."""
    rows = session.execute(
        select(Contact)
        .where(Contact.status.in_([ContactStatus.OFFERED, ContactStatus.ACTIVE]))
        .order_by(Contact.started_at)
        .limit(ACTIVE_SHOWN)
    ).scalars()
    out = [
        {
            "contact_id": c.id,
            "channel": c.channel,
            "status": c.status,
            "queue_id": c.queue,
            "agent_id": c.agent_id,
            "agent_name": names.get(c.agent_id or ""),
            "sentiment_flag": sentiment.current_flag(c),
            "seconds": round((now - ensure_utc(c.answered_at or c.started_at)).total_seconds()),
        }
        for c in rows
    ]
    return sorted(out, key=lambda a: a["sentiment_flag"] is None)


def _stats_dict(s: sl.QueueStats | None) -> dict[str, Any]:
    if s is None:
        return {
            "waiting": 0,
            "longest_wait_seconds": 0,
            "offered": 0,
            "answered": 0,
            "abandoned": 0,
            "service_level": None,
            "abandonment_rate": None,
            "asa_seconds": None,
            "meets_target": None,
        }
    return {
        "waiting": s.waiting,
        "longest_wait_seconds": round(s.longest_wait_seconds),
        "offered": s.offered,
        "answered": s.answered,
        "abandoned": s.abandoned,
        "service_level": s.service_level,
        "abandonment_rate": s.abandonment_rate,
        "asa_seconds": s.asa_seconds,
        "meets_target": s.meets_target,
    }
