"""The core-banking adapter interface the self-service actions talk through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class AccountBalance:
    account: str  # masked account number, e.g. "****4821"
    kind: str  # current | savings
    currency: str
    balance: Decimal
    available: Decimal


@dataclass(frozen=True, slots=True)
class TransactionLine:
    booked_at: datetime
    account: str
    amount: Decimal  # negative for debits
    currency: str
    description: str


@dataclass(frozen=True, slots=True)
class CardFreeze:
    card_last4: str
    case_id: str
    already_frozen: bool


@dataclass(frozen=True, slots=True)
class PinResetStarted:
    reference: str
    channel: str  # "sms"
    destination: str  # masked, e.g. "registered mobile ending 88"


@dataclass(frozen=True, slots=True)
class FxQuote:
    pair: str  # "USD/HKD"
    bid: Decimal
    ask: Decimal
    mid: Decimal
    as_of: datetime


@dataclass(frozen=True, slots=True)
class TransferStatus:
    reference: str
    status: str  # pending | completed | failed | returned
    amount: Decimal
    currency: str
    beneficiary: str
    created_at: datetime
    completed_at: datetime | None
    note: str


@runtime_checkable
class MarketData(Protocol):
    def fx_rate(self, pair: str, *, at: datetime | None = None) -> FxQuote:
        """Quote for a currency pair such as "USD/HKD"."""
        ...

    def index_level(self, code: str, *, at: datetime | None = None) -> Decimal:
        """Level of a market index such as "HSI"."""
        ...

    def fund_nav(self, code: str, *, at: datetime | None = None) -> Decimal:
        """Net asset value per unit of a fund."""
        ...


@runtime_checkable
class IdentityVerifier(Protocol):
    def send_otp(self, customer_id: str) -> str:
        """Text a one-time code to the registered mobile; return its masked destination."""
        ...

    def verify_otp(self, customer_id: str, code: str) -> bool:
        """Check a one-time code (single use)."""
        ...


@runtime_checkable
class CoreBanking(Protocol):
    def get_balance(self, customer_id: str, account: str | None = None) -> list[AccountBalance]:
        """Balances of the customer's accounts (or of one account, by last digits)."""
        ...

    def recent_transactions(
        self, customer_id: str, account: str | None = None, limit: int = 5
    ) -> list[TransactionLine]:
        """Most recent booked transactions, newest first."""
        ...

    def freeze_card(self, customer_id: str, card_last4: str, reason: str) -> CardFreeze:
        """Freeze a card and open a case for the replacement."""
        ...

    def start_pin_reset(self, customer_id: str, card_last4: str | None = None) -> PinResetStarted:
        """Send a PIN reset link by SMS; the PIN itself is never handled in a conversation."""
        ...

    def fx_quote(self, pair: str) -> FxQuote:
        """Quote a currency pair (from the market-data adapter)."""
        ...

    def transfer_status(self, customer_id: str, reference: str) -> TransferStatus:
        """Status of one of the customer's transfers by its reference."""
        ...
