"""Helpers shared by the channel tests: pick a customer, build and send mail."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import select

from fincall.channels.email.smtp import SmtpListener
from fincall.customers.models import Customer


def customer_with(world, **where) -> Customer:
    with world.runtime.transaction() as session:
        stmt = select(Customer).order_by(Customer.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(Customer, k) == v)
        return session.execute(stmt).scalars().first()


def mail(
    *,
    sender: str,
    subject: str = "Statement question",
    text: str = "Hello",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    to: str = "service@bank.example",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content(text)
    return msg


def send(listener: SmtpListener, msg: EmailMessage | bytes, sender: str = "x@example.com") -> None:
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as smtp:
        if isinstance(msg, bytes):
            smtp.sendmail(sender, ["service@bank.example"], msg)
        else:
            smtp.send_message(msg)


@dataclass
class Sink:
    """A relay that keeps every message handed to it."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        msg = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.messages.append(msg)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 accepted"
