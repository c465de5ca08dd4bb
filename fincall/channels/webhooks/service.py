"""Webhook use cases: take in a gateway message (idempotently), post an agent's reply back."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.channels.webhooks import signing
from fincall.channels.webhooks.errors import GatewayUnavailable, NothingToReplyTo
from fincall.channels.webhooks.models import WebhookMessage
from fincall.channels.webhooks.schemas import InboundMessage
from fincall.contacts import service as contacts
from fincall.contacts.lifecycle import FINAL
from fincall.contacts.models import Contact
from fincall.contacts.schemas import ContactCreate, UtteranceCreate
from fincall.core.clock import ensure_utc, utcnow
from fincall.core.errors import NotFound
from fincall.core.events import emit
from fincall.core.ids import new_id
from fincall.customers.models import Customer


@dataclass(frozen=True)
class Gateway:
    """Where replies for one gateway go and the secret both directions are signed with."""

    name: str
    reply_url: str
    secret: str
    timeout: float = 10.0


@dataclass(frozen=True)
class Accepted:
    contact_id: str
    message_id: str
    seq: int | None
    duplicate: bool
    customer_id: str | None


MESSAGE_QUEUE = "messages"
log = logging.getLogger(__name__)


def route(*, session: Session, contact: Contact) -> bool:
    """Queue a new contact for an agent in its queue; ``False`` when that queue is not set up."""
    from fincall.routing import service as routing

    try:
        routing.enqueue(session=session, contact=contact, queue_id=contact.queue or "")
    except NotFound:
        log.warning("queue %s does not exist; contact %s waits unrouted", contact.queue, contact.id)
        return False
    return True


def customer_by_phone(*, session: Session, phone: str) -> Customer | None:
    """The customer with this E.164 number (the oldest one if several share it)."""
    return (
        session.execute(
            select(Customer).where(Customer.phone == phone).order_by(Customer.created_at)
        )
        .scalars()
        .first()
    )


def find_inbound(*, session: Session, gateway: str, message_id: str) -> WebhookMessage | None:
    return session.execute(
        select(WebhookMessage).where(
            WebhookMessage.gateway == gateway,
            WebhookMessage.direction == "inbound",
            WebhookMessage.message_id == message_id,
        )
    ).scalar_one_or_none()


def _as_accepted(row: WebhookMessage, customer_id: str | None, duplicate: bool) -> Accepted:
    return Accepted(
        contact_id=row.contact_id,
        message_id=row.message_id,
        seq=row.utterance_seq,
        duplicate=duplicate,
        customer_id=customer_id,
    )


def open_conversation(*, session: Session, gateway: str, peer: str) -> Contact | None:
    """The open ``message`` contact of this number on this gateway, if any."""
    return (
        session.execute(
            select(Contact)
            .join(WebhookMessage, WebhookMessage.contact_id == Contact.id)
            .where(
                WebhookMessage.gateway == gateway,
                WebhookMessage.peer == peer,
                Contact.channel == "message",
                Contact.status.not_in([str(s) for s in FINAL]),
            )
            .order_by(WebhookMessage.received_at.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def receive(
    *, session: Session, gateway: str, message: InboundMessage, now: datetime | None = None
) -> Accepted:
    """Store one inbound message on the number's open conversation (or a new contact).

    Idempotent by (gateway, message_id): a retry returns the first delivery's contact.
    """
    now = now or utcnow()
    seen = find_inbound(session=session, gateway=gateway, message_id=message.message_id)
    if seen is not None:
        contact = session.get(Contact, seen.contact_id)
        return _as_accepted(seen, contact.customer_id if contact else None, duplicate=True)
    customer = customer_by_phone(session=session, phone=message.sender)
    contact = open_conversation(session=session, gateway=gateway, peer=message.sender)
    if contact is None:
        language = customer.language if customer else None
        contact = contacts.create(
            session=session,
            data=ContactCreate.model_validate(
                {
                    "customer_id": customer.id if customer else None,
                    "channel": "message",
                    "direction": "inbound",
                    "language": language,
                    "queue": MESSAGE_QUEUE,
                    "attributes": {"gateway": gateway, "peer": message.sender},
                }
            ),
            actor=audit.Actor.system(),
        )
        route(session=session, contact=contact)
    offset = min(max((now - ensure_utc(contact.started_at)).total_seconds(), 0.0), 86400.0)
    utt = contacts.add_utterance(
        session=session,
        contact=contact,
        data=UtteranceCreate(speaker="customer", text=message.text, start=offset, end=offset),
    )
    row = WebhookMessage(
        gateway=gateway,
        message_id=message.message_id,
        direction="inbound",
        contact_id=contact.id,
        peer=message.sender,
        text=message.text,
        utterance_seq=utt.seq,
        sent_at=message.sent_at,
        received_at=now,
    )
    session.add(row)
    session.flush()
    emit(
        session,
        "contact.message",
        contact_id=contact.id,
        channel="message",
        seq=utt.seq,
        direction="inbound",
    )
    return _as_accepted(row, contact.customer_id, duplicate=False)


def _last_inbound(session: Session, contact: Contact) -> WebhookMessage:
    row = (
        session.execute(
            select(WebhookMessage)
            .where(WebhookMessage.contact_id == contact.id, WebhookMessage.direction == "inbound")
            .order_by(WebhookMessage.received_at.desc(), WebhookMessage.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    if row is None:
        raise NothingToReplyTo(
            "this contact has no gateway message to answer", contact_id=contact.id
        )
    return row


def gateway_of(*, session: Session, contact: Contact) -> str:
    """The gateway the customer last wrote through on this contact."""
    return _last_inbound(session, contact).gateway


def post_reply(
    *,
    session: Session,
    contact: Contact,
    text: str,
    actor: audit.Actor,
    gateway: Gateway,
    client: httpx.Client | None = None,
    now: datetime | None = None,
) -> WebhookMessage:
    """Post an agent's reply to the gateway (signed), then store it (utterance, row, audit).

    A gateway that does not answer 2xx raises ``GatewayUnavailable``; the caller's rollback
    then leaves no trace of the reply.
    """
    now = now or utcnow()
    parent = _last_inbound(session, contact)
    if parent.gateway != gateway.name:
        raise NothingToReplyTo(
            "this conversation came through another gateway", gateway=parent.gateway
        )
    offset = min(max((now - ensure_utc(contact.started_at)).total_seconds(), 0.0), 86400.0)
    utt = contacts.add_utterance(
        session=session,
        contact=contact,
        data=UtteranceCreate(speaker="agent", text=text, start=offset, end=offset),
    )
    body = json.dumps(
        {"to": parent.peer, "text": text, "in_reply_to": parent.message_id},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    headers = {"Content-Type": "application/json", **signing.headers(gateway.secret, body, now)}
    try:
        if client is None:
            with httpx.Client(timeout=gateway.timeout) as own:
                resp = own.post(gateway.reply_url, content=body, headers=headers)
        else:
            resp = client.post(gateway.reply_url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise GatewayUnavailable(f"gateway {gateway.name} unreachable: {exc}") from None
    if not resp.is_success:
        raise GatewayUnavailable(
            f"gateway {gateway.name} answered {resp.status_code}", status=resp.status_code
        )
    try:
        answer = resp.json()
    except ValueError:
        answer = {}
    remote_id = answer.get("message_id") if isinstance(answer, dict) else None
    row = WebhookMessage(
        gateway=gateway.name,
        message_id=str(remote_id)[:200] if remote_id else new_id("out"),
        direction="outbound",
        contact_id=contact.id,
        peer=parent.peer,
        text=text,
        in_reply_to=parent.message_id,
        utterance_seq=utt.seq,
        sent_at=now,
        received_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="message.sent",
        entity_type="contact",
        entity_id=contact.id,
        after={"to": parent.peer, "text": text},
        detail={"gateway": gateway.name, "message_id": row.message_id, "seq": utt.seq},
    )
    emit(
        session,
        "contact.message",
        contact_id=contact.id,
        channel="message",
        seq=utt.seq,
        direction="outbound",
    )
    return row
