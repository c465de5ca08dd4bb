"""Outbound benchmark: compliance-gate decisions per second over 1,000,000 synthetic customers
with attempt history, next to a naive baseline, and a simulated 50-agent predictive day.

Every timed chunk is also decided by the frozen reference gate (tests/outbound/gate_reference.py)
in the same process: the benchmark counts decisions that differ in any field (must be 0) and
reports the speed-up over the reference.

Run: python benchmarks/dialer_gate.py [--sample 200000] [--population 1000000]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import timeit
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import phonenumbers
from phonenumbers import timezone as phone_timezone

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fincall.outbound.gate import (  # noqa: E402
    AttemptRecord,
    DncEntry,
    DncState,
    GateCustomer,
    evaluate,
)
from fincall.outbound.gate_types import GateDecision  # noqa: E402
from fincall.outbound.pacing import DialMode  # noqa: E402
from fincall.outbound.rules import Purpose, load_rulebook  # noqa: E402
from fincall.outbound.simulation import SimConfig, simulate  # noqa: E402

# region code, jurisdiction, share of customers, (zone, phone prefix) choices
REGIONS = [
    ("CN", "cn-mainland", 0.40, [("Asia/Shanghai", "+86138")]),
    ("HK", "hk", 0.20, [("Asia/Hong_Kong", "+8529")]),
    ("SG", "sg", 0.10, [("Asia/Singapore", "+659")]),
    ("UK", "uk", 0.10, [("Europe/London", "+447911")]),
    (
        "US",
        "us",
        0.20,
        [
            ("America/New_York", "+1212555"),
            ("America/Chicago", "+1312555"),
            ("America/Denver", "+1303555"),
            ("America/Los_Angeles", "+1310555"),
        ],
    ),
]
PURPOSES = list(Purpose)
BLOCK = 2_000  # decisions timed at a time, gate and reference in turn
REFERENCE_PATH = Path(__file__).resolve().parents[1] / "tests" / "outbound" / "gate_reference.py"
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
WEEK_S = 7 * 86400


class Population:
    """One million customers stored as columns; one customer materialised on demand."""

    def __init__(self, size: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        shares = np.array([r[2] for r in REGIONS])
        self.size = size
        self.region = rng.choice(len(REGIONS), size=size, p=shares / shares.sum()).astype(np.int8)
        self.zone_pick = rng.integers(0, 4, size=size, dtype=np.int8)
        # The customer record requires a timezone; 2% stand for list rows without one, whose zone
        # is derived from the phone number on every decision (no cache hit: 1M distinct numbers).
        self.tz_on_record = rng.random(size) < 0.98
        self.consent = rng.random(size) < 0.7
        self.do_not_call = rng.random(size) < 0.01
        self.marketing_dnc = rng.random(size) < 0.03
        self.national = rng.random(size) < 0.02
        counts = rng.poisson(2.5, size=size).clip(0, 12)
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        total = int(self.offsets[-1])
        self.attempt_age = rng.integers(60, 10 * 86400, size=total, dtype=np.int32)
        self.attempt_connected = rng.random(total) < 0.25
        self.at_offset = rng.integers(0, 2 * WEEK_S, size=size, dtype=np.int32)
        self.purpose = rng.integers(0, len(PURPOSES), size=size, dtype=np.int8)
        self.national_numbers = frozenset(self.phone(int(i)) for i in np.flatnonzero(self.national))

    def phone(self, i: int) -> str:
        _, _, _, choices = REGIONS[self.region[i]]
        prefix = choices[self.zone_pick[i] % len(choices)][1]
        digits = {"+86138": 8, "+8529": 7, "+659": 7, "+447911": 6}.get(prefix, 4)
        return f"{prefix}{i % 10**digits:0{digits}d}"

    def case(self, i: int, campaign_hours: bool = False):
        code, jurisdiction, _, choices = REGIONS[self.region[i]]
        tz = choices[self.zone_pick[i] % len(choices)][0]
        customer = GateCustomer(
            id=f"cus_{i:07d}",
            phone=self.phone(i),
            region=code,
            timezone=tz if self.tz_on_record[i] else None,
            consent_marketing=bool(self.consent[i]),
            do_not_call=bool(self.do_not_call[i]),
        )
        at = START + timedelta(seconds=int(self.at_offset[i]))
        if campaign_hours:  # a weekday 09:00-18:00 in the customer's own zone
            local_day = (START + timedelta(days=int(self.at_offset[i]) % 5)).date()
            minute = 9 * 60 + int(self.at_offset[i]) % (9 * 60)
            wall = datetime(local_day.year, local_day.month, local_day.day, minute // 60,
                            minute % 60, tzinfo=ZoneInfo(tz))  # fmt: skip
            at = wall.astimezone(UTC)
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        history = [
            AttemptRecord(
                at=at - timedelta(seconds=int(self.attempt_age[k])),
                connected=bool(self.attempt_connected[k]),
            )
            for k in range(lo, hi)
        ]
        internal = (DncEntry(purpose=Purpose.MARKETING),) if self.marketing_dnc[i] else ()
        return customer, PURPOSES[self.purpose[i]], at, history, jurisdiction, internal


def naive_allowed(customer, purpose, at, history, rules, national) -> bool:
    """Baseline: builds the holiday calendar and parses the phone on every decision."""
    key = customer.timezone
    if not key:
        zones = phone_timezone.time_zones_for_number(phonenumbers.parse(customer.phone))
        key = zones[0] if zones and zones[0] != "Etc/Unknown" else rules.default_timezone
    local = at.astimezone(ZoneInfo(key))
    pr = rules.for_purpose(purpose)
    ok = pr.window.start <= local.time() < pr.window.end
    cal = holidays.country_holidays(rules.holiday_country, years=local.year)
    if local.date() in cal and pr.holiday.mode.value == "blocked":
        ok = False
    today = [h for h in history if h.at.astimezone(ZoneInfo(key)).date() == local.date()]
    if pr.daily_attempt_cap is not None and len(today) >= pr.daily_attempt_cap:
        ok = False
    if pr.requires_consent and not customer.consent_marketing:
        ok = False
    if pr.national_dnc and customer.phone in national:
        ok = False
    return ok


def load_reference():
    """The frozen reference gate's ``evaluate``."""
    spec = importlib.util.spec_from_file_location("gate_reference", REFERENCE_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gate_reference"] = module
    spec.loader.exec_module(module)
    return module.evaluate


def exact(decision: GateDecision) -> tuple:
    """Every field of a decision, instants with their UTC offsets."""

    def instant(value):
        return value.isoformat() if value is not None else None

    return (
        decision.allowed,
        decision.purpose,
        instant(decision.at),
        tuple((b.rule, b.reason, instant(b.until)) for b in decision.blocks),
        instant(decision.next_allowed_at),
        decision.timezones,
        decision.timezone_source,
        decision.jurisdiction,
    )


def run_gate(pop, book, sample, chunk: int, *, campaign_hours: bool, reference, ref_sample: int):
    """Time the gate over ``sample`` in chunks (inputs are built outside the timed part), and
    the reference gate over the first ``ref_sample`` of them, block by block in turn."""
    label = "weekday 09:00-18:00 local" if campaign_hours else "any time of the week"
    decided = allowed = with_next = blocks = 0
    wall = cpu = 0.0
    ref_decided = mismatches = 0
    ref_cpu = same_cpu = 0.0
    reasons: dict[str, int] = {}
    for start in range(0, len(sample), chunk):
        cases = []
        for i in sample[start : start + chunk]:
            customer, purpose, at, history, jurisdiction, internal = pop.case(
                int(i), campaign_hours
            )
            dnc = DncState(internal=internal, national=pop.national_numbers)
            cases.append((customer, purpose, at, history, book.get(jurisdiction), dnc))
        # Gate and reference take turns on blocks of the chunk, so that a change in the load
        # of a shared machine weighs on both alike; the speed-up compares CPU time.
        decisions = []
        for b in range(0, len(cases), BLOCK):
            block = cases[b : b + BLOCK]
            w0, c0 = time.perf_counter(), time.process_time()
            got = [
                evaluate(customer=c, purpose=p, at=a, history=h, rules=r, dnc=d)
                for c, p, a, h, r, d in block
            ]
            elapsed = time.process_time() - c0
            wall += time.perf_counter() - w0
            cpu += elapsed
            decisions += got
            if ref_decided >= ref_sample:
                continue
            c0 = time.process_time()
            expected = [
                reference(customer=c, purpose=p, at=a, history=h, rules=r, dnc=d)
                for c, p, a, h, r, d in block
            ]
            ref_cpu += time.process_time() - c0
            same_cpu += elapsed
            ref_decided += len(block)
            mismatches += sum(exact(x) != exact(y) for x, y in zip(got, expected, strict=True))
        for decision in decisions:
            decided += 1
            allowed += decision.allowed
            with_next += decision.next_allowed_at is not None
            blocks += len(decision.blocks)
            for block in decision.blocks:
                reasons[block.rule] = reasons.get(block.rule, 0) + 1
    rate_wall, rate_cpu = decided / wall, decided / cpu
    print(f"gate ({label}): {decided:,} decisions in {wall:.2f}s wall / {cpu:.2f}s CPU -> "
          f"{rate_wall:,.0f}/s wall, {rate_cpu:,.0f}/s CPU (target 50,000/s)")  # fmt: skip
    print(f"  allowed {allowed / decided:.1%}; blocked with a next allowed time "
          f"{(with_next - allowed) / max(decided - allowed, 1):.1%}")  # fmt: skip
    print("  block reasons: " + ", ".join(f"{k}={v:,}" for k, v in sorted(reasons.items())))
    ref_rate = ref_decided / ref_cpu if ref_cpu else 0.0
    speedup = ref_cpu / same_cpu if same_cpu else 0.0
    print(f"  reference gate on {ref_decided:,} of them: {ref_rate:,.0f}/s CPU; "
          f"{mismatches} decisions differ; speed-up {speedup:.2f}x")  # fmt: skip
    return {
        "rate_wall": rate_wall,
        "rate_cpu": rate_cpu,
        "allowed_share": allowed / decided,
        "blocks_per_blocked": blocks / max(decided - allowed, 1),
        "decided": decided,
        "ref_rate": ref_rate,
        "ref_decided": ref_decided,
        "mismatches": mismatches,
        "speedup": speedup,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--population", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--naive", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference-sample", type=int, default=200_000)
    args = parser.parse_args()

    book = load_rulebook()
    # Calibration: the same figure on a quiet modern core is about 7-10 us; a larger value
    # means the machine is shared or slow, and every rate below scales with it.
    reference_us = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    print(f"python reference: sum(range(1000)) takes {reference_us:.1f} us on this machine now")
    t0 = time.perf_counter()
    pop = Population(args.population, args.seed)
    n_attempts = int(pop.offsets[-1])
    print(f"population: {pop.size:,} customers, {n_attempts:,} attempts in history "
          f"(built in {time.perf_counter() - t0:.1f}s)")  # fmt: skip
    rng = np.random.default_rng(args.seed + 1)
    sample = rng.choice(pop.size, size=min(args.sample, pop.size), replace=False)

    reference = load_reference()
    any_time = run_gate(
        pop,
        book,
        sample,
        args.chunk,
        campaign_hours=False,
        reference=reference,
        ref_sample=args.reference_sample,
    )
    business = run_gate(
        pop,
        book,
        sample[: args.sample // 4],
        args.chunk,
        campaign_hours=True,
        reference=reference,
        ref_sample=args.reference_sample // 4,
    )

    naive_cases = [pop.case(int(i)) for i in sample[: args.naive]]
    w0 = time.perf_counter()
    naive_ok = sum(
        naive_allowed(c, p, a, h, book.get(j), pop.national_numbers)
        for c, p, a, h, j, _ in naive_cases
    )
    naive_rate = len(naive_cases) / (time.perf_counter() - w0)
    print(f"naive baseline (allowed/blocked only, no reasons or next time): "
          f"{naive_rate:,.0f}/s over {len(naive_cases):,} decisions "
          f"({naive_ok} allowed)")  # fmt: skip

    sims = {}
    for mode in (DialMode.PREDICTIVE, DialMode.PROGRESSIVE):
        runs = [
            simulate(config=SimConfig(agents=50, mode=mode, seed=s, customers=60_000))
            for s in (1, 2, 3)
        ]
        sims[mode.value] = runs
        for r in runs:
            print(f"simulation {mode.value:11s} 50 agents, 8h: attempts {r.attempts:,}, "
                  f"connects {r.connects:,}, abandoned {r.abandoned} "
                  f"({r.abandonment_rate:.2%}, max {r.max_abandonment_rate:.2%}, cap "
                  f"{r.abandon_cap:.0%}), occupancy {r.occupancy:.1%}")  # fmt: skip
    pred, prog = sims["predictive"], sims["progressive"]
    figures = {
        "python_reference_us": round(reference_us, 2),
        "population": pop.size,
        "history_attempts": n_attempts,
        "gate_decisions": any_time["decided"],
        "gate_decisions_per_s": round(any_time["rate_wall"]),
        "gate_decisions_per_s_cpu": round(any_time["rate_cpu"]),
        "gate_allowed_share": round(any_time["allowed_share"], 4),
        "gate_mean_blocks_when_blocked": round(any_time["blocks_per_blocked"], 3),
        "gate_campaign_hours_decisions_per_s": round(business["rate_wall"]),
        "gate_campaign_hours_decisions_per_s_cpu": round(business["rate_cpu"]),
        "gate_campaign_hours_allowed_share": round(business["allowed_share"], 4),
        "naive_decisions_per_s": round(naive_rate),
        "reference_decisions": any_time["ref_decided"] + business["ref_decided"],
        "reference_decisions_per_s_cpu": round(any_time["ref_rate"]),
        "reference_campaign_hours_decisions_per_s_cpu": round(business["ref_rate"]),
        "reference_mismatches": any_time["mismatches"] + business["mismatches"],
        "speedup_vs_reference": round(any_time["speedup"], 3),
        "speedup_vs_reference_campaign_hours": round(business["speedup"], 3),
        "sim_agents": 50,
        "sim_hours": 8,
        "sim_seeds": 3,
        "abandon_cap": pred[0].abandon_cap,
        "predictive_occupancy": round(sum(r.occupancy for r in pred) / len(pred), 4),
        "predictive_abandonment": round(sum(r.abandonment_rate for r in pred) / len(pred), 5),
        "predictive_max_abandonment": round(max(r.max_abandonment_rate for r in pred), 5),
        "predictive_connects": round(sum(r.connects for r in pred) / len(pred)),
        "progressive_occupancy": round(sum(r.occupancy for r in prog) / len(prog), 4),
        "progressive_connects": round(sum(r.connects for r in prog) / len(prog)),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
