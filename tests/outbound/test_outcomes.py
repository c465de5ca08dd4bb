"""Outcomes, retry rules, callbacks in local time, and the attempt state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from fincall.core.errors import IllegalTransition
from fincall.outbound.errors import IllegalAttemptTransition, OutcomeNotAllowed
from fincall.outbound.outcomes import (
    Attempt,
    AttemptState,
    MemberStatus,
    Outcome,
    next_step,
    schedule_callback,
)
from fincall.outbound.rules import Purpose

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_no_answer_retries_until_exhausted() -> None:
    first = next_step(outcome=Outcome.NO_ANSWER, at=AT, purpose=Purpose.COLLECTION)
    assert first.status is MemberStatus.RETRY
    assert first.retry_at == AT + timedelta(hours=2)
    fourth = next_step(
        outcome=Outcome.NO_ANSWER,
        at=AT,
        purpose=Purpose.COLLECTION,
        previous=[Outcome.NO_ANSWER] * 3,
    )
    assert fourth.status is MemberStatus.RETRY
    fifth = next_step(
        outcome=Outcome.NO_ANSWER,
        at=AT,
        purpose=Purpose.COLLECTION,
        previous=[Outcome.NO_ANSWER] * 4,
    )
    assert fifth.status is MemberStatus.EXHAUSTED and fifth.retry_at is None


def test_busy_retry_is_counted_per_outcome() -> None:
    step = next_step(
        outcome=Outcome.BUSY,
        at=AT,
        purpose=Purpose.SERVICE,
        previous=[Outcome.NO_ANSWER, Outcome.NO_ANSWER, Outcome.BUSY],
    )
    assert step.status is MemberStatus.RETRY
    assert step.retry_at == AT + timedelta(minutes=20)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.SALE, MemberStatus.COMPLETED),
        (Outcome.PROMISE_TO_PAY, MemberStatus.COMPLETED),
        (Outcome.ANSWERED, MemberStatus.COMPLETED),
        (Outcome.WRONG_NUMBER, MemberStatus.BAD_NUMBER),
        (Outcome.REFUSED, MemberStatus.DO_NOT_CALL),
    ],
)
def test_final_outcomes(outcome: Outcome, status: MemberStatus) -> None:
    step = next_step(outcome=outcome, at=AT, purpose=Purpose.MARKETING)
    assert step.status is status
    assert step.retry_at is None
    assert (step.dnc is not None) == (outcome is Outcome.REFUSED)


def test_callback_is_scheduled_in_the_customers_local_time() -> None:
    when = schedule_callback(day=date(2026, 11, 24), wall=time(18, 30), timezone="Asia/Shanghai")
    assert when == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    step = next_step(
        outcome=Outcome.CALLBACK_REQUESTED, at=AT, purpose=Purpose.SERVICE, callback_at=when
    )
    assert step.status is MemberStatus.CALLBACK and step.retry_at == when
    with pytest.raises(OutcomeNotAllowed):
        next_step(outcome=Outcome.CALLBACK_REQUESTED, at=AT, purpose=Purpose.SERVICE)
    with pytest.raises(OutcomeNotAllowed):
        next_step(
            outcome=Outcome.CALLBACK_REQUESTED,
            at=AT,
            purpose=Purpose.SERVICE,
            callback_at=AT - timedelta(minutes=1),
        )


def test_callback_in_a_dst_gap_lands_on_the_transition() -> None:
    # 02:30 on 8 March 2026 does not exist in New York; clocks jump 02:00 -> 03:00 (07:00 UTC).
    when = schedule_callback(day=date(2026, 3, 8), wall=time(2, 30), timezone="America/New_York")
    assert when == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    # 01:30 on 1 November 2026 happens twice; the first one (EDT, 05:30 UTC) is used.
    when = schedule_callback(day=date(2026, 11, 1), wall=time(1, 30), timezone="America/New_York")
    assert when == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_attempt_lifecycle_happy_path() -> None:
    attempt = Attempt(id="att_1", customer_id="cus_1", purpose=Purpose.COLLECTION)
    for state in (AttemptState.DIALING, AttemptState.RINGING, AttemptState.ANSWERED):
        attempt.move(state, at=AT)
    attempt.move(AttemptState.CONNECTED, at=AT)
    attempt.complete(Outcome.PROMISE_TO_PAY, at=AT)
    assert attempt.state is AttemptState.COMPLETED
    assert attempt.outcome is Outcome.PROMISE_TO_PAY
    assert attempt.connected
    assert [s for s, _ in attempt.trail][-1] is AttemptState.COMPLETED


def test_illegal_transition_is_a_domain_error() -> None:
    attempt = Attempt(id="att_2", customer_id="cus_1", purpose=Purpose.COLLECTION)
    with pytest.raises(IllegalAttemptTransition) as info:
        attempt.move(AttemptState.ANSWERED, at=AT)
    assert isinstance(info.value, IllegalTransition)
    assert info.value.code == "attempt-illegal-transition"
    assert info.value.fields["from_state"] == "queued"
    assert attempt.state is AttemptState.QUEUED
    attempt.move(AttemptState.BLOCKED, at=AT)
    with pytest.raises(IllegalAttemptTransition):
        attempt.move(AttemptState.DIALING, at=AT)


def test_outcome_must_fit_the_path() -> None:
    attempt = Attempt(id="att_3", customer_id="cus_1", purpose=Purpose.MARKETING)
    attempt.move(AttemptState.DIALING, at=AT)
    attempt.move(AttemptState.FAILED, at=AT)
    with pytest.raises(OutcomeNotAllowed):
        attempt.complete(Outcome.SALE, at=AT)
    attempt.complete(Outcome.BUSY, at=AT)
    assert attempt.outcome is Outcome.BUSY and not attempt.connected
