"""Market data: a CSV-fed adapter and a deterministic simulated live feed for the demo."""

from __future__ import annotations

import csv
import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from fincall.core.clock import ensure_utc, utcnow
from fincall.flows.banking import FxQuote
from fincall.flows.errors import UnknownMarketCode

DEFAULT_MARKET_FILE = Path(__file__).resolve().parent / "data" / "market_base.csv"
ANCHOR = date(2026, 1, 1)
FX_SPREAD_BPS = Decimal("25")
MEAN_REVERSION = 0.03  # keeps the demo walk near its base level over months


@dataclass(frozen=True, slots=True)
class Instrument:
    kind: str  # fx | index | fund
    code: str
    value: Decimal
    currency: str
    daily_vol: float


def load_instruments(path: Path | str = DEFAULT_MARKET_FILE) -> dict[str, Instrument]:
    """Read the instrument CSV (kind, code, value, currency, daily_vol)."""
    out: dict[str, Instrument] = {}
    with Path(path).open(encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), start=2):
            try:
                inst = Instrument(
                    kind=row["kind"].strip(),
                    code=row["code"].strip().upper(),
                    value=Decimal(row["value"]),
                    currency=row["currency"].strip().upper(),
                    daily_vol=float(row["daily_vol"]),
                )
            except (KeyError, ArithmeticError, ValueError, AttributeError) as exc:
                raise ValueError(f"{path}:{lineno}: bad market data row ({exc})") from exc
            out[inst.code] = inst
    return out


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


class CsvMarketData:
    """Static levels read from a CSV file (the file is the feed; reload to refresh)."""

    def __init__(self, path: Path | str = DEFAULT_MARKET_FILE) -> None:
        self.instruments = load_instruments(path)

    def level(self, code: str, *, at: datetime | None = None) -> Decimal:
        """The level of any instrument by code."""
        inst = self.instruments.get(code.upper())
        if inst is None:
            raise UnknownMarketCode(f"unknown market code {code}", code=code)
        return inst.value

    def previous_close(self, code: str, *, at: datetime | None = None) -> Decimal:
        """The previous day's close (a static file has one level: the same)."""
        return self.level(code, at=at)

    def fx_rate(self, pair: str, *, at: datetime | None = None) -> FxQuote:
        """Quote a pair directly, inverted, or crossed through USD."""
        base, _, quote = normalise_pair(pair).partition("/")
        mid = self._fx_mid(base, quote, at)
        spread = mid * FX_SPREAD_BPS / Decimal(10000)
        return FxQuote(
            pair=f"{base}/{quote}",
            bid=_quantize(mid - spread, 4),
            ask=_quantize(mid + spread, 4),
            mid=_quantize(mid, 4),
            as_of=ensure_utc(at) if at else utcnow(),
        )

    def _fx_mid(self, base: str, quote: str, at: datetime | None) -> Decimal:
        if base == quote:
            return Decimal(1)
        direct = f"{base}/{quote}"
        inverse = f"{quote}/{base}"
        if direct in self.instruments:
            return self.level(direct, at=at)
        if inverse in self.instruments:
            return Decimal(1) / self.level(inverse, at=at)
        if "USD" not in (base, quote):
            return self._fx_mid(base, "USD", at) * self._fx_mid("USD", quote, at)
        raise UnknownMarketCode(f"no rate for {base}/{quote}", code=f"{base}/{quote}")

    def index_level(self, code: str, *, at: datetime | None = None) -> Decimal:
        """Level of an index."""
        return _quantize(self.level(code, at=at), 2)

    def fund_nav(self, code: str, *, at: datetime | None = None) -> Decimal:
        """NAV per unit of a fund."""
        return _quantize(self.level(code, at=at), 4)


class SimulatedMarketFeed(CsvMarketData):
    """A deterministic random walk per instrument and day, plus small intraday ticks.

    The same code, day and minute always give the same level, so demos and tests are repeatable.
    """

    def __init__(self, path: Path | str = DEFAULT_MARKET_FILE, *, seed: str = "fincall") -> None:
        super().__init__(path)
        self.seed = seed
        self._closes: dict[str, list[float]] = {}

    def _shock(self, *parts: object) -> float:
        digest = hashlib.sha256("|".join(str(p) for p in (self.seed, *parts)).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big")).gauss(0.0, 1.0)  # noqa: S311

    def close(self, code: str, day: date) -> Decimal:
        """The simulated closing level of ``code`` on ``day``."""
        inst = self.instruments.get(code.upper())
        if inst is None:
            raise UnknownMarketCode(f"unknown market code {code}", code=code)
        n = (day - ANCHOR).days
        if n <= 0:
            return inst.value
        closes = self._closes.setdefault(inst.code, [float(inst.value)])
        while len(closes) <= n:
            d = ANCHOR + timedelta(days=len(closes))
            step = inst.daily_vol * self._shock(inst.code, d.isoformat())
            pull = -MEAN_REVERSION * math.log(closes[-1] / float(inst.value))
            closes.append(closes[-1] * math.exp(step + pull))
        return Decimal(repr(closes[n]))

    def level(self, code: str, *, at: datetime | None = None) -> Decimal:
        """Yesterday's close moved by a deterministic intraday tick for the minute of ``at``."""
        moment = ensure_utc(at) if at else utcnow()
        day = moment.date()
        prev = self.close(code, day - timedelta(days=1))
        today = self.close(code, day)
        frac = (moment.hour * 60 + moment.minute) / 1440
        inst = self.instruments[code.upper()]
        tick = inst.daily_vol * 0.1 * self._shock(inst.code, moment.strftime("%Y-%m-%dT%H:%M"))
        value = float(prev) + (float(today) - float(prev)) * frac
        return Decimal(repr(value * (1 + tick)))

    def previous_close(self, code: str, *, at: datetime | None = None) -> Decimal:
        """Yesterday's close, as of the UTC day of ``at``."""
        moment = ensure_utc(at) if at else utcnow()
        return self.close(code, moment.date() - timedelta(days=1))

    def history(
        self, code: str, *, days: int, until: date | None = None
    ) -> list[tuple[date, Decimal]]:
        """Daily closes for the last ``days`` days up to ``until`` (inclusive), oldest first."""
        end = until or utcnow().date()
        return [
            (end - timedelta(days=i), self.close(code, end - timedelta(days=i)))
            for i in range(days - 1, -1, -1)
        ]

    def day_move_percent(self, code: str, *, at: datetime | None = None) -> Decimal:
        """Percent move of the current level against yesterday's close."""
        moment = ensure_utc(at) if at else datetime.now(UTC)
        prev = self.previous_close(code, at=moment)
        return _quantize((self.level(code, at=moment) / prev - 1) * 100, 2)


def market_data_from(kind: str, path: Path | str = DEFAULT_MARKET_FILE) -> CsvMarketData:
    """The market-data adapter named by the ``market_data`` setting."""
    if kind == "csv":
        return CsvMarketData(path)
    return SimulatedMarketFeed(path)


CURRENCY_NAMES: dict[str, str] = {
    "美元": "USD",
    "美金": "USD",
    "港元": "HKD",
    "港币": "HKD",
    "港幣": "HKD",
    "人民币": "CNY",
    "人民幣": "CNY",
    "欧元": "EUR",
    "歐元": "EUR",
    "英镑": "GBP",
    "英鎊": "GBP",
    "日元": "JPY",
    "日圓": "JPY",
    "新加坡元": "SGD",
    "新币": "SGD",
    "澳元": "AUD",
    "令吉": "MYR",
    "hong kong dollar": "HKD",
    "singapore dollar": "SGD",
    "australian dollar": "AUD",
    "us dollar": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "yuan": "CNY",
    "renminbi": "CNY",
    "rmb": "CNY",
    "ringgit": "MYR",
}
ISO_CODES = frozenset({"USD", "HKD", "CNY", "EUR", "GBP", "JPY", "SGD", "AUD", "MYR"})


def currencies_in(text: str) -> list[str]:
    """Currencies named in free text (ISO codes or common English/Chinese names), in order."""
    found: list[tuple[int, str]] = []
    upper = text.upper()
    for code in ISO_CODES:
        idx = upper.find(code)
        if idx >= 0:
            found.append((idx, code))
    lower = text.lower()
    for name in sorted(CURRENCY_NAMES, key=len, reverse=True):
        idx = lower.find(name)
        if idx >= 0:
            found.append((idx, CURRENCY_NAMES[name]))
            lower = lower[:idx] + " " * len(name) + lower[idx + len(name) :]
    found.sort()
    out: list[str] = []
    for _, code in found:
        if code not in out:
            out.append(code)
    return out


def normalise_pair(text: str) -> str:
    """Turn "usd/hkd", "USDHKD" or "美元兑港币" into "USD/HKD"; raise ValueError if unclear."""
    compact = text.strip().upper().replace(" ", "")
    if len(compact) == 6 and compact[:3] in ISO_CODES and compact[3:] in ISO_CODES:
        return f"{compact[:3]}/{compact[3:]}"
    codes = currencies_in(text)
    if len(codes) == 1 and codes[0] != "USD":
        return f"USD/{codes[0]}"
    if len(codes) >= 2:
        return f"{codes[0]}/{codes[1]}"
    raise ValueError(f"not a currency pair: {text!r}")
