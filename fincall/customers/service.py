"""Customers: scoped reads, audited writes, masking by role, and the customer 360."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from fincall.auth import audit
from fincall.auth.masking import visible
from fincall.auth.permissions import Role, allowed
from fincall.auth.service import Principal
from fincall.contacts import service as contacts
from fincall.core.errors import Forbidden, Invalid
from fincall.customers import pricing
from fincall.customers.errors import CustomerNotFound, EmailTaken
from fincall.customers.models import Customer, Holding
from fincall.customers.schemas import CustomerCreate, CustomerUpdate, HoldingCreate
from fincall.products import service as products

SENSITIVE = ("phone", "email", "id_number", "date_of_birth")
_PLAIN = (
    "id",
    "name",
    "language",
    "region",
    "timezone",
    "segment",
    "risk_rating",
    "risk_assessed_at",
    "consent_marketing",
    "consent_recording",
    "do_not_call",
    "notes",
    "created_at",
    "updated_at",
)


def raw_view(customer: Customer) -> dict[str, Any]:
    """All fields unmasked (for audit digests and system use, never sent to a viewer)."""
    data = {name: getattr(customer, name) for name in _PLAIN}
    for name in SENSITIVE:
        value = getattr(customer, name)
        data[name] = value.isoformat() if name == "date_of_birth" and value else value
    return data


def customer_view(customer: Customer, *, role: str) -> dict[str, Any]:
    """The customer as ``role`` may see it (sensitive fields masked by role)."""
    data = raw_view(customer)
    for name in SENSITIVE:
        data[name] = visible(name, data[name], role)
    return data


def _scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    if allowed(principal.role, "customers.read_all"):
        return stmt
    return stmt.where(Customer.id.in_(contacts.served_customer_ids(principal.agent_id)))


def access_customer(*, session: Session, principal: Principal, customer_id: str) -> Customer:
    """Load a customer the caller may see; anything else is 'not found' (no existence leak)."""
    stmt = _scoped(select(Customer).where(Customer.id == customer_id), principal)
    customer = session.execute(stmt).scalar_one_or_none()
    if customer is None:
        raise CustomerNotFound("no such customer", customer_id=customer_id)
    return customer


def get(*, session: Session, customer_id: str) -> Customer:
    """Load a customer without scope checks (system use)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound("no such customer", customer_id=customer_id)
    return customer


def list_(
    *,
    session: Session,
    principal: Principal,
    q: str | None = None,
    region: str | None = None,
    segment: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Customer]:
    stmt = select(Customer).order_by(Customer.name)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Customer.name.ilike(like), Customer.id == q, Customer.phone == q))
    if region:
        stmt = stmt.where(Customer.region == region)
    if segment:
        stmt = stmt.where(Customer.segment == segment)
    return list(session.execute(_scoped(stmt, principal).limit(limit).offset(offset)).scalars())


def names_for(*, session: Session, customer_ids: Iterable[str | None]) -> dict[str, str]:
    """Customer names by id, for lists that show who a contact was with."""
    ids = {i for i in customer_ids if i}
    if not ids:
        return {}
    rows = session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
    return dict(rows.all())


def count(*, session: Session) -> int:
    return session.execute(select(func.count()).select_from(Customer)).scalar_one()


def _check_email_free(session: Session, email: str | None, exclude_id: str | None = None) -> None:
    if not email:
        return
    stmt = select(Customer.id).where(func.lower(Customer.email) == email.lower())
    if exclude_id:
        stmt = stmt.where(Customer.id != exclude_id)
    if session.execute(stmt).first() is not None:
        raise EmailTaken("another customer has this email", field="email")


def create(*, session: Session, data: CustomerCreate, actor: audit.Actor) -> Customer:
    """Create a customer; audited."""
    _check_email_free(session, data.email)
    customer = Customer(**data.model_dump())
    session.add(customer)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="customer.create",
        entity_type="customer",
        entity_id=customer.id,
        after=raw_view(customer),
    )
    return customer


def update(
    *, session: Session, customer: Customer, data: CustomerUpdate, actor: audit.Actor
) -> Customer:
    """Change a customer's fields; audited with before/after digests."""
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "language", "region", "timezone", "segment", "risk_rating"):
        if key in changes and changes[key] is None:
            raise Invalid(f"{key} cannot be empty", field=key)
    if "email" in changes:
        _check_email_free(session, changes["email"], exclude_id=customer.id)
    before = raw_view(customer)
    for key, value in changes.items():
        setattr(customer, key, value)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="customer.update",
        entity_type="customer",
        entity_id=customer.id,
        before=before,
        after=raw_view(customer),
        detail={"fields": sorted(changes)},
    )
    return customer


def delete(*, session: Session, customer: Customer, actor: audit.Actor) -> None:
    audit.record(
        session=session,
        actor=actor,
        action="customer.delete",
        entity_type="customer",
        entity_id=customer.id,
        before=raw_view(customer),
    )
    session.delete(customer)
    session.flush()


def add_holding(
    *, session: Session, customer: Customer, data: HoldingCreate, actor: audit.Actor
) -> Holding:
    product = products.get(session=session, code=data.product_code)
    holding = Holding(customer_id=customer.id, **data.model_dump())
    holding.product_code = product.code
    session.add(holding)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="holding.create",
        entity_type="customer",
        entity_id=customer.id,
        after=data.model_dump(mode="json"),
    )
    return holding


def holdings_view(
    *,
    session: Session,
    customer: Customer,
    market: pricing.DayQuotes | None = None,
    move_alert_percent: Decimal | None = None,
    at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Holdings valued at the market-data adapter's price (else the catalogue's unit price),
    with the day's move; ``moved`` marks a move beyond ``move_alert_percent`` either way."""
    catalogue = {p.code: p for p in products.list_(session=session, include_inactive=True)}
    out = []
    for h in customer.holdings:
        p = catalogue[h.product_code]
        quoted = pricing.quote(market, h.product_code, at=at)
        move = None if quoted is None else pricing.day_move(h.quantity, *quoted)
        price = p.unit_price if move is None else move.price
        out.append(
            {
                "id": h.id,
                "product_code": h.product_code,
                "product_name": p.name,
                "product_type": p.type,
                "risk_level": p.risk_level,
                "quantity": h.quantity,
                "cost": h.cost,
                "price": price,
                "market_value": (h.quantity * price).quantize(pricing.CENT),
                "currency": h.currency,
                "opened_at": h.opened_at,
                "previous_close": None if move is None else move.previous_close,
                "day_move": None if move is None else move.amount,
                "day_move_percent": None if move is None else move.percent,
                "moved": move_alert_percent is not None
                and pricing.moved(move, threshold_percent=move_alert_percent),
            }
        )
    return out


def customer_360(
    *,
    session: Session,
    principal: Principal,
    customer_id: str,
    market: pricing.DayQuotes | None = None,
    move_alert_percent: Decimal | None = None,
) -> dict[str, Any]:
    """Profile, holdings and the contact timeline across channels; an agent's read is audited."""
    stmt = _scoped(
        select(Customer).options(selectinload(Customer.holdings)).where(Customer.id == customer_id),
        principal,
    )
    customer = session.execute(stmt).scalar_one_or_none()
    if customer is None:
        raise CustomerNotFound("no such customer", customer_id=customer_id)
    holdings = holdings_view(
        session=session, customer=customer, market=market, move_alert_percent=move_alert_percent
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for h in holdings:
        totals[h["currency"]] += h["market_value"]
    timeline = contacts.timeline(session=session, customer_id=customer.id)
    above = [h["product_code"] for h in holdings if h["risk_level"] > customer.risk_rating]
    if principal.role == Role.AGENT:
        audit.record(
            session=session,
            actor=principal.actor,
            action="customer.view_360",
            entity_type="customer",
            entity_id=customer.id,
        )
    return {
        "profile": customer_view(customer, role=principal.role),
        "holdings": holdings,
        "holding_move_alert_percent": move_alert_percent,
        "total_value_by_currency": dict(totals),
        "timeline": timeline,
        "channels_used": sorted({t["channel"] for t in timeline}),
        "suitability": {
            "risk_rating": customer.risk_rating,
            "max_product_risk_level": customer.risk_rating,
            "holdings_above_rating": above,
        },
    }


def reveal(
    *, session: Session, principal: Principal, customer: Customer, field: str, reason: str
) -> str | None:
    """Show one sensitive field in full to a person who needs it now; always audited."""
    if field not in SENSITIVE:
        raise Invalid("not a sensitive field", field="field")
    if principal.role not in (Role.AGENT, Role.SUPERVISOR, Role.COMPLIANCE_OFFICER):
        raise Forbidden("your role may not reveal customer data")
    audit.record(
        session=session,
        actor=principal.actor,
        action="customer.reveal",
        entity_type="customer",
        entity_id=customer.id,
        detail={"field": field, "reason": reason},
    )
    return raw_view(customer)[field]
