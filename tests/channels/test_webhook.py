"""Messaging webhook: signature and replay rejection, idempotency, continuity, signed replies."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from fincall.auth import audit
from fincall.auth.models import AuditEvent
from fincall.channels.webhooks import signing
from fincall.channels.webhooks.errors import GatewayUnavailable, SignatureRejected
from fincall.channels.webhooks.models import WebhookMessage
from fincall.channels.webhooks.service import Gateway, post_reply
from fincall.channels.webhooks.views import build_router
from fincall.contacts.models import Contact, Utterance
from fincall.core.clock import utcnow
from fincall.core.events import Event
from tests.channels.helpers import customer_with

SECRET = "wa-shared-secret-0123456789"
URL = "/api/channels/webhook/wa/inbound"


def _sign(body: bytes, *, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "X-Fincall-Timestamp": stamp,
        "X-Fincall-Signature": f"sha256={mac}",
        "Content-Type": "application/json",
    }


def _body(**fields) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode()


def _hook(world):
    world.client.app.include_router(build_router({"wa": SECRET, "wechat": "other-secret"}))
    return world


@pytest.fixture
def hook(chan_world):
    return _hook(chan_world)


@pytest.fixture
def any_hook(chan_any_world):
    return _hook(chan_any_world)


def _count(world, model) -> int:
    with world.runtime.transaction() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def _texts(world, contact_id) -> list[tuple[str, str]]:
    with world.runtime.transaction() as session:
        rows = session.execute(
            select(Utterance).where(Utterance.contact_id == contact_id).order_by(Utterance.seq)
        ).scalars()
        return [(u.speaker, u.text) for u in rows]


def test_signed_message_opens_a_contact_linked_by_phone(hook):
    w = hook
    seen: list[Event] = []
    w.runtime.bus.subscribe("contact.message", seen.append)
    cust = customer_with(w, language="zh-CN")
    spaced = f"{cust.phone[:3]} {cust.phone[3:7]} {cust.phone[7:]}"  # normalised to E.164
    body = _body(message_id="wamid.1", **{"from": spaced}, text="我想查询信用卡账单")
    r = w.client.post(URL, content=body, headers=_sign(body))
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["customer_id"] == cust.id and data["duplicate"] is False and data["seq"] == 0
    with w.runtime.transaction() as session:
        contact = session.get(Contact, data["contact_id"])
        assert (contact.channel, contact.queue, contact.customer_id) == (
            "message",
            "messages",
            cust.id,
        )
        assert contact.attributes == {"gateway": "wa", "peer": cust.phone}
        assert contact.status == "queued"
    assert _texts(w, data["contact_id"]) == [("customer", "我想查询信用卡账单")]
    assert [e.payload for e in seen] == [
        {"contact_id": data["contact_id"], "channel": "message", "seq": 0, "direction": "inbound"}
    ]


def test_retry_is_idempotent_and_next_message_continues_the_conversation(any_hook):
    w = any_hook
    cust = customer_with(w, language="en")
    first = _body(message_id="m-1", **{"from": cust.phone}, text="hello")
    r1 = w.client.post(URL, content=first, headers=_sign(first))
    r2 = w.client.post(URL, content=first, headers=_sign(first))  # the gateway retries
    assert r1.status_code == r2.status_code == 200
    assert r2.json()["contact_id"] == r1.json()["contact_id"] and r2.json()["duplicate"] is True
    second = _body(message_id="m-2", **{"from": cust.phone}, text="are you there?")
    r3 = w.client.post(URL, content=second, headers=_sign(second))
    assert r3.json()["contact_id"] == r1.json()["contact_id"] and r3.json()["seq"] == 1
    assert _texts(w, r1.json()["contact_id"]) == [
        ("customer", "hello"),
        ("customer", "are you there?"),
    ]
    assert _count(w, WebhookMessage) == 2
    # the same message id on another gateway is another message
    other = _body(message_id="m-1", **{"from": cust.phone}, text="hi from wechat")
    r4 = w.client.post(
        "/api/channels/webhook/wechat/inbound",
        content=other,
        headers=_sign(other, secret="other-secret"),
    )
    assert r4.status_code == 200 and r4.json()["contact_id"] != r1.json()["contact_id"]
    # once the conversation has ended, the next message opens a new contact
    h = w.headers("supervisor")
    ended = w.client.post(
        f"/api/contacts/{r1.json()['contact_id']}/end", json={"disposition": "resolved"}, headers=h
    )
    assert ended.status_code == 200
    third = _body(message_id="m-3", **{"from": cust.phone}, text="one more thing")
    r5 = w.client.post(URL, content=third, headers=_sign(third))
    assert r5.json()["contact_id"] not in (r1.json()["contact_id"], r4.json()["contact_id"])


def test_unknown_number_gets_a_contact_without_customer(hook):
    body = _body(message_id="u-1", **{"from": "+447911123456"}, text="hi")
    r = hook.client.post(URL, content=body, headers=_sign(body))
    assert r.status_code == 200 and r.json()["customer_id"] is None


@pytest.mark.parametrize(
    "case",
    ["missing", "no-timestamp", "wrong-secret", "tampered", "stale", "future", "bad-format"],
)
def test_bad_signatures_are_refused_and_nothing_is_stored(hook, case):
    w = hook
    before = _count(w, Contact)
    body = _body(message_id="x-1", **{"from": "+447911123456"}, text="hi")
    headers = _sign(body)
    if case == "missing":
        del headers["X-Fincall-Signature"]
    elif case == "no-timestamp":
        del headers["X-Fincall-Timestamp"]
    elif case == "wrong-secret":
        headers = _sign(body, secret="not-the-secret")
    elif case == "tampered":
        body = body.replace(b"hi", b"yo")
    elif case == "stale":
        headers = _sign(body, ts=int(time.time()) - 310)
    elif case == "future":
        headers = _sign(body, ts=int(time.time()) + 310)
    elif case == "bad-format":
        headers["X-Fincall-Signature"] = headers["X-Fincall-Signature"].removeprefix("sha256=")
    r = w.client.post(URL, content=body, headers=headers)
    assert r.status_code == 401, r.text
    err = r.json()["error"]
    assert err["code"] == "webhook-signature-rejected" and err["message"]
    assert _count(w, Contact) == before and _count(w, WebhookMessage) == 0


def test_replayed_request_with_a_fresh_timestamp_fails(hook):
    body = _body(message_id="r-1", **{"from": "+447911123456"}, text="hi")
    old = _sign(body, ts=int(time.time()) - 3600)
    replay = {**old, "X-Fincall-Timestamp": str(int(time.time()))}
    r = hook.client.post(URL, content=body, headers=replay)
    assert r.status_code == 401 and "does not match" in r.json()["error"]["message"]


def test_malformed_bodies_get_422_with_a_reason(hook):
    w = hook
    for body, needle in (
        (b"{not json", "malformed JSON"),
        (_body(message_id="b-1", text="hi"), "from"),
        (_body(message_id="b-2", **{"from": "12345"}, text="hi"), "phone"),
        (_body(message_id="b-3", **{"from": "+447911123456"}, text="   "), "blank"),
        (b"[1, 2]", "request"),
    ):
        r = w.client.post(URL, content=body, headers=_sign(body))
        assert r.status_code == 422, (body, r.text)
        assert needle in r.json()["error"]["message"], r.json()
    assert _count(w, WebhookMessage) == 0


def test_unknown_gateway_is_404(hook):
    body = _body(message_id="g-1", **{"from": "+447911123456"}, text="hi")
    r = hook.client.post("/api/channels/webhook/nope/inbound", content=body, headers=_sign(body))
    assert r.status_code == 404


@given(body=st.binary(max_size=200), ts=st.integers(min_value=0, max_value=2**33))
def test_signature_round_trip_and_any_change_breaks_it(body, ts):
    now = utcnow().fromtimestamp(ts, tz=utcnow().tzinfo)
    hdrs = signing.headers(SECRET, body, now)
    sig, stamp = hdrs[signing.SIGNATURE_HEADER], hdrs[signing.TIMESTAMP_HEADER]
    signing.verify(secret=SECRET, body=body, signature_header=sig, timestamp_header=stamp, now=now)
    with pytest.raises(SignatureRejected):
        signing.verify(
            secret=SECRET, body=body + b"!", signature_header=sig, timestamp_header=stamp, now=now
        )
    with pytest.raises(SignatureRejected):
        signing.verify(
            secret=SECRET + "x", body=body, signature_header=sig, timestamp_header=stamp, now=now
        )


class _Gateway(BaseHTTPRequestHandler):
    received: list[tuple[dict, bool]] = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        stamp = self.headers["X-Fincall-Timestamp"]
        mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(f"sha256={mac}", self.headers["X-Fincall-Signature"])
        type(self).received.append((json.loads(body), good))
        self.send_response(self.status if good else 401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"message_id": f"gw-{len(self.received)}"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway_server() -> Iterator[tuple[type[_Gateway], str]]:
    handler = type("GatewayHandler", (_Gateway,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()
    server.server_close()


def test_reply_is_posted_signed_and_stored(hook, gateway_server):
    w = hook
    handler, url = gateway_server
    cust = customer_with(w, language="en")
    body = _body(message_id="q-1", **{"from": cust.phone}, text="Can I raise my card limit?")
    contact_id = w.client.post(URL, content=body, headers=_sign(body)).json()["contact_id"]
    gw = Gateway(name="wa", reply_url=url, secret=SECRET)
    actor = audit.Actor(user_id="usr_agent", role="agent")
    with w.runtime.transaction() as session:
        row = post_reply(
            session=session,
            contact=session.get(Contact, contact_id),
            text="Yes, I can help.",
            actor=actor,
            gateway=gw,
        )
        assert row.message_id == "gw-1"
    assert handler.received == [
        ({"to": cust.phone, "text": "Yes, I can help.", "in_reply_to": "q-1"}, True)
    ]
    assert _texts(w, contact_id)[-1] == ("agent", "Yes, I can help.")
    with w.runtime.transaction() as session:
        evt = session.execute(
            select(AuditEvent).where(AuditEvent.action == "message.sent")
        ).scalar_one()
        assert evt.entity_id == contact_id and evt.actor_id == "usr_agent"


def test_refused_reply_leaves_no_trace(hook, gateway_server):
    w = hook
    handler, url = gateway_server
    cust = customer_with(w, language="en")
    body = _body(message_id="q-2", **{"from": cust.phone}, text="hello")
    contact_id = w.client.post(URL, content=body, headers=_sign(body)).json()["contact_id"]
    wrong = Gateway(name="wa", reply_url=url, secret="not-what-the-gateway-knows")
    with pytest.raises(GatewayUnavailable):
        with w.runtime.transaction() as session:
            post_reply(
                session=session,
                contact=session.get(Contact, contact_id),
                text="reply",
                actor=audit.Actor.system(),
                gateway=wrong,
            )
    assert [good for _, good in handler.received] == [False]
    assert _texts(w, contact_id) == [("customer", "hello")]
    assert _count(w, WebhookMessage) == 1


def test_timestamp_tolerance_is_five_minutes_either_way():
    body = b'{"x":1}'
    sent = utcnow().replace(microsecond=0)
    hdrs = signing.headers(SECRET, body, sent)
    kw = {
        "secret": SECRET,
        "body": body,
        "signature_header": hdrs[signing.SIGNATURE_HEADER],
        "timestamp_header": hdrs[signing.TIMESTAMP_HEADER],
    }
    from datetime import timedelta

    for delta in (-300, 0, 300):
        signing.verify(**kw, now=sent + timedelta(seconds=delta))
    for delta in (-301, 301):
        with pytest.raises(SignatureRejected, match="server clock"):
            signing.verify(**kw, now=sent + timedelta(seconds=delta))


def test_agent_replies_through_the_api(chan_world, gateway_server):
    w = chan_world
    handler, url = gateway_server
    w.client.app.include_router(
        build_router({"wa": SECRET}, {"wa": Gateway(name="wa", reply_url=url, secret=SECRET)})
    )
    cust = customer_with(w, language="en")
    body = _body(message_id="api-1", **{"from": cust.phone}, text="hello")
    contact_id = w.client.post(URL, content=body, headers=_sign(body)).json()["contact_id"]
    r = w.client.post(
        f"/api/channels/webhook/contacts/{contact_id}/reply",
        json={"text": "Hi, how can I help?"},
        headers=w.headers("supervisor"),
    )
    assert r.status_code == 201, r.text
    assert r.json() == {
        "contact_id": contact_id,
        "message_id": "gw-1",
        "in_reply_to": "api-1",
        "seq": 1,
    }
    assert handler.received == [
        ({"to": cust.phone, "text": "Hi, how can I help?", "in_reply_to": "api-1"}, True)
    ]
