"""Messages exchanged with messaging gateways, kept for idempotency and threading."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fincall.core.clock import utcnow
from fincall.core.db import Base, UTCDateTime
from fincall.core.ids import new_id


class WebhookMessage(Base):
    """One message in or out through a gateway; (gateway, direction, message_id) is unique."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        UniqueConstraint("gateway", "direction", "message_id"),
        Index("ix_webhook_messages_gateway_peer", "gateway", "peer"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("whm"))
    gateway: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(16))  # inbound | outbound
    contact_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    peer: Mapped[str] = mapped_column(String(20))  # the customer's number, E.164
    text: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    utterance_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
