"""The composition root: settings, database, event bus and task runner of one fincall process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from fincall.auth.audit import AUDIT_KEY, chain_key
from fincall.core.db import make_engine, transaction
from fincall.core.events import BUS_KEY, EventBus
from fincall.core.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    bus: EventBus = field(default_factory=EventBus)

    @classmethod
    def create(cls, settings: Settings, *, engine: Engine | None = None) -> Runtime:
        settings.ensure_data_dir()
        engine = engine or make_engine(settings.sqlalchemy_url)
        bus = EventBus()
        sessions = sessionmaker(
            bind=engine,
            expire_on_commit=False,
            info={AUDIT_KEY: chain_key(settings.secret), BUS_KEY: bus},
        )
        return cls(settings=settings, engine=engine, sessions=sessions, bus=bus)

    @property
    def audit_key(self) -> bytes:
        return chain_key(self.settings.secret)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work (commit on success); events queued with publish_on_commit follow."""
        with transaction(self.sessions) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
