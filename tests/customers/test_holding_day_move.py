"""Each holding's day move in the customer 360 (API and page), from the market-data adapter's
previous close and current price; moves beyond the alert threshold are marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from fincall.auth.models import User
from fincall.customers import pricing
from fincall.customers import service as customers
from fincall.customers.models import Customer
from fincall.flows.errors import UnknownMarketCode
from fincall.flows.market import CsvMarketData, SimulatedMarketFeed


class FixedQuotes:
    """A market-data adapter with fixed levels: code -> (previous close, current)."""

    def __init__(self, levels: dict[str, tuple[str, str]]) -> None:
        self.levels = {k: (Decimal(a), Decimal(b)) for k, (a, b) in levels.items()}

    def _get(self, code: str) -> tuple[Decimal, Decimal]:
        if code not in self.levels:
            raise UnknownMarketCode(f"unknown market code {code}", code=code)
        return self.levels[code]

    def level(self, code: str, *, at: datetime | None = None) -> Decimal:
        return self._get(code)[1]

    def previous_close(self, code: str, *, at: datetime | None = None) -> Decimal:
        return self._get(code)[0]


def test_day_move_arithmetic_and_threshold() -> None:
    move = pricing.day_move(Decimal("150"), Decimal("15.6"), Decimal("15"))
    assert (move.amount, move.percent) == (Decimal("90.00"), Decimal("4.00"))
    down = pricing.day_move(Decimal("3"), Decimal("9.8765"), Decimal("10.1234"))
    assert down.amount == Decimal("-0.74") and down.percent == Decimal("-2.44")
    assert pricing.moved(down, threshold_percent=Decimal("2"))
    assert not pricing.moved(down, threshold_percent=Decimal("2.44"))  # more than, not equal
    assert not pricing.moved(None, threshold_percent=Decimal("0"))
    assert pricing.quote(CsvMarketData(), "DEP01") is None  # a deposit is not quoted
    assert pricing.quote(CsvMarketData(), "FND02") == (Decimal("15.2300"), Decimal("15.2300"))


def make_holder(world) -> str:
    """A customer in an active chat with the demo agent, holding FND02, FND01 and a deposit."""
    h = world.headers("supervisor")
    with world.runtime.transaction() as session:
        user = session.execute(select(User).where(User.role == "agent")).scalars().first()
        agent_id = user.agent_id
    r = world.client.post(
        "/api/customers",
        json={
            "name": "Day Mover",
            "language": "en",
            "region": "HK",
            "timezone": "Asia/Hong_Kong",
            "risk_rating": 4,
        },
        headers=world.headers("admin"),
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    for code, qty, currency in (
        ("FND02", "150", "HKD"),
        ("FND01", "40", "USD"),
        ("DEP02", "5000", "HKD"),
    ):
        r = world.client.post(
            f"/api/customers/{cid}/holdings",
            json={"product_code": code, "quantity": qty, "cost": "1000", "currency": currency},
            headers=world.headers("admin"),
        )
        assert r.status_code == 201, r.text
    r = world.client.post(
        "/api/contacts",
        json={"customer_id": cid, "channel": "chat", "agent_id": agent_id},
        headers=h,
    )
    assert r.status_code == 201
    return cid


@pytest.fixture
def holder(world) -> str:
    return make_holder(world)


QUOTES = {"FND02": ("15.00", "15.60"), "FND01": ("10.00", "10.10")}


def test_360_api_shows_day_moves_from_the_adapter(world, holder):
    world.client.app.state.market_data = FixedQuotes(QUOTES)
    data = world.client.get(f"/api/customers/{holder}/360", headers=world.headers("agent")).json()
    by_code = {h["product_code"]: h for h in data["holdings"]}
    assert Decimal(data["holding_move_alert_percent"]) == Decimal("2")
    up = by_code["FND02"]
    assert Decimal(up["previous_close"]) == Decimal("15.00") and Decimal(up["price"]) == Decimal(
        "15.6"
    )
    assert Decimal(up["day_move"]) == Decimal("90.00")  # 150 x (15.60 - 15.00)
    assert Decimal(up["day_move_percent"]) == Decimal("4.00")
    assert Decimal(up["market_value"]) == Decimal("2340.00") and up["moved"] is True
    small = by_code["FND01"]
    assert Decimal(small["day_move"]) == Decimal("4.00") and Decimal(small["day_move_percent"]) == 1
    assert small["moved"] is False
    deposit = by_code["DEP02"]
    assert deposit["day_move"] is None and deposit["day_move_percent"] is None
    assert Decimal(deposit["market_value"]) == Decimal("5000.00") and deposit["moved"] is False


def test_threshold_is_the_setting(world, holder):
    world.client.app.state.market_data = FixedQuotes(QUOTES)
    world.runtime.settings.holding_move_alert_percent = Decimal("0.5")
    data = world.client.get(f"/api/customers/{holder}/360", headers=world.headers("agent")).json()
    assert {h["product_code"] for h in data["holdings"] if h["moved"]} == {"FND01", "FND02"}


def test_simulated_feed_moves_match_its_closes(world, holder):
    feed = SimulatedMarketFeed()
    at = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    with world.runtime.transaction() as session:
        customer = session.get(Customer, holder)
        views = customers.holdings_view(
            session=session, customer=customer, market=feed, move_alert_percent=Decimal(2), at=at
        )
    fnd02 = next(v for v in views if v["product_code"] == "FND02")
    prev = feed.close("FND02", at.date() - timedelta(days=1))
    now = feed.level("FND02", at=at)
    assert fnd02["previous_close"] == prev.quantize(Decimal("0.0001"))
    assert fnd02["day_move"] == (Decimal(150) * (now - prev)).quantize(Decimal("0.01"))
    assert fnd02["day_move_percent"] == feed.day_move_percent("FND02", at=at)
    assert fnd02["moved"] == (abs(fnd02["day_move_percent"]) > 2)


def test_360_page_marks_the_moved_holding(world, holder):
    world.client.app.state.market_data = FixedQuotes(QUOTES)
    page = world.client.get(f"/customers/{holder}", headers=world.headers("agent")).text
    assert 'data-holding="FND02" class="holding-moved" data-moved="1"' in page
    assert 'data-holding="FND01">' in page and 'data-holding="DEP02">' in page
    assert "+90.00 (+4.00%)" in page and "+4.00 (+1.00%)" in page
