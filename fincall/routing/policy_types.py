"""Plain data the routing policy takes and returns (frozen dataclasses with input checks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

from fincall.routing.errors import RoutingInputInvalid
from fincall.routing.presence import AgentState


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    MESSAGE = "message"


class OverflowAction(StrEnum):
    WIDEN_SKILL = "widen_skill"  # lower ``skill`` to ``min_level``
    DROP_SKILL = "drop_skill"  # drop ``skill`` (all skills when ``skill`` is None)
    MOVE_QUEUE = "move_queue"  # move to ``target_queue``
    OFFER_CALLBACK = "offer_callback"
    OFFER_BOT = "offer_bot"


SENIOR_SEGMENTS = frozenset({"hnw", "private"})


@dataclass(frozen=True, slots=True)
class ShiftWindow:
    """A working window in the agent's local time; ``end <= start`` runs past midnight.

    ``weekdays`` (0 = Monday) are the local days on which the window starts.
    """

    start: time
    end: time
    weekdays: frozenset[int] = frozenset(range(7))

    def covers(self, local: datetime) -> bool:
        """Whether the local (agent-timezone) datetime falls in this window."""
        t = local.time()
        day = local.weekday()
        if self.start < self.end:
            return day in self.weekdays and self.start <= t < self.end
        if t >= self.start:
            return day in self.weekdays
        return (day - 1) % 7 in self.weekdays and t < self.end


def on_shift(shifts: Sequence[ShiftWindow], local: datetime) -> bool:
    """Whether any window covers the agent-local datetime."""
    return any(w.covers(local) for w in shifts)


@dataclass(frozen=True, slots=True)
class OverflowRule:
    after_seconds: float
    action: OverflowAction
    skill: str | None = None
    min_level: int | None = None
    target_queue: str | None = None

    def __post_init__(self) -> None:
        if self.after_seconds < 0:
            raise RoutingInputInvalid("overflow after_seconds must be >= 0")
        if self.action is OverflowAction.WIDEN_SKILL and (not self.skill or self.min_level is None):
            raise RoutingInputInvalid("widen_skill needs skill and min_level")
        if self.action is OverflowAction.MOVE_QUEUE and not self.target_queue:
            raise RoutingInputInvalid("move_queue needs target_queue")


@dataclass(frozen=True, slots=True)
class QueueSpec:
    id: str
    priority: int = 0
    sl_target: float = 0.8  # fraction answered within sl_seconds
    sl_seconds: float = 20.0
    skills: Mapping[str, int] = field(default_factory=dict)
    overflow: tuple[OverflowRule, ...] = ()
    sticky_window_seconds: float = 15.0

    def __post_init__(self) -> None:
        afters = [r.after_seconds for r in self.overflow]
        if afters != sorted(afters):
            raise RoutingInputInvalid(
                "overflow rules must be sorted by after_seconds", queue=self.id
            )
        if not 0 < self.sl_target <= 1 or self.sl_seconds <= 0:
            raise RoutingInputInvalid("bad service-level target", queue=self.id)


@dataclass(frozen=True, slots=True)
class WaitingContact:
    id: str
    queue_id: str
    channel: Channel
    enqueued_at: datetime
    queue_entered_at: datetime | None = None  # defaults to enqueued_at
    language: str | None = None
    skills: Mapping[str, int] = field(default_factory=dict)
    segment: str = "mass"
    vip: bool = False
    region: str | None = None
    allowed_regions: frozenset[str] | None = None
    customer_timezone: str | None = None
    sticky_agent_id: str | None = None
    excluded_agents: frozenset[str] = frozenset()  # e.g. agents who just rejected or missed it
    overflow_done: int = 0
    priority: int = 0  # boost within the queue and VIP tier (e.g. an angry customer)
    priority_reason: str | None = None  # why, e.g. "customer distressed"


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    id: str
    state: AgentState
    languages: frozenset[str]
    skills: Mapping[str, int]
    idle_since: datetime
    region: str | None = None
    timezone: str = "UTC"
    senior: bool = False
    max_chats: int = 3
    max_emails: int = 5
    max_messages: int = 3
    max_total: int | None = None  # None: sum of the per-channel limits
    active: Mapping[Channel, int] = field(default_factory=dict)
    shifts: tuple[ShiftWindow, ...] = ()


@dataclass(frozen=True, slots=True)
class AssignmentReason:
    """Machine-readable "why this agent", for the audit trail."""

    language: str | None
    matched_skills: tuple[tuple[str, int, int], ...]  # (skill, required level, agent level)
    widened_by: tuple[int, ...]  # overflow rule indexes in effect
    sticky: bool
    senior_preferred: bool
    idle_seconds: float
    occupancy: float  # before this assignment
    rank: int  # 1 = the best by the ranking (sticky, seniority, idle, occupancy)
    candidates: int  # eligible agents with capacity for this contact when the round began
    waited_seconds: float
    customer_local_time: str | None
    priority: int = 0
    priority_reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "language": self.language,
            "matched_skills": [list(s) for s in self.matched_skills],
            "widened_by": list(self.widened_by),
            "sticky": self.sticky,
            "senior_preferred": self.senior_preferred,
            "idle_seconds": round(self.idle_seconds, 3),
            "occupancy": round(self.occupancy, 4),
            "rank": self.rank,
            "candidates": self.candidates,
            "waited_seconds": round(self.waited_seconds, 3),
            "customer_local_time": self.customer_local_time,
            "priority": self.priority,
            "priority_reason": self.priority_reason,
        }


@dataclass(frozen=True, slots=True)
class Assignment:
    contact_id: str
    agent_id: str
    queue_id: str
    channel: Channel
    reason: AssignmentReason
    text: str


@dataclass(frozen=True, slots=True)
class OverflowDecision:
    contact_id: str
    queue_id: str  # the queue whose rule fired
    rule_index: int
    action: OverflowAction
    due_at: datetime
    target_queue: str | None
    skill: str | None
    min_level: int | None
    after_seconds: float

    @property
    def text(self) -> str:
        """Human-readable line for the audit trail."""
        detail = {
            OverflowAction.WIDEN_SKILL: f"{self.skill} lowered to level {self.min_level}",
            OverflowAction.DROP_SKILL: f"skill {self.skill or 'requirements'} dropped",
            OverflowAction.MOVE_QUEUE: f"moved to queue {self.target_queue}",
            OverflowAction.OFFER_CALLBACK: "callback offered",
            OverflowAction.OFFER_BOT: "self-service bot offered",
        }[self.action]
        return (
            f"{self.contact_id} waited {self.after_seconds:g} s in {self.queue_id}: "
            f"{detail} (rule #{self.rule_index})"
        )


Decision = Assignment | OverflowDecision
