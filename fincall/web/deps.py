"""Request dependencies: the runtime, a unit of work, the caller and their permission."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from fincall.auth import service as auth
from fincall.auth.errors import CsrfFailed, NotAuthenticated, PermissionDenied
from fincall.auth.permissions import PERMISSIONS, allowed
from fincall.auth.service import Principal
from fincall.runtime import Runtime

SESSION_COOKIE = "fincall_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def pricing_of(request: Request) -> dict[str, Any]:
    """The app's market-data adapter and the holding-move alert threshold (for the 360)."""
    return {
        "market": getattr(request.app.state, "market_data", None),
        "move_alert_percent": runtime(request).settings.holding_move_alert_percent,
    }


@contextmanager
def unit_of_work(request: Request) -> Iterator[Session]:
    """One transaction, committed before the response is built (nothing acknowledged is lost)."""
    with runtime(request).transaction() as session:
        yield session


def _resolve(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    rt = runtime(request)
    with rt.transaction() as session:
        if header.lower().startswith("bearer "):
            principal = auth.resolve_token(session=session, token=header[7:].strip(), kind="api")
        else:
            token = request.cookies.get(SESSION_COOKIE)
            if not token:
                raise NotAuthenticated("log in first (session cookie or bearer token)")
            principal = auth.resolve_token(session=session, token=token, kind="cookie")
            if request.method not in SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER) or request.query_params.get("csrf")
                if sent != auth.csrf_token(rt.settings.secret, principal.session_id):
                    raise CsrfFailed("missing or wrong CSRF token")
    request.state.principal = principal
    return principal


def require(permission: str) -> Callable[[Request], Principal]:
    """A dependency that authenticates the caller and checks ``permission`` (401, then 403)."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def dependency(request: Request) -> Principal:
        principal = _resolve(request)
        if not allowed(principal.role, permission):
            raise PermissionDenied(
                f"your role ({principal.role}) lacks permission {permission}",
                permission=permission,
            )
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def optional_principal(request: Request) -> Principal | None:
    try:
        return _resolve(request)
    except NotAuthenticated:
        return None
