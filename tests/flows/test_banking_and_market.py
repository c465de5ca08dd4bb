"""Demo core banking seeding and the simulated market feed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from fincall.core.db import Base
from fincall.flows.demo_banking import seed_demo_banking
from fincall.flows.errors import CardNotFound, TransferNotFound, UnknownMarketCode
from fincall.flows.market import CsvMarketData, SimulatedMarketFeed, normalise_pair
from fincall.flows.models import BANK_TABLES, BankAccount, BankCard, BankTransaction
from fincall.flows.validators import card_last4, transfer_reference


def _snapshot(customers):
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine, tables=BANK_TABLES)
    with Session(engine) as s:
        seed_demo_banking(s, customers, now=datetime(2026, 6, 1, tzinfo=UTC))
        rows = [
            (a.id, a.number, a.balance)
            for a in s.scalars(select(BankAccount).order_by(BankAccount.id))
        ]
        rows += [(c.id, c.last4) for c in s.scalars(select(BankCard).order_by(BankCard.id))]
        n_txn = len(list(s.scalars(select(BankTransaction))))
        again = seed_demo_banking(s, customers)
    return rows, n_txn, again


def test_seed_is_deterministic_and_idempotent():
    a = _snapshot([("cus_1", "HKD"), ("cus_2", "CNY")])
    b = _snapshot([("cus_1", "HKD"), ("cus_2", "CNY")])
    assert a == b
    assert a[1] == 24 and a[2] == 0


def test_freeze_twice_reuses_case(banking, session):
    card = session.scalars(select(BankCard).where(BankCard.customer_id == "cus_demo_bob")).first()
    first = banking.freeze_card("cus_demo_bob", card.last4, "lost")
    second = banking.freeze_card("cus_demo_bob", card.last4, "lost")
    assert not first.already_frozen and second.already_frozen
    assert first.case_id == second.case_id


def test_cannot_touch_another_customers_card(banking, session):
    card = session.scalars(select(BankCard).where(BankCard.customer_id == "cus_demo_bob")).first()
    alice = {
        c.last4
        for c in session.scalars(select(BankCard).where(BankCard.customer_id == "cus_demo_alice"))
    }
    if card.last4 not in alice:
        with pytest.raises(CardNotFound):
            banking.freeze_card("cus_demo_alice", card.last4, "lost")
    with pytest.raises(TransferNotFound):
        banking.transfer_status("cus_demo_alice", "TRF00000000")


def test_otp_single_use(banking, sms, last_otp):
    banking.send_otp("cus_demo_alice")
    code = last_otp()
    assert banking.verify_otp("cus_demo_alice", code)
    assert not banking.verify_otp("cus_demo_alice", code)


def test_simulated_feed_is_repeatable_and_moves_by_day():
    feed = SimulatedMarketFeed()
    at = datetime(2026, 9, 14, 10, 30, tzinfo=UTC)
    assert feed.fund_nav("FC-ASIA-EQ", at=at) == SimulatedMarketFeed().fund_nav("FC-ASIA-EQ", at=at)
    hist = feed.history("HSI", days=5, until=date(2026, 9, 14))
    assert [d for d, _ in hist][-1] == date(2026, 9, 14) and len({v for _, v in hist}) == 5
    quote = feed.fx_rate("USD/HKD", at=at)
    assert quote.bid < quote.mid < quote.ask
    assert Decimal("7.5") < quote.mid < Decimal("8.1")


def test_csv_cross_and_inverse_rates():
    md = CsvMarketData()
    inv = md.fx_rate("HKD/USD").mid
    assert abs(inv * Decimal("7.78") - 1) < Decimal("0.001")
    cross = md.fx_rate("HKD/CNY").mid
    assert abs(cross - Decimal("7.12") / Decimal("7.78")) < Decimal("0.0001")
    with pytest.raises(UnknownMarketCode):
        md.index_level("NOPE")


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("usd/hkd", "USD/HKD"),
        ("EURUSD", "EUR/USD"),
        ("美元兑港币", "USD/HKD"),
        ("英镑换人民币", "GBP/CNY"),
        ("hong kong dollars to yen", "HKD/JPY"),
    ],
)
def test_normalise_pair(text, pair):
    assert normalise_pair(text) == pair


@given(st.integers(min_value=0, max_value=9999))
def test_card_last4_roundtrip(n):
    assert card_last4(f"card ending {n:04d} please") == f"{n:04d}"
    assert transfer_reference(f"ref trf{n:08d}") == f"TRF{n:08d}"


def test_chinese_numerals_for_last4():
    assert card_last4("尾号一二三四") == "1234"


def test_demo_runner_factory(session, flow, sms):
    from fincall.flows.demo_banking import currency_for_region
    from fincall.flows.factory import demo_runner
    from fincall.flows.types import GuardVerdict

    class AllowAll:
        def check(self, text, language):
            return GuardVerdict(True)

    class Fixed:
        def classify(self, text):
            return "fx_rate_inquiry", 0.95, []

    assert currency_for_region("uk") == "GBP" and currency_for_region("XX") == "HKD"
    runner = demo_runner(
        flow=flow,
        session=session,
        classifier=Fixed(),
        guard=AllowAll(),
        sms=lambda c, t: sms.append((c, t)),
        customer_id="cus_demo_bob",
        language="en",
    )
    runner.start()
    runner.on_digits("1")
    runner.on_text("rates please")
    out = runner.on_text("GBP to USD")
    assert any("GBP/USD" in t for t in out.texts)
