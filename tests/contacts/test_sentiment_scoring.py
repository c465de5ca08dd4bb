"""Customer utterances are scored after commit on the sentiment worker: rows, the contact's
trajectory, the API and the chat path (which never waits for the model)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from fincall.contacts import sentiment
from fincall.contacts.models import Contact, Utterance
from fincall.contacts.sentiment_worker import SentimentWorker
from fincall.core.events import Event
from fincall.nlu.sentiment import SentimentScore


@pytest.fixture
def scored(world, sentiment_analyzer) -> Iterator[queue.Queue[Event]]:
    """A running worker with the real model; yields the ``contact.sentiment`` events it sends."""
    events: queue.Queue[Event] = queue.Queue()
    unsubscribe = world.runtime.bus.subscribe("contact.sentiment", events.put)
    worker = SentimentWorker(world.runtime, lambda: sentiment_analyzer.score)
    worker.start()
    yield events
    worker.stop()
    unsubscribe()


def _create(world, utterances, channel="email") -> str:
    h = world.headers("supervisor")
    cid = world.client.get("/api/customers?limit=1", headers=h).json()[0]["id"]
    r = world.client.post(
        "/api/contacts",
        json={"customer_id": cid, "channel": channel, "utterances": utterances},
        headers=h,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _wait_for(events: queue.Queue[Event], contact_id: str) -> Event:
    while True:
        evt = events.get(timeout=30)
        if evt.payload["contact_id"] == contact_id:
            return evt


def test_customer_utterances_are_scored_after_commit_and_exposed(world, scored):
    contact_id = _create(
        world,
        [
            {"speaker": "customer", "text": "What time does the branch open?"},
            {"speaker": "agent", "text": "It opens at nine."},
            {
                "speaker": "customer",
                "text": "This is a scam, I'm furious and I'll go to the regulator!",
            },
        ],
    )
    evt = _wait_for(scored, contact_id)
    assert evt.payload["flag"] == "angry" and evt.payload["label"] == "negative"
    body = world.client.get(
        f"/api/contacts/{contact_id}", headers=world.headers("supervisor")
    ).json()
    first, agent, angry = body["utterances"]
    assert first["sentiment_label"] == "neutral" and first["sentiment_flag"] is None
    assert agent["sentiment_label"] is None and agent["sentiment_score"] is None
    assert angry["sentiment_label"] == "negative" and angry["sentiment_score"] < 0
    assert angry["sentiment_flag"] == "angry"
    trail = body["attributes"]["sentiment"]
    assert trail["flag"] == "angry" and trail["last_seq"] == 2
    assert trail["scores"] == [first["sentiment_score"], angry["sentiment_score"]]


def test_utterances_added_later_extend_the_trajectory(world, scored):
    contact_id = _create(world, [{"speaker": "customer", "text": "Hello, a quick question"}])
    _wait_for(scored, contact_id)
    h = world.headers("supervisor")
    r = world.client.post(
        f"/api/contacts/{contact_id}/utterances",
        json={
            "speaker": "customer",
            "text": "Please help me, I am scared, I lost all my savings",
        },
        headers=h,
    )
    assert r.status_code == 201
    evt = _wait_for(scored, contact_id)
    assert evt.payload["flag"] == "distressed" and evt.payload["previous_flag"] is None
    with world.runtime.transaction() as session:
        contact = session.get(Contact, contact_id)
        assert sentiment.current_flag(contact) == "distressed"
        assert len(contact.attributes["sentiment"]["scores"]) == 2


class CountingScorer:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, text: str) -> SentimentScore:
        self.texts.append(text)
        return SentimentScore("neutral", 0.0, 1.0, False, False)


def test_each_utterance_is_scored_once_and_other_attributes_are_kept(world):
    contact_id = _create(world, [{"speaker": "customer", "text": "one"}])
    with world.runtime.transaction() as session:
        contact = session.get(Contact, contact_id)
        contact.attributes = {**contact.attributes, "handoff": {"intent": "card_arrival"}}
    scorer = CountingScorer()
    with world.runtime.transaction() as session:
        first = sentiment.score_contact(session=session, contact_id=contact_id, scorer=scorer)
    with world.runtime.transaction() as session:
        again = sentiment.score_contact(session=session, contact_id=contact_id, scorer=scorer)
    assert first is not None and first["flag"] is None and again is None
    assert scorer.texts == ["one"]
    with world.runtime.transaction() as session:
        attrs = session.get(Contact, contact_id).attributes
        assert attrs["handoff"] == {"intent": "card_arrival"} and attrs["sentiment"]["scores"]


def test_chat_message_is_acknowledged_while_the_model_is_busy(world):
    """The chat path only queues the contact: the ack comes while scoring is still blocked."""
    release = threading.Event()
    started = threading.Event()

    def slow(text: str) -> SentimentScore:
        started.set()
        assert release.wait(30)
        return SentimentScore("negative", -0.9, 1.0, True, False)

    worker = SentimentWorker(world.runtime, lambda: slow)
    worker.start()
    try:
        with world.client.websocket_connect("/ws/chat") as conn:
            conn.send_json({"type": "hello", "language": "en", "resume": None, "last_seq": -1})
            contact_id = conn.receive_json()["contact_id"]
            conn.send_json({"type": "message", "client_msg_id": "m1", "text": "Useless bank!"})
            frame = conn.receive_json()
            while frame["type"] != "ack":
                frame = conn.receive_json()
            assert started.wait(30)  # the worker holds the message ...
            with world.runtime.transaction() as session:  # ... and nothing is scored yet
                row = session.execute(
                    select(Utterance).where(
                        Utterance.contact_id == contact_id, Utterance.speaker == "customer"
                    )
                ).scalar_one()
                assert row.sentiment_label is None
            release.set()
    finally:
        release.set()
        worker.stop()
    with world.runtime.transaction() as session:
        row = session.execute(
            select(Utterance).where(
                Utterance.contact_id == contact_id, Utterance.speaker == "customer"
            )
        ).scalar_one()
        assert (row.sentiment_label, row.sentiment_flag) == ("negative", "angry")


def test_sweep_scores_open_contacts_once_a_model_is_loaded(world, sentiment_analyzer):
    contact_id = _create(
        world, [{"speaker": "customer", "text": "你们这是诈骗，气死我了，我要报警"}]
    )
    model: list = []
    worker = SentimentWorker(world.runtime, lambda: model[0] if model else None)
    worker.start()
    try:
        assert worker.handle(contact_id) is False  # no model yet: nothing happens
        done = threading.Event()
        unsubscribe = world.runtime.bus.subscribe(
            "contact.sentiment",
            lambda e: done.set() if e.payload["contact_id"] == contact_id else None,
        )
        model.append(sentiment_analyzer.score)
        worker.sweep()
        assert done.wait(30)
        unsubscribe()
    finally:
        worker.stop()
    with world.runtime.transaction() as session:
        assert sentiment.current_flag(session.get(Contact, contact_id)) == "angry"


def test_transcript_of_an_ended_call_is_scored(world, scored):
    """A call's words stored after it ended (no utterance event) are announced as transcribed."""
    from fincall.core.events import emit

    contact_id = _create(world, [], channel="voice")
    h = world.headers("supervisor")
    r = world.client.post(
        f"/api/contacts/{contact_id}/end", json={"disposition": "done"}, headers=h
    )
    assert r.status_code == 200
    with world.runtime.transaction() as session:
        session.add(
            Utterance(contact_id=contact_id, seq=0, speaker="customer", text="I am so worried")
        )
        session.add(Utterance(contact_id=contact_id, seq=1, speaker="agent", text="I can help"))
        emit(session, "contact.transcribed", contact_id=contact_id, status="available")
    evt = _wait_for(scored, contact_id)
    assert evt.payload["flag"] == "distressed" and evt.payload["status"] == "ended"
