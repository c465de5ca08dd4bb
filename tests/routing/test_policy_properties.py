"""Property tests of the routing policy: invariants checked against the raw snapshot."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.routing.policy import (
    AgentSnapshot,
    AgentState,
    Assignment,
    Channel,
    OverflowAction,
    OverflowDecision,
    OverflowRule,
    QueueSpec,
    ShiftWindow,
    WaitingContact,
    decide,
    decide_naive,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SKILLS = ["fx", "funds", "cards"]
LANGS = ["en", "zh-CN", "zh-HK"]
ZONES = ["UTC", "Asia/Tokyo", "Europe/London", "Asia/Singapore"]

rule_st = st.one_of(
    st.builds(
        OverflowRule,
        after_seconds=st.integers(0, 120),
        action=st.just(OverflowAction.WIDEN_SKILL),
        skill=st.sampled_from(SKILLS),
        min_level=st.integers(1, 3),
    ),
    st.builds(
        OverflowRule,
        after_seconds=st.integers(0, 120),
        action=st.just(OverflowAction.DROP_SKILL),
        skill=st.one_of(st.none(), st.sampled_from(SKILLS)),
    ),
    st.builds(
        OverflowRule,
        after_seconds=st.integers(0, 120),
        action=st.sampled_from([OverflowAction.OFFER_CALLBACK, OverflowAction.OFFER_BOT]),
    ),
    st.builds(
        OverflowRule,
        after_seconds=st.integers(0, 120),
        action=st.just(OverflowAction.MOVE_QUEUE),
        target_queue=st.sampled_from(["q0", "q1"]),
    ),
)


@st.composite
def queue_st(draw, qid: str) -> QueueSpec:
    rules = sorted(draw(st.lists(rule_st, max_size=3)), key=lambda r: r.after_seconds)
    skills = draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=1))
    return QueueSpec(
        id=qid,
        priority=draw(st.integers(0, 2)),
        skills=skills,
        overflow=tuple(rules),
        sticky_window_seconds=draw(st.sampled_from([0, 15, 60])),
    )


@st.composite
def agent_st(draw, i: int) -> AgentSnapshot:
    receiving = [AgentState.AVAILABLE] * 4 + [AgentState.ON_CONTACT] * 2
    state = draw(st.sampled_from(receiving + list(AgentState)))
    active: dict[Channel, int] = {}
    if draw(st.booleans()):
        active = {draw(st.sampled_from(list(Channel))): draw(st.integers(1, 2))}
    shifts: tuple[ShiftWindow, ...] = ()
    if draw(st.integers(0, 3)) == 0:
        start = draw(st.integers(0, 23))
        shifts = (ShiftWindow(time(start), time(draw(st.integers(0, 23)))),)
    if draw(st.integers(0, 3)) == 0:
        shifts = (ShiftWindow(time(20), time(8)),)  # overnight: covers 09:00 UTC in some zones
    return AgentSnapshot(
        id=f"a{i}",
        state=state,
        languages=frozenset(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=2))),
        skills=draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), min_size=1)),
        idle_since=NOW - timedelta(seconds=draw(st.integers(0, 600))),
        region=draw(st.sampled_from(["HK", "SG", "UK"])),
        timezone=draw(st.sampled_from(ZONES)),
        senior=draw(st.booleans()),
        max_chats=draw(st.integers(0, 3)),
        max_emails=draw(st.integers(0, 3)),
        max_messages=draw(st.integers(0, 2)),
        max_total=draw(st.one_of(st.none(), st.none(), st.integers(0, 4))),
        active=active,
        shifts=shifts,
    )


@st.composite
def contact_st(draw, i: int, n_agents: int) -> WaitingContact:
    waited = draw(st.integers(0, 180))
    in_queue = draw(st.integers(0, waited))
    return WaitingContact(
        id=f"c{i}",
        queue_id=draw(st.sampled_from(["q0", "q1"])),
        channel=draw(st.sampled_from(list(Channel))),
        enqueued_at=NOW - timedelta(seconds=waited),
        queue_entered_at=NOW - timedelta(seconds=in_queue),
        language=draw(st.sampled_from([None, *LANGS])),
        skills=draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 4), max_size=1)),
        segment=draw(st.sampled_from(["mass", "affluent", "hnw", "private"])),
        vip=draw(st.booleans()),
        allowed_regions=draw(st.sampled_from([None, None, None, frozenset({"HK", "SG"})])),
        sticky_agent_id=draw(st.one_of(st.none(), st.just(f"a{draw(st.integers(0, 9))}"))),
        overflow_done=draw(st.integers(0, 2)),
        priority=draw(st.sampled_from([0, 0, 1, 2])),
        excluded_agents=frozenset(
            draw(st.lists(st.sampled_from([f"a{k}" for k in range(10)]), max_size=3))
        ),
    )


@st.composite
def world_st(draw):
    queues = [draw(queue_st("q0")), draw(queue_st("q1"))]
    n_agents = draw(st.integers(0, 10))
    agents = [draw(agent_st(i)) for i in range(n_agents)]
    contacts = [draw(contact_st(i, n_agents)) for i in range(draw(st.integers(0, 12)))]
    return queues, contacts, agents


def start_capacity(a: AgentSnapshot) -> dict[Channel, int]:
    """Independent statement of the capacity rule."""
    total = sum(a.active.values())
    max_total = a.max_total if a.max_total is not None else a.max_chats + a.max_emails
    if a.max_total is None:
        max_total += a.max_messages
    if a.active.get(Channel.VOICE, 0):
        return dict.fromkeys(Channel, 0)
    return {
        Channel.VOICE: 1 if total == 0 else 0,
        Channel.CHAT: max(0, a.max_chats - a.active.get(Channel.CHAT, 0)),
        Channel.EMAIL: max(0, a.max_emails - a.active.get(Channel.EMAIL, 0)),
        Channel.MESSAGE: max(0, a.max_messages - a.active.get(Channel.MESSAGE, 0)),
        "total": max(0, max_total - total),
    }


def on_shift(a: AgentSnapshot) -> bool:
    return not a.shifts or any(w.covers(NOW.astimezone(_zone(a.timezone))) for w in a.shifts)


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def relaxed_level(queue: QueueSpec, skill: str, in_queue: float, base: int) -> int:
    """Lowest level a due overflow rule of ``queue`` allows for ``skill``."""
    level = base
    for r in queue.overflow:
        if r.after_seconds > in_queue:
            break
        if r.action is OverflowAction.WIDEN_SKILL and r.skill == skill:
            level = min(level, r.min_level)
        if r.action is OverflowAction.DROP_SKILL and r.skill in (None, skill):
            level = 0
    return level


@settings(max_examples=120, deadline=None)
@given(world_st())
def test_invariants(world) -> None:
    queues, contacts, agents = world
    qmap = {q.id: q for q in queues}
    amap = {a.id: a for a in agents}
    cmap = {c.id: c for c in contacts}
    out = decide(now=NOW, queues=queues, waiting=contacts, agents=agents)
    assignments = [d for d in out if isinstance(d, Assignment)]

    # each contact assigned at most once
    assert len({a.contact_id for a in assignments}) == len(assignments)

    per_agent: dict[str, Counter] = defaultdict(Counter)
    for asg in assignments:
        agent = amap[asg.agent_id]
        contact = cmap[asg.contact_id]
        per_agent[agent.id][contact.channel] += 1
        assert agent.id not in contact.excluded_agents
        # only receiving agents on shift
        assert agent.state in (AgentState.AVAILABLE, AgentState.ON_CONTACT)
        assert on_shift(agent)
        # language is never relaxed
        if contact.language is not None:
            assert contact.language in agent.languages
        if contact.allowed_regions is not None:
            assert agent.region in contact.allowed_regions
        # skills at level unless a due overflow rule relaxed them
        queue = qmap[asg.queue_id]
        moved = asg.queue_id != contact.queue_id
        entered = NOW if moved else (contact.queue_entered_at or contact.enqueued_at)
        in_queue = (NOW - entered).total_seconds()
        required = dict(queue.skills)
        for name, level in contact.skills.items():
            required[name] = max(level, required.get(name, 0))
        for name, level in required.items():
            need = relaxed_level(queue, name, in_queue, level)
            assert agent.skills.get(name, 0) >= need, (asg.text, name, need)

    # never over capacity, per channel and in total; voice is exclusive
    for agent_id, counts in per_agent.items():
        cap = start_capacity(amap[agent_id])
        for ch, n in counts.items():
            assert n <= cap[ch]
        non_voice = sum(n for ch, n in counts.items() if ch is not Channel.VOICE)
        assert non_voice <= cap["total"]
        if counts[Channel.VOICE]:
            assert counts[Channel.VOICE] == 1 and non_voice == 0

    # no starvation: a due, not yet applied rule yields a decision (or the contact is served)
    for c in contacts:
        q = qmap[c.queue_id]
        in_queue = (NOW - (c.queue_entered_at or c.enqueued_at)).total_seconds()
        due = [i for i, r in enumerate(q.overflow) if r.after_seconds <= in_queue]
        pending = [i for i in due if i >= c.overflow_done]
        if not pending:
            continue
        mine = [d for d in out if d.contact_id == c.id]
        assert any(isinstance(d, Assignment) for d in mine) or any(
            isinstance(d, OverflowDecision) and d.rule_index == pending[0] and d.queue_id == q.id
            for d in mine
        )
        for d in mine:
            if isinstance(d, OverflowDecision) and d.queue_id == q.id:
                assert d.due_at <= NOW


@settings(max_examples=60, deadline=None)
@given(world_st())
def test_indexed_policy_matches_full_scan(world) -> None:
    queues, contacts, agents = world
    fast = decide(now=NOW, queues=queues, waiting=contacts, agents=agents)
    pairs = [(d.contact_id, d.agent_id) for d in fast if isinstance(d, Assignment)]
    assert pairs == decide_naive(now=NOW, queues=queues, waiting=contacts, agents=agents)


@settings(max_examples=150, deadline=None)
@given(
    n_vip=st.integers(0, 5),
    n_normal=st.integers(0, 5),
    seats=st.integers(0, 6),
    channel=st.sampled_from([Channel.CHAT, Channel.VOICE]),
)
def test_vip_served_before_normal_at_equal_wait(n_vip, n_normal, seats, channel) -> None:
    queue = QueueSpec(id="q")
    at = NOW - timedelta(seconds=30)
    contacts = [
        WaitingContact(id=f"n{i}", queue_id="q", channel=channel, enqueued_at=at, vip=False)
        for i in range(n_normal)
    ] + [
        WaitingContact(id=f"v{i}", queue_id="q", channel=channel, enqueued_at=at, vip=True)
        for i in range(n_vip)
    ]
    agents = [
        AgentSnapshot(
            id=f"a{i}",
            state=AgentState.AVAILABLE,
            languages=frozenset({"en"}),
            skills={},
            idle_since=NOW,
            max_chats=1,
        )
        for i in range(seats)
    ]
    out = decide(now=NOW, queues=[queue], waiting=contacts, agents=agents)
    served = [d.contact_id for d in out if isinstance(d, Assignment)]
    assert len(served) == min(seats, n_vip + n_normal)
    vip_served = sum(cid.startswith("v") for cid in served)
    assert vip_served == min(n_vip, len(served))


@settings(max_examples=25, deadline=None)
@given(world_st())
def test_decide_is_pure_and_deterministic(world) -> None:
    queues, contacts, agents = world
    before = [dict(a.active) for a in agents]
    first = decide(now=NOW, queues=queues, waiting=contacts, agents=agents)
    second = decide(now=NOW, queues=queues, waiting=list(reversed(contacts)), agents=agents)
    assert [dict(a.active) for a in agents] == before
    key = [(type(d).__name__, d.contact_id, getattr(d, "agent_id", None)) for d in first]
    assert sorted(key) == sorted(
        (type(d).__name__, d.contact_id, getattr(d, "agent_id", None)) for d in second
    )


def test_indexed_policy_matches_full_scan_on_a_busy_desk() -> None:
    """A seeded desk with heavy contention: every heap path (re-keying, exhaustion) is used."""
    import random

    rng = random.Random(7)
    queues = [
        QueueSpec(id="q0", priority=1, skills={"fx": 2}, overflow=(
            OverflowRule(30, OverflowAction.WIDEN_SKILL, skill="fx", min_level=1),
            OverflowRule(90, OverflowAction.MOVE_QUEUE, target_queue="q1"),
        )),
        QueueSpec(id="q1", overflow=(OverflowRule(60, OverflowAction.OFFER_CALLBACK),)),
    ]  # fmt: skip
    agents = [
        AgentSnapshot(
            id=f"a{i:03d}",
            state=rng.choice([AgentState.AVAILABLE, AgentState.ON_CONTACT, AgentState.BREAK]),
            languages=frozenset(rng.sample(LANGS, rng.randint(1, 2))),
            skills={s: rng.randint(1, 5) for s in rng.sample(SKILLS, 2)},
            idle_since=NOW - timedelta(seconds=rng.randint(0, 900)),
            senior=rng.random() < 0.3,
            max_chats=rng.randint(1, 3),
            active={Channel.CHAT: 1} if rng.random() < 0.3 else {},
        )
        for i in range(150)
    ]
    contacts = [
        WaitingContact(
            id=f"c{i:04d}",
            queue_id=rng.choice(["q0", "q1"]),
            channel=rng.choice(list(Channel)),
            enqueued_at=NOW - timedelta(seconds=rng.randint(0, 200)),
            language=rng.choice(LANGS),
            segment=rng.choice(["mass", "hnw"]),
            vip=rng.random() < 0.1,
            sticky_agent_id=f"a{rng.randint(0, 149):03d}" if rng.random() < 0.2 else None,
            excluded_agents=frozenset(
                f"a{rng.randint(0, 149):03d}" for _ in range(rng.randint(0, 8))
            ),
        )
        for i in range(1500)
    ]
    fast = decide(now=NOW, queues=queues, waiting=contacts, agents=agents)
    pairs = [(d.contact_id, d.agent_id) for d in fast if isinstance(d, Assignment)]
    assert len(pairs) > 150
    assert pairs == decide_naive(now=NOW, queues=queues, waiting=contacts, agents=agents)
