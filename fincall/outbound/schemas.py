"""API shapes of the outbound routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fincall.outbound.outcomes import Outcome
from fincall.outbound.pacing import DialMode
from fincall.outbound.rules import Purpose


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    purpose: Purpose
    channel: str = Field(default="voice", pattern=r"^voice$")
    queue_id: str = Field(min_length=1, max_length=64)
    skills: dict[str, int] = Field(default_factory=dict)
    dial_mode: DialMode = DialMode.PROGRESSIVE
    abandon_cap: float = Field(default=0.03, ge=0, le=0.2)
    schedule: dict[str, str] = Field(default_factory=dict)
    script_text: str = Field(default="", max_length=20000)


class CampaignUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    queue_id: str | None = Field(default=None, min_length=1, max_length=64)
    skills: dict[str, int] | None = None
    dial_mode: DialMode | None = None
    abandon_cap: float | None = Field(default=None, ge=0, le=0.2)
    schedule: dict[str, str] | None = None
    script_text: str | None = Field(default=None, max_length=20000)


class MemberQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regions: list[str] = Field(default_factory=list, max_length=10)
    segments: list[str] = Field(default_factory=list, max_length=10)
    risk_min: int | None = Field(default=None, ge=1, le=5)
    risk_max: int | None = Field(default=None, ge=1, le=5)
    limit: int = Field(default=1000, ge=1, le=100_000)


class ManualDial(BaseModel):
    """A manual (or preview-mode) dial; with ``campaign_id`` the purpose is the campaign's."""

    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=40)
    purpose: Purpose | None = None
    campaign_id: str | None = Field(default=None, max_length=40)


class OutcomeIn(BaseModel):
    """``callback_local``: the customer's own wall time (no offset), e.g. 2026-11-24T10:30."""

    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    callback_local: datetime | None = None


class DncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=40)
    purpose: Purpose
    until: AwareDatetime | None = None
    note: str = Field(default="", max_length=1000)
