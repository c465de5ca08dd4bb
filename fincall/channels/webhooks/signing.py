"""Signing of webhook bodies: HMAC-SHA256 over ``<timestamp>.<raw body>`` (pure, no I/O).

The timestamp is inside the signed text, so a captured request cannot be replayed later with
a fresh timestamp; requests older or newer than the tolerance are refused.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from fincall.channels.webhooks.errors import SignatureRejected

SIGNATURE_HEADER = "X-Fincall-Signature"
TIMESTAMP_HEADER = "X-Fincall-Timestamp"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value ``sha256=<hex>`` for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    """Both headers for a request sent ``now``."""
    ts = str(int(now.timestamp()))
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signature(secret, ts, body)}


def verify(
    *,
    secret: str,
    body: bytes,
    signature_header: str | None,
    timestamp_header: str | None,
    now: datetime,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Accept or raise ``SignatureRejected`` with the reason."""
    if not signature_header:
        raise SignatureRejected(f"missing {SIGNATURE_HEADER} header")
    if not timestamp_header:
        raise SignatureRejected(f"missing {TIMESTAMP_HEADER} header")
    try:
        ts = int(timestamp_header.strip())
    except ValueError:
        raise SignatureRejected(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    if abs(now.timestamp() - ts) > tolerance:
        raise SignatureRejected(
            f"{TIMESTAMP_HEADER} is more than {tolerance} s away from the server clock"
        )
    if not signature_header.startswith("sha256="):
        raise SignatureRejected(f"{SIGNATURE_HEADER} must look like sha256=<hex>")
    expected = signature(secret, timestamp_header.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature_header.strip().encode()):
        raise SignatureRejected("signature does not match the body")
