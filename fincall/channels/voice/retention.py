"""Recording retention: per-region periods, deadlines and the sweep deleting expired files."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.channels.voice.models import VoiceCall
from fincall.core.clock import ensure_utc, utcnow

RETENTION_YEARS: dict[str, int] = {"CN": 5, "HK": 7, "SG": 5, "UK": 5, "US": 7}
DEFAULT_YEARS = 7


def policy_from_env(environ: dict[str, str] | None = None) -> dict[str, int]:
    """The policy, overridden by ``FINCALL_VOICE_RETENTION_YEARS`` such as ``HK=7,CN=5``."""
    env = os.environ if environ is None else environ
    policy = dict(RETENTION_YEARS)
    for part in env.get("FINCALL_VOICE_RETENTION_YEARS", "").split(","):
        region, sep, years = part.partition("=")
        if sep and years.strip().isdigit():
            policy[region.strip().upper()] = int(years)
    return policy


def retention_until(
    ended_at: datetime, region: str | None, policy: dict[str, int] | None = None
) -> datetime:
    """When a recording made at ``ended_at`` for a customer of ``region`` may be deleted."""
    years = (policy or RETENTION_YEARS).get((region or "").upper(), DEFAULT_YEARS)
    end = ensure_utc(ended_at)
    try:
        return end.replace(year=end.year + years)
    except ValueError:  # 29 February
        return end.replace(year=end.year + years, day=28)


def sweep(*, session: Session, now: datetime | None = None) -> list[str]:
    """Delete expired recordings not on legal hold; each deletion is in the audit chain."""
    now = now or utcnow()
    rows = session.execute(
        select(VoiceCall).where(
            VoiceCall.retention_until.is_not(None),
            VoiceCall.retention_until <= now,
            VoiceCall.legal_hold.is_(False),
            VoiceCall.recording_deleted_at.is_(None),
            VoiceCall.recording_path.is_not(None),
        )
    ).scalars()
    deleted = []
    for row in rows:
        path = Path(row.recording_path or "")
        existed = path.exists()
        path.unlink(missing_ok=True)
        row.recording_deleted_at = now
        audit.record(
            session=session,
            actor=audit.Actor.system(),
            action="recording.delete",
            entity_type="contact",
            entity_id=row.contact_id,
            detail={
                "reason": "retention",
                "retention_until": ensure_utc(row.retention_until).isoformat(),  # type: ignore[arg-type]
                "sha256": row.recording_sha256,
                "file_existed": existed,
            },
        )
        deleted.append(row.contact_id)
    session.flush()
    return deleted
