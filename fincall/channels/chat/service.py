"""Web chat: sessions a browser can resume, messages stored before they are acknowledged.

A message carries the browser's ``client_msg_id``; sending it again (after a reconnect) returns
the stored copy instead of a second one, so a conversation has neither loss nor duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from fincall.channels.chat.models import ChatSession
from fincall.compliance.redaction import mask_sensitive
from fincall.contacts import service as contacts
from fincall.contacts.lifecycle import FINAL, ContactStatus
from fincall.contacts.models import Contact, Utterance
from fincall.core.clock import ensure_utc, utcnow
from fincall.core.errors import Conflict, Invalid, NotFound
from fincall.core.events import emit
from fincall.core.ids import new_id
from fincall.core.validation import normalize_phone
from fincall.customers import identity
from fincall.customers.models import Customer

MAX_VERIFY_FAILURES = 3
LANGUAGES = ("en", "zh-CN", "zh-HK")


class ChatNotFound(NotFound):
    code = "chat-not-found"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    *, session: Session, language: str, now: datetime | None = None
) -> tuple[str, ChatSession]:
    """Open a chat contact and the session token the browser keeps to resume it."""
    if language not in LANGUAGES:
        raise Invalid("language must be en, zh-CN or zh-HK", field="language")
    now = now or utcnow()
    contact = Contact(
        id=new_id("con"), channel="chat", direction="inbound", language=language, started_at=now
    )
    session.add(contact)
    session.flush()  # the chat session row refers to it
    token = secrets.token_urlsafe(24)
    chat = ChatSession(token_hash=_hash(token), contact_id=contact.id, language=language)
    session.add(chat)
    session.flush()
    emit(session, "contact.created", contact_id=contact.id, channel="chat")
    return token, chat


def resume(*, session: Session, token: str) -> ChatSession:
    chat = session.execute(
        select(ChatSession).where(ChatSession.token_hash == _hash(token))
    ).scalar_one_or_none()
    if chat is None:
        raise ChatNotFound("unknown chat session")
    chat.last_seen_at = utcnow()
    return chat


def contact_of(session: Session, chat: ChatSession) -> Contact:
    contact = session.get(Contact, chat.contact_id)
    if contact is None:
        raise ChatNotFound("the conversation no longer exists")
    return contact


def message_view(u: Utterance | StoredMessage) -> dict[str, Any]:
    return {
        "type": "message",
        "seq": u.seq,
        "speaker": u.speaker,
        "text": u.text,
        "client_msg_id": u.client_msg_id,
        "at": u.created_at.isoformat() if u.created_at else None,
    }


def history(*, session: Session, contact_id: str, after_seq: int = -1) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Utterance)
        .where(Utterance.contact_id == contact_id, Utterance.seq > after_seq)
        .order_by(Utterance.seq)
    ).scalars()
    return [message_view(u) for u in rows]


@dataclass(frozen=True)
class StoredMessage:
    """One stored chat message, and the conversation's state when it was stored."""

    id: int
    seq: int
    speaker: str
    text: str
    client_msg_id: str | None
    created_at: datetime
    status: str
    agent_id: str | None


_utterances = Utterance.__table__
_STORED = select(
    _utterances.c.id,
    _utterances.c.seq,
    _utterances.c.speaker,
    _utterances.c.text,
    _utterances.c.client_msg_id,
    _utterances.c.created_at,
).where(_utterances.c.contact_id == bindparam("contact_id"), _utterances.c.seq == bindparam("seq"))
_INSERT = insert(_utterances)


def post(
    *,
    session: Session,
    contact_id: str,
    speaker: str,
    text: str,
    client_msg_id: str | None = None,
) -> tuple[StoredMessage, bool]:
    """Store one message (idempotent by ``client_msg_id``); returns it and whether it was new.

    The hot path of every conversation: three statements at the SQL level (take the
    conversation, read its last number and any stored copy, insert), in the caller's
    transaction.
    """
    text = text.strip()
    if not text:
        raise Invalid("empty message", field="text")
    if speaker == "customer":
        # card numbers, PINs and codes typed into a chat are never stored in the clear
        text = mask_sensitive(text)
    if len(text) > 4000:
        raise Invalid("message longer than 4000 characters", field="text")
    if client_msg_id is not None and len(client_msg_id) > 64:
        raise Invalid("client_msg_id too long", field="client_msg_id")
    taken = contacts.take(session=session, contact_id=contact_id)
    if taken is None:
        raise ChatNotFound("the conversation no longer exists")
    status, agent_id, started = taken
    last, stored_seq = contacts.last_seq(
        session=session, contact_id=contact_id, client_msg_id=client_msg_id
    )
    conn = session.connection()
    if stored_seq is not None:  # sent again (a reconnect): the stored copy, not a second one
        copy = conn.execute(_STORED, {"contact_id": contact_id, "seq": stored_seq}).one()
        return StoredMessage(*copy, status=status, agent_id=agent_id), False
    if status in FINAL:
        raise Conflict("the conversation has ended", contact_id=contact_id)
    now = utcnow()
    offset = round(max((now - ensure_utc(started)).total_seconds(), 0.0), 2) if started else 0.0
    seq = 0 if last is None else last + 1
    new_id = conn.execute(
        _INSERT,
        {
            "contact_id": contact_id,
            "seq": seq,
            "speaker": speaker,
            "text": text,
            "start": offset,
            "end": offset,
            "client_msg_id": client_msg_id,
            "created_at": now,
        },
    ).inserted_primary_key[0]
    emit(
        session,
        "chat.message",
        contact_id=contact_id,
        seq=seq,
        speaker=speaker,
        text=text,
        agent_id=agent_id,
        client_msg_id=client_msg_id,
        at=now.isoformat(),
    )
    message = StoredMessage(new_id, seq, speaker, text, client_msg_id, now, status, agent_id)
    return message, True


# ---------------------------------------------------------------- identity


def _find_customer(session: Session, reference: str) -> Customer | None:
    reference = reference.strip()
    if reference.startswith("cus_"):
        return session.get(Customer, reference)
    try:
        phone = normalize_phone(reference)
    except ValueError:
        return None
    return session.execute(select(Customer).where(Customer.phone == phone)).scalars().first()


def identify(*, session: Session, chat: ChatSession, reference: str) -> None:
    """Remember who the visitor says they are; the answer never tells whether they exist."""
    customer = _find_customer(session, reference)
    chat.pending_customer_id = customer.id if customer else None


def verify(
    *, session: Session, chat: ChatSession, date_of_birth: str, validity_minutes: int
) -> bool:
    """Check the date of birth of the claimed customer; link the chat to them when it matches."""
    if chat.failed_checks >= MAX_VERIFY_FAILURES:
        raise Conflict("too many failed checks in this conversation; an agent will help")
    try:
        answer = date.fromisoformat(date_of_birth)
    except ValueError:
        raise Invalid("date of birth as YYYY-MM-DD", field="date_of_birth") from None
    customer = session.get(Customer, chat.pending_customer_id) if chat.pending_customer_id else None
    ok = customer is not None and identity.check_date_of_birth(
        session=session,
        customer=customer,
        answer=answer,
        channel="chat",
        validity_minutes=validity_minutes,
        contact_id=chat.contact_id,
    )
    if not ok or customer is None:
        chat.failed_checks += 1
        return False
    link_customer(session=session, chat=chat, customer=customer)
    return True


def link_customer(*, session: Session, chat: ChatSession, customer: Customer) -> None:
    chat.customer_id = customer.id
    contact = contact_of(session, chat)
    contact.customer_id = customer.id
    emit(session, "chat.identified", contact_id=contact.id, customer_id=customer.id)


def portal_token(secret: str, customer_id: str, ttl_seconds: int = 600) -> str:
    """A token the bank's logged-in portal puts in the widget: this visitor is that customer."""
    expires = int(time.time()) + ttl_seconds
    payload = f"{customer_id}.{expires}"
    sig = hmac.new(secret.encode(), b"chat-portal|" + payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{sig[:32]}"


def check_portal_token(secret: str, token: str) -> str | None:
    try:
        customer_id, expires, sig = token.rsplit(".", 2)
        payload = f"{customer_id}.{expires}"
        good = hmac.new(secret.encode(), b"chat-portal|" + payload.encode(), hashlib.sha256)
        if not hmac.compare_digest(good.hexdigest()[:32], sig) or int(expires) < time.time():
            return None
    except ValueError:
        return None
    return customer_id


@dataclass(frozen=True)
class Presence:
    verified: bool
    customer_id: str | None
    verified_until: str | None


def identity_state(*, session: Session, chat: ChatSession) -> Presence:
    if not chat.customer_id:
        return Presence(False, None, None)
    row = identity.current(session=session, customer_id=chat.customer_id)
    until = identity.valid_until(row)
    return Presence(row is not None, chat.customer_id, until.isoformat() if until else None)


def close_by_customer(*, session: Session, chat: ChatSession) -> Contact:
    """The visitor ends the chat: a waiting contact is abandoned, an active one goes to wrap-up."""
    from fincall.routing import service as routing

    contact = contact_of(session, chat)
    chat.closed = True
    if contact.status in (ContactStatus.QUEUED, ContactStatus.OFFERED):
        routing.abandon(session=session, contact=contact)
    elif contact.status == ContactStatus.ACTIVE:
        contact.status = ContactStatus.WRAP_UP
        emit(session, "chat.customer_left", contact_id=contact.id, agent_id=contact.agent_id)
    elif contact.status == ContactStatus.NEW:
        contact.status = ContactStatus.ENDED
        contact.ended_at = utcnow()
        emit(session, "contact.ended", contact_id=contact.id, direction=contact.direction)
    return contact
