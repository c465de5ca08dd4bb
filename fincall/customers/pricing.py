"""A holding's price today and its move since the previous close, from the market-data adapter.

The adapter quotes the bank's products by product code; a product it does not quote (a
deposit, a loan, a card) is valued at its catalogue unit price and has no day move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

from fincall.core.errors import NotFound

CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")


class DayQuotes(Protocol):
    """What the 360 needs from the market-data adapter (``fincall.flows.market``)."""

    def level(self, code: str, *, at: datetime | None = None) -> Decimal:
        """The current level of ``code``; raises a NotFound error for an unknown code."""
        ...

    def previous_close(self, code: str, *, at: datetime | None = None) -> Decimal:
        """The previous day's close of ``code``."""
        ...


@dataclass(frozen=True, slots=True)
class DayMove:
    price: Decimal
    previous_close: Decimal
    amount: Decimal  # quantity x (price - previous close), in the holding's currency
    percent: Decimal  # price against the previous close, in percent


def day_move(quantity: Decimal, price: Decimal, previous_close: Decimal) -> DayMove:
    """The move of ``quantity`` units; amounts to the cent and percent to 2 places, half-even."""
    percent = ((price / previous_close - 1) * 100 if previous_close else Decimal(0)).quantize(
        CENT, rounding=ROUND_HALF_EVEN
    )
    return DayMove(
        price=price.quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN),
        previous_close=previous_close.quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN),
        amount=(quantity * (price - previous_close)).quantize(CENT, rounding=ROUND_HALF_EVEN),
        percent=percent,
    )


def quote(
    market: DayQuotes | None, code: str, *, at: datetime | None = None
) -> tuple[Decimal, Decimal] | None:
    """(price, previous close) of a product, or None when the adapter does not quote it."""
    if market is None:
        return None
    try:
        return market.level(code, at=at), market.previous_close(code, at=at)
    except NotFound:
        return None


def moved(move: DayMove | None, *, threshold_percent: Decimal) -> bool:
    """True when the price moved more than ``threshold_percent`` either way."""
    return move is not None and abs(move.percent) > threshold_percent
