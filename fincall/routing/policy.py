"""Routing policy: which waiting contact goes to which agent now (pure: state in, decisions out).

The contract the dispatcher relies on:

- Receivers: agents in ``available`` or ``on_contact`` whose shift covers ``now`` in their own
  timezone (no shift windows = not restricted) and who have spare capacity for the channel.
- Capacity: a voice contact needs an agent with no contact at all, and an agent on a voice
  contact gets nothing new. Chat, email and message contacts mix up to the per-channel limits
  (``max_chats``, ``max_emails``, ``max_messages``) and to ``max_total``.
- Hard requirements: the contact's language (exact tag, e.g. zh-HK), every required skill at its
  minimum level (queue skills merged with the contact's, then widened/dropped by overflow rules
  that are due), and ``allowed_regions`` when given. Overflow never relaxes the language.
- Order of service: queue priority (higher first), then VIP before non-VIP, then the
  contact's own ``priority`` (higher first: a boost such as an angry or distressed customer,
  which therefore never passes a higher queue or a VIP), then the oldest ``enqueued_at`` (the
  first time the contact entered any queue, so a move keeps its place).
- ``excluded_agents`` (agents who just rejected or missed this contact) never get it.
- Choice of agent: the sticky agent (the customer's last agent) if eligible with capacity;
  if that agent is logged in but busy, the contact is held (no assignment) until it has waited
  ``sticky_window_seconds``. Otherwise, for hnw/private customers senior agents first, then
  the longest idle (``idle_since`` earliest: the last time the agent got a contact or became
  free), then the least occupied, then agent id.
- Overflow: rules of the contact's queue fire at ``queue_entered_at + after_seconds``. Each due
  rule with index >= ``overflow_done`` yields an OverflowDecision. widen/drop/move take effect in
  the same call (a moved contact is routed in the target queue at once; one move per call).
  Callback/bot decisions are offers to the customer and are left out when the contact is
  assigned in the same call. The dispatcher persists ``overflow_done = rule_index + 1`` (and
  for a move the new queue, ``queue_entered_at = now`` and ``overflow_done = 0``).

A "decision" is one waiting contact evaluated by ``RoutingRound.route``; ``decide`` builds one
round and routes every waiting contact in service order. Agents are indexed by channel,
language and skill level and kept in lazy heaps per requirement signature, so a decision costs
O(log agents) instead of a scan of all agents (``decide_naive`` is the scan, for reference).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from fincall.routing.errors import RoutingInputInvalid, UnknownQueue
from fincall.routing.policy_types import (
    SENIOR_SEGMENTS,
    AgentSnapshot,
    Assignment,
    AssignmentReason,
    Channel,
    Decision,
    OverflowAction,
    OverflowDecision,
    OverflowRule,
    QueueSpec,
    ShiftWindow,
    WaitingContact,
    on_shift,
)
from fincall.routing.presence import RECEIVING, AgentState

__all__ = [
    "AgentSnapshot",
    "AgentState",
    "Assignment",
    "AssignmentReason",
    "Channel",
    "Decision",
    "OverflowAction",
    "OverflowDecision",
    "OverflowRule",
    "QueueSpec",
    "RoutingRound",
    "ShiftWindow",
    "WaitingContact",
    "after_overflow",
    "decide",
    "decide_naive",
]


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class _Agent:
    """Mutable working copy of an agent during one round."""

    __slots__ = (
        "snap",
        "active",
        "total",
        "limits",
        "max_total",
        "idle_ts",
        "version",
        "cap",
        "occ",
    )

    def __init__(self, snap: AgentSnapshot) -> None:
        self.snap = snap
        self.active = {ch: int(snap.active.get(ch, 0)) for ch in Channel}
        self.total = sum(self.active.values())
        self.limits = {
            Channel.CHAT: snap.max_chats,
            Channel.EMAIL: snap.max_emails,
            Channel.MESSAGE: snap.max_messages,
        }
        mt = snap.max_total
        self.max_total = sum(self.limits.values()) if mt is None else mt
        self.idle_ts = snap.idle_since.timestamp()
        self.version = 0
        self.cap: dict[Channel, int] = {}
        self.occ = 0.0
        self._refresh()

    def _refresh(self) -> None:
        voice = self.active[Channel.VOICE] > 0
        cap = self.cap
        cap[Channel.VOICE] = 1 if self.total == 0 else 0
        spare = self.max_total - self.total
        for ch, limit in self.limits.items():
            cap[ch] = 0 if voice else min(limit - self.active[ch], spare)
        if voice:
            self.occ = 1.0
        else:
            self.occ = self.total / self.max_total if self.max_total > 0 else 1.0

    def capacity(self, channel: Channel) -> int:
        return self.cap[channel]

    def occupancy(self) -> float:
        return self.occ

    def take(self, channel: Channel, now_ts: float) -> None:
        """Count one more contact on ``channel``: the agent is now the least idle."""
        self.active[channel] += 1
        self.total += 1
        self.idle_ts = now_ts
        self.version += 1
        self._refresh()


class _Pool:
    """Agents meeting one requirement signature, in a lazy heap of (rank key, version, index)."""

    __slots__ = ("channel", "senior", "heap", "size")

    def __init__(self, channel: Channel, senior: bool) -> None:
        self.channel = channel
        self.senior = senior
        self.heap: list[tuple] = []
        self.size = 0  # eligible agents with capacity when the pool was built


@dataclass(slots=True)
class _Plan:
    contact: WaitingContact
    queue: QueueSpec
    skills: tuple[tuple[str, int], ...]
    widened: tuple[int, ...]
    overflow: list[OverflowDecision]
    in_queue_seconds: float
    waited_seconds: float
    sort_key: tuple


def _tier(agent: _Agent, senior_pref: bool) -> int:
    return 0 if (senior_pref and agent.snap.senior) else 1


def _key(agent: _Agent, senior_pref: bool, index: int) -> tuple:
    return (
        _tier(agent, senior_pref),
        agent.idle_ts,
        agent.occ,
        agent.snap.id,
        agent.version,
        index,
    )


def _meets(snap: AgentSnapshot, plan: _Plan) -> bool:
    """Hard requirements (language, skills at level, region), capacity aside."""
    c = plan.contact
    if c.language is not None and c.language not in snap.languages:
        return False
    if c.allowed_regions is not None and snap.region not in c.allowed_regions:
        return False
    skills = snap.skills
    return all(skills.get(name, 0) >= level for name, level in plan.skills)


def _apply_rules(
    queue: QueueSpec, contact_skills: tuple[tuple[str, int], ...], due: int, done: int
) -> tuple[tuple[tuple[str, int], ...], tuple[int, ...], tuple[int, ...], str | None]:
    """Skills after the first ``due`` rules; rules in effect; rules to emit; move target."""
    skills = dict(queue.skills)
    for name, level in contact_skills:
        skills[name] = max(level, skills.get(name, 0))
    widened: list[int] = []
    emit: list[int] = []
    move_to = None
    for i, rule in enumerate(queue.overflow[:due]):
        act = rule.action
        if act is OverflowAction.MOVE_QUEUE:
            if i >= done:
                emit.append(i)
                move_to = rule.target_queue
                break
            continue
        if act is OverflowAction.WIDEN_SKILL:
            if rule.skill in skills and rule.min_level is not None:
                skills[rule.skill] = min(skills[rule.skill], rule.min_level)
                widened.append(i)
        elif act is OverflowAction.DROP_SKILL:
            if rule.skill is None:
                skills.clear()
            else:
                skills.pop(rule.skill, None)
            widened.append(i)
        if i >= done:
            emit.append(i)
    return tuple(sorted(skills.items())), tuple(widened), tuple(emit), move_to


def _overflow(
    c: WaitingContact, q: QueueSpec, i: int, rule: OverflowRule, entered: datetime
) -> OverflowDecision:
    return OverflowDecision(
        contact_id=c.id,
        queue_id=q.id,
        rule_index=i,
        action=rule.action,
        due_at=entered + timedelta(seconds=rule.after_seconds),
        target_queue=rule.target_queue,
        skill=rule.skill,
        min_level=rule.min_level,
        after_seconds=rule.after_seconds,
    )


class RoutingRound:
    """One routing pass over a snapshot: build with agents, then ``route`` plans in order."""

    def __init__(
        self, *, now: datetime, queues: Sequence[QueueSpec], agents: Sequence[AgentSnapshot]
    ) -> None:
        if now.tzinfo is None:
            raise RoutingInputInvalid("now must be timezone-aware")
        self.now = now
        self.now_ts = now.timestamp()
        self.queues = {q.id: q for q in queues}
        for q in queues:
            for r in q.overflow:
                if r.target_queue is not None and r.target_queue not in self.queues:
                    raise UnknownQueue(f"queue {q.id} overflows to unknown queue {r.target_queue}")
        self.snapshots = {a.id: a for a in agents}
        self._local_now: dict[str, datetime] = {}
        self._local_text: dict[str, str] = {}
        self._afters: dict[str, list[float]] = {}
        self._rule_cache: dict[tuple, tuple] = {}
        self.agents: list[_Agent] = []
        self.index: dict[str, int] = {}
        for snap in agents:
            if snap.state in RECEIVING and self._on_shift(snap):
                agent = _Agent(snap)
                if any(agent.capacity(ch) > 0 for ch in Channel):
                    self.index[snap.id] = len(self.agents)
                    self.agents.append(agent)
        self._by_channel_lang: dict[tuple[Channel, str | None], set[int]] = {}
        for ch in Channel:
            able = [i for i, a in enumerate(self.agents) if a.capacity(ch) > 0]
            self._by_channel_lang[(ch, None)] = set(able)
            for i in able:
                for lang in self.agents[i].snap.languages:
                    self._by_channel_lang.setdefault((ch, lang), set()).add(i)
        self._skill_sets: dict[tuple[str, int], set[int]] = {}
        self._pools: dict[tuple, _Pool] = {}

    def _on_shift(self, snap: AgentSnapshot) -> bool:
        if not snap.shifts:
            return True
        local = self._local_now.get(snap.timezone)
        if local is None:
            local = self.now.astimezone(_zone(snap.timezone))
            self._local_now[snap.timezone] = local
        return on_shift(snap.shifts, local)

    def _rules(
        self, queue: QueueSpec, cskills: tuple[tuple[str, int], ...], in_queue: float, done: int
    ) -> tuple[tuple[tuple[str, int], ...], tuple[int, ...], tuple[int, ...], str | None]:
        afters = self._afters.get(queue.id)
        if afters is None:
            afters = self._afters[queue.id] = [r.after_seconds for r in queue.overflow]
        due = bisect_right(afters, in_queue)
        key = (queue.id, cskills, due, min(done, due))
        found = self._rule_cache.get(key)
        if found is None:
            found = self._rule_cache[key] = _apply_rules(queue, cskills, due, done)
        return found

    def plan(self, contact: WaitingContact) -> _Plan:
        """Resolve a contact's effective queue, requirements and due overflow decisions."""
        if contact.enqueued_at.tzinfo is None:
            raise RoutingInputInvalid("enqueued_at must be timezone-aware", contact_id=contact.id)
        queue = self.queues.get(contact.queue_id)
        if queue is None:
            raise UnknownQueue(f"contact {contact.id} is in unknown queue {contact.queue_id}")
        entered = contact.queue_entered_at or contact.enqueued_at
        cskills = tuple(sorted(contact.skills.items())) if contact.skills else ()
        in_queue = self.now_ts - entered.timestamp()
        skills, widened, emit, move_to = self._rules(
            queue, cskills, in_queue, contact.overflow_done
        )
        out = [_overflow(contact, queue, i, queue.overflow[i], entered) for i in emit]
        if move_to is not None:
            queue = self.queues[move_to]
            entered = self.now
            in_queue = 0.0
            skills, widened, emit, _ = self._rules(queue, cskills, 0.0, 0)
            out.extend(
                _overflow(contact, queue, i, queue.overflow[i], entered)
                for i in emit
                if queue.overflow[i].action is not OverflowAction.MOVE_QUEUE
            )
        enq = contact.enqueued_at.timestamp()
        return _Plan(
            contact=contact,
            queue=queue,
            skills=skills,
            widened=widened,
            overflow=out,
            in_queue_seconds=in_queue,
            waited_seconds=self.now_ts - enq,
            sort_key=(-queue.priority, not contact.vip, -contact.priority, enq, contact.id),
        )

    def ordered(self, waiting: Sequence[WaitingContact]) -> list[_Plan]:
        """Plans for every waiting contact in order of service."""
        plans = [self.plan(c) for c in waiting]
        plans.sort(key=lambda p: p.sort_key)
        return plans

    def _skill_set(self, name: str, level: int) -> set[int]:
        key = (name, level)
        found = self._skill_sets.get(key)
        if found is None:
            found = {i for i, a in enumerate(self.agents) if a.snap.skills.get(name, 0) >= level}
            self._skill_sets[key] = found
        return found

    def _pool(self, plan: _Plan) -> _Pool:
        c = plan.contact
        senior = c.segment in SENIOR_SEGMENTS
        sig = (c.channel, c.language, plan.skills, c.allowed_regions, senior)
        pool = self._pools.get(sig)
        if pool is not None:
            return pool
        pool = _Pool(c.channel, senior)
        ch = c.channel
        members: set[int] = self._by_channel_lang.get((ch, c.language), set())
        for name, level in plan.skills:
            if not members:
                break
            members = members & self._skill_set(name, level)
        agents = self.agents
        if c.allowed_regions is not None:
            members = {i for i in members if agents[i].snap.region in c.allowed_regions}
        live = [(i, agents[i]) for i in members if agents[i].cap[ch] > 0]
        if senior:
            pool.heap = [
                (0 if a.snap.senior else 1, a.idle_ts, a.occ, a.snap.id, a.version, i)
                for i, a in live
            ]
        else:
            pool.heap = [(1, a.idle_ts, a.occ, a.snap.id, a.version, i) for i, a in live]
        pool.size = len(pool.heap)
        heapq.heapify(pool.heap)
        self._pools[sig] = pool
        return pool

    @staticmethod
    def _top(pool: _Pool, agents: list[_Agent]) -> int | None:
        """Best agent of the pool; stale entries (the agent took a contact since) are re-keyed.

        Taking a contact only ever makes an agent's key larger (idle since now, busier), so
        re-inserting a stale entry when it surfaces keeps the heap order exact.
        """
        heap = pool.heap
        channel = pool.channel
        while heap:
            entry = heap[0]
            i = entry[-1]
            agent = agents[i]
            if agent.cap[channel] <= 0:
                heapq.heappop(heap)
            elif entry[-2] != agent.version:
                heapq.heapreplace(heap, _key(agent, pool.senior, i))
            else:
                return i
        return None

    def _top_except(self, pool: _Pool, excluded: frozenset[str]) -> int | None:
        """Best agent not in ``excluded``; the skipped entries stay in the pool for others."""
        held = []
        chosen = self._top(pool, self.agents)
        while chosen is not None and self.agents[chosen].snap.id in excluded:
            held.append(heapq.heappop(pool.heap))
            chosen = self._top(pool, self.agents)
        for entry in held:
            heapq.heappush(pool.heap, entry)
        return chosen

    def _sticky(self, plan: _Plan) -> tuple[int | None, bool]:
        """(agent index to assign, hold?) for the contact's sticky agent."""
        c = plan.contact
        sid = c.sticky_agent_id
        if sid is None:
            return None, False
        snap = self.snapshots.get(sid)
        if snap is None or sid in c.excluded_agents or not _meets(snap, plan):
            return None, False
        i = self.index.get(sid)
        if i is not None and self.agents[i].capacity(c.channel) > 0:
            return i, False
        soon = snap.state in (AgentState.AVAILABLE, AgentState.ON_CONTACT, AgentState.WRAP_UP)
        hold = (
            soon and self._on_shift(snap) and plan.waited_seconds < plan.queue.sticky_window_seconds
        )
        return None, hold

    def route(self, plan: _Plan) -> list[Decision]:
        """Decide one contact: its due overflow decisions and, if an agent fits, an assignment."""
        pool = self._pool(plan)
        chosen, hold = self._sticky(plan)
        sticky = chosen is not None
        if chosen is None and not hold:
            chosen = self._top(pool, self.agents)
            excluded = plan.contact.excluded_agents
            if chosen is not None and excluded and self.agents[chosen].snap.id in excluded:
                chosen = self._top_except(pool, excluded)
        if chosen is None:
            return list(plan.overflow)
        agent = self.agents[chosen]
        reason = self._reason(plan, agent, sticky, max(pool.size, 1))
        ch = plan.contact.channel
        agent.take(ch, self.now_ts)
        out: list[Decision] = [
            d
            for d in plan.overflow
            if d.action not in (OverflowAction.OFFER_CALLBACK, OverflowAction.OFFER_BOT)
        ]
        out.append(
            Assignment(
                contact_id=plan.contact.id,
                agent_id=agent.snap.id,
                queue_id=plan.queue.id,
                channel=ch,
                reason=reason,
                text=_reason_text(plan, agent.snap.id, reason),
            )
        )
        return out

    def _reason(
        self, plan: _Plan, agent: _Agent, sticky: bool, candidates: int
    ) -> AssignmentReason:
        c = plan.contact
        local = None
        tz = c.customer_timezone
        if tz:
            local = self._local_text.get(tz)
            if local is None:
                local = self.now.astimezone(_zone(tz)).strftime("%H:%M %Z")
                self._local_text[tz] = local
        skills = agent.snap.skills
        return AssignmentReason(
            language=c.language,
            matched_skills=tuple((n, lvl, skills.get(n, 0)) for n, lvl in plan.skills),
            widened_by=plan.widened,
            sticky=sticky,
            senior_preferred=c.segment in SENIOR_SEGMENTS and agent.snap.senior,
            idle_seconds=max(0.0, self.now_ts - agent.idle_ts),
            occupancy=agent.occupancy(),
            rank=1,
            candidates=candidates,
            waited_seconds=plan.waited_seconds,
            customer_local_time=local,
            priority=c.priority,
            priority_reason=c.priority_reason,
        )


def _reason_text(plan: _Plan, agent_id: str, r: AssignmentReason) -> str:
    parts = [f"{plan.contact.id} -> {agent_id} in {plan.queue.id}"]
    parts.append(
        "sticky (last agent of this customer)" if r.sticky else f"rank 1 of {r.candidates}"
    )
    if r.language:
        parts.append(f"speaks {r.language}")
    if r.matched_skills:
        parts.append(
            "skills " + ", ".join(f"{n}>={need} (has {has})" for n, need, has in r.matched_skills)
        )
    if r.widened_by:
        parts.append("overflow rules " + ",".join(f"#{i}" for i in r.widened_by) + " in effect")
    if r.priority:
        parts.append(f"priority +{r.priority}: {r.priority_reason or 'boosted'}")
    if r.senior_preferred:
        parts.append(f"senior advisor for {plan.contact.segment} customer")
    parts.append(f"idle {r.idle_seconds:.0f} s, occupancy {r.occupancy:.0%}")
    parts.append(f"waited {r.waited_seconds:.0f} s")
    if r.customer_local_time:
        parts.append(f"customer time {r.customer_local_time}")
    return "; ".join(parts)


def after_overflow(
    contact: WaitingContact, decision: OverflowDecision, *, now: datetime
) -> WaitingContact:
    """The waiting contact as the dispatcher should persist it once ``decision`` is carried out."""
    if decision.contact_id != contact.id:
        raise RoutingInputInvalid("overflow decision is for another contact", contact_id=contact.id)
    if decision.action is OverflowAction.MOVE_QUEUE and decision.target_queue is not None:
        return replace(
            contact, queue_id=decision.target_queue, queue_entered_at=now, overflow_done=0
        )
    if decision.queue_id != contact.queue_id:
        # a rule of the target queue fired in the same call as the move: persist the move first
        raise RoutingInputInvalid("apply the move_queue decision first", contact_id=contact.id)
    return replace(contact, overflow_done=max(contact.overflow_done, decision.rule_index + 1))


def decide(
    *,
    now: datetime,
    queues: Sequence[QueueSpec],
    waiting: Sequence[WaitingContact],
    agents: Sequence[AgentSnapshot],
) -> list[Decision]:
    """Overflow decisions and assignments for every waiting contact, in order of service."""
    rnd = RoutingRound(now=now, queues=queues, agents=agents)
    out: list[Decision] = []
    for plan in rnd.ordered(waiting):
        out.extend(rnd.route(plan))
    return out


def decide_naive(
    *,
    now: datetime,
    queues: Sequence[QueueSpec],
    waiting: Sequence[WaitingContact],
    agents: Sequence[AgentSnapshot],
) -> list[tuple[str, str]]:
    """Reference: same rules, scanning every agent per contact; returns (contact, agent) pairs."""
    rnd = RoutingRound(now=now, queues=queues, agents=agents)
    pairs: list[tuple[str, str]] = []
    for plan in rnd.ordered(waiting):
        c = plan.contact
        chosen, hold = rnd._sticky(plan)
        if chosen is None and not hold:
            senior = c.segment in SENIOR_SEGMENTS
            best = None
            for i, agent in enumerate(rnd.agents):
                if agent.snap.id in c.excluded_agents:
                    continue
                if agent.capacity(c.channel) > 0 and _meets(agent.snap, plan):
                    key = _key(agent, senior, i)
                    if best is None or key < best:
                        best = key
            chosen = None if best is None else best[-1]
        if chosen is not None:
            agent = rnd.agents[chosen]
            agent.take(c.channel, rnd.now_ts)
            pairs.append((c.id, agent.snap.id))
    return pairs
