from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OverflowRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_seconds: float = Field(ge=0, le=86400)
    action: str = Field(pattern=r"^(widen_skill|drop_skill|move_queue|offer_callback|offer_bot)$")
    skill: str | None = Field(default=None, max_length=40)
    min_level: int | None = Field(default=None, ge=1, le=5)
    target_queue: str | None = Field(default=None, max_length=64)


class QueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-zA-Z0-9_\-]{2,64}$")
    name: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=0, ge=0, le=100)
    sl_target: float = Field(default=0.8, gt=0, le=1)
    sl_seconds: float = Field(default=20, gt=0, le=86400)
    skills: dict[str, int] = Field(default_factory=dict)
    language: str | None = Field(default=None, pattern=r"^(en|zh-CN|zh-HK)$")
    overflow: list[OverflowRuleIn] = Field(default_factory=list, max_length=10)
    sticky_window_seconds: float = Field(default=15, ge=0, le=600)
    offer_timeout_seconds: float = Field(default=20, ge=3, le=600)
    vip: bool = False


class QueueRead(QueueIn):
    model_config = ConfigDict(extra="ignore", from_attributes=True)


class StateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: str = Field(pattern=r"^(offline|available|wrap_up|break|not_ready)$")


class DeskMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)
    client_msg_id: str | None = Field(default=None, max_length=64)
    acknowledge_warnings: bool = False


class DraftCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)


class WrapUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_\-]+$")
    notes: str = Field(default="", max_length=4000)


class MoveContact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue_id: str = Field(min_length=1, max_length=64)
