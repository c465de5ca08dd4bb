"""Compliance CLI, and the integrity of the labelled data shipped in the repository."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fincall.compliance.cli import app
from fincall.compliance.rulepack import load_packs
from fincall.compliance.types import CATEGORIES

DATA = Path(__file__).resolve().parents[2] / "fincall" / "compliance" / "data"


def test_check_packs_runs_all_examples():
    r = CliRunner().invoke(app, ["check-packs"])
    assert r.exit_code == 0, r.output
    assert "cn-mainland" in r.output and "sg" in r.output


def test_check_packs_reports_broken_tenant_example(tmp_path: Path):
    (tmp_path / "rulepacks").mkdir()
    (tmp_path / "rulepacks" / "t.yaml").write_text(
        """extends: uk
rules:
  - id: T-1
    category: agent_misconduct
    severity: minor
    description: d
    regulation: r
    phrases: [whatever]
    examples: {match: ["this never matches"]}
""",
        encoding="utf-8",
    )
    r = CliRunner().invoke(app, ["check-packs", "--data-dir", str(tmp_path)])
    assert r.exit_code == 1 and "T-1" in r.output


def test_check_command_prints_findings():
    r = CliRunner().invoke(app, ["check", "这个产品稳赚不赔"])
    assert r.exit_code == 0
    rows = [json.loads(x) for x in r.output.splitlines()]
    assert rows and rows[0]["category"] == "prohibited_promise"
    r = CliRunner().invoke(app, ["check", "hi", "--pack", "nope"])
    assert r.exit_code == 1


def test_eval_set_is_large_bilingual_and_distinct():
    rows = [json.loads(x) for x in (DATA / "eval_contacts.jsonl").read_text().splitlines()]
    assert len(rows) >= 200
    assert {r["language"] for r in rows} == {"zh-CN", "zh-HK", "en"}
    for c in CATEGORIES:
        pos = [r for r in rows if c in r["expected"]]
        assert len(pos) >= 8, c
    train = {json.loads(x)["text"] for x in (DATA / "promise_train.jsonl").read_text().splitlines()}
    examples: set[str] = set()
    for pack in load_packs().values():
        for rule in pack.rules:
            for e in [*rule.examples.match, *rule.examples.no_match]:
                if isinstance(e, str):
                    examples.add(e)
                else:
                    examples.update(u.partition(":")[2].strip() for u in e.get("utterances", []))
    # short generic turns ("ok", "不需要", "Not interested") may repeat; sentences may not
    texts = {
        t
        for r in rows
        for u in r["utterances"]
        if len(t := u["text"]) >= (16 if t.isascii() else 8)
    }
    assert not texts & train
    assert not texts & examples
