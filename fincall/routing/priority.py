"""Priority of a waiting contact from what is known about it (pure).

An angry or distressed customer is served before calmer ones in the same queue and VIP tier,
and so is a contact the bot handed over with a priority (a flow's hand-over step: a complaint,
a card emergency). The points order contacts after queue priority and the VIP rule, before the
time waited, so they never let a contact pass a higher-priority queue or a VIP (see ``policy``).
"""

from __future__ import annotations

from dataclasses import dataclass

BOOSTED_FLAGS = frozenset({"angry", "distressed"})


@dataclass(frozen=True, slots=True)
class Priority:
    points: int = 0
    reason: str | None = None  # why, for the routing decision record


NONE = Priority()


def sentiment_priority(flag: str | None, *, boost: int) -> Priority:
    """The boost for a customer flagged angry or distressed (``boost`` is a setting; 0 = off)."""
    if flag in BOOSTED_FLAGS and boost > 0:
        return Priority(points=boost, reason=f"customer {flag}")
    return NONE


def handover_priority(points: int) -> Priority:
    """The priority the bot gave a contact when it handed it over (0: none)."""
    return Priority(points=points, reason="bot hand-over") if points > 0 else NONE


def combined(*parts: Priority) -> Priority:
    """The sum of several boosts; the reason names each one that counts."""
    counted = [p for p in parts if p.points > 0]
    if not counted:
        return NONE
    if len(counted) == 1:
        return counted[0]
    reason = "; ".join(f"{p.reason or 'boosted'} +{p.points}" for p in counted)
    return Priority(points=sum(p.points for p in counted), reason=reason)
