"""The contact lifecycle as an explicit state machine."""

from __future__ import annotations

from enum import StrEnum

from fincall.contacts.errors import ContactTransitionRefused


class ContactStatus(StrEnum):
    NEW = "new"  # created, not yet routed (in a bot/IVR flow)
    QUEUED = "queued"  # waiting for an agent
    OFFERED = "offered"  # offered to an agent, not yet accepted
    ACTIVE = "active"  # an agent (or the bot) is handling it
    WRAP_UP = "wrap_up"  # conversation over, agent doing after-contact work
    ENDED = "ended"
    ABANDONED = "abandoned"  # the customer left before being served


_S = ContactStatus
TRANSITIONS: dict[ContactStatus, frozenset[ContactStatus]] = {
    _S.NEW: frozenset({_S.QUEUED, _S.ACTIVE, _S.ENDED, _S.ABANDONED}),
    _S.QUEUED: frozenset({_S.OFFERED, _S.ACTIVE, _S.ABANDONED, _S.ENDED}),
    _S.OFFERED: frozenset({_S.ACTIVE, _S.QUEUED, _S.ABANDONED}),
    _S.ACTIVE: frozenset({_S.WRAP_UP, _S.ENDED, _S.QUEUED}),
    _S.WRAP_UP: frozenset({_S.ENDED}),
    _S.ENDED: frozenset(),
    _S.ABANDONED: frozenset(),
}
FINAL = frozenset({_S.ENDED, _S.ABANDONED})


def check_transition(current: str, target: str) -> ContactStatus:
    """Return ``target`` as a status if the table allows current → target, else raise."""
    src, dst = ContactStatus(current), ContactStatus(target)
    if dst not in TRANSITIONS[src]:
        raise ContactTransitionRefused(
            f"a contact cannot go from {src} to {dst}", current=str(src), target=str(dst)
        )
    return dst
