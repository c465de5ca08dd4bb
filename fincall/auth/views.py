from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from fincall.auth import audit
from fincall.auth import service as auth
from fincall.auth.errors import AccountLocked, BadCredentials
from fincall.auth.models import AuditEvent
from fincall.auth.schemas import (
    AuditEventRead,
    AuditVerifyRead,
    TokenRequest,
    TokenResponse,
    UserCreate,
    UserRead,
)
from fincall.auth.service import Principal
from fincall.web.deps import require, runtime, unit_of_work

router = APIRouter(prefix="/api", tags=["auth"])


def login(
    request: Request, *, username: str, password: str, kind: str
) -> tuple[str, auth.User, datetime]:
    """Check credentials and open a session; failures are counted (and audited) even so."""
    rt = runtime(request)
    failure: Exception | None = None
    with unit_of_work(request) as session:
        try:
            user = auth.authenticate(
                session=session,
                username=username,
                password=password,
                lockout_threshold=rt.settings.lockout_threshold,
                lockout_minutes=rt.settings.lockout_minutes,
            )
        except (BadCredentials, AccountLocked) as exc:
            failure = exc
            audit.record(
                session=session,
                actor=audit.Actor(user_id=None, role=None),
                action="auth.login_failed",
                entity_type="user",
                entity_id=username[:80],
                detail={"code": exc.code},
            )
        else:
            token, row = auth.open_session(
                session=session, user=user, kind=kind, hours=rt.settings.session_hours
            )
            audit.record(
                session=session,
                actor=audit.Actor(user_id=user.id, role=user.role),
                action="auth.login",
                entity_type="user",
                entity_id=user.id,
                detail={"via": kind},
            )
    if failure is not None:
        raise failure
    return token, user, row.expires_at


@router.post("/auth/token", response_model=TokenResponse)
def issue_token(body: TokenRequest, request: Request) -> dict[str, object]:
    """Exchange a username and password for an API bearer token."""
    token, user, expires = login(
        request, username=body.username, password=body.password, kind="api"
    )
    return {"access_token": token, "expires_at": expires, "role": user.role}


@router.post("/auth/logout", status_code=204)
def logout(request: Request, principal: Principal = Depends(require("self.read"))) -> None:
    with unit_of_work(request) as session:
        auth.revoke_session(session=session, session_id=principal.session_id)


@router.get("/auth/me", response_model=UserRead)
def me(request: Request, principal: Principal = Depends(require("self.read"))) -> dict[str, object]:
    with unit_of_work(request) as session:
        return auth.user_view(auth.get_user(session=session, user_id=principal.user_id))


@router.get("/users", response_model=list[UserRead])
def list_users(
    request: Request, principal: Principal = Depends(require("users.read"))
) -> list[dict[str, object]]:
    with unit_of_work(request) as session:
        return [auth.user_view(u) for u in auth.list_users(session=session)]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(
    body: UserCreate, request: Request, principal: Principal = Depends(require("users.write"))
) -> dict[str, object]:
    with unit_of_work(request) as session:
        if body.agent_id:
            from fincall.agents import service as agents

            agents.get(session=session, agent_id=body.agent_id)
        user = auth.create_user(session=session, actor=principal.actor, **body.model_dump())
        return auth.user_view(user)


@router.get("/audit/events", response_model=list[AuditEventRead])
def audit_events(
    request: Request,
    entity_id: str | None = Query(default=None, max_length=80),
    action: str | None = Query(default=None, max_length=80),
    limit: int = Query(default=100, ge=1, le=1000),
    principal: Principal = Depends(require("audit.read")),
) -> list[AuditEvent]:
    with unit_of_work(request) as session:
        stmt = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
        if entity_id:
            stmt = stmt.where(AuditEvent.entity_id == entity_id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return list(session.execute(stmt).scalars())


@router.get("/audit/verify", response_model=AuditVerifyRead)
def audit_verify(
    request: Request, principal: Principal = Depends(require("audit.verify"))
) -> audit.VerifyResult:
    with unit_of_work(request) as session:
        return audit.verify(session=session, key=runtime(request).audit_key)
