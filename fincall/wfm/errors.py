"""Workforce-management domain errors."""

from __future__ import annotations

from fincall.core.errors import DomainError


class StaffingInputInvalid(DomainError):
    """A staffing calculation was given impossible figures (negative load, shrinkage >= 1...)."""

    code = "staffing-input-invalid"
    kind = "invalid"
