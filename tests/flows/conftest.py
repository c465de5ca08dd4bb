"""Fixtures for flow tests: demo banking on in-memory SQLite and small in-test fakes."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from fincall.core.db import Base
from fincall.flows.demo_banking import DemoCoreBanking, seed_demo_banking
from fincall.flows.engine import FlowRunner, FlowServices
from fincall.flows.loader import load_library
from fincall.flows.market import SimulatedMarketFeed
from fincall.flows.models import BANK_TABLES
from fincall.flows.types import Entity, GuardVerdict, SentimentReading, Turn

CUSTOMER = "cus_demo_alice"

# keyword -> intent; only for tests (the product classifier comes from fincall.nlu)
KEYWORDS: list[tuple[str, str]] = [
    ("balance", "balance_inquiry"),
    ("余额", "balance_inquiry"),
    ("transactions", "recent_transactions"),
    ("lost my card", "lost_or_stolen_card"),
    ("stolen", "lost_or_stolen_card"),
    ("卡丢了", "lost_or_stolen_card"),
    ("pin", "change_pin"),
    ("密码", "change_pin"),
    ("exchange rate", "fx_rate_inquiry"),
    ("汇率", "fx_rate_inquiry"),
    ("transfer", "pending_transfer"),
    ("转账", "pending_transfer"),
    ("complain", "complaint"),
    ("投诉", "complaint"),
    ("agent", "speak_to_agent"),
    ("人工", "speak_to_agent"),
    ("mortgage", "loan_inquiry"),
    ("bye", "goodbye"),
]


class KeywordClassifier:
    """Keyword rules: one hit is confident; none is a low-confidence guess with alternatives."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def classify(self, text: str) -> tuple[str, float, Sequence[tuple[str, float]]]:
        self.calls.append(text)
        low = text.lower()
        for kw, intent in KEYWORDS:
            if kw in low:
                return intent, 0.92, [("speak_to_agent", 0.03)]
        return "balance_inquiry", 0.31, [("lost_or_stolen_card", 0.22), ("change_pin", 0.1)]


class PhraseGuard:
    """Blocks replies containing return promises; remembers every text it saw."""

    BANNED = ("guaranteed return", "保证收益", "稳赚")

    def __init__(self) -> None:
        self.seen: list[str] = []

    def check(self, text: str, language: str) -> GuardVerdict:
        self.seen.append(text)
        for phrase in self.BANNED:
            if phrase in text.lower():
                return GuardVerdict(False, reason=f"promise: {phrase}", rule_id="no-promise")
        return GuardVerdict(True)


class Last4Extractor:
    """Finds 'ending 1234' / '尾号1234' as a card_last4 entity."""

    def extract(self, text: str, language: str) -> Sequence[Entity]:
        m = re.search(r"(?:ending|尾号)\s*(\d{4})", text)
        return [Entity("card_last4", m.group(1), m.group(0))] if m else []


@pytest.fixture()
def session() -> Session:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine, tables=BANK_TABLES)
    with Session(engine) as s:
        seed_demo_banking(s, [(CUSTOMER, "HKD"), ("cus_demo_bob", "USD")])
        yield s
    engine.dispose()


@pytest.fixture()
def sms() -> list[tuple[str, str]]:
    return []


@pytest.fixture()
def banking(session: Session, sms: list[tuple[str, str]]) -> DemoCoreBanking:
    return DemoCoreBanking(
        session=session, market=SimulatedMarketFeed(), sms=lambda c, t: sms.append((c, t))
    )


@pytest.fixture()
def flow():
    return load_library()["main_banking"]


@pytest.fixture()
def guard() -> PhraseGuard:
    return PhraseGuard()


@pytest.fixture()
def make_runner(flow, banking, guard) -> Callable[..., FlowRunner]:
    def make(
        *,
        language: str = "en",
        customer_id: str | None = CUSTOMER,
        extractor=None,
        sentiment: Callable[[Sequence[Turn]], SentimentReading | None] | None = None,
        the_flow=None,
    ) -> FlowRunner:
        services = FlowServices(
            classifier=KeywordClassifier(),
            guard=guard,
            banking=banking,
            verifier=banking,
            extractor=extractor,
            sentiment=sentiment,
        )
        return FlowRunner(the_flow or flow, services, language=language, customer_id=customer_id)

    return make


@pytest.fixture()
def last_otp(sms: list[tuple[str, str]]) -> Callable[[], str]:
    """The code from the newest verification SMS."""

    def read() -> str:
        for _, text in reversed(sms):
            m = re.search(r"code is (\d{6})", text)
            if m:
                return m.group(1)
        raise AssertionError("no verification SMS was sent")

    return read


@pytest.fixture()
def last4_extractor() -> Last4Extractor:
    return Last4Extractor()
