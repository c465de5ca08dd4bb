"""The JSON a gateway posts to fincall and what fincall answers."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from fincall.core.validation import normalize_phone


class InboundMessage(BaseModel):
    """One customer message; unknown extra fields from a gateway are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    message_id: str = Field(min_length=1, max_length=200)
    sender: str = Field(alias="from", min_length=3, max_length=32)
    text: str = Field(min_length=1, max_length=20000)
    sent_at: AwareDatetime | None = None

    @field_validator("sender")
    @classmethod
    def _e164(cls, value: str) -> str:
        return normalize_phone(value)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value


class InboundAccepted(BaseModel):
    contact_id: str
    message_id: str
    seq: int | None
    duplicate: bool
    customer_id: str | None
