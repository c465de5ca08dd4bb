"""Email channel errors: each rejection carries the SMTP reply the sender receives."""

from __future__ import annotations

from typing import ClassVar

from fincall.core.errors import DomainError, Invalid


class MailRejected(Invalid):
    """Mail refused for good: the SMTP listener answers ``smtp_reply`` and stores nothing."""

    code = "email-rejected"
    smtp_reply: ClassVar[str] = "550 5.6.0"

    def reply(self) -> str:
        return f"{self.smtp_reply} {self.message}"


class MalformedEmail(MailRejected):
    code = "email-malformed"
    smtp_reply = "550 5.6.0"


class UndecodableEmail(MailRejected):
    code = "email-undecodable"
    smtp_reply = "554 5.6.0"


class AttachmentTooLarge(MailRejected):
    code = "email-attachment-too-large"
    smtp_reply = "552 5.3.4"


class NothingToReplyTo(Invalid):
    code = "email-no-thread"


class RelayUnavailable(DomainError):
    code = "email-relay-unavailable"
    kind = "unavailable"
