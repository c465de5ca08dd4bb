from __future__ import annotations

import pytest

from fincall.auth.permissions import Role


def _customer_of_agent(world):
    return world.client.get("/api/customers?limit=1", headers=world.headers("agent")).json()[0]


@pytest.mark.parametrize("role", list(Role))
def test_sensitive_fields_by_role(world, role):
    cid = _customer_of_agent(world)["id"]
    with world.runtime.transaction() as session:
        from fincall.customers.models import Customer

        raw = session.get(Customer, cid)
        full_phone, full_email, full_id = raw.phone, raw.email, raw.id_number
    data = world.client.get(f"/api/customers/{cid}", headers=world.headers(role)).json()
    if role == Role.COMPLIANCE_OFFICER:
        assert (data["phone"], data["email"], data["id_number"]) == (
            full_phone,
            full_email,
            full_id,
        )
    else:
        assert data["phone"] != full_phone and data["phone"].endswith(full_phone[-4:])
        assert "*" in data["phone"] and "*" in data["email"] and "*" in data["id_number"]
        assert data["email"].split("@")[1] == full_email.split("@")[1]
        assert data["date_of_birth"] in (None, "****-**-**")


def test_masking_on_the_customer_page(world):
    cid = _customer_of_agent(world)["id"]
    with world.runtime.transaction() as session:
        from fincall.customers.models import Customer

        phone = session.get(Customer, cid).phone
    agent_page = world.client.get(f"/customers/{cid}", headers=world.headers("agent")).text
    comp_page = world.client.get(
        f"/customers/{cid}", headers=world.headers("compliance_officer")
    ).text
    assert phone not in agent_page and phone[-4:] in agent_page
    assert phone in comp_page


def test_reveal_is_audited(world):
    cid = _customer_of_agent(world)["id"]
    h = world.headers("agent")
    r = world.client.post(
        f"/api/customers/{cid}/reveal", json={"field": "phone", "reason": "call back"}, headers=h
    )
    assert r.status_code == 200 and r.json()["value"].startswith("+")
    events = world.client.get(
        f"/api/audit/events?entity_id={cid}&action=customer.reveal",
        headers=world.headers("compliance_officer"),
    ).json()
    assert events and events[0]["detail"] == {"field": "phone", "reason": "call back"}


def test_customer_360_spans_channels_and_reads_by_agents_are_audited(any_world):
    w = any_world
    sup = w.headers("supervisor")
    cid = _customer_of_agent(w)["id"]
    # add a chat and an email contact for this customer
    for channel, text in (("chat", "Is my card blocked?"), ("email", "Please send my statement")):
        r = w.client.post(
            "/api/contacts",
            json={
                "customer_id": cid,
                "channel": channel,
                "utterances": [{"speaker": "customer", "text": text}],
            },
            headers=sup,
        )
        assert r.status_code == 201, r.text
    data = w.client.get(f"/api/customers/{cid}/360", headers=w.headers("agent")).json()
    assert {"chat", "email"} <= set(data["channels_used"])
    texts = [t["last_text"] for t in data["timeline"]]
    assert "Is my card blocked?" in texts and "Please send my statement" in texts
    starts = [t["started_at"] for t in data["timeline"]]
    assert starts == sorted(starts, reverse=True)
    for h in data["holdings"]:
        assert h["risk_level"] >= 1 and float(h["market_value"]) > 0
    assert data["suitability"]["risk_rating"] == data["profile"]["risk_rating"]
    events = w.client.get(
        f"/api/audit/events?entity_id={cid}&action=customer.view_360",
        headers=w.headers("compliance_officer"),
    ).json()
    assert len(events) == 1 and events[0]["actor_role"] == "agent"
