"""Voice channel domain errors."""

from __future__ import annotations

from fincall.core.errors import DomainError, Invalid


class SipParseError(Invalid):
    """A SIP message could not be parsed."""

    code = "sip-malformed"


class SdpError(Invalid):
    """An SDP body could not be parsed or no common codec exists."""

    code = "sdp-invalid"


class CallError(DomainError):
    """A call operation is impossible in the call's current state."""

    code = "call-error"
    kind = "conflict"


class RecordingError(DomainError):
    """A recording could not be read: wrong key, truncated or tampered."""

    code = "recording-invalid"
    kind = "invalid"


class RecordingNotFound(DomainError):
    """No (undeleted) recording exists for that contact."""

    code = "recording-not-found"
    kind = "not_found"


class NoLiveCall(DomainError):
    """The contact has no live call on this node that the principal may control."""

    code = "no-live-call"
    kind = "conflict"
