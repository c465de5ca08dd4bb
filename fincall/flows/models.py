"""Tables of the demo core-banking system (prefixed ``bank_``; a real bank replaces them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from fincall.core.db import Base, UTCDateTime

MONEY = Numeric(18, 2)


class BankAccount(Base):
    __tablename__ = "bank_accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    number: Mapped[str] = mapped_column(String(34), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[Decimal] = mapped_column(MONEY)
    available: Mapped[Decimal] = mapped_column(MONEY)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BankCard(Base):
    __tablename__ = "bank_cards"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("bank_accounts.id"))
    last4: Mapped[str] = mapped_column(String(4))
    brand: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # debit | credit
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | frozen
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    frozen_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)


class BankTransaction(Base):
    __tablename__ = "bank_transactions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("bank_accounts.id"), index=True)
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(120))


class BankTransfer(Base):
    __tablename__ = "bank_transfers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("bank_accounts.id"))
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    beneficiary: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16))  # pending | completed | failed | returned
    note: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BankCase(Base):
    __tablename__ = "bank_cases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # card_lost | card_stolen | pin_reset
    card_id: Mapped[str | None] = mapped_column(ForeignKey("bank_cards.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


BANK_TABLES = [
    BankAccount.__table__,
    BankCard.__table__,
    BankTransaction.__table__,
    BankTransfer.__table__,
    BankCase.__table__,
]
