"""The ``outbound check`` command, driven from a customer fixture file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from fincall.core.errors import NotFound
from fincall.outbound import cli
from fincall.outbound.gate import DncState, GateCustomer
from fincall.outbound.rules import RuleBook

FIXTURE = Path(__file__).with_name("fixtures") / "customers.json"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(cli.app, ["check", *args])


def test_blocked_marketing_call_lists_every_rule_in_text() -> None:
    # 21:30 Shanghai: outside the window, no marketing consent, and the collection attempt
    # that morning (another campaign) already uses the one marketing attempt allowed a day.
    result = run("cus_li", "--purpose", "marketing", "--at", "2026-11-23T13:30:00Z",
                 "--customer-file", str(FIXTURE))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "BLOCKED by 3 rule(s)" in result.output
    assert "calling_window" in result.output
    assert "daily_attempt_cap" in result.output
    assert "no_marketing_consent" in result.output
    assert "Next allowed: never" in result.output


def test_json_output_has_next_allowed_time() -> None:
    result = run("cus_li", "--purpose", "collection", "--at", "2026-11-23T13:30:00+00:00",
                 "--customer-file", str(FIXTURE), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["customer_id"] == "cus_li"
    assert payload["allowed"] is False
    assert [b["rule"] for b in payload["blocks"]] == ["calling_window"]
    # Next morning 08:00 Shanghai is 00:00 UTC.
    assert payload["next_allowed_at"] == "2026-11-24T00:00:00+00:00"
    assert payload["next_allowed_local"] == "2026-11-24T08:00:00+08:00"


def test_allowed_and_refusal_cases() -> None:
    ok = run("cus_smith", "--purpose", "service", "--at", "2026-11-23T15:00:00Z",
             "--customer-file", str(FIXTURE), "--json")  # fmt: skip
    payload = json.loads(ok.output)
    assert payload["allowed"] is True
    assert payload["timezone_source"] == "phone"
    refused = run("cus_smith", "--purpose", "marketing", "--at", "2026-11-23T15:00:00Z",
                  "--customer-file", str(FIXTURE), "--json")  # fmt: skip
    assert [b["rule"] for b in json.loads(refused.output)["blocks"]] == ["internal_dnc"]
    registry = run("cus_registry", "--purpose", "marketing", "--at", "2026-11-23T03:00:00Z",
                   "--customer-file", str(FIXTURE), "--json")  # fmt: skip
    assert [b["rule"] for b in json.loads(registry.output)["blocks"]] == ["national_dnc"]


def test_bad_inputs_fail_with_a_clear_message(tmp_path: Path, monkeypatch) -> None:
    missing = run("cus_nobody", "--purpose", "service", "--customer-file", str(FIXTURE))
    assert missing.exit_code == 1
    assert "no customer with id 'cus_nobody'" in missing.output
    naive = run("cus_li", "--purpose", "service", "--at", "2026-11-23T10:00",
                "--customer-file", str(FIXTURE))  # fmt: skip
    assert naive.exit_code == 1 and "needs a UTC offset" in naive.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"customers": [\n  {"id": "x",}\n]}', encoding="utf-8")
    bad = run("x", "--purpose", "service", "--customer-file", str(broken))
    assert bad.exit_code == 1 and "line 2" in bad.output and "broken.json" in bad.output
    # Without a file the database is asked; one that was never migrated says what to do.
    monkeypatch.setenv("FINCALL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FINCALL_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    unmigrated = run("cus_li", "--purpose", "service")
    assert unmigrated.exit_code == 1
    assert "fincall db upgrade" in unmigrated.output and "--customer-file" in unmigrated.output


def test_provider_hook_is_used_without_a_file() -> None:
    seen: list[str] = []

    def provider(customer_id: str, book: RuleBook) -> cli.GateInput:
        seen.append(customer_id)
        if customer_id != "cus_db":
            raise NotFound(f"customer {customer_id} not found")
        customer = GateCustomer(id="cus_db", region="HK", timezone="Asia/Hong_Kong")
        return cli.GateInput(customer, (), DncState(), book.for_region("HK"))

    cli.set_gate_input_provider(provider)
    try:
        at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC).isoformat()  # 10:00 Hong Kong, Monday
        ok = run("cus_db", "--purpose", "collection", "--at", at)
        assert ok.exit_code == 0 and "ALLOWED" in ok.output
        gone = run("cus_gone", "--purpose", "collection", "--at", at)
        assert gone.exit_code == 1 and "cus_gone not found" in gone.output
        assert seen == ["cus_db", "cus_gone"]
    finally:
        cli.set_gate_input_provider(None)
