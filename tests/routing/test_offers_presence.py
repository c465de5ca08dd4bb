"""Offer lifecycle, timeouts, missed-offer policy and the presence state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fincall.core.errors import DomainError
from fincall.routing.errors import IllegalOfferTransition, IllegalPresenceTransition, OfferExpired
from fincall.routing.offers import (
    TRANSITIONS,
    MissPolicy,
    OfferState,
    due_timeouts,
    expire,
    make_offer,
    settle,
    transition,
)
from fincall.routing.presence import (
    FORCEABLE,
    AgentState,
    Presence,
    can_transition,
    next_state,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def offer(i: int = 1, at: datetime = T0, timeout: int = 20):
    return make_offer(
        offer_id=f"ofr_{i}",
        contact_id=f"con_{i}",
        agent_id="agt_1",
        now=at,
        timeout=timedelta(seconds=timeout),
    )


@pytest.mark.parametrize("target", [OfferState.ACCEPTED, OfferState.REJECTED, OfferState.WITHDRAWN])
def test_open_offer_can_close_before_deadline(target: OfferState) -> None:
    closed = transition(offer(), target, at=T0 + timedelta(seconds=5))
    assert closed.state is target and closed.closed_at == T0 + timedelta(seconds=5)
    assert not closed.is_open


@given(
    start=st.sampled_from(list(OfferState)),
    target=st.sampled_from(list(OfferState)),
)
def test_transition_table_is_enforced(start: OfferState, target: OfferState) -> None:
    o = offer()
    if start is not OfferState.OFFERED:
        at = T0 + timedelta(seconds=30 if start is OfferState.TIMED_OUT else 1)
        o = transition(o, start, at=at)
    at = T0 + timedelta(seconds=30 if target is OfferState.TIMED_OUT else 2)
    if target in TRANSITIONS[start]:
        assert transition(o, target, at=at).state is target
    else:
        with pytest.raises(IllegalOfferTransition) as err:
            transition(o, target, at=at)
        assert err.value.code == "offer-illegal-transition"
        assert isinstance(err.value, DomainError)


def test_late_accept_is_refused_and_timeout_not_before_deadline() -> None:
    o = offer(timeout=20)
    with pytest.raises(OfferExpired) as err:
        transition(o, OfferState.ACCEPTED, at=T0 + timedelta(seconds=20))
    assert err.value.code == "offer-expired"
    with pytest.raises(IllegalOfferTransition):
        transition(o, OfferState.TIMED_OUT, at=T0 + timedelta(seconds=19))


def test_due_timeouts_and_expire() -> None:
    offers = [offer(1, T0, 20), offer(2, T0 + timedelta(seconds=5), 20), offer(3, T0, 60)]
    accepted = transition(offer(4, T0, 10), OfferState.ACCEPTED, at=T0 + timedelta(seconds=1))
    now = T0 + timedelta(seconds=25)
    due = due_timeouts(now=now, offers=[*offers, accepted])
    assert [o.id for o in due] == ["ofr_1", "ofr_2"]
    assert due_timeouts(now=T0 + timedelta(seconds=19), offers=offers) == []
    timed_out = expire(now=now, offers=offers)
    assert {o.state for o in timed_out} == {OfferState.TIMED_OUT}


def test_repeated_misses_set_agent_not_ready_and_requeue() -> None:
    policy = MissPolicy(max_consecutive_misses=3)
    streak = 0
    results = []
    for i, outcome in enumerate(
        [OfferState.REJECTED, OfferState.TIMED_OUT, OfferState.WITHDRAWN, OfferState.TIMED_OUT]
    ):
        at = T0 + timedelta(seconds=30 if outcome is OfferState.TIMED_OUT else 1)
        res = settle(transition(offer(i), outcome, at=at), consecutive_misses=streak, policy=policy)
        streak = res.consecutive_misses
        results.append(res)
    assert [r.consecutive_misses for r in results] == [1, 2, 2, 3]
    assert [r.set_agent_not_ready for r in results] == [False, False, False, True]
    assert [r.requeue_contact for r in results] == [True, True, False, True]
    ok = settle(
        transition(offer(9), OfferState.ACCEPTED, at=T0), consecutive_misses=2, policy=policy
    )
    assert ok.consecutive_misses == 0 and not ok.set_agent_not_ready and not ok.requeue_contact


def test_presence_machine() -> None:
    p = Presence("agt_1", AgentState.OFFLINE, T0)
    p = p.move(AgentState.AVAILABLE, at=T0 + timedelta(seconds=1))
    p = p.move(AgentState.ON_CONTACT, at=T0 + timedelta(seconds=2))
    with pytest.raises(IllegalPresenceTransition) as err:
        p.move(AgentState.OFFLINE, at=T0 + timedelta(seconds=3))
    assert err.value.code == "presence-illegal-transition"
    p = p.move(AgentState.WRAP_UP, at=T0 + timedelta(seconds=60))
    assert p.seconds_in_state(T0 + timedelta(seconds=90)) == 30
    # a supervisor can force break, never on_contact
    assert p.move(AgentState.BREAK, at=T0 + timedelta(seconds=61), forced=True).state is (
        AgentState.BREAK
    )
    with pytest.raises(IllegalPresenceTransition):
        next_state(AgentState.AVAILABLE, AgentState.ON_CONTACT, forced=True)


@given(st.sampled_from(list(AgentState)), st.sampled_from(list(AgentState)))
def test_presence_table_closed(current: AgentState, target: AgentState) -> None:
    if can_transition(current, target):
        assert next_state(current, target) is target
    else:
        with pytest.raises(IllegalPresenceTransition):
            next_state(current, target)
    assert can_transition(current, AgentState.ON_CONTACT) == (current is AgentState.AVAILABLE)
    assert can_transition(current, target, forced=True) == (
        target in FORCEABLE and target != current
    )
