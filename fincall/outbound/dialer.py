"""The dialer adapter interface, and a simulated trunk that behaves like a real one."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class TrunkResult(StrEnum):
    """Signalling of an outbound leg, as a SIP trunk reports it (all but RINGING are final)."""

    RINGING = "ringing"  # 180 / 183: the far end is alerting
    ANSWERED = "answered"  # 200 OK, a live person (after answering-machine detection)
    VOICEMAIL = "voicemail"  # 200 OK, a machine detected
    NO_ANSWER = "no_answer"  # ring timeout / 480 / 408
    BUSY = "busy"  # 486 / 600
    WRONG_NUMBER = "wrong_number"  # 404 / 484 / 604
    FAILED = "failed"  # any other refusal (congestion, server error); the status is kept


@dataclass(frozen=True, slots=True)
class CallProgress:
    """What the trunk said about a dialed call and how many seconds after the dial it said so.

    ``result`` is None for a call placed in the background: the trunk reports its ringing and
    its final result later through ``Dialer.updates``.
    """

    call_id: str
    number: str
    result: TrunkResult | None
    after_seconds: float
    sip_status: int | None = None

    @property
    def final(self) -> bool:
        return self.result is not None and self.result is not TrunkResult.RINGING


class Dialer(Protocol):
    """Places outbound calls: a simulated trunk, or a SIP trunk through the voice channel."""

    simulated: bool
    ring_timeout: float

    @property
    def ready(self) -> bool:
        """False while calls cannot be placed (e.g. the SIP endpoint is not running)."""
        ...

    def dial(self, *, call_id: str, number: str) -> CallProgress:
        """Place one call: its final progress when known at once, else a pending one."""
        ...

    def updates(self) -> list[CallProgress]:
        """Progress signalled since the last call (ringing, then one final result per call)."""
        ...

    def hand_off(self, *, call_id: str, contact_id: str | None) -> None:
        """The runner settled an answered call: queued as ``contact_id``, or abandoned (None)."""
        ...


@dataclass
class SimulatedTrunk:
    """A trunk that rings, answers with a probability, and returns busy/no-answer/voicemail.

    Deterministic: each call's fate depends only on ``seed`` and ``call_id``.
    """

    seed: int
    answer_probability: float | Callable[[str], float] = 0.35
    busy_probability: float = 0.08
    voicemail_share: float = 0.35  # of calls not answered by a person and not busy
    failed_probability: float = 0.01
    ring_timeout: float = 30.0
    simulated: bool = True

    def _answer_p(self, number: str) -> float:
        p = self.answer_probability
        return p(number) if callable(p) else p

    def dial(self, *, call_id: str, number: str) -> CallProgress:
        """Decide the call's fate as a trunk would signal it."""
        rng = random.Random(f"{self.seed}:{call_id}")  # noqa: S311 - simulation, not security
        roll = rng.random()
        if roll < self.failed_probability:
            return CallProgress(call_id, number, TrunkResult.FAILED, rng.uniform(0.5, 2.0))
        roll = rng.random()
        if roll < self._answer_p(number):
            ring = min(rng.lognormvariate(2.2, 0.45), self.ring_timeout - 1.0)
            return CallProgress(call_id, number, TrunkResult.ANSWERED, max(ring, 2.0))
        if rng.random() < self.busy_probability:
            return CallProgress(call_id, number, TrunkResult.BUSY, rng.uniform(1.5, 5.0))
        if rng.random() < self.voicemail_share:
            return CallProgress(call_id, number, TrunkResult.VOICEMAIL, rng.uniform(15.0, 28.0))
        return CallProgress(call_id, number, TrunkResult.NO_ANSWER, self.ring_timeout)

    @property
    def ready(self) -> bool:
        return True

    def updates(self) -> list[CallProgress]:
        """Nothing: every simulated call's fate is known when it is dialed."""
        return []

    def hand_off(self, *, call_id: str, contact_id: str | None) -> None:
        """Nothing to bridge: a simulated answer has no audio."""
