"""One place that turns errors into HTTP answers: a status, a stable code, a reason."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import IntegrityError, OperationalError

from fincall.core.errors import DomainError

log = logging.getLogger("fincall.web")

STATUS_BY_KIND = {
    "not_found": 404,
    "invalid": 422,
    "conflict": 409,
    "forbidden": 403,
    "unauthenticated": 401,
    "locked": 423,
    "unavailable": 503,
}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", ""
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        out.append({"field": ".".join(loc) or None, "reason": err.get("msg"), "type": err["type"]})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse | RedirectResponse:
        status = STATUS_BY_KIND.get(exc.kind, 400)
        if status == 401 and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse(status_code=status, content={"error": jsonable_encoder(exc.to_dict())})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        reason = "; ".join(f"{e['field'] or 'request'}: {e['reason']}" for e in errors[:5])
        return JSONResponse(
            status_code=422,
            content={"error": {"code": "invalid-request", "message": reason, "fields": errors}},
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error on %s: %s", request.url.path, exc.orig)
        return JSONResponse(
            status_code=409,
            content={
                "error": {
                    "code": "conflict",
                    "message": "the change conflicts with existing data "
                    "(duplicate or missing reference)",
                }
            },
        )

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        ref = uuid.uuid4().hex[:12]
        log.error("database unavailable (ref %s): %s", ref, exc)
        return JSONResponse(
            status_code=503,
            content={"error": {"code": "database-unavailable", "message": "try again", "ref": ref}},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error (ref %s) on %s %s", ref, request.method, request.url.path)
        return JSONResponse(
            status_code=500,
            content={"error": {"code": "internal", "message": "unexpected error", "ref": ref}},
        )
