"""Pacing never lets abandonment pass the cap; the simulation shows it over a day."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.outbound.dialer import SimulatedTrunk, TrunkResult
from fincall.outbound.pacing import (
    DialMode,
    PacingInput,
    abandonment_safe_limit,
    pace,
)
from fincall.outbound.simulation import SimConfig, simulate


@settings(max_examples=500, deadline=None)
@given(
    free=st.integers(0, 200),
    in_flight=st.integers(0, 600),
    live=st.integers(0, 100_000),
    data=st.data(),
    cap=st.sampled_from([0.01, 0.03, 0.05]),
)
def test_safe_limit_holds_in_the_worst_case(free, in_flight, live, data, cap) -> None:
    abandoned = data.draw(st.integers(0, int(cap * live)))
    n = abandonment_safe_limit(
        agents_free=free, calls_in_flight=in_flight, abandoned=abandoned, live_answers=live, cap=cap
    )
    progressive = max(free - in_flight, 0)
    assert n >= progressive  # calls an agent is certain to take are always allowed
    worst_abandoned = abandoned + max(in_flight + n - free, 0)
    worst_live = live + in_flight + n
    if n > progressive:  # over-dialled: even if every extra answer is abandoned, within the cap
        assert worst_abandoned <= cap * worst_live + 1e-9
    more = n + 1
    if in_flight + more > free:
        assert abandoned + (in_flight + more - free) > cap * (live + in_flight + more) - 1e-9


@settings(max_examples=300, deadline=None)
@given(
    free=st.integers(0, 60),
    busy=st.integers(0, 60),
    in_flight=st.integers(0, 200),
    p=st.floats(0.01, 1.0),
    live=st.integers(0, 50_000),
    used=st.floats(0.0, 1.0),
)
def test_predictive_never_exceeds_the_safe_limit(free, busy, in_flight, p, live, used) -> None:
    abandoned = int(0.03 * live * used)
    decision = pace(
        PacingInput(
            mode=DialMode.PREDICTIVE,
            agents_free=free,
            agents_busy=busy,
            calls_in_flight=in_flight,
            answer_rate=p,
            avg_handle_seconds=240.0,
            avg_ring_seconds=12.0,
            abandoned_window=abandoned,
            live_answers_window=live,
        )
    )
    assert 0 <= decision.launch <= decision.safe_limit
    assert decision.launch >= min(max(free - in_flight, 0), decision.target)


def test_preview_and_progressive() -> None:
    base = {
        "agents_busy": 3,
        "answer_rate": 0.3,
        "avg_handle_seconds": 200.0,
        "avg_ring_seconds": 10.0,
        "abandoned_window": 0,
        "live_answers_window": 1000,
    }
    preview = pace(PacingInput(mode=DialMode.PREVIEW, agents_free=5, calls_in_flight=0, **base))
    assert preview.launch == 0
    prog = pace(PacingInput(mode=DialMode.PROGRESSIVE, agents_free=5, calls_in_flight=2, **base))
    assert prog.launch == 3
    pred = pace(PacingInput(mode=DialMode.PREDICTIVE, agents_free=5, calls_in_flight=2, **base))
    assert pred.launch > prog.launch  # over-dials with a 30% answer rate and headroom


def test_predictive_slows_to_progressive_without_headroom() -> None:
    decision = pace(
        PacingInput(
            mode=DialMode.PREDICTIVE,
            agents_free=10,
            agents_busy=40,
            calls_in_flight=4,
            answer_rate=0.3,
            avg_handle_seconds=240.0,
            avg_ring_seconds=12.0,
            abandoned_window=30,
            live_answers_window=1000,
        )  # fmt: skip
    )
    assert decision.launch == 6  # at the cap: only calls an agent is certain to take


def test_trunk_is_deterministic_and_behaves_like_a_trunk() -> None:
    trunk = SimulatedTrunk(seed=7, answer_probability=0.4)
    first = [trunk.dial(call_id=f"c{i}", number="+8613800000000") for i in range(2000)]
    again = [trunk.dial(call_id=f"c{i}", number="+8613800000000") for i in range(2000)]
    assert first == again
    counts = {r: sum(1 for c in first if c.result is r) for r in TrunkResult}
    assert 0.34 < counts[TrunkResult.ANSWERED] / 2000 < 0.46
    assert counts[TrunkResult.BUSY] > 0 and counts[TrunkResult.VOICEMAIL] > 0
    assert counts[TrunkResult.NO_ANSWER] > 0
    for call in first:
        assert 0 < call.after_seconds <= trunk.ring_timeout
        if call.result is TrunkResult.BUSY:
            assert call.after_seconds < 6


def test_simulation_never_exceeds_the_abandonment_cap_across_seeds() -> None:
    for seed in (1, 2, 3, 4):
        report = simulate(
            config=SimConfig(agents=20, duration_seconds=2 * 3600, customers=8000, seed=seed)
        )
        assert report.attempts > 0 and report.connects > 0
        assert report.max_abandonment_rate <= report.abandon_cap
        assert report.abandonment_rate <= report.abandon_cap


def test_simulation_with_a_tight_cap_and_history_at_the_cap() -> None:
    report = simulate(
        config=SimConfig(agents=15, duration_seconds=3600, customers=5000, seed=9,
                         abandon_cap=0.01, prior_live_answers=5000, prior_abandoned=50)
    )  # fmt: skip
    assert report.max_abandonment_rate <= 0.01


def test_predictive_beats_progressive_on_occupancy() -> None:
    common = {"agents": 20, "duration_seconds": 2 * 3600, "customers": 8000, "seed": 5}
    predictive = simulate(config=SimConfig(mode=DialMode.PREDICTIVE, **common))
    progressive = simulate(config=SimConfig(mode=DialMode.PROGRESSIVE, **common))
    assert progressive.abandoned == 0
    assert predictive.occupancy > progressive.occupancy


def test_rolling_window_drops_old_days_and_discounts_expiring_answers() -> None:
    from datetime import UTC, datetime, timedelta

    from fincall.outbound.pacing import AbandonmentWindow

    window = AbandonmentWindow(days=30)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    for _ in range(100):
        window.record(at=now - timedelta(days=40), abandoned=True)  # outside the window
        window.record(at=now - timedelta(days=29), abandoned=False)  # ages out tomorrow
        window.record(at=now - timedelta(days=3), abandoned=False)
    window.record(at=now - timedelta(hours=1), abandoned=True)
    assert window.counts(now=now, safety_days=0) == (1, 201)
    assert window.counts(now=now) == (1, 101)
    assert min(window.live) >= (now - timedelta(days=29)).toordinal()
