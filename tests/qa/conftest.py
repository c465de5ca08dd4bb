"""QA fixtures: the test world with the QA tables, and helpers to make contacts via the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from fincall.core.db import Base
from fincall.qa.models import TABLES


@pytest.fixture
def qa_world(world):
    """The demo world plus the QA tables (the migration is generated later)."""
    Base.metadata.create_all(world.runtime.engine, tables=TABLES)
    return world


def pick(world, *, region: str, language: str) -> tuple[str, str]:
    """A (customer id, agent id) of the demo data for a region and language."""
    from fincall.agents.models import Agent
    from fincall.customers.models import Customer

    with world.runtime.transaction() as session:
        cus = (
            session.execute(
                select(Customer).where(Customer.region == region, Customer.language == language)
            )
            .scalars()
            .first()
        )
        agents = list(session.execute(select(Agent).order_by(Agent.name)).scalars())
        agent = next(a for a in agents if language in (a.languages or []))
        return cus.id, agent.id


def make_contact(
    world,
    utterances: list[tuple[str, str]],
    *,
    customer_id: str | None,
    agent_id: str | None,
    language: str = "en",
    direction: str = "inbound",
    started_at: datetime | None = None,
    end: bool = True,
    role: str = "supervisor",
) -> str:
    """Create a contact through the API (and end it); returns its id."""
    body: dict[str, Any] = {
        "channel": "chat",
        "direction": direction,
        "language": language,
        "customer_id": customer_id,
        "agent_id": agent_id,
        "utterances": [
            {"speaker": s, "text": t, "start": float(i * 4), "end": float(i * 4 + 3)}
            for i, (s, t) in enumerate(utterances)
        ],
    }
    if started_at is not None:
        body["started_at"] = started_at.isoformat()
    h = world.headers(role)
    r = world.client.post("/api/contacts", json=body, headers=h)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    if end:
        r = world.client.post(
            f"/api/contacts/{cid}/end", json={"disposition": "resolved"}, headers=h
        )
        assert r.status_code == 200, r.text
    return cid


PROMISE = [
    ("customer", "I have some savings and want better returns."),
    ("agent", "I recommend our Global Bond Fund, it has guaranteed returns of 8% a year."),
    ("customer", "Sounds good."),
]
CLEAN = [
    ("customer", "Hello, I would like to know my branch opening hours."),
    ("agent", "Our branches open from 9am to 5pm on weekdays."),
    ("customer", "Thanks, that's all."),
]
