from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime
    role: str


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9_.\-]+$")
    password: str = Field(min_length=10, max_length=200)
    role: str = Field(pattern=r"^(agent|supervisor|qa_analyst|compliance_officer|admin)$")
    full_name: str = Field(default="", max_length=200)
    agent_id: str | None = Field(default=None, max_length=40)


class UserRead(BaseModel):
    id: str
    username: str
    full_name: str
    role: str
    agent_id: str | None
    active: bool


class AuditEventRead(BaseModel):
    seq: int
    at: datetime
    actor_id: str | None
    actor_role: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before_digest: str | None
    after_digest: str | None
    detail: dict[str, object]
    hash: str


class AuditVerifyRead(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None
