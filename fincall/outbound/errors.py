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


class CampaignNotFound(NotFound):
    code = "campaign-not-found"


class AttemptNotFound(NotFound):
    code = "attempt-not-found"


class DncEntryNotFound(NotFound):
    code = "dnc-entry-not-found"


class IllegalCampaignTransition(IllegalTransition):
    """A campaign was asked to move along an edge its status table does not have."""

    code = "campaign-illegal-transition"


class CampaignInvalid(Invalid):
    code = "campaign-invalid"


class RegistryImportRejected(Invalid):
    """A national DNC registry file had unreadable lines; nothing was imported."""

    code = "national-dnc-import-rejected"


class MemberImportRejected(Invalid):
    """A contact list had bad rows and the caller asked for all-or-nothing."""

    code = "member-import-rejected"
