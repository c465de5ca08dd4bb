"""HTTP entry for messaging gateways: signed POSTs, verified before anything is read or stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from fincall.auth.service import Principal
from fincall.channels.webhooks import service, signing
from fincall.channels.webhooks.errors import GatewayUnavailable, UnknownGateway
from fincall.channels.webhooks.schemas import InboundAccepted, InboundMessage
from fincall.contacts import service as contacts
from fincall.contacts.models import Contact
from fincall.core.clock import utcnow
from fincall.core.errors import Invalid
from fincall.runtime import Runtime
from fincall.web.deps import require, unit_of_work

MAX_BODY_BYTES = 256 * 1024

_ERROR = {"content": {"application/json": {"schema": {"type": "object"}}}}


def _store(runtime: Runtime, gateway: str, message: InboundMessage) -> service.Accepted:
    try:
        with runtime.transaction() as session:
            return service.receive(session=session, gateway=gateway, message=message)
    except IntegrityError:
        # The same message arrived twice at once; the other delivery stored it.
        with runtime.transaction() as session:
            seen = service.find_inbound(
                session=session, gateway=gateway, message_id=message.message_id
            )
            if seen is None:
                raise
            contact = session.get(Contact, seen.contact_id)
            return service.Accepted(
                contact_id=seen.contact_id,
                message_id=seen.message_id,
                seq=seen.utterance_seq,
                duplicate=True,
                customer_id=contact.customer_id if contact else None,
            )


def _parse(body: bytes) -> InboundMessage:
    try:
        data: Any = json.loads(body)
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": f"malformed JSON: {exc}", "type": "json_invalid"}]
        ) from None
    try:
        return InboundMessage.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from None


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20000)


def build_router(
    secrets: Mapping[str, str], gateways: Mapping[str, service.Gateway] | None = None
) -> APIRouter:
    """The webhook routes for the gateways named in ``secrets`` (gateway name → shared secret).

    With ``gateways`` (name → reply URL and secret) agents can also reply through them.
    """
    known = dict(secrets)
    outbound = dict(gateways or {})
    router = APIRouter(prefix="/api/channels/webhook", tags=["channels"])

    @router.post(
        "/{gateway}/inbound",
        response_model=InboundAccepted,
        summary="A customer message from a messaging gateway (HMAC-signed)",
        responses={401: _ERROR, 404: _ERROR, 422: _ERROR},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": InboundMessage.model_json_schema(by_alias=True)}
                },
            }
        },
    )
    async def inbound(gateway: str, request: Request) -> InboundAccepted:
        secret = known.get(gateway)
        if not secret:
            raise UnknownGateway("no such gateway", gateway=gateway)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise Invalid(f"body larger than {MAX_BODY_BYTES} bytes", size=len(body))
        signing.verify(
            secret=secret,
            body=body,
            signature_header=request.headers.get(signing.SIGNATURE_HEADER),
            timestamp_header=request.headers.get(signing.TIMESTAMP_HEADER),
            now=utcnow(),
        )
        message = _parse(body)
        runtime: Runtime = request.app.state.runtime
        got = await run_in_threadpool(_store, runtime, gateway, message)
        return InboundAccepted(
            contact_id=got.contact_id,
            message_id=got.message_id,
            seq=got.seq,
            duplicate=got.duplicate,
            customer_id=got.customer_id,
        )

    @router.post("/contacts/{contact_id}/reply", status_code=201)
    def reply(
        contact_id: str,
        body: ReplyCreate,
        request: Request,
        principal: Principal = Depends(require("contacts.write")),
    ) -> dict[str, Any]:
        with unit_of_work(request) as session:
            contact = contacts.access_contact(
                session=session, principal=principal, contact_id=contact_id
            )
            name = service.gateway_of(session=session, contact=contact)
            gateway = outbound.get(name)
            if gateway is None:
                raise GatewayUnavailable(f"no reply URL is configured for gateway {name}")
            row = service.post_reply(
                session=session,
                contact=contact,
                text=body.text,
                actor=principal.actor,
                gateway=gateway,
            )
            return {
                "contact_id": contact.id,
                "message_id": row.message_id,
                "in_reply_to": row.in_reply_to,
                "seq": row.utterance_seq,
            }

    return router
