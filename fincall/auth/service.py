"""Users, logins (with lockout) and session tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.auth.errors import (
    AccountLocked,
    BadCredentials,
    NotAuthenticated,
    UsernameTaken,
    WeakPassword,
)
from fincall.auth.models import AuthSession, User
from fincall.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from fincall.auth.permissions import Role
from fincall.core.clock import ensure_utc, utcnow
from fincall.core.errors import Invalid, NotFound


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: str
    username: str
    role: str
    agent_id: str | None
    session_id: str
    via: str  # cookie | api

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(user_id=self.user_id, role=self.role)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_view(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "agent_id": user.agent_id,
        "active": user.active,
    }


def get_by_username(*, session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    agent_id: str | None = None,
    actor: audit.Actor,
) -> User:
    """Create a user with an argon2 password hash; audited."""
    if role not in {r.value for r in Role}:
        raise Invalid(f"unknown role {role!r}", field="role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if get_by_username(session=session, username=username) is not None:
        raise UsernameTaken(f"username {username!r} is taken", field="username")
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        password_hash=hash_password(password),
        agent_id=agent_id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        after=user_view(user),
    )
    return user


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    lockout_threshold: int,
    lockout_minutes: int,
) -> User:
    """Check a password; lock the account after ``lockout_threshold`` failures in a row.

    The caller must commit even when this raises BadCredentials, so the failure counts.
    """
    user = get_by_username(session=session, username=username)
    now = utcnow()
    if user is not None and user.locked_until and ensure_utc(user.locked_until) > now:
        raise AccountLocked(
            "account locked after repeated failed logins",
            locked_until=ensure_utc(user.locked_until).isoformat(),
        )
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= lockout_threshold:
                user.locked_until = now + timedelta(minutes=lockout_minutes)
                user.failed_logins = 0
        raise BadCredentials("wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def open_session(*, session: Session, user: User, kind: str, hours: int) -> tuple[str, AuthSession]:
    """Start a login session; returns the raw token (shown once) and its row."""
    token = secrets.token_urlsafe(32)
    row = AuthSession(
        token_hash=_token_hash(token),
        user_id=user.id,
        kind=kind,
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return token, row


def resolve_token(*, session: Session, token: str, kind: str) -> Principal:
    """The principal behind a token, or NotAuthenticated."""
    row = session.execute(
        select(AuthSession).where(AuthSession.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.revoked or row.kind != kind or ensure_utc(row.expires_at) <= utcnow():
        raise NotAuthenticated("session expired or unknown; log in again")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("user disabled")
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        agent_id=user.agent_id,
        session_id=row.id,
        via=kind,
    )


def revoke_session(*, session: Session, session_id: str) -> None:
    row = session.get(AuthSession, session_id)
    if row is not None:
        row.revoked = True


def csrf_token(secret: str, session_id: str) -> str:
    """The CSRF token bound to one cookie session."""
    return hmac.new(secret.encode(), b"csrf|" + session_id.encode(), hashlib.sha256).hexdigest()[
        :40
    ]


def list_users(*, session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def get_user(*, session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", user_id=user_id)
    return user
