"""Jinja2 templates shared by every page module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from fincall.auth import service as auth
from fincall.auth.permissions import allowed
from fincall.auth.service import Principal
from fincall.web.deps import runtime

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# Navigation links: (label, href, permission needed to see it). Page modules append here.
NAV: list[tuple[str, str, str]] = []


def render(
    request: Request, name: str, principal: Principal | None, status_code: int = 200, **ctx: Any
) -> HTMLResponse:
    csrf = (
        auth.csrf_token(runtime(request).settings.secret, principal.session_id)
        if principal and principal.via == "cookie"
        else None
    )
    nav = [
        {"label": label, "href": href}
        for label, href, perm in NAV
        if principal and allowed(principal.role, perm)
    ]
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {"user": principal, "csrf": csrf, "nav": nav, **ctx},
        status_code=status_code,
    )
