"""QA tables: inspections (versioned per contact), their findings, and coaching tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fincall.core.clock import utcnow
from fincall.core.db import Base, UTCDateTime
from fincall.core.ids import new_id


class QaInspection(Base):
    """One inspection of one contact; re-inspection adds version n+1 and supersedes the last."""

    __tablename__ = "qa_inspections"
    __table_args__ = (
        UniqueConstraint("contact_id", "version"),
        Index("ix_qa_inspections_current", "superseded", "inspected_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("qai"))
    contact_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    agent_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    pack_id: Mapped[str] = mapped_column(String(40))
    pack_version: Mapped[str] = mapped_column(String(120))
    score: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    auto_fail: Mapped[bool] = mapped_column(Boolean, default=False)
    critical: Mapped[int] = mapped_column(Integer, default=0)
    major: Mapped[int] = mapped_column(Integer, default=0)
    minor: Mapped[int] = mapped_column(Integer, default=0)
    trigger: Mapped[str] = mapped_column(String(16), default="post_contact")
    contact_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    findings: Mapped[list[QaFinding]] = relationship(
        back_populates="inspection",
        cascade="all, delete-orphan",
        order_by="QaFinding.id",
    )


class QaFinding(Base):
    """One finding, with the evidence a regulator asks for: rule, pack version, where, what."""

    __tablename__ = "qa_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("qa_inspections.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[str] = mapped_column(String(40), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(16), index=True)
    rule_id: Mapped[str] = mapped_column(String(60))
    pack_id: Mapped[str] = mapped_column(String(40))
    pack_version: Mapped[str] = mapped_column(String(120))
    utterance_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    start: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[str] = mapped_column(Text, default="")
    char_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    char_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(String(300), default="")
    layer: Mapped[str] = mapped_column(String(16), default="phrase")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    inspection: Mapped[QaInspection] = relationship(back_populates="findings")


class CoachingTask(Base):
    """Coaching an agent must complete (e.g. mandatory retraining after critical findings)."""

    __tablename__ = "coaching_tasks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cot"))
    agent_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(40), default="mandatory_retraining")
    reason: Mapped[str] = mapped_column(String(300))
    finding_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")


TABLES = [QaInspection.__table__, QaFinding.__table__, CoachingTask.__table__]
