"""Choosing whom to dial next: pacing says how many, the gate says who may be called now."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fincall.outbound.gate import (
    AttemptRecord,
    DncState,
    GateCustomer,
    GateDecision,
    evaluate,
)
from fincall.outbound.rules import GateRules, Purpose


@dataclass(frozen=True, slots=True)
class Candidate:
    """A campaign member due for a call, with everything the gate needs."""

    member_id: str
    customer: GateCustomer
    history: Sequence[AttemptRecord]
    dnc: DncState
    rules: GateRules


@dataclass(frozen=True, slots=True)
class DialPlan:
    """Members to dial now, and members the gate blocked with its decision (to store)."""

    dial: tuple[Candidate, ...]
    blocked: tuple[tuple[Candidate, GateDecision], ...]

    def block_counts(self) -> dict[str, int]:
        """How many blocked members each rule stopped (a member can count under several)."""
        counts: dict[str, int] = {}
        for _, decision in self.blocked:
            for rule in decision.rules:
                counts[rule] = counts.get(rule, 0) + 1
        return dict(sorted(counts.items()))


def plan_dials(
    *,
    candidates: Iterable[Candidate],
    purpose: Purpose,
    at: datetime,
    want: int,
    max_checked: int | None = None,
    on_blocked: Callable[[Candidate, GateDecision], None] | None = None,
) -> DialPlan:
    """Gate candidates in order until ``want`` may be dialed (or ``max_checked`` were checked).

    Every dial, manual or paced, must come from an allowed decision; blocked members keep the
    decision so the caller can record the rule and reschedule them at ``next_allowed_at``.
    """
    dial: list[Candidate] = []
    blocked: list[tuple[Candidate, GateDecision]] = []
    checked = 0
    for candidate in candidates:
        if len(dial) >= want or (max_checked is not None and checked >= max_checked):
            break
        checked += 1
        decision = evaluate(
            customer=candidate.customer,
            purpose=purpose,
            at=at,
            history=candidate.history,
            rules=candidate.rules,
            dnc=candidate.dnc,
        )
        if decision.allowed:
            dial.append(candidate)
        else:
            blocked.append((candidate, decision))
            if on_blocked is not None:
                on_blocked(candidate, decision)
    return DialPlan(tuple(dial), tuple(blocked))
