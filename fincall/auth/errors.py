from __future__ import annotations

from fincall.core.errors import Conflict, DomainError, Forbidden, Invalid, Unauthenticated


class BadCredentials(Unauthenticated):
    code = "bad-credentials"


class AccountLocked(DomainError):
    code = "account-locked"
    kind = "locked"


class NotAuthenticated(Unauthenticated):
    code = "not-authenticated"


class PermissionDenied(Forbidden):
    code = "permission-denied"


class UsernameTaken(Conflict):
    code = "username-taken"


class WeakPassword(Invalid):
    code = "weak-password"


class CsrfFailed(Forbidden):
    code = "csrf-failed"
