"""QA domain errors."""

from __future__ import annotations

from fincall.core.errors import DomainError


class BatchInputError(DomainError):
    """The batch cannot start: a missing input path or an unknown rule pack."""

    code = "qa-batch-input-invalid"
    kind = "invalid"


class InspectionNotFound(DomainError):
    """The contact has no stored inspection."""

    code = "qa-inspection-not-found"
    kind = "not_found"


class CoachingTaskNotFound(DomainError):
    code = "coaching-task-not-found"
    kind = "not_found"


class TaskAlreadyClosed(DomainError):
    code = "coaching-task-closed"
    kind = "conflict"


class BadFilter(DomainError):
    """A query filter (date, category, severity) is not valid."""

    code = "qa-bad-filter"
    kind = "invalid"
