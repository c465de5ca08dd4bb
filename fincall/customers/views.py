from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from fincall.auth.service import Principal
from fincall.core.validation import Region, Segment
from fincall.customers import service
from fincall.customers.schemas import (
    Customer360,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    HoldingCreate,
    HoldingRead,
    RevealRequest,
)
from fincall.web.deps import pricing_of, require, unit_of_work

router = APIRouter(prefix="/api/customers", tags=["customers"])


@router.get("", response_model=list[CustomerRead])
def list_customers(
    request: Request,
    q: str | None = Query(default=None, max_length=100),
    region: Region | None = None,
    segment: Segment | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    principal: Principal = Depends(require("customers.read")),
) -> list[dict[str, Any]]:
    with unit_of_work(request) as session:
        rows = service.list_(
            session=session,
            principal=principal,
            q=q,
            region=region,
            segment=segment,
            limit=limit,
            offset=offset,
        )
        return [service.customer_view(c, role=principal.role) for c in rows]


@router.post("", response_model=CustomerRead, status_code=201)
def create_customer(
    body: CustomerCreate,
    request: Request,
    principal: Principal = Depends(require("customers.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        customer = service.create(session=session, data=body, actor=principal.actor)
        return service.customer_view(customer, role=principal.role)


@router.get("/{customer_id}", response_model=CustomerRead)
def get_customer(
    customer_id: str, request: Request, principal: Principal = Depends(require("customers.read"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        customer = service.access_customer(
            session=session, principal=principal, customer_id=customer_id
        )
        return service.customer_view(customer, role=principal.role)


@router.patch("/{customer_id}", response_model=CustomerRead)
def update_customer(
    customer_id: str,
    body: CustomerUpdate,
    request: Request,
    principal: Principal = Depends(require("customers.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        customer = service.access_customer(
            session=session, principal=principal, customer_id=customer_id
        )
        service.update(session=session, customer=customer, data=body, actor=principal.actor)
        return service.customer_view(customer, role=principal.role)


@router.delete("/{customer_id}", status_code=204)
def delete_customer(
    customer_id: str, request: Request, principal: Principal = Depends(require("customers.delete"))
) -> None:
    with unit_of_work(request) as session:
        customer = service.access_customer(
            session=session, principal=principal, customer_id=customer_id
        )
        service.delete(session=session, customer=customer, actor=principal.actor)


@router.get("/{customer_id}/360", response_model=Customer360)
def customer_360(
    customer_id: str, request: Request, principal: Principal = Depends(require("customers.read"))
) -> dict[str, Any]:
    """Profile, holdings with values, and every contact across channels, newest first."""
    with unit_of_work(request) as session:
        return service.customer_360(
            session=session, principal=principal, customer_id=customer_id, **pricing_of(request)
        )


@router.post("/{customer_id}/holdings", response_model=HoldingRead, status_code=201)
def add_holding(
    customer_id: str,
    body: HoldingCreate,
    request: Request,
    principal: Principal = Depends(require("customers.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        customer = service.access_customer(
            session=session, principal=principal, customer_id=customer_id
        )
        holding = service.add_holding(
            session=session, customer=customer, data=body, actor=principal.actor
        )
        session.refresh(customer)
        views = service.holdings_view(session=session, customer=customer, **pricing_of(request))
        return next(v for v in views if v["id"] == holding.id)


@router.post("/{customer_id}/reveal")
def reveal_field(
    customer_id: str,
    body: RevealRequest,
    request: Request,
    principal: Principal = Depends(require("customers.reveal")),
) -> dict[str, Any]:
    """Show one masked field in full, for a stated reason; always written to the audit chain."""
    with unit_of_work(request) as session:
        customer = service.access_customer(
            session=session, principal=principal, customer_id=customer_id
        )
        value = service.reveal(
            session=session,
            principal=principal,
            customer=customer,
            field=body.field,
            reason=body.reason,
        )
        return {"field": body.field, "value": value}
