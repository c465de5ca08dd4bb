"""Storing chat messages: one number per message under concurrent writers, a message sent
again is stored once, an ended conversation takes no new message (SQLite and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from fincall.channels.chat import service as chat
from fincall.contacts.models import Contact, Utterance
from fincall.core.errors import Conflict
from fincall.core.events import Event


def _new_chat(world) -> str:
    with world.runtime.transaction() as session:
        _token, row = chat.start(session=session, language="en")
        return row.contact_id


def test_concurrent_writers_get_consecutive_numbers_and_resends_are_stored_once(any_world):
    contact_id = _new_chat(any_world)
    published: list[Event] = []
    any_world.runtime.bus.subscribe("chat.message", published.append)

    def send(i: int) -> tuple[int, bool]:
        # every message is sent twice (a browser that reconnected before the ack)
        with any_world.runtime.transaction() as session:
            first, new1 = chat.post(
                session=session,
                contact_id=contact_id,
                speaker="customer" if i % 2 else "agent",
                text=f"message {i}",
                client_msg_id=f"m{i}",
            )
        with any_world.runtime.transaction() as session:
            again, new2 = chat.post(
                session=session,
                contact_id=contact_id,
                speaker="customer",
                text="something else",
                client_msg_id=f"m{i}",
            )
        assert (new1, new2) == (True, False)
        assert (again.seq, again.text, again.id) == (first.seq, f"message {i}", first.id)
        return first.seq, new1

    with ThreadPoolExecutor(8) as pool:
        seqs = [seq for seq, _ in pool.map(send, range(60))]
    assert sorted(seqs) == list(range(60))
    with any_world.runtime.transaction() as session:
        rows = session.execute(
            select(Utterance.seq, Utterance.client_msg_id, Utterance.text).where(
                Utterance.contact_id == contact_id
            )
        ).all()
    assert len(rows) == 60
    assert {(cmid, text) for _seq, cmid, text in rows} == {
        (f"m{i}", f"message {i}") for i in range(60)
    }
    # one event per stored message, after its commit, never for a resend
    assert sorted(e.payload["seq"] for e in published) == list(range(60))


def test_card_numbers_are_masked_and_an_ended_conversation_refuses_new_messages(world):
    contact_id = _new_chat(world)
    with world.runtime.transaction() as session:
        stored, _ = chat.post(
            session=session,
            contact_id=contact_id,
            speaker="customer",
            text="my card is 4111 1111 1111 1111",
            client_msg_id="a",
        )
    assert "4111 1111 1111 1111" not in stored.text
    with world.runtime.transaction() as session:
        session.get(Contact, contact_id).status = "ended"
    with pytest.raises(Conflict), world.runtime.transaction() as session:
        chat.post(session=session, contact_id=contact_id, speaker="customer", text="hello?")
    with world.runtime.transaction() as session:  # the stored copy is still acknowledged
        again, new = chat.post(
            session=session, contact_id=contact_id, speaker="customer", text="x", client_msg_id="a"
        )
    assert (again.seq, new) == (0, False)
