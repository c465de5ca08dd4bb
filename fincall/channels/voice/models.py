"""Voice tables: one row per call (with its recording) and agents' SIP credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincall.core.clock import utcnow
from fincall.core.db import Base, UTCDateTime
from fincall.core.ids import new_id


class VoiceCall(Base):
    """A phone call of a contact and its encrypted recording (path, digest, retention)."""

    __tablename__ = "voice_calls"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("vc"))
    contact_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), index=True, unique=True
    )
    sip_call_id: Mapped[str] = mapped_column(String(200), index=True)
    caller: Mapped[str] = mapped_column(String(80), default="")
    region: Mapped[str | None] = mapped_column(String(4), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    recording_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    recording_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    retention_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_hold_reason: Mapped[str] = mapped_column(String(300), default="")
    recording_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    transcript_status: Mapped[str] = mapped_column(String(16), default="pending")
    transcript_reason: Mapped[str] = mapped_column(String(300), default="")


class VoiceSipCredential(Base):
    """An agent softphone's SIP password, AES-GCM encrypted under a key from the master key."""

    __tablename__ = "voice_sip_credentials"

    agent_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    sip_username: Mapped[str] = mapped_column(String(80), unique=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
