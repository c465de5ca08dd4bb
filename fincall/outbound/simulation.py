"""Discrete-event simulation of one campaign day driving the pacer through a Dialer."""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

from fincall.outbound.dialer import Dialer, SimulatedTrunk, TrunkResult
from fincall.outbound.pacing import DEFAULT_ABANDON_CAP, DialMode, PacingInput, pace


@dataclass(frozen=True, slots=True)
class SimConfig:
    """One simulated campaign day; handle time is talk + wrap-up (gamma distributed)."""

    agents: int = 50
    duration_seconds: float = 8 * 3600.0
    mode: DialMode = DialMode.PREDICTIVE
    customers: int = 200_000
    mean_answer_probability: float = 0.35
    mean_handle_seconds: float = 240.0
    handle_shape: float = 2.0
    abandon_cap: float = DEFAULT_ABANDON_CAP
    prior_live_answers: int = 0
    prior_abandoned: int = 0
    seed: int = 1


@dataclass(frozen=True, slots=True)
class SimReport:
    """What the day produced; ``max_abandonment_rate`` is the worst the window ever reached."""

    mode: str
    agents: int
    attempts: int
    live_answers: int
    connects: int
    abandoned: int
    abandonment_rate: float
    max_abandonment_rate: float
    abandon_cap: float
    occupancy: float
    results: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "agents": self.agents,
            "attempts": self.attempts,
            "live_answers": self.live_answers,
            "connects": self.connects,
            "abandoned": self.abandoned,
            "abandonment_rate": round(self.abandonment_rate, 5),
            "max_abandonment_rate": round(self.max_abandonment_rate, 5),
            "abandon_cap": self.abandon_cap,
            "occupancy": round(self.occupancy, 4),
            "results": dict(self.results),
        }


_RESULT, _AGENT_FREE = 0, 1


def simulate(*, config: SimConfig, dialer: Dialer | None = None) -> SimReport:
    """Run the day; without a dialer, a SimulatedTrunk with per-customer answer rates is used."""
    rng = random.Random(config.seed)  # noqa: S311 - simulation
    numbers = [f"+8613{800000000 + i:09d}" for i in range(config.customers)]
    if dialer is None:
        mean = config.mean_answer_probability
        k = 6.0  # Beta concentration: customers differ in how reachable they are
        probs = {n: rng.betavariate(mean * k, (1 - mean) * k) for n in numbers}
        dialer = SimulatedTrunk(seed=config.seed, answer_probability=probs.__getitem__)
    events: list[tuple[float, int, int, object]] = []
    seq = 0
    now = 0.0
    free = config.agents
    in_flight = 0
    next_customer = 0
    attempts = results_seen = answers_today = connects = abandoned_today = 0
    handle_total = 0.0
    ring_total = 0.0
    busy_seconds = 0.0
    live = config.prior_live_answers
    abandoned = config.prior_abandoned
    max_rate = abandoned / live if live else 0.0
    outcome_counts: dict[str, int] = {}
    scale = config.mean_handle_seconds / config.handle_shape

    def launch() -> None:
        nonlocal seq, in_flight, next_customer, attempts
        p = (answers_today + 0.3 * 20) / (results_seen + 20)
        aht = (handle_total + config.mean_handle_seconds * 5) / (connects + 5)
        ring = (ring_total + 12.0 * 5) / (answers_today + 5)
        decision = pace(
            PacingInput(
                mode=config.mode,
                agents_free=free,
                agents_busy=config.agents - free,
                calls_in_flight=in_flight,
                answer_rate=p,
                avg_handle_seconds=aht,
                avg_ring_seconds=ring,
                abandoned_window=abandoned,
                live_answers_window=live,
                abandon_cap=config.abandon_cap,
            )
        )
        for _ in range(decision.launch):
            if next_customer >= len(numbers):
                return
            progress = dialer.dial(call_id=f"sim-{seq}", number=numbers[next_customer])
            if not progress.final:
                raise ValueError("the simulation needs a trunk that knows each call's fate")
            next_customer += 1
            attempts += 1
            in_flight += 1
            heapq.heappush(events, (now + progress.after_seconds, seq, _RESULT, progress))
            seq += 1

    if config.mode is DialMode.PREVIEW:
        raise ValueError("preview dialing is agent-driven; simulate progressive or predictive")
    launch()
    while events:
        now, _, kind, payload = heapq.heappop(events)
        if kind == _AGENT_FREE:
            free += 1
        else:
            in_flight -= 1
            results_seen += 1
            result = payload.result  # type: ignore[attr-defined]
            outcome_counts[result.value] = outcome_counts.get(result.value, 0) + 1
            if result is TrunkResult.ANSWERED:
                answers_today += 1
                live += 1
                ring_total += payload.after_seconds  # type: ignore[attr-defined]
                if free > 0:
                    free -= 1
                    connects += 1
                    handle = rng.gammavariate(config.handle_shape, scale)
                    handle_total += handle
                    busy_seconds += max(0.0, min(now + handle, config.duration_seconds) - now)
                    heapq.heappush(events, (now + handle, seq, _AGENT_FREE, None))
                    seq += 1
                else:
                    abandoned += 1
                    abandoned_today += 1
                max_rate = max(max_rate, abandoned / live)
        if now < config.duration_seconds:
            launch()
    return SimReport(
        mode=config.mode.value,
        agents=config.agents,
        attempts=attempts,
        live_answers=answers_today,
        connects=connects,
        abandoned=abandoned_today,
        abandonment_rate=abandoned / live if live else 0.0,
        max_abandonment_rate=max_rate,
        abandon_cap=config.abandon_cap,
        occupancy=busy_seconds / (config.agents * config.duration_seconds),
        results=outcome_counts,
    )
