"""Errors of the language-understanding package."""

from __future__ import annotations

from fincall.core.errors import DomainError


class TrainingDataInvalid(DomainError):
    code = "nlu-training-data-invalid"
    kind = "invalid"


class ModelUnavailable(DomainError):
    code = "nlu-model-unavailable"
    kind = "unavailable"


class InputFileInvalid(DomainError):
    code = "nlu-input-file-invalid"
    kind = "invalid"
