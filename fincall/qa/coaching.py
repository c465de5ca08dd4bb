"""Coaching: decide when an agent's repeated critical findings make retraining mandatory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetrainingPolicy:
    """``threshold`` findings of ``severity`` within ``window`` → mandatory retraining."""

    threshold: int = 3
    window: timedelta = timedelta(days=7)
    severity: str = "critical"


@dataclass(frozen=True)
class FindingEvent:
    agent_id: str
    at: datetime
    severity: str
    category: str = ""
    rule_id: str = ""
    contact_id: str = ""


@dataclass(frozen=True)
class RetrainingDecision:
    agent_id: str
    due: bool
    count: int
    window_start: datetime
    window_end: datetime
    triggering: tuple[FindingEvent, ...]
    reason: str


def retraining_due(
    *,
    agent_id: str,
    history: Iterable[FindingEvent],
    now: datetime,
    policy: RetrainingPolicy | None = None,
    last_task_at: datetime | None = None,
) -> RetrainingDecision:
    """Is a mandatory retraining task due for this agent at ``now``?

    Counts the agent's findings of the policy severity in ``(now - window, now]``; findings
    at or before ``last_task_at`` (the previous retraining task) are not counted again, so a
    burst creates one task, not one per finding.
    """
    pol = policy or RetrainingPolicy()
    if now.tzinfo is None or (last_task_at is not None and last_task_at.tzinfo is None):
        raise ValueError("timezone-aware datetimes required")
    start = now - pol.window
    if last_task_at is not None and last_task_at > start:
        start = last_task_at
    picked = []
    for ev in history:
        if ev.at.tzinfo is None:
            raise ValueError("timezone-aware datetimes required")
        if ev.agent_id == agent_id and ev.severity == pol.severity and start < ev.at <= now:
            picked.append(ev)
    picked.sort(key=lambda e: e.at)
    due = len(picked) >= pol.threshold
    days = pol.window.total_seconds() / 86400
    reason = f"{len(picked)} {pol.severity} findings in {days:g} days (threshold {pol.threshold})"
    return RetrainingDecision(
        agent_id=agent_id,
        due=due,
        count=len(picked),
        window_start=start,
        window_end=now,
        triggering=tuple(picked),
        reason=reason,
    )
