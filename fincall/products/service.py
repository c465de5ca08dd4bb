"""The product catalogue (deposits, funds, wealth, insurance, loans, cards) with risk levels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.core.errors import Conflict, Invalid, NotFound
from fincall.products.models import Product
from fincall.products.schemas import ProductCreate, ProductUpdate

FIELDS = ("code", "name", "name_zh", "type", "risk_level", "currency", "unit_price")


def product_view(p: Product) -> dict[str, Any]:
    return {
        **{f: getattr(p, f) for f in FIELDS},
        "description": p.description,
        "active": p.active,
        "created_at": p.created_at,
    }


def get(*, session: Session, code: str) -> Product:
    product = session.get(Product, code)
    if product is None:
        raise NotFound("no such product", code=code)
    return product


def list_(*, session: Session, include_inactive: bool = False) -> list[Product]:
    stmt = select(Product).order_by(Product.code)
    if not include_inactive:
        stmt = stmt.where(Product.active.is_(True))
    return list(session.execute(stmt).scalars())


def create(*, session: Session, data: ProductCreate, actor: audit.Actor) -> Product:
    if session.get(Product, data.code) is not None:
        raise Conflict("a product with this code exists", field="code")
    if data.type == "deposit" and data.risk_level > 2:
        raise Invalid("a deposit cannot carry a risk level above R2", field="risk_level")
    product = Product(**data.model_dump())
    session.add(product)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="product.create",
        entity_type="product",
        entity_id=product.code,
        after=product_view(product),
    )
    return product


def update(
    *, session: Session, product: Product, data: ProductUpdate, actor: audit.Actor
) -> Product:
    before = product_view(product)
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "risk_level", "unit_price", "active"):
        if key in changes and changes[key] is None:
            raise Invalid(f"{key} cannot be empty", field=key)
    for key, value in changes.items():
        setattr(product, key, value)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="product.update",
        entity_type="product",
        entity_id=product.code,
        before=before,
        after=product_view(product),
    )
    return product


def delete(*, session: Session, product: Product, actor: audit.Actor) -> None:
    """Retire a product (kept for the holdings and contacts that name it)."""
    before = product_view(product)
    product.active = False
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="product.retire",
        entity_type="product",
        entity_id=product.code,
        before=before,
        after=product_view(product),
    )
