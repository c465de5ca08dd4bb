"""Typed settings from the environment (``FINCALL_*``) or a ``.env`` file.

Settings are built once by the entry point (CLI, app factory) and passed down;
nothing reads the environment at import time.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fincall"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FINCALL_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    recording_key: SecretStr | None = None

    host: str = "127.0.0.1"
    port: int = 8000
    # threads for blocking work (database, models) shared by all requests and sockets: enough
    # to overlap I/O, few enough that the one holding the SQLite write turn is not starved
    worker_threads: int = Field(default=12, ge=2, le=256)
    http_keepalive_seconds: int = Field(default=30, ge=1)
    sip_host: str = "127.0.0.1"
    sip_port: int = 5070
    sip_enabled: bool = True

    smtp_enabled: bool = True
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_relay_host: str | None = None
    smtp_relay_port: int = 25
    mail_from: str = "Customer Service <service@bank.example>"
    mail_domain: str = "bank.example"
    webhook_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    webhook_reply_urls: dict[str, str] = Field(default_factory=dict)

    nlu_enabled: bool = True
    seed_demo_data: bool = True
    session_hours: int = 12
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    identity_validity_minutes: int = 30
    default_jurisdiction: str = "cn-mainland"
    # routing: points added to a waiting contact whose customer is angry or distressed (0 = off)
    sentiment_priority_boost: int = Field(default=1, ge=0, le=100)
    market_data: Literal["simulated", "csv"] = "simulated"  # the market-data adapter
    # the desk highlights holdings whose price moved more than this today (either way)
    holding_move_alert_percent: Decimal = Field(default=Decimal("2"), ge=0, le=100)

    # Campaign calls: a seeded simulated trunk, or real calls over a SIP trunk (voice channel).
    outbound_dialer: Literal["simulated", "sip"] = "simulated"
    outbound_trunk_uri: str | None = None  # e.g. sip:127.0.0.1:5090; the number is the user part
    outbound_caller_id: str = "fincall"
    outbound_ring_timeout: float = Field(default=30.0, gt=0, le=300)  # seconds, then CANCEL

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _sip_dialer_needs_a_trunk(self) -> Settings:
        if self.outbound_dialer == "sip":
            uri = self.outbound_trunk_uri or ""
            if not uri.startswith("sip:") or len(uri) <= 4:
                raise ValueError(
                    "FINCALL_OUTBOUND_DIALER=sip needs FINCALL_OUTBOUND_TRUNK_URI "
                    "(e.g. sip:127.0.0.1:5090)"
                )
            if not self.sip_enabled:
                raise ValueError("FINCALL_OUTBOUND_DIALER=sip needs FINCALL_SIP_ENABLED=true")
        return self

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> Settings:
        if self.environment == "production":
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < 32:
                raise ValueError(
                    "FINCALL_SECRET_KEY must be set to at least 32 characters in production"
                )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'fincall.db'}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def _persisted_secret(self, name: str, given: SecretStr | None) -> str:
        if given is not None:
            return given.get_secret_value()
        path = self.ensure_data_dir() / name
        if path.exists():
            return path.read_text().strip()
        value = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        return value

    @cached_property
    def secret(self) -> str:
        """The signing secret: given, or generated once and kept in the data dir (mode 0600)."""
        return self._persisted_secret("secret_key", self.secret_key)

    @cached_property
    def recording_master_key(self) -> str:
        """The key wrapping per-recording data keys (given, or generated and kept)."""
        return self._persisted_secret("recording_key", self.recording_key)


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
