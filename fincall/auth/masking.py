"""Sensitive fields shown by role: masked unless the viewer's role needs the full value."""

from __future__ import annotations

from collections.abc import Callable

import phonenumbers

from fincall.auth.permissions import Role

# field -> roles that see it in full
FULL_VIEW: dict[str, frozenset[str]] = {
    "phone": frozenset({Role.COMPLIANCE_OFFICER}),
    "email": frozenset({Role.COMPLIANCE_OFFICER}),
    "id_number": frozenset({Role.COMPLIANCE_OFFICER}),
    "date_of_birth": frozenset({Role.COMPLIANCE_OFFICER}),
}


def mask_phone(value: str) -> str:
    """Keep the country code and the last four digits: +86*******5678."""
    try:
        cc = str(phonenumbers.parse(value, None).country_code)
    except phonenumbers.NumberParseException:
        cc = ""
    digits = "".join(ch for ch in value if ch.isdigit())
    national = digits[len(cc) :] if cc and digits.startswith(cc) else digits
    if len(national) <= 4:
        return "*" * len(value)
    prefix = f"+{cc}" if cc else ""
    return f"{prefix}{'*' * (len(national) - 4)}{national[-4:]}"


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return "*" * len(value)
    return f"{local[:1]}{'*' * max(len(local) - 1, 3)}@{domain}"


def mask_tail(value: str, keep: int = 4) -> str:
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


def mask_date(value: str) -> str:
    return "****-**-**" if value else value


MASKERS: dict[str, Callable[[str], str]] = {
    "phone": mask_phone,
    "email": mask_email,
    "id_number": mask_tail,
    "date_of_birth": mask_date,
}


def visible(field: str, value: str | None, role: str) -> str | None:
    """``value`` as ``role`` may see it."""
    if value is None or value == "":
        return value
    if role in FULL_VIEW.get(field, frozenset()):
        return value
    return MASKERS[field](value)
