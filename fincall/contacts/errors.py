from __future__ import annotations

from fincall.core.errors import IllegalTransition, NotFound


class ContactNotFound(NotFound):
    code = "contact-not-found"


class ContactTransitionRefused(IllegalTransition):
    code = "contact-illegal-transition"
