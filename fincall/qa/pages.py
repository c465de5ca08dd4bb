"""QA console pages: findings with filters and charts, a contact with highlighted findings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fincall.agents import service as agents
from fincall.auth.permissions import allowed
from fincall.auth.service import Principal
from fincall.compliance.types import CATEGORIES, SEVERITIES
from fincall.qa import queries, service
from fincall.qa.errors import BadFilter
from fincall.qa.views import check_choice, contact_detail, masked, parse_day, reinspect
from fincall.web.deps import require, unit_of_work
from fincall.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/qa", response_class=HTMLResponse)
def console(
    request: Request,
    agent_id: str = Query(default="", max_length=40),
    category: str = Query(default="", max_length=40),
    severity: str = Query(default="", max_length=16),
    since: str = Query(default="", max_length=20),
    until: str = Query(default="", max_length=20),
    page: int = Query(default=1, ge=1, le=10000),
    principal: Principal = Depends(require("qa.read")),
) -> Response:
    filters = {
        "agent_id": agent_id,
        "category": category,
        "severity": severity,
        "since": since,
        "until": until,
    }
    error = None
    try:
        cat = check_choice(category, name="category", choices=CATEGORIES)
        sev = check_choice(severity, name="severity", choices=SEVERITIES)
        lo = parse_day(since, name="since")
        hi = parse_day(until, name="until", end=True)
    except BadFilter as exc:
        error, cat, sev, lo, hi = exc.message, None, None, None, None
    ctx: dict[str, Any] = {}
    with unit_of_work(request) as session:
        rows, total = queries.list_findings(
            session=session,
            agent_id=agent_id or None,
            category=cat,
            severity=sev,
            since=lo,
            until=hi,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        ctx["findings"] = [service.finding_view(f) for f in rows]
        ctx["summary"] = queries.summary(
            session=session, agent_id=agent_id or None, since=lo, until=hi
        )
        agent_rows = agents.list_(session=session)
        ctx["agents"] = [(a.id, a.name) for a in agent_rows]
        if allowed(principal.role, "coaching.read"):
            ctx["tasks"] = [
                service.task_view(t) for t in service.list_tasks(session=session, limit=50)
            ]
    names = dict(ctx["agents"])
    for f in ctx["findings"]:
        f["evidence"]["text"] = masked(f["evidence"]["text"] or "", principal)
        f["agent_name"] = names.get(f["agent_id"] or "", f["agent_id"] or "")
    for t in ctx.get("tasks", []):
        t["agent_name"] = names.get(t["agent_id"], t["agent_id"])
    ctx["by_agent"] = sorted(
        ((names.get(k, k), v) for k, v in ctx["summary"]["by_agent"].items()),
        key=lambda kv: -kv[1],
    )[:10]
    query = {k: v for k, v in filters.items() if v}
    ctx["next_url"] = (
        "/qa?" + urlencode({**query, "page": page + 1}) if page * PAGE_SIZE < total else None
    )
    ctx["prev_url"] = "/qa?" + urlencode({**query, "page": page - 1}) if page > 1 else None
    ctx["chart"] = {
        "categories": list(CATEGORIES),
        "by_category": [ctx["summary"]["by_category"].get(c, 0) for c in CATEGORIES],
        "score_bins": [b["contacts"] for b in ctx["summary"]["score_bins"]],
    }
    return render(
        request,
        "qa_console.html",
        principal,
        filters=filters,
        categories=CATEGORIES,
        severities=SEVERITIES,
        total=total,
        page=page,
        error=error,
        can_coach=allowed(principal.role, "coaching.write"),
        **ctx,
    )


@router.get("/qa/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(
    contact_id: str, request: Request, principal: Principal = Depends(require("qa.read"))
) -> Response:
    with unit_of_work(request) as session:
        data = contact_detail(session, principal, contact_id)
    by_id = {f["id"]: f for f in data["findings"]}
    return render(
        request,
        "qa_contact.html",
        principal,
        d=data,
        by_id=by_id,
        can_inspect=allowed(principal.role, "qa.write"),
    )


@router.post("/qa/contacts/{contact_id}/inspect")
def inspect_page(
    contact_id: str, request: Request, principal: Principal = Depends(require("qa.write"))
) -> Response:
    reinspect(request, principal, contact_id)
    return RedirectResponse(f"/qa/contacts/{contact_id}", status_code=303)


@router.post("/qa/coaching/{task_id}/close", response_class=HTMLResponse)
def close_task_page(
    task_id: str, request: Request, principal: Principal = Depends(require("coaching.write"))
) -> Response:
    with unit_of_work(request) as session:
        service.close_task(session=session, task_id=task_id, actor=principal.actor)
    return HTMLResponse('<span class="badge ok" data-status="done">done</span>')
