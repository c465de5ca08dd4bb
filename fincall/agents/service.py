"""Agents: skills, languages, regions, shifts and capacities."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincall.agents.models import Agent
from fincall.agents.schemas import AgentCreate, AgentUpdate
from fincall.auth import audit
from fincall.core.errors import Conflict, Invalid, NotFound

FIELDS = (
    "id",
    "name",
    "email",
    "skills",
    "languages",
    "region",
    "timezone",
    "senior",
    "max_chats",
    "max_emails",
    "shifts",
    "state",
    "state_since",
    "sip_username",
)


def agent_view(agent: Agent) -> dict[str, Any]:
    return {f: getattr(agent, f) for f in FIELDS}


def get(*, session: Session, agent_id: str) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound("no such agent", agent_id=agent_id)
    return agent


def list_(
    *, session: Session, state: str | None = None, skill: str | None = None, limit: int = 200
) -> list[Agent]:
    stmt = select(Agent).order_by(Agent.name).limit(limit)
    if state:
        stmt = stmt.where(Agent.state == state)
    agents = list(session.execute(stmt).scalars())
    if skill:
        agents = [a for a in agents if skill in (a.skills or {})]
    return agents


def _check_unique(session: Session, field: str, value: str | None, exclude: str | None) -> None:
    if not value:
        return
    col = getattr(Agent, field)
    stmt = select(Agent.id).where(func.lower(col) == value.lower())
    if exclude:
        stmt = stmt.where(Agent.id != exclude)
    if session.execute(stmt).first() is not None:
        raise Conflict(f"another agent has this {field}", field=field)


def create(*, session: Session, data: AgentCreate, actor: audit.Actor) -> Agent:
    _check_unique(session, "email", data.email, None)
    _check_unique(session, "sip_username", data.sip_username, None)
    agent = Agent(**data.model_dump())
    session.add(agent)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="agent.create",
        entity_type="agent",
        entity_id=agent.id,
        after=agent_view(agent),
    )
    return agent


def update(*, session: Session, agent: Agent, data: AgentUpdate, actor: audit.Actor) -> Agent:
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "skills", "languages", "region", "timezone", "max_chats", "max_emails"):
        if key in changes and changes[key] is None:
            raise Invalid(f"{key} cannot be empty", field=key)
    _check_unique(session, "email", changes.get("email"), agent.id)
    _check_unique(session, "sip_username", changes.get("sip_username"), agent.id)
    before = agent_view(agent)
    for key, value in changes.items():
        setattr(agent, key, value)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="agent.update",
        entity_type="agent",
        entity_id=agent.id,
        before=before,
        after=agent_view(agent),
    )
    return agent


def delete(*, session: Session, agent: Agent, actor: audit.Actor) -> None:
    audit.record(
        session=session,
        actor=actor,
        action="agent.delete",
        entity_type="agent",
        entity_id=agent.id,
        before=agent_view(agent),
    )
    session.delete(agent)
    session.flush()
