"""Offer lifecycle as an explicit state machine, timeouts and the missed-offer policy (pure).

An offer is made to one agent for one contact: offered -> accepted | rejected | timed_out |
withdrawn. A rejected or timed-out offer sends the contact back to its queue (with its original
``enqueued_at``, so it keeps its place); ``max_consecutive_misses`` misses in a row set the agent
to not_ready. A withdrawn offer (the customer hung up, a supervisor moved the contact) is not
the agent's miss.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from fincall.routing.errors import IllegalOfferTransition, OfferExpired, RoutingInputInvalid


class OfferState(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    WITHDRAWN = "withdrawn"


_O = OfferState

TRANSITIONS: dict[OfferState, frozenset[OfferState]] = {
    _O.OFFERED: frozenset({_O.ACCEPTED, _O.REJECTED, _O.TIMED_OUT, _O.WITHDRAWN}),
    _O.ACCEPTED: frozenset(),
    _O.REJECTED: frozenset(),
    _O.TIMED_OUT: frozenset(),
    _O.WITHDRAWN: frozenset(),
}

#: Outcomes that put the contact back in its queue.
REQUEUE: frozenset[OfferState] = frozenset({_O.REJECTED, _O.TIMED_OUT})
#: Outcomes that count as the agent's miss.
MISSES: frozenset[OfferState] = frozenset({_O.REJECTED, _O.TIMED_OUT})

DEFAULT_TIMEOUT = timedelta(seconds=20)


@dataclass(frozen=True, slots=True)
class Offer:
    """One offer of a contact to an agent; ``expires_at`` is when it times out."""

    id: str
    contact_id: str
    agent_id: str
    offered_at: datetime
    expires_at: datetime
    state: OfferState = OfferState.OFFERED
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.offered_at.tzinfo is None or self.expires_at.tzinfo is None:
            raise RoutingInputInvalid("offer times must be timezone-aware", offer_id=self.id)
        if self.expires_at <= self.offered_at:
            raise RoutingInputInvalid("offer must expire after it is made", offer_id=self.id)

    @property
    def is_open(self) -> bool:
        return self.state is OfferState.OFFERED


def make_offer(
    *,
    offer_id: str,
    contact_id: str,
    agent_id: str,
    now: datetime,
    timeout: timedelta = DEFAULT_TIMEOUT,
) -> Offer:
    """Create an open offer expiring ``timeout`` after ``now``."""
    return Offer(offer_id, contact_id, agent_id, now, now + timeout)


def transition(offer: Offer, target: OfferState, *, at: datetime) -> Offer:
    """Return the offer moved to ``target`` at ``at``; raise on an illegal or late move.

    Accepting or rejecting at/after ``expires_at`` raises OfferExpired: the timeout won.
    """
    if target not in TRANSITIONS[offer.state]:
        raise IllegalOfferTransition(
            f"offer {offer.id} cannot go from {offer.state} to {target}",
            offer_id=offer.id,
            current=str(offer.state),
            target=str(target),
        )
    if target in (_O.ACCEPTED, _O.REJECTED) and at >= offer.expires_at:
        raise OfferExpired(
            f"offer {offer.id} expired at {offer.expires_at.isoformat()}", offer_id=offer.id
        )
    if target is _O.TIMED_OUT and at < offer.expires_at:
        raise IllegalOfferTransition(
            f"offer {offer.id} cannot time out before {offer.expires_at.isoformat()}",
            offer_id=offer.id,
            current=str(offer.state),
            target=str(target),
        )
    return replace(offer, state=target, closed_at=at)


def due_timeouts(*, now: datetime, offers: Iterable[Offer]) -> list[Offer]:
    """Open offers whose deadline has passed at ``now``, oldest deadline first."""
    due = [o for o in offers if o.state is _O.OFFERED and o.expires_at <= now]
    due.sort(key=lambda o: (o.expires_at, o.id))
    return due


def expire(*, now: datetime, offers: Iterable[Offer]) -> list[Offer]:
    """The due offers moved to timed_out at ``now``."""
    return [transition(o, _O.TIMED_OUT, at=now) for o in due_timeouts(now=now, offers=offers)]


@dataclass(frozen=True, slots=True)
class MissPolicy:
    """After ``max_consecutive_misses`` missed offers in a row the agent goes not_ready."""

    max_consecutive_misses: int = 3

    def __post_init__(self) -> None:
        if self.max_consecutive_misses < 1:
            raise RoutingInputInvalid("max_consecutive_misses must be at least 1")


@dataclass(frozen=True, slots=True)
class OfferOutcome:
    """What the dispatcher must do after an offer closed."""

    offer: Offer
    requeue_contact: bool
    consecutive_misses: int
    set_agent_not_ready: bool


def settle(offer: Offer, *, consecutive_misses: int, policy: MissPolicy) -> OfferOutcome:
    """Consequences of a closed offer given the agent's miss streak before it."""
    if offer.is_open:
        raise RoutingInputInvalid("an open offer has no outcome yet", offer_id=offer.id)
    if offer.state in MISSES:
        streak = consecutive_misses + 1
    elif offer.state is _O.ACCEPTED:
        streak = 0
    else:
        streak = consecutive_misses
    return OfferOutcome(
        offer=offer,
        requeue_contact=offer.state in REQUEUE,
        consecutive_misses=streak,
        set_agent_not_ready=offer.state in MISSES and streak >= policy.max_consecutive_misses,
    )
