from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from fincall.agents import service
from fincall.agents.schemas import AgentCreate, AgentRead, AgentUpdate
from fincall.auth.service import Principal
from fincall.web.deps import require, unit_of_work

router = APIRouter(prefix="/api/agents", tags=["agents"])


@router.get("", response_model=list[AgentRead])
def list_agents(
    request: Request,
    state: str | None = Query(default=None, max_length=16),
    skill: str | None = Query(default=None, max_length=40),
    principal: Principal = Depends(require("agents.read")),
) -> list[dict[str, Any]]:
    with unit_of_work(request) as session:
        rows = service.list_(session=session, state=state, skill=skill)
        return [service.agent_view(a) for a in rows]


@router.post("", response_model=AgentRead, status_code=201)
def create_agent(
    body: AgentCreate, request: Request, principal: Principal = Depends(require("agents.write"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        return service.agent_view(service.create(session=session, data=body, actor=principal.actor))


@router.get("/{agent_id}", response_model=AgentRead)
def get_agent(
    agent_id: str, request: Request, principal: Principal = Depends(require("agents.read"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        return service.agent_view(service.get(session=session, agent_id=agent_id))


@router.patch("/{agent_id}", response_model=AgentRead)
def update_agent(
    agent_id: str,
    body: AgentUpdate,
    request: Request,
    principal: Principal = Depends(require("agents.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        agent = service.get(session=session, agent_id=agent_id)
        service.update(session=session, agent=agent, data=body, actor=principal.actor)
        return service.agent_view(agent)


@router.delete("/{agent_id}", status_code=204)
def delete_agent(
    agent_id: str, request: Request, principal: Principal = Depends(require("agents.delete"))
) -> None:
    with unit_of_work(request) as session:
        agent = service.get(session=session, agent_id=agent_id)
        service.delete(session=session, agent=agent, actor=principal.actor)
