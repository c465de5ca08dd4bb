"""Campaign metrics over attempts: pure functions, rates as Decimal percent."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from fincall.outbound.localtime import zone
from fincall.outbound.outcomes import CONNECTED_OUTCOMES, CONVERSION_OUTCOMES, Outcome
from fincall.outbound.pacing import DEFAULT_ABANDON_CAP

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class AttemptFact:
    """One finished attempt as analytics sees it (UTC time, the customer's zone)."""

    customer_id: str
    at: datetime
    timezone: str
    outcome: Outcome | None
    abandoned: bool = False
    script_version: str | None = None
    campaign_id: str | None = None


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` as a percent with two decimals, None when ``whole`` is 0."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Funnel:
    """Attempts, contacts, right-party contacts and conversions of one slice."""

    attempts: int = 0
    contacts: int = 0
    right_party: int = 0
    conversions: int = 0

    @property
    def contact_rate(self) -> Decimal | None:
        return percent(self.contacts, self.attempts)

    @property
    def right_party_rate(self) -> Decimal | None:
        return percent(self.right_party, self.attempts)

    @property
    def conversion_rate(self) -> Decimal | None:
        return percent(self.conversions, self.right_party)

    def add(self, fact: AttemptFact) -> Funnel:
        o = fact.outcome
        contact = o in CONNECTED_OUTCOMES and not fact.abandoned
        rpc = contact and o is not Outcome.WRONG_NUMBER
        return Funnel(
            self.attempts + 1,
            self.contacts + contact,
            self.right_party + rpc,
            self.conversions + (o in CONVERSION_OUTCOMES),
        )


@dataclass(frozen=True, slots=True)
class CampaignMetrics:
    """Totals, slices by script version and by the customer's local hour, abandonment vs cap."""

    total: Funnel
    by_script: dict[str, Funnel] = field(default_factory=dict)
    by_local_hour: dict[int, Funnel] = field(default_factory=dict)
    abandoned: int = 0
    live_answers: int = 0
    abandon_cap_percent: Decimal = Decimal("3.00")

    @property
    def abandonment_rate(self) -> Decimal | None:
        return percent(self.abandoned, self.live_answers)

    @property
    def within_abandon_cap(self) -> bool:
        rate = self.abandonment_rate
        return rate is None or rate <= self.abandon_cap_percent

    @property
    def attempts_per_conversion(self) -> Decimal | None:
        if self.total.conversions == 0:
            return None
        value = Decimal(self.total.attempts) / Decimal(self.total.conversions)
        return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def campaign_metrics(
    *, attempts: Iterable[AttemptFact], abandon_cap: float = DEFAULT_ABANDON_CAP
) -> CampaignMetrics:
    """Compute every campaign metric in one pass over the attempts."""
    total = Funnel()
    by_script: dict[str, Funnel] = {}
    by_hour: dict[int, Funnel] = {}
    abandoned = live = 0
    for fact in attempts:
        total = total.add(fact)
        script = fact.script_version or "unversioned"
        by_script[script] = by_script.get(script, Funnel()).add(fact)
        tz = zone(fact.timezone)
        hour = fact.at.astimezone(tz).hour if tz is not None else fact.at.hour
        by_hour[hour] = by_hour.get(hour, Funnel()).add(fact)
        if fact.abandoned:
            abandoned += 1
        if fact.abandoned or fact.outcome in CONNECTED_OUTCOMES:
            live += 1
    cap = (Decimal(str(abandon_cap)) * 100).quantize(_CENT)
    return CampaignMetrics(
        total,
        dict(sorted(by_script.items())),
        dict(sorted(by_hour.items())),
        abandoned,
        live,
        cap,
    )


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def metrics_csv(metrics: CampaignMetrics) -> str:
    """CSV export: one row per slice (total, each script version, each local hour)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "slice",
            "key",
            "attempts",
            "contacts",
            "right_party",
            "conversions",
            "contact_rate_pct",
            "right_party_rate_pct",
            "conversion_rate_pct",
        ]
    )
    slices: list[tuple[str, str, Funnel]] = [("total", "", metrics.total)]
    slices += [("script", k, f) for k, f in metrics.by_script.items()]
    slices += [("local_hour", f"{h:02d}", f) for h, f in metrics.by_local_hour.items()]
    for kind, key, f in slices:
        writer.writerow(
            [
                kind,
                key,
                f.attempts,
                f.contacts,
                f.right_party,
                f.conversions,
                _fmt(f.contact_rate),
                _fmt(f.right_party_rate),
                _fmt(f.conversion_rate),
            ]
        )
    return out.getvalue()
