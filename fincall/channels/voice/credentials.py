"""Agents' SIP passwords: stored AES-GCM encrypted, read back by the registrar."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.agents.models import Agent
from fincall.auth import audit
from fincall.channels.voice.models import VoiceSipCredential
from fincall.core.errors import Invalid, NotFound


def credential_key(master_key: bytes | str) -> bytes:
    """The 256-bit key for SIP passwords, derived (HKDF-SHA256) from the recording master key."""
    raw = master_key.encode() if isinstance(master_key, str) else master_key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"fincall-sip-credentials")
    return hkdf.derive(raw)


def set_password(
    *, session: Session, agent_id: str, password: str, master_key: bytes | str, actor: audit.Actor
) -> VoiceSipCredential:
    """Store (replace) an agent's SIP password; the agent must have a SIP username."""
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound("no such agent", agent_id=agent_id)
    if not agent.sip_username:
        raise Invalid("the agent has no SIP username", field="sip_username", agent_id=agent_id)
    nonce = os.urandom(12)
    sealed = AESGCM(credential_key(master_key)).encrypt(
        nonce, password.encode(), agent.sip_username.encode()
    )
    row = session.get(VoiceSipCredential, agent_id)
    if row is None:
        row = VoiceSipCredential(agent_id=agent_id, sip_username=agent.sip_username)
        session.add(row)
    row.sip_username, row.nonce, row.ciphertext = agent.sip_username, nonce, sealed
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="voice.sip_credentials.set",
        entity_type="agent",
        entity_id=agent_id,
        detail={"sip_username": agent.sip_username},
    )
    return row


def password_for(*, session: Session, sip_username: str, master_key: bytes | str) -> str | None:
    """The decrypted password of a SIP username (None when unknown or undecryptable)."""
    row = session.execute(
        select(VoiceSipCredential).where(VoiceSipCredential.sip_username == sip_username)
    ).scalar_one_or_none()
    if row is None:
        return None
    try:
        plain = AESGCM(credential_key(master_key)).decrypt(
            row.nonce, row.ciphertext, row.sip_username.encode()
        )
    except Exception:  # noqa: BLE001 - a wrong key or tampered row means no credential
        return None
    return plain.decode()


def provider(
    sessions: Callable[[], Session], master_key: bytes | str, *, ttl_s: float = 5.0
) -> Callable[[str], str | None]:
    """A registrar credential lookup reading the table (cached for ``ttl_s`` seconds)."""
    cache: dict[str, tuple[float, str | None]] = {}

    def lookup(user: str) -> str | None:
        hit = cache.get(user)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        with sessions() as session:
            value = password_for(session=session, sip_username=user, master_key=master_key)
        cache[user] = (time.monotonic() + ttl_s, value)
        return value

    return lookup
