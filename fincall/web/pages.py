"""Pages: log in, the role's home page, the customer 360 and a contact transcript."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincall.agents import service as agents
from fincall.auth import audit
from fincall.auth import service as auth
from fincall.auth.errors import AccountLocked, BadCredentials
from fincall.auth.models import AuditEvent
from fincall.auth.permissions import allowed
from fincall.auth.service import Principal
from fincall.auth.views import login
from fincall.contacts import service as contacts
from fincall.customers import service as customers
from fincall.routing.views import NotLinkedToAgent
from fincall.web.deps import (
    SESSION_COOKIE,
    optional_principal,
    pricing_of,
    require,
    runtime,
    unit_of_work,
)
from fincall.web.templating import NAV, TEMPLATES, render

router = APIRouter(include_in_schema=False)

HEADINGS = {
    "agent": "Agent home",
    "supervisor": "Supervisor home",
    "qa_analyst": "Quality assurance home",
    "compliance_officer": "Compliance home",
    "admin": "Administration",
}


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or urlparse(value).netloc:
        return "/"
    return value


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login")
def login_submit(
    request: Request,
    username: str = Form(max_length=80),
    password: str = Form(max_length=200),
    next: str = Form(default="/", max_length=500),
) -> Response:
    try:
        token, _user, _exp = login(request, username=username, password=password, kind="cookie")
    except (BadCredentials, AccountLocked) as exc:
        status = 423 if isinstance(exc, AccountLocked) else 401
        return render(
            request,
            "login.html",
            None,
            status_code=status,
            next=_safe_next(next),
            error=exc.message,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=runtime(request).settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def logout_submit(
    request: Request, principal: Principal = Depends(require("self.read"))
) -> Response:
    with unit_of_work(request) as session:
        auth.revoke_session(session=session, session_id=principal.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _home_context(request: Request, principal: Principal) -> dict[str, Any]:
    ctx: dict[str, Any] = {"heading": HEADINGS.get(principal.role, "Home"), "kpis": [], "names": {}}
    with unit_of_work(request) as session:
        role = principal.role
        if role in ("agent", "supervisor", "qa_analyst"):
            status = "ended" if role == "qa_analyst" else None
            ctx["contacts"] = contacts.list_(
                session=session, principal=principal, status=status, limit=15
            )
            ctx["names"] = customers.names_for(
                session=session, customer_ids=(c.customer_id for c in ctx["contacts"])
            )
        if role in ("agent", "compliance_officer"):
            rows = customers.list_(session=session, principal=principal, limit=20)
            ctx["customers"] = [customers.customer_view(c, role=role) for c in rows]
        if role == "supervisor":
            ctx["agents"] = agents.list_(session=session)
            states: dict[str, int] = {}
            for a in ctx["agents"]:
                states[a.state] = states.get(a.state, 0) + 1
            ctx["kpis"] = [(f"Agents {k}", v) for k, v in sorted(states.items())]
        if role == "compliance_officer":
            ctx["chain"] = audit.verify(session=session, key=runtime(request).audit_key)
            ctx["events"] = list(
                session.query(AuditEvent).order_by(AuditEvent.seq.desc()).limit(15)
            )
        if role == "admin":
            ctx["users"] = auth.list_users(session=session)
            ctx["db_kind"] = session.get_bind().dialect.name
            ctx["kpis"] = [("Customers", customers.count(session=session))]
    return ctx


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    principal = optional_principal(request)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "home.html", principal, **_home_context(request, principal))


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    customer_id: str, request: Request, principal: Principal = Depends(require("customers.read"))
) -> Response:
    with unit_of_work(request) as session:
        data = customers.customer_360(
            session=session, principal=principal, customer_id=customer_id, **pricing_of(request)
        )
    return render(request, "customer.html", principal, c=data)


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(
    contact_id: str, request: Request, principal: Principal = Depends(require("contacts.read"))
) -> Response:
    with unit_of_work(request) as session:
        contact = contacts.access_contact(
            session=session, principal=principal, contact_id=contact_id
        )
        data = contacts.contact_view(contact, role=principal.role)
    return render(request, "contact.html", principal, c=data)


NAV.extend(
    [
        ("Desk", "/desk", "desk.use"),
        ("Wall", "/wall", "wall.view"),
    ]
)
DISPOSITIONS = [
    "resolved",
    "info_given",
    "callback_scheduled",
    "escalated",
    "sale",
    "complaint_logged",
    "refused",
    "do_not_call_requested",
]


@router.get("/desk", response_class=HTMLResponse)
def desk_page(request: Request, principal: Principal = Depends(require("desk.use"))) -> Response:
    with unit_of_work(request) as session:
        if not principal.agent_id:
            raise NotLinkedToAgent("this login is not linked to an agent record")
        agent = agents.get(session=session, agent_id=principal.agent_id)
    return render(request, "desk.html", principal, agent=agent, dispositions=DISPOSITIONS)


@router.get("/wall", response_class=HTMLResponse)
def wall_page(request: Request, principal: Principal = Depends(require("wall.view"))) -> Response:
    return render(
        request, "wall.html", principal, can_control=allowed(principal.role, "wall.control")
    )


CHAT_DEMO_TEXT = {
    "en": (
        "Talk to us, any time",
        "Open the chat at the bottom right. Our assistant answers at "
        "once and hands you to an adviser when you need one.",
    ),
    "zh-CN": ("随时联系我们", "点击右下角开始对话，智能客服即时回复，需要时为您转接人工客服。"),
    "zh-HK": ("隨時聯絡我們", "按右下角開始對話，網上客服即時回覆，有需要時為你轉接客戶服務主任。"),
}


@router.get("/chat-demo", response_class=HTMLResponse)
def chat_demo(request: Request, lang: str = "en") -> Response:
    """A demo bank page with the embeddable chat widget (public, like a bank's website)."""
    language = lang if lang in CHAT_DEMO_TEXT else "en"
    heading, blurb = CHAT_DEMO_TEXT[language]
    return TEMPLATES.TemplateResponse(
        request,
        "chat_demo.html",
        {"language": language, "heading": heading, "blurb": blurb, "portal_token": None},
    )
