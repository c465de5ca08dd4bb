"""Contact-list and national DNC registry CSV validation, with line-numbered reports.

Nothing here writes anywhere: the caller gets valid rows and the errors, and either imports
all or nothing (``report.ok``), or imports the valid rows only and keeps the report with the
list, as the operator chose. Line numbers are physical lines of the file (the header is 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from fincall.outbound.errors import ContactListInvalid
from fincall.outbound.localtime import zone
from fincall.outbound.rules import Purpose

KNOWN_COLUMNS = ("customer_id", "phone", "name", "timezone", "purpose")
MAX_ROWS = 1_000_000


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem on one line: which field, a stable code, and a readable message."""

    line: int
    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A valid list row; ``phone`` is E.164 when given."""

    line: int
    customer_id: str | None
    phone: str | None
    name: str | None = None
    timezone: str | None = None
    purpose: Purpose | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContactListReport:
    """Valid rows and every error; ``ok`` when the whole file can be imported."""

    rows: tuple[ContactRow, ...]
    errors: tuple[RowError, ...]
    total_rows: int

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected_lines(self) -> tuple[int, ...]:
        return tuple(sorted({e.line for e in self.errors}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_rows": self.total_rows,
            "valid_rows": len(self.rows),
            "rejected_rows": len(self.rejected_lines),
            "errors": [
                {"line": e.line, "field": e.field, "code": e.code, "message": e.message}
                for e in self.errors
            ],
        }


def normalize_phone(raw: str, default_region: str | None) -> str | None:
    """E.164 form of ``raw`` if it is a valid number (national numbers use default_region)."""
    text = raw.strip()
    if not text:
        return None
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _rows(text: str, source: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (first physical line, fields) of each record; blank records are skipped."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise ContactListInvalid(f"{source}: line 1: the file has no header row", file=source)
        records: list[tuple[int, list[str]]] = []
        prev_end = reader.line_num
        for fields in reader:
            start, prev_end = prev_end + 1, reader.line_num
            if any(f.strip() for f in fields):
                records.append((start, fields))
            if len(records) > MAX_ROWS:
                raise ContactListInvalid(f"{source}: more than {MAX_ROWS} rows", file=source)
    except csv.Error as exc:
        raise ContactListInvalid(
            f"{source}: line {reader.line_num}: unreadable CSV ({exc})", file=source
        ) from exc
    return [h.strip().lower() for h in header], records


def _region_code(region: str | None) -> str | None:
    return "GB" if region and region.upper() == "UK" else region


def validate_contact_list(
    *, text: str, default_region: str | None = None, source: str = "contact list"
) -> ContactListReport:
    """Validate a contact-list CSV: customer_id or phone per row, optional name/timezone/purpose."""
    header, records = _rows(text, source)
    if "customer_id" not in header and "phone" not in header:
        raise ContactListInvalid(
            f"{source}: line 1: a customer_id or phone column is required (found {header})",
            file=source,
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ContactListInvalid(f"{source}: line 1: duplicate columns {dupes}", file=source)
    region = _region_code(default_region)
    rows: list[ContactRow] = []
    errors: list[RowError] = []
    seen_ids: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    for line_start, fields in records:
        record = dict(zip(header, fields, strict=False))
        row_errors: list[RowError] = []
        if len(fields) > len(header):
            row_errors.append(
                RowError(line_start, "row", "extra_fields", "more fields than columns")
            )
        cid = (record.get("customer_id") or "").strip() or None
        raw_phone = (record.get("phone") or "").strip()
        phone = normalize_phone(raw_phone, region) if raw_phone else None
        if raw_phone and phone is None:
            row_errors.append(
                RowError(line_start, "phone", "bad_phone", f"{raw_phone!r} is not a valid number")
            )
        if cid is None and not raw_phone:
            row_errors.append(
                RowError(line_start, "customer_id", "missing_id", "needs a customer_id or a phone")
            )
        tz = (record.get("timezone") or "").strip() or None
        if tz is not None and zone(tz) is None:
            row_errors.append(
                RowError(line_start, "timezone", "unknown_timezone", f"unknown timezone {tz!r}")
            )
        raw_purpose = (record.get("purpose") or "").strip().lower() or None
        purpose: Purpose | None = None
        if raw_purpose is not None:
            try:
                purpose = Purpose(raw_purpose)
            except ValueError:
                known = ", ".join(p.value for p in Purpose)
                row_errors.append(
                    RowError(
                        line_start,
                        "purpose",
                        "unknown_purpose",
                        f"unknown purpose {raw_purpose!r} (use {known})",
                    )
                )
        if cid is not None and cid in seen_ids:
            row_errors.append(
                RowError(
                    line_start,
                    "customer_id",
                    "duplicate",
                    f"customer {cid} already on line {seen_ids[cid]}",
                )
            )
        if phone is not None and phone in seen_phones:
            row_errors.append(
                RowError(
                    line_start,
                    "phone",
                    "duplicate",
                    f"{phone} already on line {seen_phones[phone]}",
                )
            )
        if row_errors:
            errors.extend(row_errors)
            continue
        if cid is not None:
            seen_ids[cid] = line_start
        if phone is not None:
            seen_phones[phone] = line_start
        extra = {k: (v or "").strip() for k, v in record.items() if k and k not in KNOWN_COLUMNS}
        name = (record.get("name") or "").strip() or None
        rows.append(ContactRow(line_start, cid, phone, name, tz, purpose, extra))
    return ContactListReport(tuple(rows), tuple(errors), len(records))


@dataclass(frozen=True, slots=True)
class RegistryReport:
    """Numbers of a national DNC registry file (E.164) and the lines that could not be read."""

    numbers: frozenset[str]
    errors: tuple[RowError, ...]
    total_lines: int
    duplicates: int

    @property
    def ok(self) -> bool:
        return not self.errors


_REGISTRY_HEADERS = {"phone", "number", "msisdn", "telephone", "phone_number", "e164"}


def parse_national_dnc(
    *, text: str, default_region: str | None = None, source: str = "registry"
) -> RegistryReport:
    """Parse a registry CSV: one number per line in the first column; header and '#' optional."""
    if text.startswith("\ufeff"):
        text = text[1:]
    region = _region_code(default_region)
    numbers: set[str] = set()
    errors: list[RowError] = []
    total = duplicates = 0
    reader = csv.reader(io.StringIO(text, newline=""))
    prev_end = 0
    for fields in reader:
        line_no, prev_end = prev_end + 1, reader.line_num
        first = fields[0].strip() if fields else ""
        if not first or first.startswith("#"):
            continue
        if line_no == 1 and first.lower() in _REGISTRY_HEADERS:
            continue
        total += 1
        phone = normalize_phone(first, region)
        if phone is None:
            errors.append(
                RowError(line_no, "phone", "bad_phone", f"{first!r} is not a valid number")
            )
            continue
        if phone in numbers:
            duplicates += 1
        numbers.add(phone)
    return RegistryReport(frozenset(numbers), tuple(errors), total, duplicates)
