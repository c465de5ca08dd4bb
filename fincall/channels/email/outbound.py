"""Replies by email: a threaded message (In-Reply-To/References) sent through the SMTP relay."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid, parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.channels.email.errors import NothingToReplyTo, RelayUnavailable
from fincall.channels.email.models import EmailMessage
from fincall.channels.email.parsing import strip_quoted
from fincall.channels.email.storage import StagedFiles
from fincall.contacts import service as contacts
from fincall.contacts.models import Contact, Utterance
from fincall.contacts.schemas import UtteranceCreate
from fincall.core.clock import ensure_utc, utcnow
from fincall.core.events import emit
from fincall.core.ids import new_id

MAX_REFERENCES = 20


@dataclass(frozen=True)
class SmtpRelay:
    """Where replies go out: the institution's mail relay and the mailbox they come from."""

    host: str
    port: int
    mail_from: str  # e.g. "Customer Service <service@bank.example>"
    domain: str  # the installation's mail domain, used in generated Message-IDs
    starttls: bool = False
    ca_file: str | None = None  # trust anchors for the relay's certificate (default: system)
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0


def reply_subject(subject: str) -> str:
    s = subject.strip()
    return s if s.lower().startswith(("re:", "回复:", "回覆:", "答复:")) else f"Re: {s}".strip()


def thread_references(parent: EmailMessage) -> list[str]:
    """References of a reply: the parent's chain then the parent itself (RFC 5322 §3.6.4)."""
    chain = parent.references or ([parent.in_reply_to] if parent.in_reply_to else [])
    refs = list(dict.fromkeys([*chain, parent.message_id]))
    if len(refs) > MAX_REFERENCES:  # keep the thread root and the newest ones
        refs = [refs[0], *refs[-(MAX_REFERENCES - 1) :]]
    return refs


def build_reply(
    *,
    parent: EmailMessage,
    quoted: str,
    text: str,
    relay: SmtpRelay,
    now: datetime,
) -> MimeMessage:
    """The reply message (pure): threading headers, subject, and the customer's text quoted."""
    msg = MimeMessage()
    msg["From"] = relay.mail_from
    msg["To"] = parent.reply_to or parent.from_addr
    msg["Subject"] = reply_subject(parent.subject)
    msg["Date"] = format_datetime(ensure_utc(now))
    msg["Message-ID"] = make_msgid(domain=relay.domain)
    msg["In-Reply-To"] = parent.message_id
    msg["References"] = " ".join(thread_references(parent))
    body = text.rstrip() + "\n"
    if quoted.strip():
        when = format_datetime(ensure_utc(parent.sent_at or parent.received_at))
        lines = "\n".join(f"> {ln}" if ln else ">" for ln in quoted.strip().splitlines())
        body += f"\nOn {when}, {parent.from_addr} wrote:\n{lines}\n"
    msg.set_content(body)
    return msg


def _last_inbound(session: Session, contact: Contact) -> EmailMessage:
    parent = (
        session.execute(
            select(EmailMessage)
            .where(EmailMessage.contact_id == contact.id, EmailMessage.direction == "inbound")
            .order_by(EmailMessage.received_at.desc(), EmailMessage.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    if parent is None:
        raise NothingToReplyTo("this contact has no email from the customer", contact_id=contact.id)
    return parent


def _quoted_text(session: Session, parent: EmailMessage) -> str:
    if parent.utterance_seq is None:
        return ""
    text = session.execute(
        select(Utterance.text).where(
            Utterance.contact_id == parent.contact_id, Utterance.seq == parent.utterance_seq
        )
    ).scalar_one_or_none()
    return strip_quoted(text or "")


def deliver(msg: MimeMessage, relay: SmtpRelay) -> None:
    """Hand one message to the relay; a refusal or an unreachable relay is ``RelayUnavailable``."""
    sender = parseaddr(relay.mail_from)[1]
    try:
        with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout) as smtp:
            if relay.starttls:  # the relay's certificate and name are verified
                smtp.starttls(context=ssl.create_default_context(cafile=relay.ca_file))
            if relay.username:
                smtp.login(relay.username, relay.password or "")
            refused = smtp.send_message(msg, from_addr=sender)
    except (smtplib.SMTPException, OSError) as exc:
        raise RelayUnavailable(f"the mail relay did not accept the reply: {exc}") from None
    if refused:
        raise RelayUnavailable("the mail relay refused the recipient", refused=sorted(refused))


def send_reply(
    *,
    session: Session,
    contact: Contact,
    text: str,
    actor: audit.Actor,
    relay: SmtpRelay,
    files: StagedFiles,
    now: datetime | None = None,
) -> EmailMessage:
    """Reply on the contact's thread: store it (agent utterance, outbound row, audit), send it.

    The message is handed to the relay before the caller commits; if the relay refuses, the
    error propagates and the caller's rollback leaves no trace of the reply (the stored copy
    in ``files`` is removed here; the caller discards ``files`` if its commit fails).
    """
    now = now or utcnow()
    parent = _last_inbound(session, contact)
    msg = build_reply(
        parent=parent, quoted=_quoted_text(session, parent), text=text, relay=relay, now=now
    )
    seconds = min(max((now - ensure_utc(contact.started_at)).total_seconds(), 0.0), 86400.0)
    utt = contacts.add_utterance(
        session=session,
        contact=contact,
        data=UtteranceCreate(speaker="agent", text=text, start=seconds, end=seconds),
    )
    raw = msg.as_bytes()
    email_id = new_id("eml")
    body_path = f"mail/{contact.id}/{email_id}.eml"
    row = EmailMessage(
        id=email_id,
        contact_id=contact.id,
        message_id=str(msg["Message-ID"]),
        in_reply_to=parent.message_id,
        reference_ids=str(msg["References"]),
        direction="outbound",
        status="sending",
        from_addr=parseaddr(relay.mail_from)[1].lower(),
        to_addrs=str(msg["To"]),
        subject=str(msg["Subject"]),
        body_path=body_path,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        utterance_seq=utt.seq,
        sent_at=now,
        received_at=now,
    )
    session.add(row)
    session.flush()
    files.write(body_path, raw)
    try:
        deliver(msg, relay)
    except RelayUnavailable:
        files.discard()
        raise
    row.status = "sent"
    audit.record(
        session=session,
        actor=actor,
        action="email.sent",
        entity_type="contact",
        entity_id=contact.id,
        after={"to": row.to_addrs, "subject": row.subject, "text": text},
        detail={"message_id": row.message_id, "in_reply_to": row.in_reply_to, "seq": utt.seq},
    )
    session.flush()
    emit(
        session,
        "contact.message",
        contact_id=contact.id,
        channel="email",
        seq=utt.seq,
        direction="outbound",
    )
    return row
