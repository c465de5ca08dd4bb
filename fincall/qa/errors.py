"""QA domain errors."""

from __future__ import annotations

from fincall.core.errors import DomainError


class BatchInputError(DomainError):
    """The batch cannot start: a missing input path or an unknown rule pack."""

    code = "qa-batch-input-invalid"
    kind = "invalid"
