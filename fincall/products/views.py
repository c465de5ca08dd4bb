from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from fincall.auth.service import Principal
from fincall.products import service
from fincall.products.schemas import ProductCreate, ProductRead, ProductUpdate
from fincall.web.deps import require, unit_of_work

router = APIRouter(prefix="/api/products", tags=["products"])


@router.get("", response_model=list[ProductRead])
def list_products(
    request: Request,
    include_inactive: bool = False,
    principal: Principal = Depends(require("products.read")),
) -> list[dict[str, Any]]:
    with unit_of_work(request) as session:
        rows = service.list_(session=session, include_inactive=include_inactive)
        return [service.product_view(p) for p in rows]


@router.post("", response_model=ProductRead, status_code=201)
def create_product(
    body: ProductCreate, request: Request, principal: Principal = Depends(require("products.write"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        return service.product_view(
            service.create(session=session, data=body, actor=principal.actor)
        )


@router.get("/{code}", response_model=ProductRead)
def get_product(
    code: str, request: Request, principal: Principal = Depends(require("products.read"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        return service.product_view(service.get(session=session, code=code))


@router.patch("/{code}", response_model=ProductRead)
def update_product(
    code: str,
    body: ProductUpdate,
    request: Request,
    principal: Principal = Depends(require("products.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        product = service.get(session=session, code=code)
        service.update(session=session, product=product, data=body, actor=principal.actor)
        return service.product_view(product)


@router.delete("/{code}", status_code=204)
def retire_product(
    code: str, request: Request, principal: Principal = Depends(require("products.write"))
) -> None:
    with unit_of_work(request) as session:
        product = service.get(session=session, code=code)
        service.delete(session=session, product=product, actor=principal.actor)
