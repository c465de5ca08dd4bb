"""Parse contacts from JSON-like dicts (the JSON Lines file format) with precise reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fincall.compliance.errors import ContactInputError
from fincall.compliance.types import (
    LANGUAGES,
    PRODUCT_TYPES,
    SPEAKERS,
    ContactInput,
    CustomerInfo,
    ProductInfo,
    Utterance,
)


def _fail(reason: str) -> ContactInputError:
    return ContactInputError(reason, reason=reason)


def _int_1_5(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise _fail(f"{what} must be an integer 1..5, got {value!r}")
    return value


def _num(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"{what} must be a number, got {value!r}")
    return float(value)


def contact_from_dict(data: Any) -> ContactInput:
    """Build a ContactInput from one decoded JSON object; raise ContactInputError with a reason."""
    if not isinstance(data, dict):
        raise _fail("a contact must be a JSON object")
    cid = data.get("id")
    if not isinstance(cid, str) or not cid:
        raise _fail("missing or empty 'id'")
    language = data.get("language")
    if language not in LANGUAGES:
        raise _fail(f"'language' must be one of {', '.join(LANGUAGES)}, got {language!r}")
    raw_utts = data.get("utterances")
    if not isinstance(raw_utts, list):
        raise _fail("'utterances' must be a list")
    utts = []
    for k, u in enumerate(raw_utts):
        if not isinstance(u, dict):
            raise _fail(f"utterances[{k}] must be an object")
        if u.get("speaker") not in SPEAKERS:
            raise _fail(f"utterances[{k}].speaker must be agent, customer or bot")
        text = u.get("text")
        if not isinstance(text, str):
            raise _fail(f"utterances[{k}].text must be a string")
        start = _num(u.get("start", 0.0), f"utterances[{k}].start")
        end = _num(u.get("end", start), f"utterances[{k}].end")
        utts.append(Utterance(speaker=u["speaker"], text=text, start=start, end=end))
    cust_raw = data.get("customer") or {}
    if not isinstance(cust_raw, dict):
        raise _fail("'customer' must be an object")
    tz = cust_raw.get("timezone")
    if tz is not None and not isinstance(tz, str):
        raise _fail("customer.timezone must be a string")
    customer = CustomerInfo(
        id=str(cust_raw.get("id") or ""),
        risk_rating=_int_1_5(cust_raw.get("risk_rating"), "customer.risk_rating"),
        timezone=tz or None,
        region=cust_raw.get("region"),
    )
    products = []
    raw_products = data.get("products") or []
    if not isinstance(raw_products, list):
        raise _fail("'products' must be a list")
    for k, p in enumerate(raw_products):
        if not isinstance(p, dict) or not p.get("code"):
            raise _fail(f"products[{k}] must be an object with a 'code'")
        ptype = p.get("type", "fund")
        if ptype not in PRODUCT_TYPES:
            raise _fail(f"products[{k}].type must be one of {', '.join(PRODUCT_TYPES)}")
        products.append(
            ProductInfo(
                code=str(p["code"]),
                name=str(p.get("name") or ""),
                type=ptype,
                risk_level=_int_1_5(p.get("risk_level"), f"products[{k}].risk_level"),
                investment_linked=bool(p.get("investment_linked", False)),
            )
        )
    started_at = None
    raw_start = data.get("started_at")
    if raw_start is not None:
        try:
            started_at = datetime.fromisoformat(str(raw_start).replace("Z", "+00:00"))
        except ValueError as exc:
            raise _fail(f"'started_at' is not an ISO 8601 timestamp: {raw_start!r}") from exc
        if started_at.tzinfo is None:
            raise _fail("'started_at' must carry a UTC offset")
    channel = data.get("channel", "voice")
    direction = data.get("direction", "inbound")
    if direction not in ("inbound", "outbound"):
        raise _fail(f"'direction' must be inbound or outbound, got {direction!r}")
    return ContactInput(
        id=cid,
        language=language,
        utterances=tuple(utts),
        customer=customer,
        products=tuple(products),
        channel=str(channel),
        direction=direction,
        started_at=started_at,
        agent_id=data.get("agent_id") if isinstance(data.get("agent_id"), str) else None,
        identity_verified=bool(data.get("identity_verified", False)),
    )


def example_contact(
    example: Any, *, rule_speaker: str, language: str, direction: str
) -> ContactInput:
    """Turn a rule's YAML example (a sentence or a compact contact) into a ContactInput."""
    if isinstance(example, str):
        data: dict[str, Any] = {"utterances": [f"{rule_speaker}: {example}"]}
    else:
        data = dict(example)
    utts = []
    for k, line in enumerate(data.get("utterances", [])):
        speaker, _, text = str(line).partition(":")
        utts.append({"speaker": speaker.strip(), "text": text.strip(), "start": float(k * 5)})
    data["utterances"] = utts
    data.setdefault("id", "example")
    data.setdefault("language", language)
    data.setdefault("direction", direction)
    return contact_from_dict(data)
