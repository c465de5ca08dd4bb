"""``fincall outbound ...``: ask the gate why a customer can or cannot be called."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from fincall.core.clock import utcnow
from fincall.core.errors import DomainError
from fincall.outbound.gate import (
    AttemptRecord,
    DncEntry,
    DncState,
    GateCustomer,
    GateDecision,
    evaluate,
)
from fincall.outbound.gate_types import GateInput
from fincall.outbound.localtime import zone
from fincall.outbound.rules import Purpose, RuleBook, load_rulebook

app = typer.Typer(help="Outbound campaigns: compliance gate checks.", no_args_is_help=True)


# customer id -> inputs; raises a DomainError (e.g. NotFound) when the customer is unknown.
GateInputProvider = Callable[[str, RuleBook], GateInput]
_provider: GateInputProvider | None = None


def set_gate_input_provider(provider: GateInputProvider | None) -> None:
    """Install the lookup ``check`` uses when no ``--customer-file`` is given (the DB one)."""
    global _provider
    _provider = provider


def database_gate_input(customer_id: str, book: RuleBook) -> GateInput:
    """Look the customer, their attempts and DNC entries up in the configured database."""
    from sqlalchemy.exc import SQLAlchemyError

    from fincall.core.settings import load_settings
    from fincall.outbound.gatedata import load_input
    from fincall.runtime import Runtime

    try:
        settings = load_settings()
    except Exception as exc:  # pydantic ValidationError: say why, not a trace
        raise FixtureError(f"invalid settings: {exc}") from exc
    runtime = Runtime.create(settings)
    try:
        with runtime.transaction() as session:
            return load_input(
                session=session,
                customer_id=customer_id,
                book=book,
                default_jurisdiction=settings.default_jurisdiction,
            )
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig) if orig is not None else exc.__class__.__name__
        raise FixtureError(
            f"cannot read the database ({reason}); run `fincall db upgrade` or pass "
            "--customer-file FILE"
        ) from exc
    finally:
        runtime.dispose()


class FixtureError(DomainError):
    code = "outbound-fixture-invalid"
    kind = "invalid"


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise FixtureError(f"{where}: {value!r} is not an ISO time") from exc
    if parsed.tzinfo is None:
        raise FixtureError(f"{where}: {value!r} needs a UTC offset")
    return parsed


def gate_input_from_mapping(raw: Mapping[str, Any], book: RuleBook, where: str) -> GateInput:
    """Build a GateInput from the fixture shape (one customer with history and dnc)."""
    try:
        customer = GateCustomer(
            id=str(raw["id"]),
            phone=raw.get("phone"),
            region=raw.get("region"),
            timezone=raw.get("timezone"),
            consent_marketing=bool(raw.get("consent_marketing", False)),
            do_not_call=bool(raw.get("do_not_call", False)),
        )
        history = tuple(
            AttemptRecord(
                at=_time(h["at"], f"{where}.history[{i}].at"),  # type: ignore[arg-type]
                connected=bool(h.get("connected", False)),
                purpose=Purpose(h["purpose"]) if h.get("purpose") else None,
                campaign_id=h.get("campaign_id"),
            )
            for i, h in enumerate(raw.get("history", []))
        )
        internal = tuple(
            DncEntry(
                purpose=Purpose(d["purpose"]),
                since=_time(d.get("since"), f"{where}.dnc[{i}].since"),
                until=_time(d.get("until"), f"{where}.dnc[{i}].until"),
                source=str(d.get("source", "refusal")),
            )
            for i, d in enumerate(raw.get("dnc", []))
        )
        national = frozenset(raw.get("national_dnc", []))
        jurisdiction = raw.get("jurisdiction")
        rules = book.get(jurisdiction) if jurisdiction else book.for_region(customer.region or "")
    except (KeyError, TypeError, ValueError) as exc:
        raise FixtureError(f"{where}: {exc!s}") from exc
    return GateInput(customer, history, DncState(internal, national), rules)


def load_fixture(path: Path, customer_id: str, book: RuleBook) -> GateInput:
    """Read one customer from a JSON fixture: an object, or {"customers": [...]}."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise FixtureError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from exc
    entries = raw.get("customers", [raw]) if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise FixtureError(f"{path}: expected an object or a list of customers")
    shared = raw.get("national_dnc", []) if isinstance(raw, dict) else []
    for i, entry in enumerate(entries):
        if isinstance(entry, dict) and str(entry.get("id")) == customer_id:
            merged = {**entry, "national_dnc": [*entry.get("national_dnc", []), *shared]}
            return gate_input_from_mapping(merged, book, f"{path}: customers[{i}]")
    raise FixtureError(f"{path}: no customer with id {customer_id!r}")


def _local(value: datetime, tz_key: str) -> str:
    tz = zone(tz_key)
    local = value.astimezone(tz) if tz else value
    return f"{local:%Y-%m-%d %H:%M} {tz_key}"


def format_decision(decision: GateDecision, customer_id: str) -> str:
    """Human-readable report: verdict, every blocking rule with when it clears, next time."""
    tz_key = decision.timezones[0]
    lines = [
        f"Customer {customer_id}: {decision.purpose.value} call at {_local(decision.at, tz_key)}"
        f" ({decision.at:%Y-%m-%dT%H:%MZ}), jurisdiction {decision.jurisdiction},"
        f" timezone from {decision.timezone_source.replace('_', ' ')}",
        "ALLOWED" if decision.allowed else f"BLOCKED by {len(decision.blocks)} rule(s):",
    ]
    for block in decision.blocks:
        clears = _local(block.until, tz_key) if block.until else "only when the record changes"
        lines.append(f"  - {block.rule}: {block.reason} (clears: {clears})")
    if not decision.allowed:
        if decision.next_allowed_at:
            nxt = decision.next_allowed_at
            lines.append(f"Next allowed: {_local(nxt, tz_key)} ({nxt:%Y-%m-%dT%H:%MZ})")
        else:
            lines.append("Next allowed: never under the current record and rules")
    return "\n".join(lines)


@app.callback()
def outbound() -> None:
    """Outbound campaigns: compliance gate checks."""


@app.command("check")
def check(
    customer_id: str = typer.Argument(..., help="Customer id, e.g. cus_..."),
    purpose: Purpose = typer.Option(..., "--purpose", help="Purpose of the call."),
    at: str | None = typer.Option(None, "--at", help="ISO time with offset; default now."),
    as_json: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
    customer_file: Path | None = typer.Option(
        None, "--customer-file", help="JSON fixture with the customer, history and DNC entries."
    ),
    rules_dir: Path | None = typer.Option(None, "--rules-dir", help="Jurisdiction YAML folder."),
) -> None:
    """Say whether CUSTOMER_ID may be called now (or --at), with every blocking rule."""
    try:
        when = utcnow()
        if at is not None:
            parsed = _time(at, "--at")
            if parsed is None:
                raise FixtureError("--at: empty")
            when = parsed
        book = load_rulebook(rules_dir)
        if customer_file is not None:
            data = load_fixture(customer_file, customer_id, book)
        else:
            data = (_provider or database_gate_input)(customer_id, book)
        decision = evaluate(
            customer=data.customer,
            purpose=purpose,
            at=when,
            history=data.history,
            rules=data.rules,
            dnc=data.dnc,
        )
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(code=1) from exc
    if as_json:
        typer.echo(
            json.dumps({"customer_id": customer_id, **decision.to_dict()}, ensure_ascii=False)
        )
    else:
        typer.echo(format_decision(decision, customer_id))
