"""Service-level tracking: hand-worked examples and conservation properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.routing.errors import RoutingInputInvalid
from fincall.routing.presence import AgentState, Presence
from fincall.routing.service_level import (
    EventKind,
    QueueEvent,
    ServiceLevelTracker,
    SlTarget,
    agents_by_state,
    queue_stats,
)
from fincall.routing.wall import span

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
E = EventKind


def ev(kind: EventKind, cid: str, secs: float, queue: str = "general") -> QueueEvent:
    return QueueEvent(kind, cid, queue, T0 + timedelta(seconds=secs))


def test_worked_example() -> None:
    events = [
        ev(E.ENQUEUED, "a", 0), ev(E.ANSWERED, "a", 10),      # within 20 s
        ev(E.ENQUEUED, "b", 5), ev(E.ANSWERED, "b", 45),      # 40 s: late
        ev(E.ENQUEUED, "c", 10), ev(E.ABANDONED, "c", 13),    # 3 s: short abandon
        ev(E.ENQUEUED, "d", 20), ev(E.ABANDONED, "d", 80),    # counted abandon
        ev(E.ENQUEUED, "e", 30), ev(E.ANSWERED, "e", 35),     # within
        ev(E.ENQUEUED, "f", 100),                             # still waiting
        ev(E.ENQUEUED, "g", 110),
        ev(E.ENQUEUED, "g", 115, queue="vip"),                # moved: dequeued from general
    ]  # fmt: skip
    now = T0 + timedelta(seconds=160)
    stats = queue_stats(now=now, since=T0, events=events, targets={"general": SlTarget(0.8, 20)})
    g = stats["general"]
    assert (g.offered, g.answered, g.answered_within_target) == (7, 3, 2)
    assert (g.abandoned, g.short_abandoned, g.dequeued) == (1, 1, 1)
    assert g.service_level == pytest.approx(2 / 4)
    assert g.abandonment_rate == pytest.approx(1 / 4)
    assert g.asa_seconds == pytest.approx((10 + 40 + 5) / 3)
    assert g.waiting == 1 and g.longest_wait_seconds == pytest.approx(60)
    assert g.meets_target is False
    v = stats["vip"]
    assert v.waiting == 1 and v.longest_wait_seconds == pytest.approx(45)
    assert v.service_level is None and v.meets_target is None
    # a window that starts after the first outcomes leaves them out
    later = queue_stats(now=now, since=T0 + timedelta(seconds=40), events=events, targets={})[
        "general"
    ]
    assert (later.answered, later.abandoned) == (1, 1)


def test_interval_series_by_entry_time() -> None:
    tracker = ServiceLevelTracker(targets={"general": SlTarget(0.8, 20)})
    for e in [
        ev(E.ENQUEUED, "a", 60), ev(E.ANSWERED, "a", 70),
        ev(E.ENQUEUED, "b", 890), ev(E.ANSWERED, "b", 930),   # entered 1st interval, late
        ev(E.ENQUEUED, "c", 1000), ev(E.ABANDONED, "c", 1100),
        ev(E.ENQUEUED, "d", 1900),
    ]:  # fmt: skip
        tracker.apply(e)
    series = tracker.intervals(
        start=T0, end=T0 + timedelta(hours=1), now=T0 + timedelta(seconds=2000)
    )
    assert len(series) == 4
    assert [s.offered for s in series] == [2, 1, 1, 0]
    assert series[0].service_level == pytest.approx(0.5)
    assert series[1].abandonment_rate == pytest.approx(1.0)
    assert series[2].service_level is None
    assert series[1].start == T0 + timedelta(minutes=15)


def test_outcome_without_enqueue_is_refused() -> None:
    tracker = ServiceLevelTracker(targets={})
    with pytest.raises(RoutingInputInvalid):
        tracker.apply(ev(E.ANSWERED, "x", 1))
    tracker.apply(ev(E.ENQUEUED, "x", 1))
    with pytest.raises(RoutingInputInvalid):
        tracker.apply(ev(E.ANSWERED, "x", 2, queue="other"))


def test_agents_by_state() -> None:
    presences = [
        Presence("a1", AgentState.AVAILABLE, T0),
        Presence("a2", AgentState.AVAILABLE, T0 + timedelta(seconds=30)),
        Presence("a3", AgentState.BREAK, T0 + timedelta(seconds=10)),
    ]
    groups = {
        g.state: g for g in agents_by_state(now=T0 + timedelta(seconds=60), presences=presences)
    }
    assert groups[AgentState.AVAILABLE].count == 2
    assert groups[AgentState.AVAILABLE].agents == (("a1", 60.0), ("a2", 30.0))
    assert groups[AgentState.BREAK].agents == (("a3", 50.0),)
    assert groups[AgentState.OFFLINE].count == 0


@st.composite
def event_stream(draw):
    events = []
    for i in range(draw(st.integers(0, 30))):
        start = draw(st.integers(0, 3000))
        queue = draw(st.sampled_from(["q1", "q2"]))
        events.append(ev(E.ENQUEUED, f"c{i}", start, queue))
        end = draw(st.sampled_from([E.ANSWERED, E.ABANDONED, E.DEQUEUED, None]))
        if end is not None:
            events.append(ev(end, f"c{i}", start + draw(st.integers(0, 120)), queue))
    return events


@settings(max_examples=100, deadline=None)
@given(event_stream())
def test_every_wait_is_counted_once(events) -> None:
    now = T0 + timedelta(hours=2)
    stats = queue_stats(now=now, since=T0, events=events, targets={"q1": SlTarget(0.8, 20)})
    entered = sum(e.kind is E.ENQUEUED for e in events)
    total = sum(
        s.answered + s.abandoned + s.short_abandoned + s.dequeued + s.waiting
        for s in stats.values()
    )
    assert total == entered == sum(s.offered for s in stats.values())
    for s in stats.values():
        assert s.answered_within_target <= s.answered
        if s.service_level is not None:
            assert 0.0 <= s.service_level <= 1.0
    tracker = ServiceLevelTracker(targets={})
    for e in sorted(events, key=lambda e: e.at):
        tracker.apply(e)
    series = tracker.intervals(start=T0, end=T0 + timedelta(hours=1), now=now)
    assert sum(s.offered for s in series) == entered


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (15, "15s"),
        (90, "90s"),
        (119, "119s"),
        (120, "2m"),
        (300, "5m"),
        (150.5, "150.5s"),
        (5400, "90m"),
        (7200, "2h"),
        (9000, "2.5h"),
        (14400, "4h"),
        (86400, "24h"),
    ],
)
def test_service_level_answer_times_read_as_people_say_them(seconds: float, said: str) -> None:
    assert span(seconds) == said
