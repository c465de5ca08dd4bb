from __future__ import annotations

import pytest
from sqlalchemy import delete

from fincall.outbound.models import (
    Campaign,
    CampaignMember,
    DialAttempt,
    DncEntry,
    NationalDncImport,
    NationalDncNumber,
)


@pytest.fixture
def ob_world(world):
    """The seeded world without the demo campaigns' history, so that caps start from zero."""
    with world.runtime.transaction() as session:
        for model in (
            DialAttempt,
            CampaignMember,
            DncEntry,
            NationalDncNumber,
            NationalDncImport,
            Campaign,
        ):
            session.execute(delete(model))
    return world
