"""Outbound tables: campaigns, their members, dial attempts, do-not-call lists, registry imports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fincall.core.clock import utcnow
from fincall.core.db import Base, UTCDateTime
from fincall.core.ids import new_id


class Campaign(Base):
    """An outbound campaign; ``script_history`` keeps every script version [{version, text, at}]."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cmp"))
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(20))  # collection/marketing/service/proactive_alert
    channel: Mapped[str] = mapped_column(String(16), default="voice")
    queue_id: Mapped[str] = mapped_column(String(64))
    skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    dial_mode: Mapped[str] = mapped_column(String(16), default="progressive")
    abandon_cap: Mapped[float] = mapped_column(Float, default=0.03)
    schedule: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    script_text: Mapped[str] = mapped_column(Text, default="")
    script_version: Mapped[int] = mapped_column(Integer, default=1)
    script_history: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    simulated: Mapped[bool] = mapped_column(Boolean, default=True)
    trunk_seed: Mapped[int] = mapped_column(Integer, default=7)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CampaignMember(Base):
    """One customer on a campaign's list; ``next_at`` is the earliest time to try them again."""

    __tablename__ = "campaign_members"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cmm"))
    campaign_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    last_block: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16), default="query")  # csv | query | alert
    source_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DialAttempt(Base):
    """One attempt to call a customer (campaign or manual), including those the gate blocked.

    Only attempts that reached the trunk (``dialed_at`` set) count toward the gate's caps.
    """

    __tablename__ = "dial_attempts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("att"))
    campaign_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("campaigns.id", ondelete="SET NULL"), nullable=True, index=True
    )
    member_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    dialed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False)
    number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    trunk_result: Mapped[str | None] = mapped_column(String(16), nullable=True)
    trunk_status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # SIP final status
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    blocks: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    script_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    customer_timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    contact_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    agent_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    requested_by: Mapped[str | None] = mapped_column(String(40), nullable=True)


class DncEntry(Base):
    """Internal do-not-call entry for one purpose; removal keeps the row (``removed_at``)."""

    __tablename__ = "dnc_entries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("dnc"))
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(24))  # refusal | wrap_up | qa | manual
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    contact_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    attempt_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    removed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)


class NationalDncImport(Base):
    """One import of the national do-not-call registry file."""

    __tablename__ = "national_dnc_imports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ndi"))
    filename: Mapped[str] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(2), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    total_lines: Mapped[int] = mapped_column(Integer, default=0)
    numbers: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    imported_by: Mapped[str | None] = mapped_column(String(40), nullable=True)


class NationalDncNumber(Base):
    """A number (E.164) on the national do-not-call registry."""

    __tablename__ = "national_dnc_numbers"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    import_id: Mapped[str] = mapped_column(String(40), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = (
    Campaign.__table__,
    CampaignMember.__table__,
    DialAttempt.__table__,
    DncEntry.__table__,
    NationalDncImport.__table__,
    NationalDncNumber.__table__,
)
