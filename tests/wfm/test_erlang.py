"""Erlang C / Erlang A: published values, independent formulas and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.wfm.erlang import (
    agents_for_service_level,
    agents_for_service_level_a,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    offered_load,
    service_level,
)
from fincall.wfm.errors import StaffingInputInvalid


def direct_erlang_c(n: int, a: float) -> float:
    """The textbook formula with factorials (fine for small n)."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def test_published_example_10_erlangs_11_agents() -> None:
    # 100 calls in 30 min at 180 s AHT = 10 Erlangs; 11 agents: P(wait) 68.21 %, ASA 122.8 s
    load = offered_load(arrivals_per_hour=200, aht_seconds=180)
    assert load == pytest.approx(10.0)
    assert erlang_c(agents=11, load=load) == pytest.approx(0.6821, abs=5e-5)
    assert average_speed_of_answer(agents=11, load=load, aht_seconds=180) == pytest.approx(
        122.8, abs=0.05
    )
    sl = service_level(agents=11, load=load, aht_seconds=180, target_seconds=20)
    assert sl == pytest.approx(1 - 0.6821182 * math.exp(-20 / 180), abs=1e-6)


@given(n=st.integers(1, 60), frac=st.floats(0.05, 0.99))
def test_erlang_c_matches_direct_formula(n: int, frac: float) -> None:
    load = n * frac
    assert erlang_c(agents=n, load=load) == pytest.approx(direct_erlang_c(n, load), rel=1e-9)


def test_large_systems_do_not_overflow() -> None:
    # 2,000 agents: A**n / n! would overflow a float; the recurrence does not
    pw = erlang_c(agents=2000, load=1950.0)
    assert 0.0 < pw < 1.0
    assert 0.0 < erlang_b(agents=5000, load=4900.0) < 0.05
    staff = agents_for_service_level(
        load=800, aht_seconds=300, target_fraction=0.8, target_seconds=20
    )
    assert 800 < staff.agents < 830
    assert staff.service_level >= 0.8
    below = service_level(agents=staff.agents - 1, load=800, aht_seconds=300, target_seconds=20)
    assert below < 0.8


def test_staffing_with_shrinkage_and_occupancy() -> None:
    s = agents_for_service_level(
        load=10, aht_seconds=180, target_fraction=0.8, target_seconds=20, shrinkage=0.3
    )
    assert s.agents == 14  # 13 agents give 79.0 %, 14 give 88.8 %
    assert service_level(agents=13, load=10, aht_seconds=180, target_seconds=20) < 0.8
    assert s.scheduled == math.ceil(14 / 0.7)
    capped = agents_for_service_level(
        load=10, aht_seconds=180, target_fraction=0.5, target_seconds=20, max_occupancy=0.7
    )
    assert capped.occupancy <= 0.7 and capped.agents == 15


@settings(max_examples=60, deadline=None)
@given(load=st.floats(0.5, 200), aht=st.floats(30, 900), t=st.floats(5, 60))
def test_service_level_increases_with_agents(load: float, aht: float, t: float) -> None:
    n0 = math.floor(load) + 1
    levels = [
        service_level(agents=n, load=load, aht_seconds=aht, target_seconds=t)
        for n in range(n0, n0 + 8)
    ]
    assert all(0.0 <= x <= 1.0 for x in levels)
    assert levels == sorted(levels)


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    lam = 10 / 180
    res = erlang_a(
        agents=11, arrivals_per_second=lam, aht_seconds=180, patience_seconds=1e9, target_seconds=20
    )
    assert res.p_wait == pytest.approx(direct_erlang_c(11, 10.0), abs=1e-6)
    assert res.service_level == pytest.approx(
        service_level(agents=11, load=10, aht_seconds=180, target_seconds=20), abs=1e-6
    )
    assert res.p_abandon < 1e-6


def test_erlang_a_with_patience_equal_to_aht_is_poisson() -> None:
    # theta == mu: the number in system is Poisson(A) (an M/M/infinity in disguise)
    load, n, aht = 8.0, 7, 120.0
    res = erlang_a(
        agents=n,
        arrivals_per_second=load / aht,
        aht_seconds=aht,
        patience_seconds=aht,
        target_seconds=10,
    )
    pois = [math.exp(-load) * load**k / math.factorial(k) for k in range(120)]
    assert res.p_wait == pytest.approx(sum(pois[n:]), abs=1e-9)
    mean_queue = sum((k - n) * p for k, p in enumerate(pois) if k > n)
    assert res.mean_queue == pytest.approx(mean_queue, abs=1e-9)
    assert res.p_abandon == pytest.approx(mean_queue / load, abs=1e-9)


def test_erlang_a_service_level_matches_hypoexponential_formula() -> None:
    # independent route: with j callers ahead the offered wait is a sum of exponentials with
    # rates N*mu + i*theta (i = j..0); answered within t = E[exp(-theta V); V <= t]
    n, lam, mu, theta, t = 2, 1 / 60, 1 / 100, 1 / 50, 30.0
    load = lam / mu
    pi = [load**k / math.factorial(k) for k in range(n + 1)]
    for j in range(1, 25):
        pi.append(pi[-1] * lam / (n * mu + j * theta))
    z = sum(pi)
    answered_late = 0.0
    for j in range(0, 24):
        rates = [n * mu + i * theta for i in range(j + 1)]
        within = 0.0
        for i, r in enumerate(rates):
            coef = math.prod(rk / (rk - r) for k, rk in enumerate(rates) if k != i)
            within += coef * r / (r + theta) * (1 - math.exp(-(r + theta) * t))
        answered_late += pi[n + j] / z * within
    expected = sum(pi[:n]) / z + answered_late
    res = erlang_a(
        agents=n,
        arrivals_per_second=lam,
        aht_seconds=1 / mu,
        patience_seconds=1 / theta,
        target_seconds=t,
    )
    assert res.service_level == pytest.approx(expected, abs=1e-8)


def test_erlang_a_staffing_is_minimal() -> None:
    lam, aht, patience = 800 / 300, 300.0, 120.0
    s = agents_for_service_level_a(
        arrivals_per_second=lam,
        aht_seconds=aht,
        patience_seconds=patience,
        target_fraction=0.8,
        target_seconds=20,
        shrinkage=0.25,
        max_agents=2000,
    )
    assert s.service_level >= 0.8
    fewer = erlang_a(
        agents=s.agents - 1,
        arrivals_per_second=lam,
        aht_seconds=aht,
        patience_seconds=patience,
        target_seconds=20,
    )
    assert fewer.service_level < 0.8
    assert s.scheduled == math.ceil(s.agents / 0.75)
    # abandonment lets fewer agents reach the same target than Erlang C would need
    c = agents_for_service_level(load=800, aht_seconds=aht, target_fraction=0.8, target_seconds=20)
    assert s.agents < c.agents


@pytest.mark.parametrize(
    "kwargs",
    [
        {"load": -1, "aht_seconds": 180, "target_fraction": 0.8, "target_seconds": 20},
        {"load": 10, "aht_seconds": 180, "target_fraction": 1.5, "target_seconds": 20},
        {"load": 10, "aht_seconds": 180, "target_fraction": 0.8, "target_seconds": 20,
         "shrinkage": 1.0},
        {"load": 10, "aht_seconds": float("nan"), "target_fraction": 0.8, "target_seconds": 20},
    ],
)  # fmt: skip
def test_bad_input_is_refused(kwargs) -> None:
    with pytest.raises(StaffingInputInvalid) as err:
        agents_for_service_level(**kwargs)
    assert err.value.code == "staffing-input-invalid"


def test_erlang_a_with_far_more_agents_than_load_never_waits() -> None:
    res = erlang_a(
        agents=5000, arrivals_per_second=10 / 180, aht_seconds=180, patience_seconds=60,
        target_seconds=20,
    )  # fmt: skip
    assert res.p_wait == 0.0 and res.service_level == 1.0 and res.p_abandon == 0.0
