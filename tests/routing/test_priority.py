"""An angry or distressed customer is served first within the queue and VIP tier: the pure
helper, the policy's order of service, and the dispatcher over the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fincall.agents.models import Agent
from fincall.auth.models import User
from fincall.contacts import sentiment
from fincall.contacts.models import Contact
from fincall.core.clock import utcnow
from fincall.routing import service as routing
from fincall.routing.models import RoutingDecision
from fincall.routing.policy import (
    AgentSnapshot,
    AgentState,
    Assignment,
    Channel,
    QueueSpec,
    WaitingContact,
    decide,
)
from fincall.routing.priority import (
    NONE,
    Priority,
    combined,
    handover_priority,
    sentiment_priority,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_only_angry_or_distressed_customers_are_boosted() -> None:
    assert sentiment_priority("angry", boost=2) == Priority(2, "customer angry")
    assert sentiment_priority("distressed", boost=1) == Priority(1, "customer distressed")
    assert sentiment_priority("persistently-negative", boost=1) is NONE
    assert sentiment_priority(None, boost=1) is NONE
    assert sentiment_priority("angry", boost=0) is NONE  # the setting turns it off


def seats(n: int, channel: Channel) -> list[AgentSnapshot]:
    return [
        AgentSnapshot(
            id=f"a{i}",
            state=AgentState.AVAILABLE,
            languages=frozenset({"en"}),
            skills={},
            idle_since=NOW,
            max_chats=1 if channel is Channel.CHAT else 0,
        )
        for i in range(n)
    ]


def waiting(cid: str, channel: Channel, *, waited: float = 30, boost: int = 0, **kw):
    return WaitingContact(
        id=cid,
        queue_id=kw.pop("queue_id", "q"),
        channel=channel,
        enqueued_at=NOW - timedelta(seconds=waited),
        priority=boost,
        priority_reason="customer angry" if boost else None,
        **kw,
    )


@settings(max_examples=150, deadline=None)
@given(
    n_flagged=st.integers(0, 5),
    n_calm=st.integers(0, 5),
    n_seats=st.integers(0, 6),
    boost=st.integers(1, 5),
    channel=st.sampled_from([Channel.CHAT, Channel.VOICE]),
)
def test_flagged_served_before_calm_at_equal_wait(n_flagged, n_calm, n_seats, boost, channel):
    contacts = [waiting(f"c{i}", channel) for i in range(n_calm)] + [
        waiting(f"f{i}", channel, boost=boost) for i in range(n_flagged)
    ]
    out = decide(
        now=NOW, queues=[QueueSpec(id="q")], waiting=contacts, agents=seats(n_seats, channel)
    )
    served = [d.contact_id for d in out if isinstance(d, Assignment)]
    assert len(served) == min(n_seats, len(contacts))
    assert sum(c.startswith("f") for c in served) == min(n_flagged, len(served))


@settings(max_examples=150, deadline=None)
@given(
    n_vip=st.integers(0, 4),
    n_flagged=st.integers(0, 4),
    n_seats=st.integers(0, 6),
    boost=st.integers(1, 100),
    vip_waited=st.integers(0, 100),
    flagged_waited=st.integers(0, 600),
)
def test_boost_never_passes_a_vip_or_a_higher_queue(
    n_vip, n_flagged, n_seats, boost, vip_waited, flagged_waited
):
    """However large the boost and long the wait, VIPs and higher queues still come first."""
    queues = [QueueSpec(id="q"), QueueSpec(id="high", priority=1)]
    contacts = (
        [waiting(f"v{i}", Channel.CHAT, waited=vip_waited, vip=True) for i in range(n_vip)]
        + [waiting(f"h{i}", Channel.CHAT, waited=0, queue_id="high") for i in range(n_vip)]
        + [
            waiting(f"f{i}", Channel.CHAT, waited=flagged_waited, boost=boost)
            for i in range(n_flagged)
        ]
    )
    out = decide(now=NOW, queues=queues, waiting=contacts, agents=seats(n_seats, Channel.CHAT))
    served = [d.contact_id for d in out if isinstance(d, Assignment)]
    ahead = [c for c in served if not c.startswith("f")]
    assert len(ahead) == min(2 * n_vip, len(served))
    # the higher queue first, then the VIPs of the lower one
    assert [c[0] for c in served] == sorted((c[0] for c in served), key="hvf".index)


def test_decision_record_says_why() -> None:
    out = decide(
        now=NOW,
        queues=[QueueSpec(id="q")],
        waiting=[
            waiting("calm", Channel.CHAT, waited=300),
            WaitingContact(
                id="upset",
                queue_id="q",
                channel=Channel.CHAT,
                enqueued_at=NOW - timedelta(seconds=5),
                priority=1,
                priority_reason="customer distressed",
            ),
        ],
        agents=seats(1, Channel.CHAT),
    )
    (asg,) = [d for d in out if isinstance(d, Assignment)]
    assert asg.contact_id == "upset"
    assert "priority +1: customer distressed" in asg.text
    reason = asg.reason.as_dict()
    assert reason["priority"] == 1 and reason["priority_reason"] == "customer distressed"


# ------------------------------------------------------------------ dispatcher over the database


def _only_agent_available(world) -> str:
    with world.runtime.transaction() as session:
        user = session.execute(select(User).where(User.role == "agent")).scalars().first()
        for a in session.execute(select(Agent)).scalars():
            a.state = "offline"
        me = session.get(Agent, user.agent_id)
        me.languages, me.shifts, me.max_chats = ["en"], [], 1
        me.state, me.idle_since = "available", utcnow() - timedelta(minutes=5)
        return me.id


def _queued_chat(world, text: str, at: datetime, scorer) -> str:
    h = world.headers("supervisor")
    r = world.client.post(
        "/api/contacts",
        json={"channel": "chat", "utterances": [{"speaker": "customer", "text": text}]},
        headers=h,
    )
    assert r.status_code == 201, r.text
    contact_id = r.json()["id"]
    with world.runtime.transaction() as session:
        sentiment.score_contact(session=session, contact_id=contact_id, scorer=scorer)
        contact = session.get(Contact, contact_id)
        routing.enqueue(session=session, contact=contact, queue_id="general-en", now=at)
    return contact_id


def _offered(world, now: datetime, boost: int) -> list[tuple[str, str, str, dict]]:
    """Run one round and report its assignments, then roll it back."""
    session = world.runtime.sessions()
    try:
        routing.dispatch_once(session=session, now=now, sentiment_boost=boost)
        rows = session.execute(
            select(RoutingDecision).where(RoutingDecision.kind == "assign")
        ).scalars()
        return [(r.contact_id, r.agent_id, r.text, r.reason) for r in rows]
    finally:
        session.rollback()
        session.close()


def test_dispatcher_offers_the_angry_customer_first(world, sentiment_analyzer):
    agent_id = _only_agent_available(world)
    t = utcnow()
    calm = _queued_chat(
        world,
        "What time does the branch open?",
        t - timedelta(seconds=40),
        sentiment_analyzer.score,
    )
    angry = _queued_chat(
        world,
        "This is unacceptable, I am furious with your useless service!",
        t - timedelta(seconds=10),
        sentiment_analyzer.score,
    )
    ((contact_id, _, text, _),) = _offered(world, t, boost=0)  # the longer wait wins
    assert contact_id == calm and "priority" not in text
    ((contact_id, offered_to, text, reason),) = _offered(world, t, boost=1)
    assert (contact_id, offered_to) == (angry, agent_id)
    assert "priority +1: customer angry" in text and reason["priority"] == 1


def test_wall_marks_waiting_contacts_of_upset_customers(world, sentiment_analyzer):
    t = utcnow()
    calm = _queued_chat(world, "What time does the branch open?", t, sentiment_analyzer.score)
    upset = _queued_chat(
        world, "Please help me, I am scared, I lost all my savings", t, sentiment_analyzer.score
    )
    wall = world.client.get("/api/wall", headers=world.headers("supervisor")).json()
    flags = {w["contact_id"]: w["sentiment_flag"] for w in wall["longest_waiting"]}
    assert flags[calm] is None and flags[upset] == "distressed"


def test_running_dispatcher_takes_the_boost_from_the_settings(world, sentiment_analyzer):
    _only_agent_available(world)
    t = utcnow()
    calm = _queued_chat(
        world,
        "What time does the branch open?",
        t - timedelta(seconds=40),
        sentiment_analyzer.score,
    )
    _queued_chat(
        world,
        "This is unacceptable, I am furious with your useless service!",
        t - timedelta(seconds=10),
        sentiment_analyzer.score,
    )
    world.runtime.settings.sentiment_priority_boost = 0  # turned off: the longer wait wins
    assert world.client.app.state.dispatcher.run_round()["offered"] == 1
    with world.runtime.transaction() as session:
        offered = session.execute(
            select(Contact.id).where(Contact.status == "offered", Contact.channel == "chat")
        ).scalars()
        assert calm in set(offered)


def test_boosts_add_up_and_each_reason_is_kept() -> None:
    angry = sentiment_priority("angry", boost=1)
    assert handover_priority(0) is NONE
    assert combined(handover_priority(0), NONE) is NONE
    assert combined(handover_priority(2), NONE) == Priority(2, "bot hand-over")
    assert combined(handover_priority(1), angry) == Priority(
        2, "bot hand-over +1; customer angry +1"
    )


def _queued_handover(world, at: datetime, priority_boost: int) -> str:
    r = world.client.post(
        "/api/contacts", json={"channel": "chat"}, headers=world.headers("supervisor")
    )
    assert r.status_code == 201, r.text
    with world.runtime.transaction() as session:
        contact = session.get(Contact, r.json()["id"])
        wait = routing.enqueue(
            session=session,
            contact=contact,
            queue_id="general-en",
            priority_boost=priority_boost,
            now=at,
        )
        assert wait.vip is False  # a complaint handed over by the bot is not a VIP customer
    return contact.id


def test_the_bots_hand_over_priority_serves_first_without_making_a_vip(world):
    agent_id = _only_agent_available(world)
    t = utcnow()
    _queued_handover(world, t - timedelta(seconds=40), priority_boost=0)
    complaint = _queued_handover(world, t - timedelta(seconds=10), priority_boost=1)
    ((contact_id, offered_to, text, reason),) = _offered(world, t, boost=1)
    assert (contact_id, offered_to) == (complaint, agent_id)
    assert "priority +1: bot hand-over" in text
    assert reason["priority"] == 1 and reason["priority_reason"] == "bot hand-over"
