from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from fincall.core.validation import Language, Region, Segment, check_timezone, normalize_phone


class _CustomerFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("timezone", check_fields=False)
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)

    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return normalize_phone(value, info.data.get("region"))

    @field_validator("date_of_birth", check_fields=False)
    @classmethod
    def _dob(cls, value: date | None) -> date | None:
        if value is not None and (value.year < 1900 or value > date.today()):  # noqa: DTZ011
            raise ValueError("date of birth out of range")
        return value


class CustomerCreate(_CustomerFields):
    name: str = Field(min_length=1, max_length=200)
    language: Language
    region: Region
    timezone: str
    phone: str | None = None
    email: EmailStr | None = None
    id_number: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9()\-]{4,40}$")
    date_of_birth: date | None = None
    segment: Segment = "mass"
    risk_rating: int = Field(ge=1, le=5)
    risk_assessed_at: date | None = None
    consent_marketing: bool = False
    consent_recording: bool = True
    do_not_call: bool = False
    notes: str = Field(default="", max_length=4000)


class CustomerUpdate(_CustomerFields):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    language: Language | None = None
    region: Region | None = None
    timezone: str | None = None
    phone: str | None = None
    email: EmailStr | None = None
    id_number: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9()\-]{4,40}$")
    date_of_birth: date | None = None
    segment: Segment | None = None
    risk_rating: int | None = Field(default=None, ge=1, le=5)
    risk_assessed_at: date | None = None
    consent_marketing: bool | None = None
    consent_recording: bool | None = None
    do_not_call: bool | None = None
    notes: str | None = Field(default=None, max_length=4000)


class CustomerRead(BaseModel):
    id: str
    name: str
    language: str
    region: str
    timezone: str
    phone: str | None
    email: str | None
    id_number: str | None
    date_of_birth: str | None
    segment: str
    risk_rating: int
    risk_assessed_at: date | None
    consent_marketing: bool
    consent_recording: bool
    do_not_call: bool
    notes: str
    created_at: datetime
    updated_at: datetime


class HoldingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_code: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(gt=0, max_digits=20, decimal_places=4)
    cost: Decimal = Field(ge=0, max_digits=20, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    opened_at: date | None = None


class HoldingRead(BaseModel):
    id: str
    product_code: str
    product_name: str
    product_type: str
    risk_level: int
    quantity: Decimal
    cost: Decimal
    price: Decimal
    market_value: Decimal
    currency: str
    opened_at: date | None
    # from the market-data adapter; None for a product it does not quote
    previous_close: Decimal | None = None
    day_move: Decimal | None = None  # in ``currency``
    day_move_percent: Decimal | None = None
    moved: bool = False  # moved more than the holding_move_alert_percent setting today


class TimelineEntry(BaseModel):
    id: str
    channel: str
    direction: str
    status: str
    queue: str | None
    agent_id: str | None
    subject: str
    started_at: datetime
    ended_at: datetime | None
    disposition: str | None
    utterance_count: int
    last_text: str | None


class Customer360(BaseModel):
    profile: CustomerRead
    holdings: list[HoldingRead]
    holding_move_alert_percent: Decimal | None = None
    total_value_by_currency: dict[str, Decimal]
    timeline: list[TimelineEntry]
    channels_used: list[str]
    suitability: dict[str, object]


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(pattern=r"^(phone|email|id_number|date_of_birth)$")
    reason: str = Field(min_length=3, max_length=300)
