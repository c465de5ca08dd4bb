"""Attempt outcomes, retry rules per outcome, callbacks in local time, and the attempt lifecycle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from fincall.core.errors import Invalid
from fincall.outbound.errors import IllegalAttemptTransition, OutcomeNotAllowed
from fincall.outbound.gate import DncEntry
from fincall.outbound.localtime import local_to_utc, zone
from fincall.outbound.rules import Purpose


class Outcome(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    REFUSED = "refused"
    WRONG_NUMBER = "wrong_number"
    FAILED = "failed"  # the trunk refused the call (congestion, server error)
    PROMISE_TO_PAY = "promise_to_pay"
    SALE = "sale"
    CALLBACK_REQUESTED = "callback_requested"


CONNECTED_OUTCOMES = frozenset(
    {
        Outcome.ANSWERED,
        Outcome.REFUSED,
        Outcome.WRONG_NUMBER,
        Outcome.PROMISE_TO_PAY,
        Outcome.SALE,
        Outcome.CALLBACK_REQUESTED,
    }
)
RIGHT_PARTY_OUTCOMES = CONNECTED_OUTCOMES - {Outcome.WRONG_NUMBER}
CONVERSION_OUTCOMES = frozenset({Outcome.PROMISE_TO_PAY, Outcome.SALE})


@dataclass(frozen=True, slots=True)
class RetryRule:
    """Retry after ``delay`` while this outcome has happened at most ``max_retries`` times."""

    delay: timedelta | None
    max_retries: int = 0


DEFAULT_RETRY_RULES: Mapping[Outcome, RetryRule] = {
    Outcome.NO_ANSWER: RetryRule(timedelta(hours=2), 4),
    Outcome.BUSY: RetryRule(timedelta(minutes=20), 3),
    Outcome.VOICEMAIL: RetryRule(timedelta(hours=4), 2),
    Outcome.FAILED: RetryRule(timedelta(minutes=30), 2),
    Outcome.ANSWERED: RetryRule(None),
    Outcome.REFUSED: RetryRule(None),
    Outcome.WRONG_NUMBER: RetryRule(None),
    Outcome.PROMISE_TO_PAY: RetryRule(None),
    Outcome.SALE: RetryRule(None),
    Outcome.CALLBACK_REQUESTED: RetryRule(None),
}


class MemberStatus(StrEnum):
    """Where a campaign member stands after an attempt."""

    RETRY = "retry"
    CALLBACK = "callback"
    COMPLETED = "completed"
    EXHAUSTED = "exhausted"
    DO_NOT_CALL = "do_not_call"
    BAD_NUMBER = "bad_number"


@dataclass(frozen=True, slots=True)
class NextStep:
    """What follows an outcome; ``retry_at`` is the earliest retry (the gate still decides)."""

    status: MemberStatus
    retry_at: datetime | None
    reason: str
    dnc: DncEntry | None = None


def schedule_callback(*, day: date, wall: time, timezone: str) -> datetime:
    """UTC instant of a callback the customer asked for at ``day`` ``wall`` in their own zone."""
    tz = zone(timezone)
    if tz is None:
        raise Invalid(f"unknown timezone {timezone!r}", timezone=timezone)
    return local_to_utc(day, wall, tz)


def refusal_dnc(*, purpose: Purpose, at: datetime, source: str = "refusal") -> DncEntry:
    """The internal do-not-call entry a refusal creates: this purpose, from now, indefinitely."""
    return DncEntry(purpose=purpose, since=at.astimezone(UTC), until=None, source=source)


def next_step(
    *,
    outcome: Outcome,
    at: datetime,
    purpose: Purpose,
    previous: Sequence[Outcome] = (),
    callback_at: datetime | None = None,
    retry_rules: Mapping[Outcome, RetryRule] = DEFAULT_RETRY_RULES,
) -> NextStep:
    """Decide retry, callback, DNC or completion after ``outcome`` (``previous``: this member's)."""
    if at.tzinfo is None:
        raise Invalid("outcome time must be timezone-aware")
    at = at.astimezone(UTC)
    if outcome is Outcome.REFUSED:
        return NextStep(
            MemberStatus.DO_NOT_CALL,
            None,
            f"customer refused: internal do-not-call for {purpose.value}",
            refusal_dnc(purpose=purpose, at=at),
        )
    if outcome is Outcome.WRONG_NUMBER:
        return NextStep(MemberStatus.BAD_NUMBER, None, "wrong number: the number needs review")
    if outcome is Outcome.CALLBACK_REQUESTED:
        if callback_at is None or callback_at.tzinfo is None:
            raise OutcomeNotAllowed("a callback needs a timezone-aware time", outcome=outcome)
        if callback_at <= at:
            raise OutcomeNotAllowed("a callback must be in the future", outcome=outcome)
        when = callback_at.astimezone(UTC)
        return NextStep(MemberStatus.CALLBACK, when, f"callback requested for {when.isoformat()}")
    rule = retry_rules.get(outcome, RetryRule(None))
    if rule.delay is None:
        return NextStep(MemberStatus.COMPLETED, None, f"{outcome.value}: no retry")
    happened = sum(1 for o in previous if o is outcome) + 1
    if happened > rule.max_retries:
        return NextStep(
            MemberStatus.EXHAUSTED,
            None,
            f"{outcome.value} {happened} times; retries exhausted (max {rule.max_retries})",
        )
    return NextStep(MemberStatus.RETRY, at + rule.delay, f"{outcome.value}: retry {happened}")


class AttemptState(StrEnum):
    QUEUED = "queued"
    BLOCKED = "blocked"
    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"
    CONNECTED = "connected"
    ABANDONED = "abandoned"
    FAILED = "failed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = AttemptState
TRANSITIONS: Mapping[AttemptState, frozenset[AttemptState]] = {
    S.QUEUED: frozenset({S.DIALING, S.BLOCKED, S.CANCELLED}),
    S.DIALING: frozenset({S.RINGING, S.FAILED, S.CANCELLED}),
    S.RINGING: frozenset({S.ANSWERED, S.FAILED, S.CANCELLED}),
    S.ANSWERED: frozenset({S.CONNECTED, S.ABANDONED}),
    S.CONNECTED: frozenset({S.COMPLETED}),
    S.ABANDONED: frozenset({S.COMPLETED}),
    S.FAILED: frozenset({S.COMPLETED}),
    S.BLOCKED: frozenset(),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Outcomes each pre-completion state can end with.
OUTCOMES_FROM: Mapping[AttemptState, frozenset[Outcome]] = {
    S.FAILED: frozenset(
        {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.VOICEMAIL, Outcome.WRONG_NUMBER, Outcome.FAILED}
    ),
    S.CONNECTED: CONNECTED_OUTCOMES,
    S.ABANDONED: frozenset({Outcome.ANSWERED}),
}


@dataclass
class Attempt:
    """One dial attempt moving through its lifecycle; every move is checked against TRANSITIONS."""

    id: str
    customer_id: str
    purpose: Purpose
    state: AttemptState = AttemptState.QUEUED
    outcome: Outcome | None = None
    trail: list[tuple[AttemptState, datetime]] = field(default_factory=list)

    def move(self, to: AttemptState, *, at: datetime) -> None:
        """Advance to ``to``; an edge outside the table raises IllegalAttemptTransition."""
        if to not in TRANSITIONS[self.state]:
            raise IllegalAttemptTransition(
                f"attempt {self.id} cannot go from {self.state.value} to {to.value}",
                attempt_id=self.id,
                from_state=self.state.value,
                to_state=to.value,
            )
        self.state = to
        self.trail.append((to, at))

    def complete(self, outcome: Outcome, *, at: datetime) -> None:
        """Record the outcome and move to completed; the outcome must fit the path taken."""
        allowed = OUTCOMES_FROM.get(self.state, frozenset())
        if outcome not in allowed:
            raise OutcomeNotAllowed(
                f"outcome {outcome.value} is not possible from {self.state.value}",
                attempt_id=self.id,
                state=self.state.value,
                outcome=outcome.value,
            )
        self.move(AttemptState.COMPLETED, at=at)
        self.outcome = outcome

    @property
    def connected(self) -> bool:
        return any(s is AttemptState.CONNECTED for s, _ in self.trail)
