"""Cross-channel continuity: chat, email and messages of one customer on one timeline, and an
identity verified on one channel valid on another within the configured window."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

from fincall.channels.email import service as mail
from fincall.channels.webhooks.views import build_router
from fincall.contacts.models import Contact
from fincall.core.clock import utcnow
from fincall.customers import identity
from tests.channels.helpers import customer_with, send
from tests.channels.helpers import mail as make_mail

SECRET = "gw-secret-for-continuity"


def _signed(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Fincall-Timestamp": ts, "X-Fincall-Signature": f"sha256={mac}"}


def test_chat_then_email_then_message_share_one_timeline(chan_any_world, listen):
    w = chan_any_world
    inbound = listen(w)
    w.client.app.include_router(build_router({"wa": SECRET}))
    sup = w.headers("supervisor")
    cust = customer_with(w, language="en")
    chat = w.client.post(
        "/api/contacts",
        json={
            "customer_id": cust.id,
            "channel": "chat",
            "utterances": [{"speaker": "customer", "text": "Is my card blocked?"}],
        },
        headers=sup,
    )
    assert chat.status_code == 201, chat.text
    send(inbound, make_mail(sender=cust.email, message_id="<cc1@c>", text="Following up by mail"))
    with w.runtime.transaction() as session:
        email_contact_id = mail.get_by_message_id(session=session, message_id="<cc1@c>").contact_id
    body = json.dumps({"message_id": "cc-1", "from": cust.phone, "text": "and by message"}).encode()
    msg = w.client.post("/api/channels/webhook/wa/inbound", content=body, headers=_signed(body))
    assert msg.status_code == 200 and msg.json()["customer_id"] == cust.id

    data = w.client.get(f"/api/customers/{cust.id}/360", headers=sup).json()
    assert {"chat", "email", "message"} <= set(data["channels_used"])
    by_id = {t["id"]: t for t in data["timeline"]}
    assert by_id[chat.json()["id"]]["last_text"] == "Is my card blocked?"
    assert by_id[email_contact_id]["last_text"] == "Following up by mail"
    assert by_id[msg.json()["contact_id"]]["last_text"] == "and by message"


def test_identity_verified_in_chat_holds_for_email_within_the_window(chan_world, inbound):
    w = chan_world
    window = w.runtime.settings.identity_validity_minutes
    cust = customer_with(w, language="zh-CN")
    chat = w.client.post(
        "/api/contacts",
        json={"customer_id": cust.id, "channel": "chat"},
        headers=w.headers("supervisor"),
    ).json()
    verified_at = utcnow()
    with w.runtime.transaction() as session:
        identity.record(
            session=session,
            customer_id=cust.id,
            channel="chat",
            method="date_of_birth",
            validity_minutes=window,
            contact_id=chat["id"],
            now=verified_at,
        )
    send(inbound, make_mail(sender=cust.email, message_id="<idv@c>", text="请把对账单发给我"))
    send(inbound, make_mail(sender="someone@else.example", message_id="<idv2@c>", text="hi"))
    with w.runtime.transaction() as session:
        email_contact = session.get(
            Contact, mail.get_by_message_id(session=session, message_id="<idv@c>").contact_id
        )
        stranger = session.get(
            Contact, mail.get_by_message_id(session=session, message_id="<idv2@c>").contact_id
        )
        assert email_contact.customer_id == cust.id and email_contact.id != chat["id"]
        assert stranger.customer_id is None  # an unknown sender has nobody to be verified as

        def verified(minutes: float) -> bool:
            return identity.is_verified(
                session=session,
                customer_id=email_contact.customer_id,
                now=verified_at + timedelta(minutes=minutes),
            )

        assert verified(1) and verified(window - 0.5)
        assert not verified(window + 0.5)
        row = identity.current(session=session, customer_id=cust.id, now=verified_at)
        assert row.channel == "chat" and row.contact_id == chat["id"]
