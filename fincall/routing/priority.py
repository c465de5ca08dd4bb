"""Priority of a waiting contact from what is known about its customer (pure).

An angry or distressed customer is served before calmer ones in the same queue and VIP tier:
the boost orders contacts after queue priority and the VIP rule, before the time waited, so
it never lets a contact pass a higher-priority queue or a VIP (see ``policy``).
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
