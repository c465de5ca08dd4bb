"""Example tests of the routing policy: follow-the-sun, sticky, idle order, overflow."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from fincall.routing.errors import RoutingInputInvalid, UnknownQueue
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
)

# 2026-11-23 18:00 UTC = 03:00 JST (Tue) = 02:00 SGT = 18:00 GMT (Mon)
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
GENERAL = QueueSpec(id="general")


def agent(aid: str, **kw) -> AgentSnapshot:
    base = {
        "state": AgentState.AVAILABLE,
        "languages": frozenset({"en", "zh-CN"}),
        "skills": {"fx": 3},
        "idle_since": NOW - timedelta(seconds=60),
    }
    base.update(kw)
    return AgentSnapshot(id=aid, **base)


def contact(cid: str, waited: float = 10, **kw) -> WaitingContact:
    base = {"queue_id": "general", "channel": Channel.CHAT}
    base.update(kw)
    return WaitingContact(id=cid, enqueued_at=NOW - timedelta(seconds=waited), **base)


def assigned(out) -> dict[str, str]:
    return {d.contact_id: d.agent_id for d in out if isinstance(d, Assignment)}


def test_follow_the_sun_tokyo_customer_at_3am_goes_to_agent_on_shift() -> None:
    day = ShiftWindow(time(9), time(18))
    agents = [
        # Tokyo desk is asleep at 03:00 JST, and has been idle longest
        agent("tokyo", timezone="Asia/Tokyo", shifts=(day,), idle_since=NOW - timedelta(hours=9)),
        agent("singapore", timezone="Asia/Singapore", shifts=(day,)),
        agent("london", timezone="Europe/London", shifts=(ShiftWindow(time(14), time(22)),)),
    ]
    c = contact("c1", customer_timezone="Asia/Tokyo", language="en")
    out = decide(now=NOW, queues=[GENERAL], waiting=[c], agents=agents)
    asg = next(d for d in out if isinstance(d, Assignment))
    assert asg.agent_id == "london"
    assert asg.reason.customer_local_time == "03:00 JST"
    assert "customer time 03:00 JST" in asg.text


def test_overnight_shift_window_covers_after_midnight() -> None:
    night = ShiftWindow(time(22), time(6), weekdays=frozenset({0}))  # starts Monday 22:00
    sg = agent("sg-night", timezone="Asia/Singapore", shifts=(night,))
    # 02:00 SGT Tuesday is inside Monday's night shift
    out = decide(now=NOW, queues=[GENERAL], waiting=[contact("c1")], agents=[sg])
    assert assigned(out) == {"c1": "sg-night"}
    tuesday_night = ShiftWindow(time(22), time(6), weekdays=frozenset({1}))
    sg2 = agent("sg-night", timezone="Asia/Singapore", shifts=(tuesday_night,))
    assert assigned(decide(now=NOW, queues=[GENERAL], waiting=[contact("c1")], agents=[sg2])) == {}


def test_longest_idle_then_least_occupied_then_id() -> None:
    agents = [
        agent("recent", idle_since=NOW - timedelta(seconds=10)),
        agent("longest", idle_since=NOW - timedelta(seconds=500)),
        agent("middle", idle_since=NOW - timedelta(seconds=200)),
    ]
    out = decide(now=NOW, queues=[GENERAL], waiting=[contact("c1")], agents=agents)
    asg = next(d for d in out if isinstance(d, Assignment))
    assert asg.agent_id == "longest"
    assert asg.reason.candidates == 3 and asg.reason.rank == 1
    assert asg.reason.idle_seconds == pytest.approx(500)
    # three contacts: each agent once, longest idle first (an assigned agent goes to the back)
    three = [contact(f"c{i}", waited=30 - i) for i in range(3)]
    assert assigned(decide(now=NOW, queues=[GENERAL], waiting=three, agents=agents)) == {
        "c0": "longest",
        "c1": "middle",
        "c2": "recent",
    }
    same = NOW - timedelta(seconds=100)
    tie = [
        agent("busy", idle_since=same, state=AgentState.ON_CONTACT, active={Channel.CHAT: 2}),
        agent("light", idle_since=same, state=AgentState.ON_CONTACT, active={Channel.CHAT: 1}),
    ]
    assert assigned(decide(now=NOW, queues=[GENERAL], waiting=[contact("c1")], agents=tie)) == {
        "c1": "light"
    }


def test_sticky_agent_preferred_then_held_then_released() -> None:
    agents = [
        agent("idle-longest", idle_since=NOW - timedelta(hours=1)),
        agent("last-agent", idle_since=NOW - timedelta(seconds=5)),
    ]
    c = contact("c1", sticky_agent_id="last-agent")
    out = decide(now=NOW, queues=[GENERAL], waiting=[c], agents=agents)
    asg = next(d for d in out if isinstance(d, Assignment))
    assert asg.agent_id == "last-agent" and asg.reason.sticky
    assert "sticky" in asg.text

    busy = agent("last-agent", state=AgentState.ON_CONTACT, active={Channel.VOICE: 1})
    queue = QueueSpec(id="general", sticky_window_seconds=20)
    early = contact("c1", waited=10, sticky_agent_id="last-agent")
    pair = [agents[0], busy]
    assert assigned(decide(now=NOW, queues=[queue], waiting=[early], agents=pair)) == {}
    late = contact("c1", waited=25, sticky_agent_id="last-agent")
    assert assigned(decide(now=NOW, queues=[queue], waiting=[late], agents=pair)) == {
        "c1": "idle-longest"
    }
    # a sticky agent on break is not waited for
    away = agent("last-agent", state=AgentState.BREAK)
    out = decide(now=NOW, queues=[queue], waiting=[early], agents=[agents[0], away])
    assert assigned(out) == {"c1": "idle-longest"}


def test_hnw_customer_gets_senior_advisor_first() -> None:
    agents = [
        agent("junior", idle_since=NOW - timedelta(hours=2)),
        agent("senior", senior=True, idle_since=NOW - timedelta(seconds=30)),
    ]
    out = decide(now=NOW, queues=[GENERAL], waiting=[contact("c1", segment="hnw")], agents=agents)
    asg = next(d for d in out if isinstance(d, Assignment))
    assert asg.agent_id == "senior" and asg.reason.senior_preferred
    out = decide(now=NOW, queues=[GENERAL], waiting=[contact("c2", segment="mass")], agents=agents)
    assert assigned(out) == {"c2": "junior"}


def test_voice_is_exclusive_and_chats_mix_up_to_limits() -> None:
    a = agent("a", max_chats=2, max_emails=1, max_total=3)
    waiting = [
        contact("v1", waited=50, channel=Channel.VOICE),
        contact("c1", waited=40),
        contact("c2", waited=30),
    ]
    assert assigned(decide(now=NOW, queues=[GENERAL], waiting=waiting, agents=[a])) == {"v1": "a"}
    chats_first = [
        contact("c1", waited=50),
        contact("c2", waited=40),
        contact("c3", waited=35),
        contact("e1", waited=30, channel=Channel.EMAIL),
        contact("e2", waited=25, channel=Channel.EMAIL),
        contact("v1", waited=20, channel=Channel.VOICE),
    ]
    got = assigned(decide(now=NOW, queues=[GENERAL], waiting=chats_first, agents=[a]))
    assert got == {"c1": "a", "c2": "a", "e1": "a"}


def test_language_is_never_widened_but_skill_is_after_overflow() -> None:
    queue = QueueSpec(
        id="general",
        skills={"fx": 4},
        overflow=(OverflowRule(30, OverflowAction.WIDEN_SKILL, skill="fx", min_level=2),),
    )
    agents = [agent("cantonese", languages=frozenset({"zh-HK"}), skills={"fx": 5}),
              agent("mandarin", languages=frozenset({"zh-CN"}), skills={"fx": 3})]  # fmt: skip
    early = contact("c1", waited=10, language="zh-CN")
    out = decide(now=NOW, queues=[queue], waiting=[early], agents=agents)
    assert out == []
    late = contact("c1", waited=31, language="zh-CN")
    out = decide(now=NOW, queues=[queue], waiting=[late], agents=agents)
    kinds = [type(d) for d in out]
    assert kinds == [OverflowDecision, Assignment]
    assert out[0].action is OverflowAction.WIDEN_SKILL and out[0].rule_index == 0
    assert out[0].due_at == late.enqueued_at + timedelta(seconds=30)
    assert out[1].agent_id == "mandarin" and out[1].reason.widened_by == (0,)
    assert out[1].reason.matched_skills == (("fx", 2, 3),)
    # once the dispatcher records the rule as applied it is not emitted again, still in effect
    done = contact("c1", waited=31, language="zh-CN", overflow_done=1)
    out = decide(now=NOW, queues=[queue], waiting=[done], agents=agents)
    assert [type(d) for d in out] == [Assignment]


def test_move_queue_and_callback_overflow() -> None:
    sales = QueueSpec(
        id="sales",
        skills={"funds": 3},
        overflow=(OverflowRule(60, OverflowAction.MOVE_QUEUE, target_queue="general"),),
    )
    general = QueueSpec(id="general", overflow=(OverflowRule(0, OverflowAction.OFFER_CALLBACK),))
    c = contact("c1", waited=90, queue_id="sales")
    # nobody at all: the move fires, then the target queue's immediate callback offer
    out = decide(now=NOW, queues=[sales, general], waiting=[c], agents=[])
    assert [(d.queue_id, d.action) for d in out] == [
        ("sales", OverflowAction.MOVE_QUEUE),
        ("general", OverflowAction.OFFER_CALLBACK),
    ]
    # an agent without funds skill serves it in the new queue; no callback is offered then
    out = decide(now=NOW, queues=[sales, general], waiting=[c], agents=[agent("a", skills={})])
    assert [type(d) for d in out] == [OverflowDecision, Assignment]
    assert out[1].queue_id == "general"


def test_priority_then_vip_then_oldest() -> None:
    queues = [QueueSpec(id="general", priority=1), QueueSpec(id="vip", priority=5)]
    waiting = [
        contact("old-normal", waited=300),
        contact("new-vip-queue", waited=5, queue_id="vip"),
        contact("vip-customer", waited=100, vip=True),
    ]
    one = [agent("a", max_chats=1, max_emails=0, max_messages=0)]
    assert assigned(decide(now=NOW, queues=queues, waiting=waiting, agents=one)) == {
        "new-vip-queue": "a"
    }
    assert assigned(decide(now=NOW, queues=queues, waiting=waiting[::2], agents=one)) == {
        "vip-customer": "a"
    }


def test_reason_is_machine_readable() -> None:
    c = contact("c1", language="en", skills={"fx": 2})
    out = decide(now=NOW, queues=[GENERAL], waiting=[c], agents=[agent("a")])
    reason = out[0].reason.as_dict()
    assert reason["matched_skills"] == [["fx", 2, 3]]
    assert reason["language"] == "en" and reason["rank"] == 1 and reason["candidates"] == 1
    assert "fx>=2 (has 3)" in out[0].text


def test_bad_input_is_a_domain_error() -> None:
    with pytest.raises(RoutingInputInvalid):
        decide(now=datetime(2026, 1, 1), queues=[GENERAL], waiting=[], agents=[])  # noqa: DTZ001
    with pytest.raises(UnknownQueue) as err:
        decide(now=NOW, queues=[GENERAL], waiting=[contact("c1", queue_id="nope")], agents=[])
    assert err.value.code == "routing-unknown-queue"
    with pytest.raises(RoutingInputInvalid):
        QueueSpec(id="q", overflow=(OverflowRule(60, OverflowAction.OFFER_BOT),
                                    OverflowRule(30, OverflowAction.OFFER_BOT)))  # fmt: skip
    with pytest.raises(RoutingInputInvalid):
        OverflowRule(10, OverflowAction.MOVE_QUEUE)


def test_dispatcher_loop_emits_each_overflow_once_and_on_time() -> None:
    from fincall.routing.policy import after_overflow

    queues = [
        QueueSpec(id="fx", skills={"fx": 5}, overflow=(
            OverflowRule(20, OverflowAction.WIDEN_SKILL, skill="fx", min_level=4),
            OverflowRule(45, OverflowAction.OFFER_CALLBACK),
            OverflowRule(60, OverflowAction.MOVE_QUEUE, target_queue="general"),
        )),
        QueueSpec(id="general", overflow=(OverflowRule(0, OverflowAction.OFFER_BOT),
                                          OverflowRule(30, OverflowAction.OFFER_CALLBACK))),
    ]  # fmt: skip
    start = NOW
    c1 = WaitingContact(
        id="c1", queue_id="fx", channel=Channel.CHAT, enqueued_at=start, language="zh-HK"
    )
    waiting = {"c1": c1}
    agents = [agent("a", skills={"fx": 5}, languages=frozenset({"en"}))]  # no Cantonese
    seen: list[tuple[str, int, float]] = []
    tick = 5
    for step in range(0, 120 // tick):
        now = start + timedelta(seconds=step * tick)
        for d in decide(now=now, queues=queues, waiting=list(waiting.values()), agents=agents):
            assert isinstance(d, OverflowDecision)
            assert timedelta(0) <= now - d.due_at < timedelta(seconds=tick)
            seen.append((d.queue_id, d.rule_index, (now - start).total_seconds()))
            waiting[d.contact_id] = after_overflow(waiting[d.contact_id], d, now=now)
    assert seen == [
        ("fx", 0, 20.0),
        ("fx", 1, 45.0),
        ("fx", 2, 60.0),
        ("general", 0, 60.0),
        ("general", 1, 90.0),
    ]
    assert waiting["c1"].queue_id == "general" and waiting["c1"].overflow_done == 2


def test_excluded_agent_is_skipped_but_stays_available_to_others() -> None:
    agents = [
        agent("best", idle_since=NOW - timedelta(hours=1)),
        agent("next", idle_since=NOW - timedelta(minutes=5)),
    ]
    waiting = [
        contact("rejected-by-best", waited=60, excluded_agents=frozenset({"best"})),
        contact("other", waited=30),
    ]
    out = decide(now=NOW, queues=[GENERAL], waiting=waiting, agents=agents)
    assert assigned(out) == {"rejected-by-best": "next", "other": "best"}
    sticky_but_rejected = contact("c", sticky_agent_id="next", excluded_agents=frozenset({"next"}))
    out = decide(now=NOW, queues=[GENERAL], waiting=[sticky_but_rejected], agents=agents)
    assert assigned(out) == {"c": "best"}
