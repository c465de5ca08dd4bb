"""Knowledge tests run on in-memory SQLite with only the kb_ tables."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from fincall.core.db import Base
from fincall.knowledge.models import KB_TABLES


@pytest.fixture()
def session() -> Session:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine, tables=KB_TABLES)
    with Session(engine) as s:
        yield s
    engine.dispose()
