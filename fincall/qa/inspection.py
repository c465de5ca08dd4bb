"""Entry points for post-contact inspection (called by the contacts pipeline and reruns)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fincall.compliance.engine import check_live, inspect_contact
from fincall.compliance.rulepack import choose_pack_id, get_pack
from fincall.compliance.types import (
    ContactInput,
    CustomerInfo,
    InspectionResult,
    ProductInfo,
    Utterance,
)
from fincall.core.clock import ensure_utc
from fincall.qa.scorecard import Score, ScorecardConfig, score_contact

__all__ = [
    "check_live",
    "choose_pack_id",
    "contact_input_from_records",
    "get_pack",
    "inspect_and_score",
    "inspect_contact",
]


def inspect_and_score(
    contact: ContactInput,
    *,
    pack: str | None = None,
    scorecard: ScorecardConfig | None = None,
    data_dir: Path | None = None,
) -> tuple[InspectionResult, Score]:
    """Inspect a contact with the given (or the chosen) pack and score it.

    ``data_dir`` adds the tenant's ``<data_dir>/rulepacks`` to the shipped packs.
    """
    pid = pack or choose_pack_id(
        language=contact.language,
        region=contact.customer.region,
        timezone=contact.customer.timezone,
    )
    result = inspect_contact(contact, pack=get_pack(pid, data_dir=data_dir))
    return result, score_contact(contact_id=contact.id, findings=result.findings, config=scorecard)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def contact_input_from_records(
    *,
    contact: Any,
    utterances: Iterable[Any],
    customer: Any | None = None,
    products: Iterable[Any] = (),
    identity_verified: bool = False,
) -> ContactInput:
    """Build the engine's input from stored records (ORM rows or mappings with the model's fields).

    Language comes from the contact when it has one, else from the customer; a naive
    ``started_at`` (SQLite) is taken as UTC.
    """
    started = _get(contact, "started_at")
    if started is not None:
        started = ensure_utc(started)
    language = _get(contact, "language") or _get(customer, "language") or "en"
    utts = sorted(utterances, key=lambda u: _get(u, "seq", 0) or 0)
    return ContactInput(
        id=str(_get(contact, "id")),
        language=str(language),
        utterances=tuple(
            Utterance(
                speaker=str(_get(u, "speaker", "agent")),
                text=str(_get(u, "text", "") or ""),
                start=float(_get(u, "start", 0.0) or 0.0),
                end=float(_get(u, "end", 0.0) or 0.0),
            )
            for u in utts
        ),
        customer=CustomerInfo(
            id=str(_get(customer, "id", "") or ""),
            risk_rating=_get(customer, "risk_rating"),
            timezone=_get(customer, "timezone"),
            region=_get(customer, "region"),
        ),
        products=tuple(
            ProductInfo(
                code=str(_get(p, "code")),
                name=str(_get(p, "name", "") or ""),
                type=str(_get(p, "type", "fund")),
                risk_level=_get(p, "risk_level"),
                investment_linked=bool(_get(p, "investment_linked", False)),
            )
            for p in products
        ),
        channel=str(_get(contact, "channel", "voice")),
        direction=str(_get(contact, "direction", "inbound")),
        started_at=started,
        agent_id=_get(contact, "agent_id"),
        identity_verified=identity_verified,
    )
