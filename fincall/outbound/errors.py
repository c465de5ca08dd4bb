"""Outbound domain errors."""

from __future__ import annotations

from fincall.core.errors import DomainError, IllegalTransition, Invalid, NotFound


class GateRulesInvalid(Invalid):
    """A jurisdiction rules file is malformed; ``file`` says which."""

    code = "outbound-rules-invalid"

    def __init__(self, message: str, *, file: str) -> None:
        super().__init__(f"{file}: {message}", file=file)
        self.file = file


class JurisdictionNotFound(NotFound):
    code = "outbound-jurisdiction-not-found"


class IllegalAttemptTransition(IllegalTransition):
    """A dial attempt was asked to move along an edge its state table does not have."""

    code = "attempt-illegal-transition"


class OutcomeNotAllowed(DomainError):
    """An outcome was recorded for an attempt whose path cannot produce it."""

    code = "attempt-outcome-not-allowed"
    kind = "invalid"


class ContactListInvalid(Invalid):
    """A contact list or registry file cannot be read at all (header, encoding)."""

    code = "contact-list-invalid"
