from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from fincall.core.validation import Region, check_timezone

SKILL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
LANGS = {"zh-CN", "zh-HK", "en"}


class Shift(BaseModel):
    """A weekly shift in the agent's own timezone; ``days`` 0=Monday … 6=Sunday."""

    model_config = ConfigDict(extra="forbid")
    days: list[int] = Field(min_length=1, max_length=7)
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in value):
            raise ValueError("days are 0 (Monday) to 6 (Sunday)")
        return sorted(set(value))


class _AgentFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("skills", check_fields=False)
    @classmethod
    def _skills(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        for name, level in (value or {}).items():
            if not SKILL_NAME.match(name):
                raise ValueError(f"skill name {name!r} must be lower_snake_case")
            if not 1 <= level <= 5:
                raise ValueError(f"skill {name!r}: level must be 1..5")
        return value

    @field_validator("languages", check_fields=False)
    @classmethod
    def _langs(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            bad = [v for v in value if v not in LANGS]
            if bad:
                raise ValueError(f"unknown language(s) {bad}; use zh-CN, zh-HK, en")
        return value

    @field_validator("timezone", check_fields=False)
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)


class AgentCreate(_AgentFields):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    skills: dict[str, int] = Field(default_factory=dict)
    languages: list[str] = Field(min_length=1)
    region: Region
    timezone: str
    senior: bool = False
    max_chats: int = Field(default=3, ge=0, le=10)
    max_emails: int = Field(default=5, ge=0, le=50)
    shifts: list[Shift] = Field(default_factory=list)
    sip_username: str | None = Field(default=None, pattern=r"^[a-z0-9_.\-]{2,80}$")


class AgentUpdate(_AgentFields):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    skills: dict[str, int] | None = None
    languages: list[str] | None = Field(default=None, min_length=1)
    region: Region | None = None
    timezone: str | None = None
    senior: bool | None = None
    max_chats: int | None = Field(default=None, ge=0, le=10)
    max_emails: int | None = Field(default=None, ge=0, le=50)
    shifts: list[Shift] | None = None
    sip_username: str | None = Field(default=None, pattern=r"^[a-z0-9_.\-]{2,80}$")


class AgentRead(BaseModel):
    id: str
    name: str
    email: str | None
    skills: dict[str, int]
    languages: list[str]
    region: str
    timezone: str
    senior: bool
    max_chats: int
    max_emails: int
    shifts: list[Shift]
    state: str
    state_since: datetime
    sip_username: str | None
