from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from fincall.core.validation import Channel, Direction, Language, Speaker


class UtteranceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    speaker: Speaker
    text: str = Field(min_length=1, max_length=20000)
    start: float = Field(default=0.0, ge=0, le=86400)
    end: float = Field(default=0.0, ge=0, le=86400)

    @model_validator(mode="after")
    def _order(self) -> UtteranceCreate:
        if self.end and self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class UtteranceRead(BaseModel):
    seq: int
    speaker: str
    text: str
    start: float
    end: float
    sentiment_label: str | None = None  # customer utterances, once scored
    sentiment_score: float | None = None
    sentiment_flag: str | None = None  # angry | distressed


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str | None = Field(default=None, max_length=40)
    channel: Channel
    direction: Direction = "inbound"
    language: Language | None = None
    queue: str | None = Field(default=None, max_length=64)
    agent_id: str | None = Field(default=None, max_length=40)
    subject: str = Field(default="", max_length=300)
    started_at: AwareDatetime | None = None
    attributes: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    utterances: list[UtteranceCreate] = Field(default_factory=list, max_length=2000)


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str | None = Field(default=None, max_length=64)
    agent_id: str | None = Field(default=None, max_length=40)
    subject: str | None = Field(default=None, max_length=300)
    status: str | None = Field(
        default=None, pattern=r"^(new|queued|offered|active|wrap_up|ended|abandoned)$"
    )


class ContactEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_\-]+$")
    notes: str = Field(default="", max_length=4000)


class ContactRead(BaseModel):
    id: str
    customer_id: str | None
    channel: str
    direction: str
    status: str
    language: str | None
    queue: str | None
    agent_id: str | None
    subject: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    disposition: str | None
    wrap_up_notes: str
    attributes: dict[str, object]
    utterances: list[UtteranceRead] = Field(default_factory=list)
