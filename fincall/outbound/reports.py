"""Campaign metrics over stored attempts (the pure ``analytics`` module does the arithmetic)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.outbound.analytics import AttemptFact, CampaignMetrics, Funnel, campaign_metrics
from fincall.outbound.models import Campaign, DialAttempt
from fincall.outbound.outcomes import Outcome

FINISHED = ("completed",)


def _facts(session: Session, campaign: Campaign) -> list[AttemptFact]:
    rows = session.execute(
        select(DialAttempt).where(
            DialAttempt.campaign_id == campaign.id, DialAttempt.state.in_(FINISHED)
        )
    ).scalars()
    return [
        AttemptFact(
            customer_id=a.customer_id,
            at=a.dialed_at or a.created_at,
            timezone=a.customer_timezone or "UTC",
            outcome=Outcome(a.outcome) if a.outcome else None,
            abandoned=a.abandoned,
            script_version=f"v{a.script_version}" if a.script_version else None,
            campaign_id=a.campaign_id,
        )
        for a in rows
    ]


def block_counts(*, session: Session, campaign_id: str) -> dict[str, int]:
    """Blocked attempts by rule (an attempt blocked by two rules counts under both)."""
    counts: Counter[str] = Counter()
    for rules in session.execute(
        select(DialAttempt.blocked_rules).where(
            DialAttempt.campaign_id == campaign_id, DialAttempt.state == "blocked"
        )
    ).scalars():
        counts.update(rules or [])
    return dict(sorted(counts.items()))


def state_counts(*, session: Session, campaign_id: str) -> dict[str, int]:
    counts: Counter[str] = Counter(
        session.execute(
            select(DialAttempt.state).where(DialAttempt.campaign_id == campaign_id)
        ).scalars()
    )
    return dict(sorted(counts.items()))


def metrics(*, session: Session, campaign: Campaign) -> CampaignMetrics:
    """The campaign's metrics over its finished attempts."""
    return campaign_metrics(attempts=_facts(session, campaign), abandon_cap=campaign.abandon_cap)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _funnel(f: Funnel) -> dict[str, Any]:
    return {
        "attempts": f.attempts,
        "contacts": f.contacts,
        "right_party": f.right_party,
        "conversions": f.conversions,
        "contact_rate_pct": _num(f.contact_rate),
        "right_party_rate_pct": _num(f.right_party_rate),
        "conversion_rate_pct": _num(f.conversion_rate),
    }


def metrics_view(*, session: Session, campaign: Campaign) -> dict[str, Any]:
    """Every figure the campaign page and the metrics API show."""
    m = metrics(session=session, campaign=campaign)
    return {
        "campaign_id": campaign.id,
        "total": _funnel(m.total),
        "by_script": {k: _funnel(f) for k, f in m.by_script.items()},
        "by_local_hour": {f"{h:02d}": _funnel(f) for h, f in m.by_local_hour.items()},
        "abandoned": m.abandoned,
        "live_answers": m.live_answers,
        "abandonment_rate_pct": _num(m.abandonment_rate),
        "abandon_cap_pct": float(m.abandon_cap_percent),
        "within_abandon_cap": m.within_abandon_cap,
        "attempts_per_conversion": _num(m.attempts_per_conversion),
        "block_counts": block_counts(session=session, campaign_id=campaign.id),
        "states": state_counts(session=session, campaign_id=campaign.id),
    }
