"""Outbound tables on the test world's database (the migration comes with the lead's merge)."""

from __future__ import annotations

import pytest

from fincall.core.db import Base
from fincall.outbound.models import TABLES


@pytest.fixture
def ob_world(world):
    """The seeded world with the outbound tables created."""
    Base.metadata.create_all(world.runtime.engine, tables=list(TABLES))
    return world
