"""The desktop routes of the email and webhook channels: scoped reads, download, replies."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from fincall.channels.email import service as mail
from fincall.channels.email.outbound import SmtpRelay
from fincall.customers.models import Customer
from tests.channels.helpers import customer_with, send
from tests.channels.helpers import mail as make_mail


def _not_served_by_the_agent(world) -> Customer:
    agent = world.headers("agent")
    with world.runtime.transaction() as session:
        customers = session.execute(select(Customer).order_by(Customer.id)).scalars().all()
    for c in customers:
        if world.client.get(f"/api/customers/{c.id}", headers=agent).status_code == 404:
            return c
    raise AssertionError("every demo customer is served by the demo agent")


def _mount(world, relay):
    world.client.app.state.email_relay = relay


def test_messages_attachments_and_reply_through_the_api(chan_world, inbound, sink):
    w = chan_world
    box, relay_listener = sink
    _mount(
        w,
        SmtpRelay(
            host="127.0.0.1",
            port=relay_listener.port,
            mail_from="s@bank.example",
            domain="bank.example",
        ),
    )
    cust = _not_served_by_the_agent(w)
    msg = make_mail(sender=cust.email, message_id="<d1@c>", text="See attached")
    msg.add_attachment(
        b"%PDF-1.4 statement", maintype="application", subtype="pdf", filename="st.pdf"
    )
    send(inbound, msg)
    with w.runtime.transaction() as session:
        contact_id = mail.get_by_message_id(session=session, message_id="<d1@c>").contact_id
    sup = w.headers("supervisor")
    listed = w.client.get(f"/api/channels/email/contacts/{contact_id}/messages", headers=sup)
    assert listed.status_code == 200
    (m,) = listed.json()
    assert m["from"] != cust.email and m["from"].endswith("@" + cust.email.split("@")[1])  # masked
    (att,) = m["attachments"]
    assert (
        att["filename"] == "st.pdf"
        and att["sha256"] == hashlib.sha256(b"%PDF-1.4 statement").hexdigest()
    )
    got = w.client.get(f"/api/channels/email/attachments/{att['id']}", headers=sup)
    assert got.status_code == 200 and got.content == b"%PDF-1.4 statement"
    assert got.headers["content-type"] == "application/pdf"
    # an agent who never served this customer sees neither the emails nor the file
    agent = w.headers("agent")
    assert (
        w.client.get(
            f"/api/channels/email/contacts/{contact_id}/messages", headers=agent
        ).status_code
        == 404
    )
    assert (
        w.client.get(f"/api/channels/email/attachments/{att['id']}", headers=agent).status_code
        == 404
    )
    r = w.client.post(
        f"/api/channels/email/contacts/{contact_id}/reply",
        json={"text": "Received, thank you."},
        headers=sup,
    )
    assert r.status_code == 201, r.text
    assert r.json()["in_reply_to"] == "<d1@c>" and r.json()["direction"] == "outbound"
    assert [s["In-Reply-To"] for s in box.messages] == ["<d1@c>"]
    events = w.client.get(
        f"/api/audit/events?entity_id={contact_id}", headers=w.headers("compliance_officer")
    ).json()
    assert {"email.sent", "email.attachment_download"} <= {e["action"] for e in events}


def test_reply_without_a_relay_is_503_and_stores_nothing(chan_world, inbound):
    w = chan_world
    _mount(w, None)
    cust = customer_with(w, language="en")
    send(inbound, make_mail(sender=cust.email, message_id="<d2@c>", text="hello"))
    with w.runtime.transaction() as session:
        contact_id = mail.get_by_message_id(session=session, message_id="<d2@c>").contact_id
    r = w.client.post(
        f"/api/channels/email/contacts/{contact_id}/reply",
        json={"text": "x"},
        headers=w.headers("supervisor"),
    )
    assert r.status_code == 503 and r.json()["error"]["code"] == "email-relay-unavailable"
    contact = w.client.get(f"/api/contacts/{contact_id}", headers=w.headers("supervisor")).json()
    assert [u["speaker"] for u in contact["utterances"]] == ["customer"]
