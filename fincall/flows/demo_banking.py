"""A demo core-banking system on its own ``bank_`` tables, seeded deterministically."""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from collections.abc import Callable, Iterable, MutableMapping
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.core.clock import utcnow
from fincall.core.ids import new_id
from fincall.flows.banking import (
    AccountBalance,
    CardFreeze,
    FxQuote,
    MarketData,
    PinResetStarted,
    TransactionLine,
    TransferStatus,
)
from fincall.flows.errors import AccountNotFound, CardNotFound, TransferNotFound
from fincall.flows.market import normalise_pair
from fincall.flows.models import BankAccount, BankCard, BankCase, BankTransaction, BankTransfer

SmsSender = Callable[[str, str], None]  # (customer_id, text)

_MERCHANTS = (
    "Supermarket",
    "Coffee shop",
    "MTR / Metro",
    "Online store",
    "Electricity bill",
    "Restaurant",
    "Pharmacy",
    "Mobile top-up",
    "Bookshop",
    "Taxi",
)
_BENEFICIARIES = ("Chan Tai Man", "Li Wei", "J. Smith", "Tan Mei Ling", "Wong Ka Yan")
_TRANSFER_NOTES = {
    "pending": "awaiting processing by the receiving bank",
    "completed": "credited to the beneficiary",
    "failed": "rejected: beneficiary account name mismatch; funds returned within 2 business days",
    "returned": "returned by the receiving bank; funds credited back",
}
OTP_TTL = timedelta(minutes=5)
_OTP_STORE: dict[str, tuple[bytes, datetime]] = {}
REGION_CURRENCY = {"CN": "CNY", "HK": "HKD", "SG": "SGD", "UK": "GBP", "US": "USD"}


def currency_for_region(region: str) -> str:
    """The demo account currency for a customer region (HKD when unknown)."""
    return REGION_CURRENCY.get(region.upper(), "HKD")


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - demo data only


def _key(customer_id: str, label: str) -> str:
    return hashlib.sha256(f"{customer_id}|{label}".encode()).hexdigest()[:20]


def seed_demo_banking(
    session: Session, customers: Iterable[tuple[str, str]], *, now: datetime | None = None
) -> int:
    """Create accounts, cards, transactions and transfers for (customer_id, currency) pairs.

    Deterministic per customer id and idempotent: customers that already have accounts are
    skipped. Returns the number of customers seeded. Does not commit.
    """
    now = now or utcnow()
    seeded = 0
    for customer_id, currency in customers:
        exists = session.scalar(
            select(BankAccount.id).where(BankAccount.customer_id == customer_id)
        )
        if exists is not None:
            continue
        rng = _rng("bank", customer_id)
        accounts: list[BankAccount] = []
        for kind in ("current", "savings"):
            balance = Decimal(rng.randint(500_00, 250_000_00)) / 100
            acc = BankAccount(
                id=f"acc_{_key(customer_id, kind)}",
                customer_id=customer_id,
                number=f"{rng.randint(100, 999)}-{rng.randint(100000, 999999)}-"
                f"{rng.randint(100, 999)}",
                kind=kind,
                currency=currency.upper(),
                balance=balance,
                available=balance,
                opened_at=now - timedelta(days=rng.randint(200, 3000)),
            )
            accounts.append(acc)
            session.add(acc)
        session.flush()
        for kind, brand in (("debit", "UnionPay"), ("credit", "Visa")):
            session.add(
                BankCard(
                    id=f"crd_{_key(customer_id, kind)}",
                    customer_id=customer_id,
                    account_id=accounts[0].id,
                    last4=f"{rng.randint(0, 9999):04d}",
                    brand=brand,
                    kind=kind,
                    status="active",
                )
            )
        current = accounts[0]
        for i in range(12):
            amount = -Decimal(rng.randint(5_00, 1_500_00)) / 100
            desc = rng.choice(_MERCHANTS)
            if i % 5 == 4:
                amount = Decimal(rng.randint(8_000_00, 40_000_00)) / 100
                desc = "Salary"
            session.add(
                BankTransaction(
                    id=f"txn_{_key(customer_id, f'txn{i}')}",
                    account_id=current.id,
                    booked_at=now - timedelta(days=i * 2 + 1, hours=rng.randint(0, 12)),
                    amount=amount,
                    currency=current.currency,
                    description=desc,
                )
            )
        for i, status in enumerate(("completed", "pending", "failed")):
            created = now - timedelta(days=1 + i * 3)
            session.add(
                BankTransfer(
                    id=f"trf_{_key(customer_id, f'trf{i}')}",
                    customer_id=customer_id,
                    account_id=current.id,
                    reference=f"TRF{int(_key(customer_id, f'ref{i}'), 16) % 10**8:08d}",
                    amount=Decimal(rng.randint(100_00, 20_000_00)) / 100,
                    currency=current.currency,
                    beneficiary=rng.choice(_BENEFICIARIES),
                    status=status,
                    note=_TRANSFER_NOTES[status],
                    created_at=created,
                    completed_at=created + timedelta(hours=3) if status == "completed" else None,
                )
            )
        seeded += 1
    session.flush()
    return seeded


def _mask(number: str) -> str:
    digits = "".join(c for c in number if c.isdigit())
    return f"****{digits[-4:]}"


class DemoCoreBanking:
    """CoreBanking + IdentityVerifier over the ``bank_`` tables; writes are flushed, not committed.

    One-time codes and PIN-reset links go out through ``sms`` (the demo's SMS gateway).
    """

    def __init__(
        self,
        *,
        session: Session,
        market: MarketData,
        sms: SmsSender,
        otp_store: MutableMapping[str, tuple[bytes, datetime]] | None = None,
    ) -> None:
        self.session = session
        self.market = market
        self.sms = sms
        # codes outlive one request/session: by default they live in this process's store
        self._otps = _OTP_STORE if otp_store is None else otp_store

    # identity -----------------------------------------------------------------
    def send_otp(self, customer_id: str) -> str:
        """Send a 6-digit one-time code by SMS; return the masked destination."""
        self._accounts(customer_id)  # unknown customers get no code
        code = f"{secrets.randbelow(10**6):06d}"
        self._otps[customer_id] = (hashlib.sha256(code.encode()).digest(), utcnow() + OTP_TTL)
        self.sms(customer_id, f"Your fincall verification code is {code}. 您的验证码是 {code}。")
        return "registered mobile"

    def verify_otp(self, customer_id: str, code: str) -> bool:
        """Check the one-time code; it is consumed on success and expires after five minutes."""
        entry = self._otps.get(customer_id)
        if entry is None or utcnow() > entry[1]:
            return False
        ok = hmac.compare_digest(entry[0], hashlib.sha256(code.strip().encode()).digest())
        if ok:
            del self._otps[customer_id]
        return ok

    # read ---------------------------------------------------------------------
    def _accounts(self, customer_id: str, account: str | None = None) -> list[BankAccount]:
        rows = list(
            self.session.scalars(
                select(BankAccount)
                .where(BankAccount.customer_id == customer_id)
                .order_by(BankAccount.kind)
            )
        )
        if account:
            rows = [a for a in rows if a.number.replace("-", "").endswith(account)]
        if not rows:
            raise AccountNotFound("no such account", customer_id=customer_id)
        return rows

    def get_balance(self, customer_id: str, account: str | None = None) -> list[AccountBalance]:
        """Balances of the customer's accounts."""
        return [
            AccountBalance(
                account=_mask(a.number),
                kind=a.kind,
                currency=a.currency,
                balance=a.balance,
                available=a.available,
            )
            for a in self._accounts(customer_id, account)
        ]

    def recent_transactions(
        self, customer_id: str, account: str | None = None, limit: int = 5
    ) -> list[TransactionLine]:
        """Newest transactions across the customer's accounts."""
        accounts = {a.id: a for a in self._accounts(customer_id, account)}
        rows = self.session.scalars(
            select(BankTransaction)
            .where(BankTransaction.account_id.in_(accounts))
            .order_by(BankTransaction.booked_at.desc())
            .limit(limit)
        )
        return [
            TransactionLine(
                booked_at=t.booked_at,
                account=_mask(accounts[t.account_id].number),
                amount=t.amount,
                currency=t.currency,
                description=t.description,
            )
            for t in rows
        ]

    def transfer_status(self, customer_id: str, reference: str) -> TransferStatus:
        """Status of one of the customer's transfers."""
        t = self.session.scalar(
            select(BankTransfer).where(
                BankTransfer.customer_id == customer_id,
                BankTransfer.reference == reference.strip().upper(),
            )
        )
        if t is None:
            raise TransferNotFound("no such transfer", reference=reference)
        return TransferStatus(
            reference=t.reference,
            status=t.status,
            amount=t.amount,
            currency=t.currency,
            beneficiary=t.beneficiary,
            created_at=t.created_at,
            completed_at=t.completed_at,
            note=t.note,
        )

    def fx_quote(self, pair: str) -> FxQuote:
        """Quote from the market-data adapter."""
        return self.market.fx_rate(normalise_pair(pair))

    # write --------------------------------------------------------------------
    def freeze_card(self, customer_id: str, card_last4: str, reason: str) -> CardFreeze:
        """Freeze the card and open a case; freezing an already frozen card reuses its case."""
        card = self.session.scalar(
            select(BankCard).where(
                BankCard.customer_id == customer_id, BankCard.last4 == card_last4
            )
        )
        if card is None:
            raise CardNotFound("no such card", card_last4=card_last4)
        kind = "card_stolen" if reason == "stolen" else "card_lost"
        if card.status == "frozen":
            existing = self.session.scalar(
                select(BankCase.id)
                .where(BankCase.card_id == card.id, BankCase.kind.in_(("card_lost", "card_stolen")))
                .order_by(BankCase.created_at.desc())
            )
            if existing is not None:
                return CardFreeze(card_last4=card.last4, case_id=existing, already_frozen=True)
        now = utcnow()
        card.status = "frozen"
        card.frozen_at = now
        card.frozen_reason = reason
        case = BankCase(
            id=new_id("case"),
            customer_id=customer_id,
            kind=kind,
            card_id=card.id,
            status="open",
            note="card frozen by self-service; replacement card to be issued",
            created_at=now,
        )
        self.session.add(case)
        self.session.flush()
        return CardFreeze(card_last4=card.last4, case_id=case.id, already_frozen=False)

    def start_pin_reset(self, customer_id: str, card_last4: str | None = None) -> PinResetStarted:
        """Open a PIN-reset case and text a one-time reset link; the PIN never enters the chat."""
        self._accounts(customer_id)
        case = BankCase(
            id=new_id("case"),
            customer_id=customer_id,
            kind="pin_reset",
            card_id=None,
            status="open",
            note=f"PIN reset link sent{f' for card {card_last4}' if card_last4 else ''}",
            created_at=utcnow(),
        )
        self.session.add(case)
        self.session.flush()
        token = secrets.token_urlsafe(16)
        self.sms(
            customer_id,
            f"Reset your card PIN securely: https://bank.example/pin/{token} (valid 30 min). "
            f"重设密码链接: https://bank.example/pin/{token}",
        )
        return PinResetStarted(reference=case.id, channel="sms", destination="registered mobile")
