"""Jurisdiction rule files load, cover every purpose, and reject malformed input."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from fincall.outbound.errors import GateRulesInvalid, JurisdictionNotFound
from fincall.outbound.rules import DayMode, Purpose, load_rulebook, load_rules


def test_shipped_jurisdictions_load() -> None:
    book = load_rulebook()
    assert set(book.jurisdictions) == {"cn-mainland", "hk", "us", "uk", "sg"}
    for region in ("CN", "HK", "US", "UK", "GB", "SG"):
        rules = book.for_region(region)
        for purpose in Purpose:
            pr = rules.for_purpose(purpose)
            assert pr.window.start < pr.window.end
            assert purpose in pr.internal_dnc_from
        assert rules.for_purpose(Purpose.MARKETING).requires_consent
        assert rules.for_purpose(Purpose.MARKETING).national_dnc
        assert not rules.for_purpose(Purpose.COLLECTION).national_dnc
    us = book.get("us").for_purpose(Purpose.COLLECTION)
    assert (us.weekly_attempt_cap, us.weekly_connected_cap) == (7, 1)
    assert book.get("uk").for_purpose(Purpose.MARKETING).weekend.mode is DayMode.BLOCKED
    assert book.get("cn-mainland").for_purpose(Purpose.MARKETING).window.start == time(9, 0)
    with pytest.raises(JurisdictionNotFound):
        book.for_region("FR")


@pytest.mark.parametrize(
    "body",
    [
        "jurisdiction: x\ndefault_timezone: Mars/Base\n",
        "jurisdiction: x\ndefault_timezone: UTC\npurposes: {telesales: {}}\n",
        "jurisdiction: x\ndefault_timezone: UTC\n"
        "defaults: {window: {start: '20:00', end: '08:00'}}\n",
        "jurisdiction: x\ndefault_timezone: UTC\ndefaults: {caps: {daily_attempts: -1}}\n",
        "jurisdiction: x\ndefault_timezone: UTC\ndefaults: {windw: {}}\n",
        "[not, a, mapping]\n",
    ],
)
def test_malformed_rules_name_the_file(tmp_path: Path, body: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(GateRulesInvalid) as info:
        load_rules(path)
    assert "bad.yaml" in info.value.message
