"""Routing domain errors."""

from __future__ import annotations

from fincall.core.errors import Conflict, DomainError, IllegalTransition, NotFound


class RoutingInputInvalid(DomainError):
    """The state handed to the routing policy is inconsistent (naive datetime, bad rule...)."""

    code = "routing-input-invalid"
    kind = "invalid"


class UnknownQueue(NotFound):
    """A contact or an overflow rule names a queue that is not in the snapshot."""

    code = "routing-unknown-queue"


class IllegalOfferTransition(IllegalTransition):
    """An offer was asked to move to a state its transition table does not allow."""

    code = "offer-illegal-transition"


class OfferExpired(Conflict):
    """An agent answered an offer after its deadline."""

    code = "offer-expired"


class IllegalPresenceTransition(IllegalTransition):
    """An agent's presence was asked to move to a state its transition table does not allow."""

    code = "presence-illegal-transition"
