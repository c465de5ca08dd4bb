"""Rule packs: every rule's own examples, validation errors with file:line, tenant extension."""

from __future__ import annotations

from pathlib import Path

import pytest

from fincall.compliance.engine import inspect
from fincall.compliance.errors import RulePackError
from fincall.compliance.parsing import example_contact
from fincall.compliance.rulepack import (
    choose_pack_id,
    default_speakers,
    load_packs,
    parse_pack_text,
)
from fincall.compliance.types import CATEGORIES

PACKS = load_packs()
PACK_IDS = ["cn-mainland", "hk", "us", "uk", "sg"]


def _cases():
    for pack in PACKS.values():
        for rule in pack.rules:
            for group in rule.languages or sorted(pack.language_groups()):
                lang = next(lg for lg in pack.languages if lg.startswith("zh") == (group == "zh"))
                for kind, exs in (
                    ("match", rule.examples.match),
                    ("no_match", rule.examples.no_match),
                ):
                    for k, ex in enumerate(exs):
                        yield pytest.param(
                            pack.id, rule.id, lang, kind, ex, id=f"{pack.id}-{rule.id}-{kind}{k}"
                        )


@pytest.mark.parametrize(("pack_id", "rule_id", "language", "kind", "example"), list(_cases()))
def test_rule_examples(pack_id, rule_id, language, kind, example):
    pack = PACKS[pack_id]
    rule = pack.rule(rule_id)
    contact = example_contact(
        example,
        rule_speaker=default_speakers(rule)[0],
        language=language,
        direction=(rule.directions or ["inbound"])[0],
    )
    findings = inspect(contact, pack=pack)
    if rule.detector == "classifier":
        hit = any(f.category == rule.category for f in findings)
    else:
        hit = any(f.rule_id == rule_id for f in findings)
    assert hit == (kind == "match"), [(f.rule_id, f.evidence) for f in findings]


def test_shipped_packs_cover_the_contract():
    assert set(PACK_IDS) <= set(PACKS)
    for pid in PACK_IDS:
        pack = PACKS[pid]
        assert pack.version
        assert {r.category for r in pack.rules} == set(CATEGORIES), pid
        for r in pack.rules:
            assert r.regulation and r.description and r.examples.match
    assert PACKS["hk"].language_groups() == {"zh", "en"}
    assert PACKS["cn-mainland"].window[1].hour == 20
    assert PACKS["us"].window[1].hour == 21  # TCPA 8 a.m. – 9 p.m.


def test_yaml_syntax_error_reports_file_and_line():
    text = "id: x\nversion: '1'\nrules:\n  - id: a\n    category: [unclosed\n"
    with pytest.raises(RulePackError) as exc:
        parse_pack_text(text, file="bad.yaml")
    assert exc.value.file == "bad.yaml"
    assert exc.value.line is not None and exc.value.line >= 5
    assert "bad.yaml:" in str(exc.value)


def test_schema_error_points_at_the_offending_line():
    text = """id: x
version: '1'
jurisdiction: CN
languages: [zh-CN]
rules:
  - id: R1
    category: prohibited_promise
    severity: critical
    description: d
    regulation: r
    phrases: [a]
    examples: {match: [a]}
  - id: R2
    category: not_a_category
    severity: critical
    description: d
    regulation: r
    phrases: [b]
    examples: {match: [b]}
"""
    with pytest.raises(RulePackError) as exc:
        parse_pack_text(text, file="t.yaml")
    assert exc.value.line == 14
    assert "unknown category" in exc.value.reason


def test_bad_regex_and_missing_examples_are_rejected():
    base = "id: x\nversion: '1'\njurisdiction: CN\nlanguages: [en]\nrules:\n  - id: R\n"
    rule = "    category: agent_misconduct\n    severity: minor\n    description: d\n"
    rule += "    regulation: r\n"
    with pytest.raises(RulePackError, match="bad regular expression"):
        parse_pack_text(base + rule + "    patterns: ['(']\n    examples: {match: [x]}\n", file="f")
    with pytest.raises(RulePackError, match="examples"):
        parse_pack_text(base + rule + "    phrases: [x]\n", file="f")


def test_tenant_file_extends_pack_without_code(tmp_path: Path):
    d = tmp_path / "rulepacks"
    d.mkdir()
    (d / "acme.yaml").write_text(
        """extends: us
version: "3"
disable: [EN-MC-001]
rules:
  - id: ACME-001
    category: prohibited_promise
    severity: critical
    description: House rule against "double your money"
    regulation: ACME conduct policy 4.2
    phrases: [double your money]
    examples: {match: ["You'll double your money"], no_match: ["You won't double your money"]}
""",
        encoding="utf-8",
    )
    packs = load_packs(extra_dirs=[d])
    us = packs["us"]
    assert us.version == "2026.11.1+acme.3"
    assert "ACME-001" in {r.id for r in us.rules}
    assert "EN-MC-001" not in {r.id for r in us.rules}
    c = example_contact(
        "Trust me you'll double your money",
        rule_speaker="agent",
        language="en",
        direction="inbound",
    )
    findings = inspect(c, pack=us)
    assert [f.rule_id for f in findings if f.rule_id == "ACME-001"] == ["ACME-001"]
    assert findings[0].pack_version == "2026.11.1+acme.3"


def test_tenant_file_with_error_names_its_file(tmp_path: Path):
    d = tmp_path / "rulepacks"
    d.mkdir()
    (d / "broken.yaml").write_text("extends: nope\nrules: []\n", encoding="utf-8")
    with pytest.raises(RulePackError) as exc:
        load_packs(extra_dirs=[d])
    assert "broken.yaml" in exc.value.file


@pytest.mark.parametrize(
    ("language", "region", "tz", "expected"),
    [
        ("zh-CN", None, None, "cn-mainland"),
        ("zh-HK", None, None, "hk"),
        ("en", None, None, "us"),
        ("en", "UK", None, "uk"),
        ("en", None, "Asia/Singapore", "sg"),
        ("en", None, "Asia/Hong_Kong", "hk"),
    ],
)
def test_pack_choice(language, region, tz, expected):
    assert choose_pack_id(language=language, region=region, timezone=tz) == expected
