"""Compliance domain errors."""

from __future__ import annotations

from fincall.core.errors import DomainError, NotFound


class RulePackError(DomainError):
    """A rule pack file is malformed; ``file`` and ``line`` say where."""

    code = "rule-pack-invalid"
    kind = "invalid"

    def __init__(self, message: str, *, file: str, line: int | None = None) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {message}", file=file, line=line)
        self.file = file
        self.line = line
        self.reason = message


class RulePackNotFound(NotFound):
    code = "rule-pack-not-found"


class ContactInputError(DomainError):
    """A contact given for inspection is malformed."""

    code = "contact-input-invalid"
    kind = "invalid"
