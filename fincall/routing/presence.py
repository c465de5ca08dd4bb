"""Agent presence as an explicit state machine (pure, no I/O).

States: offline, available, on_contact, wrap_up, break, not_ready. Only ``available`` agents
and ``on_contact`` agents with spare capacity receive new contacts (see ``policy``).
``on_contact`` is entered only by accepting an offer; a supervisor may force any other state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fincall.routing.errors import IllegalPresenceTransition, RoutingInputInvalid


class AgentState(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    ON_CONTACT = "on_contact"
    WRAP_UP = "wrap_up"
    BREAK = "break"
    NOT_READY = "not_ready"


S = AgentState

#: Transitions an agent (or the system on their behalf) may make.
TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    S.OFFLINE: frozenset({S.AVAILABLE, S.NOT_READY}),
    S.AVAILABLE: frozenset({S.ON_CONTACT, S.BREAK, S.NOT_READY, S.OFFLINE}),
    # on_contact -> not_ready: "no new contacts after these" (also after repeated misses).
    S.ON_CONTACT: frozenset({S.WRAP_UP, S.NOT_READY}),
    S.WRAP_UP: frozenset({S.AVAILABLE, S.BREAK, S.NOT_READY, S.OFFLINE}),
    S.BREAK: frozenset({S.AVAILABLE, S.NOT_READY, S.OFFLINE}),
    S.NOT_READY: frozenset({S.AVAILABLE, S.BREAK, S.OFFLINE}),
}

#: States a supervisor may force from any state (never on_contact: that needs an accepted offer).
FORCEABLE: frozenset[AgentState] = frozenset(
    {S.OFFLINE, S.AVAILABLE, S.BREAK, S.NOT_READY, S.WRAP_UP}
)

#: States in which an agent can receive new offers (capacity permitting).
RECEIVING: frozenset[AgentState] = frozenset({S.AVAILABLE, S.ON_CONTACT})


def can_transition(current: AgentState, target: AgentState, *, forced: bool = False) -> bool:
    """Whether ``current -> target`` is allowed (``forced`` = a supervisor's override)."""
    if forced:
        return target in FORCEABLE and target != current
    return target in TRANSITIONS[current]


def next_state(current: AgentState, target: AgentState, *, forced: bool = False) -> AgentState:
    """Return ``target`` if the transition is allowed, else raise IllegalPresenceTransition."""
    if not can_transition(current, target, forced=forced):
        raise IllegalPresenceTransition(
            f"agent presence cannot go from {current} to {target}"
            + (" (forced)" if forced else ""),
            current=str(current),
            target=str(target),
            forced=forced,
        )
    return target


@dataclass(frozen=True, slots=True)
class Presence:
    """An agent's presence: the state and since when (UTC-aware)."""

    agent_id: str
    state: AgentState
    since: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None:
            raise RoutingInputInvalid(
                "presence.since must be timezone-aware", agent_id=self.agent_id
            )

    def move(self, target: AgentState, *, at: datetime, forced: bool = False) -> Presence:
        """Return the presence after ``target`` at ``at`` (raises on an illegal transition)."""
        if at < self.since:
            raise RoutingInputInvalid(
                "presence change is earlier than the current state", agent_id=self.agent_id
            )
        return Presence(self.agent_id, next_state(self.state, target, forced=forced), at)

    def seconds_in_state(self, now: datetime) -> float:
        """Seconds spent in the current state at ``now`` (never negative)."""
        return max(0.0, (now - self.since).total_seconds())
