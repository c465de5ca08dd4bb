"""Erlang C and Erlang A staffing math (pure, numerically stable for thousands of agents).

Erlang C (M/M/N): callers wait forever. Erlang A (M/M/N+M): callers abandon after an
exponential patience with mean ``patience_seconds``. Offered load A = arrival rate x AHT
(Erlangs). Everything is built on the Erlang B recurrence
``B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1))``, which never forms A^n or n!, so it neither
overflows nor loses precision for hundreds or thousands of agents.

Service level means the fraction of *all* arrivals answered within the target time (in Erlang
A an abandoned caller is a miss). Shrinkage (breaks, training, absence) turns agents needed on
the phones into agents to schedule: ``ceil(agents / (1 - shrinkage))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fincall.wfm.errors import StaffingInputInvalid

_MAX_QUEUE_TERMS = 1_000_000


def _check(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value) or value < 0:
            raise StaffingInputInvalid(f"{name} must be a finite number >= 0", **{name: value})


def offered_load(*, arrivals_per_hour: float, aht_seconds: float) -> float:
    """Offered load in Erlangs."""
    _check(arrivals_per_hour=arrivals_per_hour, aht_seconds=aht_seconds)
    return arrivals_per_hour * aht_seconds / 3600.0


def erlang_b(*, agents: int, load: float) -> float:
    """Blocking probability of M/M/N/N with ``load`` Erlangs (the stable recurrence)."""
    _check(agents=agents, load=load)
    b = 1.0
    for n in range(1, int(agents) + 1):
        b = load * b / (n + load * b)
    return b


def _c_from_b(agents: int, load: float, b: float) -> float:
    if agents <= load:
        return 1.0
    return agents * b / (agents - load * (1.0 - b))


def erlang_c(*, agents: int, load: float) -> float:
    """Probability that a caller waits (M/M/N); 1.0 when agents <= load (unstable queue)."""
    return _c_from_b(agents, load, erlang_b(agents=agents, load=load))


def _sl_c(agents: int, load: float, pw: float, aht: float, target: float) -> float:
    if agents <= load:
        return 0.0
    return max(0.0, 1.0 - pw * math.exp(-(agents - load) * target / aht))


def service_level(*, agents: int, load: float, aht_seconds: float, target_seconds: float) -> float:
    """Erlang C fraction answered within ``target_seconds``."""
    _check(aht_seconds=aht_seconds, target_seconds=target_seconds)
    if aht_seconds == 0:
        raise StaffingInputInvalid("aht_seconds must be > 0")
    pw = erlang_c(agents=agents, load=load)
    return _sl_c(agents, load, pw, aht_seconds, target_seconds)


def average_speed_of_answer(*, agents: int, load: float, aht_seconds: float) -> float:
    """Erlang C mean wait over all callers (seconds); infinite when agents <= load."""
    if agents <= load:
        return math.inf
    return erlang_c(agents=agents, load=load) * aht_seconds / (agents - load)


@dataclass(frozen=True, slots=True)
class Staffing:
    agents: int  # needed on the phones
    scheduled: int  # after shrinkage
    service_level: float
    p_wait: float
    asa_seconds: float
    occupancy: float
    p_abandon: float = 0.0


def _scheduled(agents: int, shrinkage: float) -> int:
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9)


def agents_for_service_level(
    *,
    load: float,
    aht_seconds: float,
    target_fraction: float,
    target_seconds: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> Staffing:
    """Fewest agents meeting the Erlang C target (and ``max_occupancy``), plus shrinkage."""
    _check(load=load, aht_seconds=aht_seconds, target_seconds=target_seconds)
    if not 0 < target_fraction < 1 or not 0 <= shrinkage < 1 or not 0 < max_occupancy <= 1:
        raise StaffingInputInvalid(
            "need 0 < target_fraction < 1, 0 <= shrinkage < 1, 0 < max_occupancy <= 1"
        )
    if aht_seconds == 0:
        raise StaffingInputInvalid("aht_seconds must be > 0")
    if load == 0:
        return Staffing(0, 0, 1.0, 0.0, 0.0, 0.0)
    b = 1.0
    n = 0
    while True:
        n += 1
        b = load * b / (n + load * b)
        if n <= load or load / n > max_occupancy:
            continue
        pw = _c_from_b(n, load, b)
        sl = _sl_c(n, load, pw, aht_seconds, target_seconds)
        if sl >= target_fraction:
            return Staffing(
                agents=n,
                scheduled=_scheduled(n, shrinkage),
                service_level=sl,
                p_wait=pw,
                asa_seconds=pw * aht_seconds / (n - load),
                occupancy=load / n,
            )


@dataclass(frozen=True, slots=True)
class ErlangA:
    p_wait: float  # an arrival finds every agent busy
    p_abandon: float  # an arrival abandons before being answered
    service_level: float  # an arrival is answered within the target (abandons are misses)
    mean_wait_seconds: float  # mean time in queue over all arrivals (served or abandoning)
    mean_queue: float
    occupancy: float


def erlang_a(
    *,
    agents: int,
    arrivals_per_second: float,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
) -> ErlangA:
    """Erlang A (M/M/N+M) figures, stable for any load (abandonment keeps the queue finite)."""
    _check(
        agents=agents,
        arrivals_per_second=arrivals_per_second,
        aht_seconds=aht_seconds,
        patience_seconds=patience_seconds,
        target_seconds=target_seconds,
    )
    if aht_seconds == 0 or patience_seconds == 0 or arrivals_per_second == 0:
        raise StaffingInputInvalid("arrival rate, aht and patience must be > 0")
    lam = arrivals_per_second
    mu = 1.0 / aht_seconds
    theta = 1.0 / patience_seconds
    load = lam / mu
    n = int(agents)
    b = erlang_b(agents=n, load=load)
    # ratios r_j = pi_{N+j} / pi_N for j >= 0 (queue of j callers)
    ratios = [1.0]
    total = 0.0
    r = 1.0
    j = 0
    while j < _MAX_QUEUE_TERMS:
        j += 1
        r *= lam / (n * mu + j * theta)
        ratios.append(r)
        total += r
        if r < 1e-17 * (1.0 + total) and lam < n * mu + j * theta:
            break
    rs = np.asarray(ratios)
    jj = np.arange(len(rs), dtype=float)
    # P(N + j in system) = b * r_j / zb; b may underflow to 0 for many idle agents (no wait)
    zb = 1.0 + b * rs[1:].sum()
    p_wait = b * rs.sum() / zb
    mean_queue = float(b * (jj * rs).sum() / zb)
    p_abandon = theta * mean_queue / lam
    arrive = b * rs / zb  # P(arrival finds all agents busy and j callers ahead)
    answered_late = _served_within(arrive, n * mu, theta, target_seconds)
    sl = (1.0 - p_wait) + answered_late
    busy = (load * (1.0 - p_abandon)) / n if n else 1.0
    return ErlangA(
        p_wait=float(p_wait),
        p_abandon=float(p_abandon),
        service_level=float(min(1.0, max(0.0, sl))),
        mean_wait_seconds=mean_queue / lam,
        mean_queue=mean_queue,
        occupancy=min(1.0, busy),
    )


def _served_within(start: np.ndarray, rate: float, theta: float, t: float) -> float:
    """Probability mass served within ``t`` for a caller starting with j ahead (uniformization).

    With i callers ahead the line moves at ``rate + i*theta`` (service or an abandon ahead);
    at the head the caller is served at ``rate``; the caller abandons at ``theta`` throughout.
    """
    if t <= 0 or rate <= 0:
        return 0.0
    size = len(start)
    i = np.arange(size, dtype=float)
    big = rate + (size - 1) * theta + theta
    advance = (rate + i * theta) / big  # from i to i-1 (from 0: served)
    stay = 1.0 - advance - theta / big
    m = big * t
    kmax = int(m + 12.0 * math.sqrt(m) + 30)
    v = start.astype(float).copy()
    served = 0.0
    log_m = math.log(m)
    result = 0.0
    for k in range(kmax + 1):
        weight = math.exp(-m + k * log_m - math.lgamma(k + 1))
        result += weight * served
        moved = v * advance
        served += moved[0]
        v = v * stay
        v[:-1] += moved[1:]
    # mass served after step kmax is negligible: the Poisson tail beyond kmax is < 1e-20
    return result


def agents_for_service_level_a(
    *,
    arrivals_per_second: float,
    aht_seconds: float,
    patience_seconds: float,
    target_fraction: float,
    target_seconds: float,
    shrinkage: float = 0.0,
    max_agents: int = 10_000,
) -> Staffing:
    """Fewest agents meeting an Erlang A service level, plus shrinkage."""
    if not 0 < target_fraction < 1 or not 0 <= shrinkage < 1:
        raise StaffingInputInvalid("need 0 < target_fraction < 1 and 0 <= shrinkage < 1")

    def figures(n: int) -> ErlangA:
        return erlang_a(
            agents=n,
            arrivals_per_second=arrivals_per_second,
            aht_seconds=aht_seconds,
            patience_seconds=patience_seconds,
            target_seconds=target_seconds,
        )

    # service level grows with agents, so bisect for the first n that meets the target
    if figures(max_agents).service_level < target_fraction:
        raise StaffingInputInvalid("target not reachable within max_agents", max_agents=max_agents)
    lo, hi = 0, max_agents  # figures(lo) misses (or lo == 0), figures(hi) meets
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if figures(mid).service_level >= target_fraction:
            hi = mid
        else:
            lo = mid
    res = figures(hi)
    return Staffing(
        agents=hi,
        scheduled=_scheduled(hi, shrinkage),
        service_level=res.service_level,
        p_wait=res.p_wait,
        asa_seconds=res.mean_wait_seconds,
        occupancy=res.occupancy,
        p_abandon=res.p_abandon,
    )
