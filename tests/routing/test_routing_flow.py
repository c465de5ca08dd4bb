"""Routing end to end through the API and the chat WebSocket: queue, offer, accept, wrap up."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from fincall.agents.models import Agent
from fincall.auth.models import User
from fincall.core.clock import utcnow
from fincall.routing import service as routing
from fincall.routing.models import Offer, QueueWait, RoutingDecision
from fincall.routing.service import REOFFER_PAUSE


def demo_agent(world) -> Agent:
    with world.runtime.transaction() as session:
        user = session.execute(select(User).where(User.role == "agent")).scalars().first()
        return session.get(Agent, user.agent_id)


def make_only_agent_available(world, agent_id: str, languages=("en",)) -> None:
    with world.runtime.transaction() as session:
        for a in session.execute(select(Agent)).scalars():
            a.state = "offline"
        a = session.get(Agent, agent_id)
        a.languages = list(languages)
        a.shifts = []
        a.state = "offline"
    r = world.client.post("/api/desk/state", json={"state": "available"}, headers=world.agent_h)
    assert r.status_code == 200, r.text


@contextmanager
def open_chat(world, language="en", resume=None, last_seq=-1):
    with world.client.websocket_connect("/ws/chat") as conn:
        conn.send_json(
            {"type": "hello", "language": language, "resume": resume, "last_seq": last_seq}
        )
        welcome = conn.receive_json()
        assert welcome["type"] == "welcome"
        yield conn, welcome


@pytest.fixture
def chats(world):
    """Opens chat sockets that are closed at teardown, even when the test fails."""
    stack = ExitStack()

    class Opener:
        def open(self, **kw):
            sub = ExitStack()
            conn, welcome = sub.enter_context(open_chat(world, **kw))
            stack.callback(sub.close)
            return sub, conn, welcome

    yield Opener()
    stack.close()


def receive_until(conn, predicate, limit=50):
    seen = []
    for _ in range(limit):
        frame = conn.receive_json()
        seen.append(frame)
        if predicate(frame):
            return frame, seen
    raise AssertionError(f"no matching frame in {seen}")


def route(world):
    return world.client.app.state.dispatcher.run_round()


def setup(world):
    world.agent_h = world.headers("agent")
    agent = demo_agent(world)
    make_only_agent_available(world, agent.id)
    return agent


def test_chat_is_routed_offered_accepted_answered_and_wrapped_up(world, chats):
    agent = setup(world)
    ws, conn, welcome = chats.open()
    contact_id = welcome["contact_id"]
    greeting, _ = receive_until(conn, lambda f: f["type"] == "message" and f["speaker"] == "bot")
    conn.send_json(
        {"type": "message", "client_msg_id": "m1", "text": "I need help with a transfer"}
    )
    ack, _ = receive_until(conn, lambda f: f["type"] == "ack")
    assert ack["client_msg_id"] == "m1" and ack["seq"] == 1
    receive_until(conn, lambda f: f["type"] == "status" and f["status"] == "queued")

    assert route(world)["offered"] == 1
    desk = world.client.get("/api/desk", headers=world.agent_h).json()
    assert [o["contact_id"] for o in desk["offers"]] == [contact_id]
    offer_id = desk["offers"][0]["id"]
    with world.runtime.transaction() as session:
        why = session.execute(
            select(RoutingDecision).where(RoutingDecision.contact_id == contact_id)
        ).scalar_one()
        assert why.agent_id == agent.id and why.reason["language"] == "en"

    acc = world.client.post(f"/api/desk/offers/{offer_id}/accept", headers=world.agent_h)
    assert acc.status_code == 200 and acc.json()["status"] == "active"
    receive_until(conn, lambda f: f["type"] == "status" and f["status"] == "connected")

    sent = world.client.post(
        f"/api/desk/contacts/{contact_id}/messages",
        json={"text": "Hello, I can help with that."},
        headers=world.agent_h,
    )
    assert sent.status_code == 201
    msg, _ = receive_until(conn, lambda f: f["type"] == "message" and f["speaker"] == "agent")
    assert msg["text"] == "Hello, I can help with that."

    done = world.client.post(
        f"/api/desk/contacts/{contact_id}/wrap-up",
        json={"disposition": "resolved", "notes": "transfer traced"},
        headers=world.agent_h,
    )
    assert done.status_code == 200 and done.json()["status"] == "ended"
    receive_until(conn, lambda f: f["type"] == "status" and f["status"] == "ended")
    ws.close()

    wall = world.client.get("/api/wall", headers=world.headers("supervisor")).json()
    general = next(q for q in wall["queues"] if q["id"] == "general-en")
    assert general["answered"] >= 1 and general["waiting"] == 0
    assert general["target"] == "80% in 20s"
    emails = next(q for q in wall["queues"] if q["id"] == "email-en")
    assert emails["target"] == "80% in 4h"  # 14,400 s, said as people say it
    me = next(a for a in wall["agents"] if a["id"] == agent.id)
    assert me["state"] == "available"


def test_reconnect_resumes_without_loss_or_duplicates(world, chats):
    setup(world)
    ws, conn, welcome = chats.open()
    token = welcome["session"]
    receive_until(conn, lambda f: f["type"] == "message" and f["speaker"] == "bot")
    conn.send_json({"type": "message", "client_msg_id": "a", "text": "first"})
    receive_until(conn, lambda f: f["type"] == "ack")
    ws.close()  # the browser drops

    ws2, conn2, welcome2 = chats.open(resume=token, last_seq=0)
    assert welcome2["contact_id"] == welcome["contact_id"] and welcome2["session"] is None
    replay, _ = receive_until(conn2, lambda f: f["type"] == "message" and f["seq"] == 1)
    assert replay["text"] == "first"
    # the browser did not see the ack and sends "first" again, then a new message
    conn2.send_json({"type": "message", "client_msg_id": "a", "text": "first"})
    again, _ = receive_until(conn2, lambda f: f["type"] == "ack")
    assert again["seq"] == 1
    conn2.send_json({"type": "message", "client_msg_id": "b", "text": "second"})
    nxt, _ = receive_until(conn2, lambda f: f["type"] == "ack" and f["client_msg_id"] == "b")
    ws2.close()
    history = world.client.get(
        f"/api/contacts/{welcome['contact_id']}", headers=world.headers("supervisor")
    ).json()["utterances"]
    customer_texts = [u["text"] for u in history if u["speaker"] == "customer"]
    assert customer_texts == ["first", "second"]
    assert [u["seq"] for u in history] == list(range(len(history)))
    assert nxt["seq"] == history[-1]["seq"]


def test_rejected_and_timed_out_offers_requeue_and_three_misses_make_agent_not_ready(world, chats):
    agent = setup(world)
    ws, conn, welcome = chats.open()
    conn.send_json({"type": "message", "client_msg_id": "x", "text": "hi"})
    receive_until(conn, lambda f: f["type"] == "status" and f["status"] == "queued")
    contact_id = welcome["contact_id"]

    route(world)
    offer = world.client.get("/api/desk", headers=world.agent_h).json()["offers"][0]
    assert (
        world.client.post(
            f"/api/desk/offers/{offer['id']}/reject", headers=world.agent_h
        ).status_code
        == 204
    )
    with world.runtime.transaction() as session:
        assert session.get(QueueWait, contact_id).outcome is None
    # the same agent does not get the contact straight back after missing it
    assert route(world)["offered"] == 0

    t = utcnow()
    for _ in range(2):  # two timeouts, each after the re-offer pause
        t += REOFFER_PAUSE + timedelta(seconds=1)
        with world.runtime.transaction() as session:
            assert routing.dispatch_once(session=session, now=t)["offered"] == 1
        t += timedelta(seconds=25)  # past the 20 s offer timeout
        with world.runtime.transaction() as session:
            assert routing.dispatch_once(session=session, now=t)["expired"] == 1
    with world.runtime.transaction() as session:
        states = [
            o.state
            for o in session.execute(
                select(Offer).where(Offer.contact_id == contact_id).order_by(Offer.offered_at)
            ).scalars()
        ]
        assert states == ["rejected", "timed_out", "timed_out"]
        assert session.get(Agent, agent.id).state == "not_ready"
    assert route(world)["offered"] == 0  # not_ready agents get nothing
    ws.close()


def test_chat_capacity_is_respected(world, chats):
    agent = setup(world)
    with world.runtime.transaction() as session:
        session.get(Agent, agent.id).max_chats = 2
    sockets = []
    for i in range(3):
        ws, conn, welcome = chats.open()
        conn.send_json({"type": "message", "client_msg_id": f"c{i}", "text": "hello"})
        receive_until(conn, lambda f: f["type"] == "status" and f["status"] == "queued")
        sockets.append(ws)
    assert route(world)["offered"] == 2
    assert route(world)["offered"] == 0
    offers = world.client.get("/api/desk", headers=world.agent_h).json()["offers"]
    for o in offers:
        world.client.post(f"/api/desk/offers/{o['id']}/accept", headers=world.agent_h)
    assert route(world)["offered"] == 0  # still two open chats
    for ws in sockets:
        ws.close()


def test_supervisor_moves_a_contact_and_forces_state(world, chats):
    agent = setup(world)
    sup = world.headers("supervisor")
    ws, conn, welcome = chats.open()
    conn.send_json({"type": "message", "client_msg_id": "m", "text": "complaint"})
    receive_until(conn, lambda f: f["type"] == "status" and f["status"] == "queued")
    moved = world.client.post(
        f"/api/wall/contacts/{welcome['contact_id']}/move", json={"queue_id": "vip"}, headers=sup
    )
    assert moved.status_code == 200 and moved.json()["queue_id"] == "vip"
    bad = world.client.post(
        f"/api/wall/contacts/{welcome['contact_id']}/move", json={"queue_id": "nope"}, headers=sup
    )
    assert bad.status_code == 404
    forced = world.client.post(
        f"/api/wall/agents/{agent.id}/state", json={"state": "break"}, headers=sup
    )
    assert forced.status_code == 200 and forced.json()["state"] == "break"
    assert route(world)["offered"] == 0
    ws.close()


def test_chat_identity_verification(world, chats):
    with world.runtime.transaction() as session:
        from fincall.customers.models import Customer

        c = session.execute(select(Customer).where(Customer.language == "en")).scalars().first()
        phone, dob = c.phone, c.date_of_birth.isoformat()
    ws, conn, welcome = chats.open()
    conn.send_json({"type": "identify", "reference": phone})
    receive_until(conn, lambda f: f["type"] == "verify_challenge")
    conn.send_json({"type": "verify", "date_of_birth": "1900-01-01"})
    receive_until(conn, lambda f: f["type"] == "verify_failed")
    conn.send_json({"type": "verify", "date_of_birth": dob})
    ok, _ = receive_until(conn, lambda f: f["type"] == "verified")
    assert ok["identity"]["verified"] is True
    conn.send_json({"type": "hello-again"})
    err, _ = receive_until(conn, lambda f: f["type"] == "error")
    assert err["code"] == "bad-frame"
    ws.close()


def test_bad_first_frame_is_refused(world):
    with world.client.websocket_connect("/ws/chat") as ws:
        ws.send_text("not json")
        frame = ws.receive_json()
        assert frame["type"] == "error" and frame["code"] == "bad-hello"
