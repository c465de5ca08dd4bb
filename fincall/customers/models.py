"""Customers, their holdings and consents."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fincall.core.clock import utcnow
from fincall.core.db import Base, UTCDateTime
from fincall.core.ids import new_id


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cus"))
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(String(2), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20), index=True, nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    id_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    segment: Mapped[str] = mapped_column(String(16), default="mass")
    risk_rating: Mapped[int] = mapped_column(Integer)
    risk_assessed_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recording: Mapped[bool] = mapped_column(Boolean, default=True)
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    holdings: Mapped[list[Holding]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Holding.product_code"
    )


class Holding(Base):
    __tablename__ = "holdings"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("hld"))
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    product_code: Mapped[str] = mapped_column(String(40), ForeignKey("products.code"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    cost: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    currency: Mapped[str] = mapped_column(String(3))
    opened_at: Mapped[date | None] = mapped_column(Date, nullable=True)

    customer: Mapped[Customer] = relationship(back_populates="holdings")


class IdentityVerification(Base):
    """A successful identity check, valid across channels until ``expires_at``."""

    __tablename__ = "identity_verifications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("idv"))
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
