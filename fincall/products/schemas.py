from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from fincall.core.validation import ProductType


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=200)
    name_zh: str = Field(default="", max_length=200)
    type: ProductType
    risk_level: int = Field(ge=1, le=5)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    unit_price: Decimal = Field(default=Decimal("1"), gt=0, max_digits=18, decimal_places=4)
    description: str = Field(default="", max_length=4000)


class ProductUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    risk_level: int | None = Field(default=None, ge=1, le=5)
    unit_price: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=4)
    description: str | None = Field(default=None, max_length=4000)
    active: bool | None = None


class ProductRead(BaseModel):
    code: str
    name: str
    name_zh: str
    type: str
    risk_level: int
    currency: str
    unit_price: Decimal
    description: str
    active: bool
    created_at: datetime
