"""Domain errors: a stable machine code and fields, no HTTP in them.

One exception handler in ``fincall.web.errors`` maps each ``kind`` to an HTTP status.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error fincall raises on purpose.

    ``code`` is stable (clients may switch on it); ``kind`` groups errors for the
    HTTP mapping: not_found, invalid, conflict, forbidden, unauthenticated, unavailable.
    """

    code: ClassVar[str] = "domain-error"
    kind: ClassVar[str] = "invalid"

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        self.fields = fields
        self.message = message or self.code
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.fields}


class NotFound(DomainError):
    code = "not-found"
    kind = "not_found"


class Invalid(DomainError):
    code = "invalid"
    kind = "invalid"


class Conflict(DomainError):
    code = "conflict"
    kind = "conflict"


class Forbidden(DomainError):
    code = "forbidden"
    kind = "forbidden"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    kind = "unauthenticated"


class IllegalTransition(DomainError):
    """A state machine was asked for a transition its table does not allow."""

    code = "illegal-transition"
    kind = "conflict"
