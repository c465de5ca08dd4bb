"""Real-time service-level figures from queue events (pure: events in, figures out).

Definitions (the supervisor wall and the day charts use exactly these):

- A *wait* is one stay of a contact in one queue: it starts with ``enqueued`` and ends with
  ``answered`` (an agent accepted), ``abandoned`` (the customer left) or ``dequeued`` (moved to
  another queue, callback or bot taken). An ``enqueued`` for a contact already waiting ends
  its previous wait as dequeued (a move).
- Short abandon: abandoned within ``short_abandon_seconds`` (default 5 s) of entering the
  queue; counted apart and left out of service level and abandonment rate (misdials, IVR
  slips).
- Service level = answered within the queue's target seconds / (answered + abandoned), both
  over waits that ended in the window; dequeued waits count in neither.
- Abandonment rate = abandoned / (answered + abandoned), same window.
- ASA = mean wait of answered contacts; longest wait and queue length are at ``now``.
- Interval series attribute each wait to the 15-minute interval in which it *entered* the
  queue (so an interval's figures settle once its contacts are served).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fincall.routing.errors import RoutingInputInvalid
from fincall.routing.presence import AgentState, Presence

DEFAULT_SHORT_ABANDON_SECONDS = 5.0
INTERVAL = timedelta(minutes=15)


class EventKind(StrEnum):
    ENQUEUED = "enqueued"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    DEQUEUED = "dequeued"


@dataclass(frozen=True, slots=True)
class QueueEvent:
    kind: EventKind
    contact_id: str
    queue_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SlTarget:
    """Service-level target of a queue: ``fraction`` answered within ``seconds``."""

    fraction: float = 0.8
    seconds: float = 20.0


@dataclass(frozen=True, slots=True)
class Wait:
    contact_id: str
    queue_id: str
    entered_at: datetime
    ended_at: datetime | None = None
    outcome: EventKind | None = None

    def seconds(self, now: datetime) -> float:
        return ((self.ended_at or now) - self.entered_at).total_seconds()


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue_id: str
    waiting: int
    longest_wait_seconds: float
    offered: int
    answered: int
    answered_within_target: int
    abandoned: int
    short_abandoned: int
    dequeued: int
    service_level: float | None
    abandonment_rate: float | None
    asa_seconds: float | None
    target: SlTarget

    @property
    def meets_target(self) -> bool | None:
        if self.service_level is None:
            return None
        return self.service_level >= self.target.fraction


@dataclass(frozen=True, slots=True)
class IntervalStats:
    start: datetime
    end: datetime
    offered: int
    answered: int
    answered_within_target: int
    abandoned: int
    short_abandoned: int
    service_level: float | None
    abandonment_rate: float | None


@dataclass(frozen=True, slots=True)
class StateGroup:
    state: AgentState
    count: int
    agents: tuple[tuple[str, float], ...]  # (agent id, seconds in state), longest first


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


class ServiceLevelTracker:
    """Keeps open and finished waits; feed events in time order with ``apply``."""

    def __init__(
        self,
        *,
        targets: Mapping[str, SlTarget],
        short_abandon_seconds: float = DEFAULT_SHORT_ABANDON_SECONDS,
    ) -> None:
        self.targets = dict(targets)
        self.short = short_abandon_seconds
        self.open: dict[str, Wait] = {}
        self.done: list[Wait] = []

    def target(self, queue_id: str) -> SlTarget:
        return self.targets.get(queue_id, SlTarget())

    def apply(self, event: QueueEvent) -> None:
        """Record one event; an outcome for a contact that is not waiting there is refused."""
        if event.at.tzinfo is None:
            raise RoutingInputInvalid("event time must be timezone-aware", contact=event.contact_id)
        current = self.open.get(event.contact_id)
        if event.kind is EventKind.ENQUEUED:
            if current is not None:
                self._close(current, event.at, EventKind.DEQUEUED)
            self.open[event.contact_id] = Wait(event.contact_id, event.queue_id, event.at)
            return
        if current is None or current.queue_id != event.queue_id:
            raise RoutingInputInvalid(
                f"{event.kind} for {event.contact_id} that is not waiting in {event.queue_id}",
                contact=event.contact_id,
            )
        if event.at < current.entered_at:
            raise RoutingInputInvalid("event before the contact entered", contact=event.contact_id)
        del self.open[event.contact_id]
        self._close(current, event.at, event.kind)

    def _close(self, wait: Wait, at: datetime, outcome: EventKind) -> None:
        self.done.append(Wait(wait.contact_id, wait.queue_id, wait.entered_at, at, outcome))

    def _tally(self, waits: Iterable[Wait], queue_id: str, now: datetime) -> dict[str, float]:
        t = self.target(queue_id)
        answered = within = abandoned = short = dequeued = 0
        wait_sum = 0.0
        for w in waits:
            secs = w.seconds(now)
            if w.outcome is EventKind.ANSWERED:
                answered += 1
                wait_sum += secs
                within += secs <= t.seconds
            elif w.outcome is EventKind.ABANDONED:
                if secs <= self.short:
                    short += 1
                else:
                    abandoned += 1
            elif w.outcome is EventKind.DEQUEUED:
                dequeued += 1
        return {
            "answered": answered,
            "within": within,
            "abandoned": abandoned,
            "short": short,
            "dequeued": dequeued,
            "wait_sum": wait_sum,
        }

    def snapshot(self, *, now: datetime, since: datetime) -> dict[str, QueueStats]:
        """Per-queue figures: outcomes that ended in [since, now], queue length at now."""
        queue_ids = set(self.targets)
        queue_ids.update(w.queue_id for w in self.open.values())
        queue_ids.update(w.queue_id for w in self.done)
        ended: dict[str, list[Wait]] = {q: [] for q in queue_ids}
        offered = dict.fromkeys(queue_ids, 0)
        for w in self.done:
            if w.ended_at is not None and since <= w.ended_at <= now:
                ended[w.queue_id].append(w)
            if since <= w.entered_at <= now:
                offered[w.queue_id] += 1
        waiting: dict[str, list[float]] = {q: [] for q in queue_ids}
        for w in self.open.values():
            waiting[w.queue_id].append(max(0.0, w.seconds(now)))
            if since <= w.entered_at <= now:
                offered[w.queue_id] += 1
        out = {}
        for q in sorted(queue_ids):
            t = self._tally(ended[q], q, now)
            handled = int(t["answered"] + t["abandoned"])
            out[q] = QueueStats(
                queue_id=q,
                waiting=len(waiting[q]),
                longest_wait_seconds=max(waiting[q], default=0.0),
                offered=offered[q],
                answered=int(t["answered"]),
                answered_within_target=int(t["within"]),
                abandoned=int(t["abandoned"]),
                short_abandoned=int(t["short"]),
                dequeued=int(t["dequeued"]),
                service_level=_ratio(int(t["within"]), handled),
                abandonment_rate=_ratio(int(t["abandoned"]), handled),
                asa_seconds=t["wait_sum"] / t["answered"] if t["answered"] else None,
                target=self.target(q),
            )
        return out

    def intervals(
        self,
        *,
        start: datetime,
        end: datetime,
        now: datetime,
        queue_id: str | None = None,
        step: timedelta = INTERVAL,
    ) -> list[IntervalStats]:
        """Interval series over [start, end) by queue-entry time (all queues if none given)."""
        if step <= timedelta(0) or end <= start:
            raise RoutingInputInvalid("interval series needs start < end and a positive step")
        n = -(-(end - start) // step)
        buckets: list[list[Wait]] = [[] for _ in range(n)]
        offered = [0] * n
        for w in [*self.done, *self.open.values()]:
            if (queue_id is not None and w.queue_id != queue_id) or not start <= w.entered_at < end:
                continue
            k = (w.entered_at - start) // step
            offered[k] += 1
            if w.outcome is not None:
                buckets[k].append(w)
        series = []
        for k in range(n):
            answered = within = abandoned = short = 0
            for w in buckets[k]:
                t = self._tally([w], w.queue_id, now)
                answered += int(t["answered"])
                within += int(t["within"])
                abandoned += int(t["abandoned"])
                short += int(t["short"])
            s = start + k * step
            series.append(
                IntervalStats(
                    start=s,
                    end=min(s + step, end),
                    offered=offered[k],
                    answered=answered,
                    answered_within_target=within,
                    abandoned=abandoned,
                    short_abandoned=short,
                    service_level=_ratio(within, answered + abandoned),
                    abandonment_rate=_ratio(abandoned, answered + abandoned),
                )
            )
        return series


def queue_stats(
    *,
    now: datetime,
    since: datetime,
    events: Iterable[QueueEvent],
    targets: Mapping[str, SlTarget],
    short_abandon_seconds: float = DEFAULT_SHORT_ABANDON_SECONDS,
) -> dict[str, QueueStats]:
    """Per-queue figures over the window [since, now] from a list of events."""
    tracker = ServiceLevelTracker(targets=targets, short_abandon_seconds=short_abandon_seconds)
    for event in sorted(events, key=lambda e: e.at):
        if event.at <= now:
            tracker.apply(event)
    return tracker.snapshot(now=now, since=since)


def agents_by_state(*, now: datetime, presences: Sequence[Presence]) -> list[StateGroup]:
    """Agents grouped by presence state with time in state, longest first in each group."""
    groups: dict[AgentState, list[tuple[str, float]]] = {s: [] for s in AgentState}
    for p in presences:
        groups[p.state].append((p.agent_id, p.seconds_in_state(now)))
    return [
        StateGroup(state, len(items), tuple(sorted(items, key=lambda x: (-x[1], x[0]))))
        for state, items in groups.items()
    ]
