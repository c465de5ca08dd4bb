"""Plain data the outbound gate takes in and gives out (mirrors the customer and attempt models)."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fincall.outbound.localtime import zone
from fincall.outbound.rules import GateRules, Purpose


@dataclass(frozen=True, slots=True)
class GateCustomer:
    """What the gate needs to know about a customer (mirrors the Customer record)."""

    id: str
    phone: str | None = None
    region: str | None = None
    timezone: str | None = None
    consent_marketing: bool = False
    do_not_call: bool = False


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One earlier dial attempt to this customer, from any campaign or a manual dial."""

    at: datetime
    connected: bool = False
    purpose: Purpose | None = None
    campaign_id: str | None = None


@dataclass(frozen=True, slots=True)
class DncEntry:
    """Internal do-not-call entry for one purpose; ``until`` None means indefinitely."""

    purpose: Purpose
    since: datetime | None = None
    until: datetime | None = None
    source: str = "refusal"


@dataclass(frozen=True, slots=True)
class DncState:
    """The customer's internal DNC entries and the national registry (E.164 numbers)."""

    internal: tuple[DncEntry, ...] = ()
    national: Container[str] = field(default_factory=frozenset)


@dataclass(slots=True)  # not frozen: built on the gate's hot path, frozen init is 3x slower
class Block:
    """One rule that blocks the call, why, and when it alone stops blocking (None: never)."""

    rule: str
    reason: str
    until: datetime | None

    def to_dict(self) -> dict[str, Any]:
        until = self.until.isoformat() if self.until else None
        return {"rule": self.rule, "reason": self.reason, "until": until}


@dataclass(slots=True)  # not frozen: built on the gate's hot path, frozen init is 3x slower
class GateDecision:
    """Allowed, or blocked with every blocking rule and the earliest instant all rules pass."""

    allowed: bool
    purpose: Purpose
    at: datetime
    blocks: tuple[Block, ...]
    next_allowed_at: datetime | None
    timezones: tuple[str, ...]
    timezone_source: str
    jurisdiction: str

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(b.rule for b in self.blocks)

    def to_dict(self) -> dict[str, Any]:
        tz = zone(self.timezones[0])
        nxt = self.next_allowed_at
        return {
            "allowed": self.allowed,
            "purpose": self.purpose.value,
            "at": self.at.isoformat(),
            "local_time": self.at.astimezone(tz).isoformat() if tz else None,
            "timezones": list(self.timezones),
            "timezone_source": self.timezone_source,
            "jurisdiction": self.jurisdiction,
            "blocks": [b.to_dict() for b in self.blocks],
            "next_allowed_at": nxt.isoformat() if nxt else None,
            "next_allowed_local": nxt.astimezone(tz).isoformat() if nxt and tz else None,
        }


@dataclass(frozen=True, slots=True)
class GateInput:
    """Everything the gate needs about one customer, however it was looked up."""

    customer: GateCustomer
    history: tuple[AttemptRecord, ...]
    dnc: DncState
    rules: GateRules
