"""Routing policy benchmark: 1,000 agents, 10,000 waiting contacts.

A "decision" is one waiting contact evaluated by the policy: its due overflow rules applied
and either assigned to an agent, held for its sticky agent, or left waiting. Throughput is
contacts evaluated per second of a whole ``decide()`` call (index building and ordering
included); latency is the time of one ``RoutingRound.route()`` call (one contact) in a round
over the full snapshot. The naive baseline scans every agent for each contact (same rules,
same answers) on the first contacts of the same snapshot. "Cold" is the first round over a
snapshot in which no overflow rule has been persisted yet (every due rule yields a decision);
"steady" is the next round after the dispatcher persisted them, as it does every tick.

Run: python benchmarks/routing_policy.py [--agents 1000] [--contacts 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from fincall.routing.policy import (  # noqa: E402
    AgentSnapshot,
    AgentState,
    Assignment,
    Channel,
    OverflowAction,
    OverflowDecision,
    OverflowRule,
    QueueSpec,
    RoutingRound,
    ShiftWindow,
    WaitingContact,
    after_overflow,
    decide,
    decide_naive,
)

SKILLS = ["fx", "funds", "cards", "loans", "complaints", "islamic_finance"]
LANGS = ["zh-CN", "zh-HK", "en"]
ZONES = [("CN", "Asia/Shanghai"), ("HK", "Asia/Hong_Kong"), ("SG", "Asia/Singapore"),
         ("UK", "Europe/London"), ("US", "America/New_York")]  # fmt: skip
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


def make_queues() -> list[QueueSpec]:
    """Six queues with priorities, skills and overflow chains."""
    return [
        QueueSpec(id="vip", priority=10, sl_target=0.98, sl_seconds=15, overflow=(
            OverflowRule(30, OverflowAction.WIDEN_SKILL, skill="funds", min_level=2),
            OverflowRule(120, OverflowAction.OFFER_CALLBACK),
        )),
        QueueSpec(id="wealth", priority=5, skills={"funds": 2}, overflow=(
            OverflowRule(60, OverflowAction.WIDEN_SKILL, skill="funds", min_level=1),
            OverflowRule(180, OverflowAction.MOVE_QUEUE, target_queue="general"),
        )),
        QueueSpec(id="cards", priority=3, skills={"cards": 1}, overflow=(
            OverflowRule(90, OverflowAction.DROP_SKILL, skill="cards"),
            OverflowRule(300, OverflowAction.OFFER_BOT),
        )),
        QueueSpec(id="loans", priority=3, skills={"loans": 2}),
        QueueSpec(id="complaints", priority=4, skills={"complaints": 3}, overflow=(
            OverflowRule(120, OverflowAction.WIDEN_SKILL, skill="complaints", min_level=2),
        )),
        QueueSpec(id="general", priority=1, overflow=(
            OverflowRule(600, OverflowAction.OFFER_CALLBACK),
        )),
    ]  # fmt: skip


def make_agents(n: int, rng: random.Random) -> list[AgentSnapshot]:
    """Agents across five regions, mixed skills, languages, states and shifts."""
    states = [AgentState.AVAILABLE] * 60 + [AgentState.ON_CONTACT] * 20
    states += [AgentState.WRAP_UP, AgentState.BREAK, AgentState.NOT_READY, AgentState.OFFLINE] * 5
    agents = []
    for i in range(n):
        region, zone = rng.choice(ZONES)
        state = rng.choice(states)
        active: dict[Channel, int] = {}
        if state is AgentState.ON_CONTACT:
            active = {Channel.CHAT: rng.randint(1, 2)} if rng.random() < 0.8 else {Channel.VOICE: 1}
        skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(2, 4))}
        langs = frozenset(rng.sample(LANGS, rng.randint(1, 2)))
        start = rng.choice([0, 6, 8, 14, 22])
        shifts = (ShiftWindow(time(start), time((start + 10) % 24)),) if rng.random() < 0.5 else ()
        agents.append(
            AgentSnapshot(
                id=f"agt_{i:05d}",
                state=state,
                languages=langs,
                skills=skills,
                idle_since=NOW - timedelta(seconds=rng.uniform(0, 3600)),
                region=region,
                timezone=zone,
                senior=rng.random() < 0.2,
                max_chats=rng.choice([2, 3, 4]),
                max_emails=rng.choice([3, 5]),
                active=active,
                shifts=shifts,
            )
        )
    return agents


def make_contacts(n: int, agent_ids: list[str], rng: random.Random) -> list[WaitingContact]:
    """Waiting contacts over the last 10 minutes with mixed channels and requirements."""
    queues = ["vip", "wealth", "cards", "loans", "complaints", "general"]
    weights = [5, 20, 25, 15, 10, 25]
    channels = [Channel.CHAT] * 50 + [Channel.VOICE] * 30 + [Channel.EMAIL] * 15
    channels += [Channel.MESSAGE] * 5
    out = []
    for i in range(n):
        queue = rng.choices(queues, weights)[0]
        region, zone = rng.choice(ZONES)
        extra = {rng.choice(SKILLS): rng.randint(1, 3)} if rng.random() < 0.3 else {}
        out.append(
            WaitingContact(
                id=f"con_{i:06d}",
                queue_id=queue,
                channel=rng.choice(channels),
                enqueued_at=NOW - timedelta(seconds=rng.uniform(0, 600)),
                language=rng.choice(LANGS),
                skills=extra,
                segment=rng.choice(["mass", "mass", "affluent", "hnw", "private"]),
                vip=queue == "vip" or rng.random() < 0.03,
                region=region,
                customer_timezone=zone,
                sticky_agent_id=rng.choice(agent_ids) if rng.random() < 0.1 else None,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-contacts", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(20261123)
    queues = make_queues()
    agents = make_agents(args.agents, rng)
    waiting = make_contacts(args.contacts, [a.id for a in agents], rng)

    totals = []
    cpu = []
    for _ in range(args.repeat):
        t0 = clock.perf_counter()
        c0 = clock.process_time()
        decisions = decide(now=NOW, queues=queues, waiting=waiting, agents=agents)
        cpu.append(clock.process_time() - c0)
        totals.append(clock.perf_counter() - t0)
    assigned = sum(isinstance(d, Assignment) for d in decisions)

    # steady state: the dispatcher has persisted earlier overflow decisions (as it does each tick)
    by_id = {c.id: c for c in waiting}
    for d in decisions:
        if isinstance(d, OverflowDecision):
            by_id[d.contact_id] = after_overflow(by_id[d.contact_id], d, now=NOW)
    steady_waiting = list(by_id.values())
    steady = []
    for _ in range(args.repeat):
        t0 = clock.perf_counter()
        steady_out = decide(now=NOW, queues=queues, waiting=steady_waiting, agents=agents)
        steady.append(clock.perf_counter() - t0)
    steady_rate = args.contacts / statistics.median(steady)
    steady_overflows = sum(isinstance(d, OverflowDecision) for d in steady_out)
    overflows = len(decisions) - assigned
    best = min(totals)
    rate = args.contacts / statistics.median(totals)
    cpu_rate = args.contacts / statistics.median(cpu)
    load1 = os.getloadavg()[0]

    t0 = clock.perf_counter()
    rnd = RoutingRound(now=NOW, queues=queues, agents=agents)
    plans = rnd.ordered(waiting)
    setup = clock.perf_counter() - t0
    lat = []
    for plan in plans:
        s = clock.perf_counter_ns()
        rnd.route(plan)
        lat.append(clock.perf_counter_ns() - s)
    lat.sort()
    p50 = lat[len(lat) // 2] / 1000
    p99 = lat[int(len(lat) * 0.99)] / 1000
    worst = lat[-1] / 1000

    subset = waiting[: args.naive_contacts]
    t0 = clock.perf_counter()
    naive = decide_naive(now=NOW, queues=queues, waiting=subset, agents=agents)
    naive_time = clock.perf_counter() - t0
    t0 = clock.perf_counter()
    fast = decide(now=NOW, queues=queues, waiting=subset, agents=agents)
    fast_time = clock.perf_counter() - t0
    fast_pairs = [(d.contact_id, d.agent_id) for d in fast if isinstance(d, Assignment)]
    agree = fast_pairs == naive
    naive_rate = len(subset) / naive_time

    print(f"agents={args.agents} contacts={args.contacts} queues={len(queues)}")
    print(f"decide(): median {statistics.median(totals) * 1000:.1f} ms, best {best * 1000:.1f} ms")
    print(f"  -> {rate:,.0f} decisions/s wall, {cpu_rate:,.0f} per CPU second")
    print(f"  {assigned} assignments, {overflows} overflow decisions; load average {load1:.1f}")
    print(f"steady state (overflows already persisted): {steady_rate:,.0f} decisions/s, "
          f"{steady_overflows} new overflow decisions")  # fmt: skip
    print(f"round setup (index + ordering): {setup * 1000:.1f} ms")
    print(f"per-decision latency: p50 {p50:.1f} us, p99 {p99:.1f} us, max {worst:.1f} us")
    fast_rate = len(subset) / fast_time
    print(f"naive scan on {len(subset)} contacts: {naive_rate:,.0f} decisions/s")
    print(f"indexed on the same subset: {fast_rate:,.0f}/s; same answers: {agree}")
    print(
        json.dumps(
            {
                "benchmark": "routing_policy",
                "agents": args.agents,
                "contacts": args.contacts,
                "decisions_per_s": round(rate),
                "decisions_per_cpu_s": round(cpu_rate),
                "steady_decisions_per_s": round(steady_rate),
                "load_average_1m": round(load1, 1),
                "decide_ms_median": round(statistics.median(totals) * 1000, 1),
                "p50_decision_us": round(p50, 1),
                "p99_decision_us": round(p99, 1),
                "round_setup_ms": round(setup * 1000, 1),
                "assignments": assigned,
                "overflow_decisions": overflows,
                "naive_decisions_per_s": round(naive_rate),
                "naive_contacts": len(subset),
                "indexed_same_answers_as_naive": agree,
                "speedup_vs_naive": round(rate / naive_rate, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
