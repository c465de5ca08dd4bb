from __future__ import annotations

from fincall.core.events import Event


def test_contact_lifecycle_and_ended_event_after_commit(world):
    seen: list[Event] = []
    world.runtime.bus.subscribe("contact.ended", seen.append)
    h = world.headers("supervisor")
    agent_id = world.client.get("/api/agents", headers=h).json()[0]["id"]
    cid = world.client.get("/api/customers?limit=1", headers=h).json()[0]["id"]
    r = world.client.post(
        "/api/contacts",
        json={"customer_id": cid, "channel": "chat", "agent_id": agent_id},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["status"] == "active"
    contact_id = r.json()["id"]
    for speaker, text in (("customer", "hello"), ("agent", "hi, how can I help?")):
        u = world.client.post(
            f"/api/contacts/{contact_id}/utterances",
            json={"speaker": speaker, "text": text},
            headers=h,
        )
        assert u.status_code == 201
    assert [
        u["seq"]
        for u in world.client.get(f"/api/contacts/{contact_id}", headers=h).json()["utterances"]
    ] == [0, 1]
    ended = world.client.post(
        f"/api/contacts/{contact_id}/end", json={"disposition": "resolved"}, headers=h
    )
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert [e.payload["contact_id"] for e in seen] == [contact_id]
    again = world.client.post(
        f"/api/contacts/{contact_id}/end", json={"disposition": "resolved"}, headers=h
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "contact-illegal-transition"
    late = world.client.post(
        f"/api/contacts/{contact_id}/utterances", json={"speaker": "agent", "text": "x"}, headers=h
    )
    assert late.status_code == 422


def test_rolled_back_write_publishes_nothing(world):
    seen: list[Event] = []
    world.runtime.bus.subscribe("contact.created", seen.append)
    r = world.client.post(
        "/api/contacts",
        json={"customer_id": "cus_missing", "channel": "chat"},
        headers=world.headers("supervisor"),
    )
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "customer_id"
    assert seen == []


def test_bad_contact_input(world):
    h = world.headers("supervisor")
    for body in (
        {"channel": "fax"},
        {"channel": "chat", "started_at": "2026-01-01T10:00:00"},  # naive time
        {
            "channel": "chat",
            "utterances": [{"speaker": "agent", "text": "x", "start": 5, "end": 1}],
        },
        {"channel": "chat", "utterances": [{"speaker": "robot", "text": "x"}]},
    ):
        r = world.client.post("/api/contacts", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)


def test_transcripts_are_masked_for_everyone_but_compliance(world):
    h = world.headers("supervisor")
    r = world.client.post(
        "/api/contacts",
        json={
            "channel": "voice",
            "utterances": [{"speaker": "customer", "text": "my card is 4111 1111 1111 1111"}],
        },
        headers=h,
    )
    cid = r.json()["id"]
    for role, shown in (
        ("supervisor", "**** **** **** 1111"),
        ("qa_analyst", "**** **** **** 1111"),
    ):
        text = world.client.get(f"/api/contacts/{cid}", headers=world.headers(role)).json()
        assert text["utterances"][0]["text"].endswith(shown), role
    full = world.client.get(f"/api/contacts/{cid}", headers=world.headers("compliance_officer"))
    assert "4111 1111 1111 1111" in full.json()["utterances"][0]["text"]
