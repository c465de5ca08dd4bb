"""Queues, the waits of contacts in them, offers to agents and the record of every decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fincall.core.clock import utcnow
from fincall.core.db import Base, UTCDateTime
from fincall.core.ids import new_id


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    sl_target: Mapped[float] = mapped_column(Float, default=0.8)
    sl_seconds: Mapped[float] = mapped_column(Float, default=20.0)
    skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    overflow: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    sticky_window_seconds: Mapped[float] = mapped_column(Float, default=15.0)
    offer_timeout_seconds: Mapped[float] = mapped_column(Float, default=20.0)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)


class QueueWait(Base):
    """One contact's stay in the queues, from entering to being answered or abandoning."""

    __tablename__ = "queue_waits"

    contact_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    queue_id: Mapped[str] = mapped_column(String(64), ForeignKey("queues.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    queue_entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    segment: Mapped[str] = mapped_column(String(16), default="mass")
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    region: Mapped[str | None] = mapped_column(String(2), nullable=True)
    customer_timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sticky_agent_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    overflow_done: Mapped[int] = mapped_column(Integer, default=0)
    priority_boost: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Offer(Base):
    __tablename__ = "offers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ofr"))
    contact_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("agents.id", ondelete="CASCADE"), index=True
    )
    queue_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="offered", index=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RoutingDecision(Base):
    """Why a contact went to an agent (or overflowed): kept for audit."""

    __tablename__ = "routing_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    contact_id: Mapped[str] = mapped_column(String(40), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    queue_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(Text, default="")
