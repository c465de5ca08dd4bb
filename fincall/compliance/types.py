"""Plain data the engine takes in and gives out (mirrors the contact and customer models)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "prohibited_promise",
    "missing_risk_disclosure",
    "missing_rate_disclosure",
    "suitability_mismatch",
    "identity_not_verified",
    "sensitive_data_exposure",
    "agent_misconduct",
    "continued_after_refusal",
    "calling_hours_violation",
    "complaint_risk",
)
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")
SPEAKERS: tuple[str, ...] = ("agent", "customer", "bot")
PRODUCT_TYPES: tuple[str, ...] = (
    "deposit",
    "fund",
    "wealth",
    "insurance",
    "loan",
    "installment",
    "credit_card",
)
LANGUAGES: tuple[str, ...] = ("zh-CN", "zh-HK", "en")


@dataclass(frozen=True, slots=True)
class Utterance:
    speaker: str
    text: str
    start: float = 0.0
    end: float = 0.0


@dataclass(frozen=True, slots=True)
class CustomerInfo:
    id: str = ""
    risk_rating: int | None = None
    timezone: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class ProductInfo:
    code: str
    name: str = ""
    type: str = "fund"
    risk_level: int | None = None
    investment_linked: bool = False


@dataclass(frozen=True, slots=True)
class ContactInput:
    id: str
    language: str
    utterances: tuple[Utterance, ...]
    customer: CustomerInfo = field(default_factory=CustomerInfo)
    products: tuple[ProductInfo, ...] = ()
    channel: str = "voice"
    direction: str = "inbound"
    started_at: datetime | None = None
    agent_id: str | None = None
    identity_verified: bool = False


@dataclass(frozen=True, slots=True)
class Evidence:
    text: str
    char_start: int
    char_end: int


@dataclass(frozen=True, slots=True)
class Finding:
    contact_id: str
    category: str
    rule_id: str
    pack_id: str
    pack_version: str
    severity: str
    utterance_index: int | None
    start: float | None
    evidence: Evidence | None
    detail: str = ""
    layer: str = "phrase"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class InspectionResult:
    contact_id: str
    pack_id: str
    pack_version: str
    findings: tuple[Finding, ...]
    agent_id: str | None = None
