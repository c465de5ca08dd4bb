"""How many calls to launch now: preview, progressive and predictive pacing.

Invariant (predictive): a launch is allowed only if, even when every call in flight is
answered by a live person and every answer beyond the free agents is abandoned, the
abandonment rate over the measured window stays at or below the cap:

    A + (r + n - f) <= cap * (L + r + n)     (A abandoned, L live answers, r in flight,
                                             n launched now, f free agents)

Events after a launch (answers, failures, agents freeing up) only remove bad outcomes, so the
rate can never pass the cap through pacing. With no headroom the pacer falls back to
progressive dialing (n <= f - r), which cannot abandon a call at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from fractions import Fraction

DEFAULT_ABANDON_CAP = 0.03
DEFAULT_ANSWER_RATE = 0.3
DEFAULT_HANDLE_SECONDS = 240.0
DEFAULT_RING_SECONDS = 12.0
MIN_SAMPLES = 30  # measured figures from fewer attempts than this are not trusted


class DialMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


class FigureSource(StrEnum):
    CAMPAIGN = "campaign"  # this campaign's attempts over the measured window
    PURPOSE = "purpose"  # every attempt with the campaign's purpose over the window
    DEFAULT = "default"  # too few attempts measured: the configured default


@dataclass(frozen=True, slots=True)
class Measured:
    """A figure measured over one scope's attempts: its value and how many attempts it rests on."""

    value: float
    samples: int


@dataclass(frozen=True, slots=True)
class PacingFigure:
    """A pacing input, where it came from, and the attempts behind it (0 for a default)."""

    value: float
    source: FigureSource
    samples: int

    def to_dict(self) -> dict[str, object]:
        return {"value": self.value, "source": self.source.value, "samples": self.samples}


@dataclass(frozen=True, slots=True)
class PacingFigures:
    """The answer rate and handle time the pacer uses for one campaign."""

    answer_rate: PacingFigure
    avg_handle_seconds: PacingFigure
    avg_ring_seconds: PacingFigure
    window_days: int
    min_samples: int

    def to_dict(self) -> dict[str, object]:
        return {
            "answer_rate": self.answer_rate.to_dict(),
            "avg_handle_seconds": self.avg_handle_seconds.to_dict(),
            "avg_ring_seconds": self.avg_ring_seconds.to_dict(),
            "window_days": self.window_days,
            "min_samples": self.min_samples,
        }


def choose_figure(
    *,
    campaign: Measured | None,
    purpose: Measured | None,
    default: float,
    min_samples: int = MIN_SAMPLES,
) -> PacingFigure:
    """The campaign's measured value when it rests on ``min_samples`` attempts, else the
    purpose's, else ``default``."""
    if campaign is not None and campaign.samples >= min_samples:
        return PacingFigure(campaign.value, FigureSource.CAMPAIGN, campaign.samples)
    if purpose is not None and purpose.samples >= min_samples:
        return PacingFigure(purpose.value, FigureSource.PURPOSE, purpose.samples)
    return PacingFigure(default, FigureSource.DEFAULT, 0)


@dataclass(frozen=True, slots=True)
class PacingInput:
    """What the pacer sees: agents, calls in flight, measured rates, the rolling window."""

    mode: DialMode
    agents_free: int
    agents_busy: int
    calls_in_flight: int
    answer_rate: float
    avg_handle_seconds: float
    avg_ring_seconds: float
    abandoned_window: int
    live_answers_window: int
    abandon_cap: float = DEFAULT_ABANDON_CAP
    max_calls_per_agent: float = 4.0


@dataclass(frozen=True, slots=True)
class PacingDecision:
    """Calls to launch now, what the efficiency model wanted, and the abandonment-safe limit."""

    launch: int
    target: int
    safe_limit: int
    reason: str


def _cap_fraction(cap: float) -> Fraction:
    return Fraction(cap).limit_denominator(1_000_000)


def abandonment_safe_limit(
    *, agents_free: int, calls_in_flight: int, abandoned: int, live_answers: int, cap: float
) -> int:
    """Most calls launchable now that keep the worst-case abandonment rate within ``cap``."""
    f, r = max(agents_free, 0), max(calls_in_flight, 0)
    progressive = max(f - r, 0)
    c = _cap_fraction(cap)
    if c >= 1:
        return 10**9
    # A + (r + n - f) <= c (L + r + n)  <=>  n <= (c L - A + f) / (1 - c) - r
    bound = (c * live_answers - abandoned + f) / (1 - c) - r
    n = max(math.floor(bound), 0)
    while n > 0 and abandoned + (r + n - f) > c * (live_answers + r + n):
        n -= 1  # guard against any rounding at the edge
    return max(n, progressive)


def abandonment_rate(*, abandoned: int, live_answers: int) -> float:
    """Abandoned calls over calls answered by a live person (0 when none answered yet)."""
    return abandoned / live_answers if live_answers else 0.0


def pace(data: PacingInput) -> PacingDecision:
    """Decide how many calls to launch now for the campaign's dialing mode."""
    f, r = max(data.agents_free, 0), max(data.calls_in_flight, 0)
    progressive = max(f - r, 0)
    if data.mode is DialMode.PREVIEW:
        return PacingDecision(0, 0, 0, "preview: the agent reviews the customer and dials")
    if data.mode is DialMode.PROGRESSIVE:
        return PacingDecision(progressive, progressive, progressive, "one call per free agent")
    safe = abandonment_safe_limit(
        agents_free=f,
        calls_in_flight=r,
        abandoned=data.abandoned_window,
        live_answers=data.live_answers_window,
        cap=data.abandon_cap,
    )
    p = min(max(data.answer_rate, 0.02), 1.0)
    aht = max(data.avg_handle_seconds, 1.0)
    # Agents expected to be free by the time a call launched now is answered.
    soon = f + data.agents_busy * min(1.0, max(data.avg_ring_seconds, 0.0) / aht)
    wanted = max(math.floor(soon / p - r), 0)
    ceiling = max(math.floor(data.max_calls_per_agent * (f + data.agents_busy)) - r, 0)
    wanted = min(wanted, ceiling)
    # Spend over-dial in proportion to the unused share of the abandonment budget.
    rate = abandonment_rate(abandoned=data.abandoned_window, live_answers=data.live_answers_window)
    headroom = max(0.0, 1.0 - rate / data.abandon_cap) if data.abandon_cap > 0 else 0.0
    over = max(wanted - progressive, 0)
    target = progressive + math.floor(over * headroom)
    launch = min(target, safe)
    if launch < target:
        reason = f"slowed to the abandonment-safe limit {safe} (rate {rate:.2%})"
    else:
        reason = f"over-dial for answer rate {p:.0%}, headroom {headroom:.0%}"
    return PacingDecision(launch, target, safe, reason)


@dataclass
class AbandonmentWindow:
    """Per-day counts of live answers and abandoned calls over a rolling window (30 days).

    ``counts`` is conservative for pacing: abandoned calls are counted over the whole window,
    live answers only over the days that are still inside it ``safety_days`` from now, so the
    budget does not rely on answers that are about to age out.
    """

    days: int = 30
    live: dict[int, int] = field(default_factory=dict)
    abandoned: dict[int, int] = field(default_factory=dict)

    @staticmethod
    def _day(at: datetime) -> int:
        return at.astimezone(UTC).toordinal()

    def record(self, *, at: datetime, abandoned: bool) -> None:
        """Count one call answered by a live person (abandoned or connected to an agent)."""
        day = self._day(at)
        self.live[day] = self.live.get(day, 0) + 1
        if abandoned:
            self.abandoned[day] = self.abandoned.get(day, 0) + 1

    def counts(self, *, now: datetime, safety_days: int = 1) -> tuple[int, int]:
        """(abandoned, live answers) to give the pacer at ``now``."""
        today = self._day(now)
        first = today - self.days + 1
        first_live = first + max(safety_days, 0)
        for old in [d for d in self.live if d < first]:
            self.live.pop(old, None)
            self.abandoned.pop(old, None)
        abandoned = sum(n for d, n in self.abandoned.items() if first <= d <= today)
        live = sum(n for d, n in self.live.items() if first_live <= d <= today)
        return abandoned, live
