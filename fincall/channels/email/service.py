"""Email use cases: take in a received message (thread it, store it), list a contact's emails."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.channels.email import parsing
from fincall.channels.email.models import EmailAttachment, EmailMessage
from fincall.channels.email.storage import StagedFiles, safe_filename
from fincall.contacts import service as contacts
from fincall.contacts.lifecycle import FINAL
from fincall.contacts.models import Contact
from fincall.contacts.schemas import ContactCreate, UtteranceCreate
from fincall.core.clock import ensure_utc, utcnow
from fincall.core.errors import NotFound
from fincall.core.events import emit
from fincall.core.ids import new_id
from fincall.customers.models import Customer

log = logging.getLogger(__name__)
MAX_UTTERANCE_CHARS = 20000
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Received:
    contact_id: str
    email_id: str
    customer_id: str | None
    new_contact: bool
    duplicate: bool = False
    seq: int | None = None


def queue_for(language: str | None, text: str = "") -> str:
    """The email queue of a language: ``email-zh`` for Chinese, ``email-en`` otherwise."""
    if language:
        return "email-zh" if language.startswith("zh") else "email-en"
    return "email-zh" if _CJK.search(text) else "email-en"


def customer_by_email(*, session: Session, address: str) -> Customer | None:
    """The customer whose email is ``address`` (case-insensitive)."""
    return (
        session.execute(select(Customer).where(func.lower(Customer.email) == address.lower()))
        .scalars()
        .first()
    )


def get_by_message_id(*, session: Session, message_id: str) -> EmailMessage | None:
    return session.execute(
        select(EmailMessage).where(EmailMessage.message_id == message_id)
    ).scalar_one_or_none()


def _same_party(session: Session, contact: Contact, sender: str, customer_id: str | None) -> bool:
    if customer_id is not None and contact.customer_id == customer_id:
        return True
    wrote_before = session.execute(
        select(EmailMessage.id)
        .where(
            EmailMessage.contact_id == contact.id,
            EmailMessage.direction == "inbound",
            or_(EmailMessage.from_addr == sender, EmailMessage.reply_to == sender),
        )
        .limit(1)
    ).first()
    return wrote_before is not None


def thread_contact(
    *, session: Session, thread_ids: list[str], sender: str, customer_id: str | None
) -> Contact | None:
    """The contact of the first stored message (either direction) a reply refers to.

    Only a party of that thread (the contact's customer, or an address that already wrote on
    it) may continue it: a stranger quoting someone else's Message-ID gets a contact of their
    own, so an agent's reply never goes to them on another customer's thread.
    """
    if not thread_ids:
        return None
    rows = session.execute(
        select(EmailMessage.message_id, EmailMessage.contact_id).where(
            EmailMessage.message_id.in_(thread_ids)
        )
    ).all()
    by_id: dict[str, str] = {row[0]: row[1] for row in rows}
    for mid in thread_ids:
        contact = session.get(Contact, by_id[mid]) if mid in by_id else None
        if contact is not None and _same_party(session, contact, sender, customer_id):
            return contact
    return None


def _utterance_text(parsed: parsing.ParsedEmail) -> str:
    text = parsing.strip_quoted(parsed.text).strip()
    if not text:
        names = ", ".join(a.filename for a in parsed.attachments)
        text = parsed.subject or (f"[attachments: {names}]" if names else "")
    return text[:MAX_UTTERANCE_CHARS]


def _offset(contact: Contact, at: datetime) -> float:
    seconds = (at - ensure_utc(contact.started_at)).total_seconds()
    return min(max(seconds, 0.0), 86400.0)


def route(*, session: Session, contact: Contact) -> bool:
    """Queue a new contact for an agent in its queue; ``False`` when that queue is not set up."""
    from fincall.routing import service as routing

    try:
        routing.enqueue(session=session, contact=contact, queue_id=contact.queue or "")
    except NotFound:
        log.warning("queue %s does not exist; contact %s waits unrouted", contact.queue, contact.id)
        return False
    return True


def _open_contact(
    session: Session, parsed: parsing.ParsedEmail, customer: Customer | None, text: str
) -> Contact:
    language = customer.language if customer else None
    contact = contacts.create(
        session=session,
        data=ContactCreate.model_validate(
            {
                "customer_id": customer.id if customer else None,
                "channel": "email",
                "direction": "inbound",
                "language": language,
                "queue": queue_for(language, text),
                "subject": parsed.subject[:300],
                "attributes": {
                    "email_from": parsed.from_addr,
                    "email_name": parsed.from_name[:200] or None,
                },
            }
        ),
        actor=audit.Actor.system(),
    )
    route(session=session, contact=contact)
    return contact


def receive(
    *,
    session: Session,
    files: StagedFiles,
    raw: bytes,
    max_attachment_bytes: int = parsing.MAX_ATTACHMENT_BYTES,
    now: datetime | None = None,
) -> Received:
    """Store one inbound email on its thread's contact (or a new one); idempotent by Message-ID.

    Raises a ``MailRejected`` subclass for mail that cannot be accepted; files written to
    ``files`` must be discarded by the caller when the transaction does not commit.
    """
    now = now or utcnow()
    parsed = parsing.parse(raw, max_attachment_bytes=max_attachment_bytes)
    seen = get_by_message_id(session=session, message_id=parsed.message_id)
    if seen is not None:
        contact = session.get(Contact, seen.contact_id)
        return Received(
            contact_id=seen.contact_id,
            email_id=seen.id,
            customer_id=contact.customer_id if contact else None,
            new_contact=False,
            duplicate=True,
            seq=seen.utterance_seq,
        )
    customer = customer_by_email(session=session, address=parsed.from_addr)
    text = _utterance_text(parsed)
    contact = thread_contact(
        session=session,
        thread_ids=parsed.thread_ids,
        sender=parsed.from_addr,
        customer_id=customer.id if customer else None,
    )
    previous = None
    if contact is not None and contact.status in FINAL:
        previous, contact = contact.id, None  # an ended thread continues on a new contact
    new_contact = contact is None
    if contact is None:
        contact = _open_contact(session, parsed, customer, text or parsed.from_addr)
        if previous:
            contact.attributes = {**(contact.attributes or {}), "follows_contact": previous}
    elif contact.customer_id is None and customer is not None:
        contact.customer_id = customer.id
    seq = None
    if text:
        offset = _offset(contact, now)
        utt = contacts.add_utterance(
            session=session,
            contact=contact,
            data=UtteranceCreate(speaker="customer", text=text, start=offset, end=offset),
        )
        seq = utt.seq
    email_id = new_id("eml")
    body_path = f"mail/{contact.id}/{email_id}.eml"
    files.write(body_path, raw)
    row = EmailMessage(
        id=email_id,
        contact_id=contact.id,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        reference_ids=" ".join(parsed.references),
        direction="inbound",
        status="received",
        from_addr=parsed.from_addr,
        reply_to=parsed.reply_to,
        to_addrs=", ".join(parsed.to_addrs),
        subject=parsed.subject,
        body_path=body_path,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        utterance_seq=seq,
        sent_at=parsed.date,
        received_at=now,
    )
    session.add(row)
    session.flush()
    for att in parsed.attachments:
        att_id = new_id("att")
        path = f"attachments/{contact.id}/{att_id}-{safe_filename(att.filename)}"
        files.write(path, att.data)
        session.add(
            EmailAttachment(
                id=att_id,
                email_id=email_id,
                contact_id=contact.id,
                filename=att.filename[:255],
                content_type=att.content_type[:127],
                size=att.size,
                sha256=att.sha256,
                path=path,
            )
        )
    session.flush()
    emit(
        session,
        "contact.message",
        contact_id=contact.id,
        channel="email",
        seq=seq,
        direction="inbound",
    )
    return Received(
        contact_id=contact.id,
        email_id=email_id,
        customer_id=contact.customer_id,
        new_contact=new_contact,
        seq=seq,
    )


def list_messages(*, session: Session, contact_id: str) -> list[EmailMessage]:
    """A contact's emails, oldest first."""
    return list(
        session.execute(
            select(EmailMessage)
            .where(EmailMessage.contact_id == contact_id)
            .order_by(EmailMessage.received_at, EmailMessage.id)
        ).scalars()
    )


def list_attachments(*, session: Session, contact_id: str) -> list[EmailAttachment]:
    return list(
        session.execute(
            select(EmailAttachment)
            .where(EmailAttachment.contact_id == contact_id)
            .order_by(EmailAttachment.created_at, EmailAttachment.id)
        ).scalars()
    )
