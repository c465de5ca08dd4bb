"""Speech domain errors."""

from __future__ import annotations

from fincall.core.errors import DomainError


class SpeechUnavailable(DomainError):
    """No engine or model is configured for what was asked (e.g. ASR for a language)."""

    code = "speech-unavailable"
    kind = "unavailable"


class SpeechFailed(DomainError):
    """An engine ran but failed on this input."""

    code = "speech-failed"
    kind = "invalid"
