from __future__ import annotations

from fincall.core.errors import Conflict, NotFound


class CustomerNotFound(NotFound):
    code = "customer-not-found"


class EmailTaken(Conflict):
    code = "email-taken"
