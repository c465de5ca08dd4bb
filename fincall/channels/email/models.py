"""Emails of a contact (both directions) and their attachments; bodies and files live on disk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincall.core.clock import utcnow
from fincall.core.db import Base, UTCDateTime
from fincall.core.ids import new_id


class EmailMessage(Base):
    """One email received or sent; ``message_id`` threads replies onto the contact."""

    __tablename__ = "email_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("eml"))
    contact_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(500), nullable=True)
    reference_ids: Mapped[str] = mapped_column(Text, default="")  # space-separated <ids>
    direction: Mapped[str] = mapped_column(String(16))  # inbound | outbound
    status: Mapped[str] = mapped_column(String(16), default="received")  # received | sent
    from_addr: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320), nullable=True)
    to_addrs: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    subject: Mapped[str] = mapped_column(Text, default="")
    body_path: Mapped[str] = mapped_column(String(500))  # the raw message, under data_dir
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    utterance_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    @property
    def references(self) -> list[str]:
        return self.reference_ids.split() if self.reference_ids else []


class EmailAttachment(Base):
    __tablename__ = "email_attachments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("att"))
    email_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("email_messages.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))  # under data_dir
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
