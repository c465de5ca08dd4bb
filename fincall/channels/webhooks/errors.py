"""Webhook channel errors."""

from __future__ import annotations

from fincall.core.errors import DomainError, Invalid, NotFound, Unauthenticated


class SignatureRejected(Unauthenticated):
    """A POST whose signature or timestamp does not check out; nothing is stored."""

    code = "webhook-signature-rejected"


class UnknownGateway(NotFound):
    code = "webhook-unknown-gateway"


class NothingToReplyTo(Invalid):
    code = "webhook-no-thread"


class GatewayUnavailable(DomainError):
    code = "webhook-gateway-unavailable"
    kind = "unavailable"
