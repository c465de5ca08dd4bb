"""Batch CLI: report files, malformed-line handling, atomic output."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fincall.qa.cli import app

GOOD = {
    "id": "c-0001",
    "language": "zh-CN",
    "channel": "voice",
    "direction": "outbound",
    "agent_id": "agt_1",
    "started_at": "2026-03-01T21:15:00+08:00",
    "customer": {"id": "cust-1", "risk_rating": 2, "timezone": "Asia/Shanghai"},
    "products": [{"code": "F01", "name": "成长基金", "type": "fund", "risk_level": 4}],
    "utterances": [
        {"speaker": "agent", "start": 0.0, "end": 3.2, "text": "推荐您买成长基金，保本保息"}
    ],
}
CLEAN = {
    "id": "c-0002",
    "language": "en",
    "customer": {"id": "cust-2", "timezone": "Europe/London"},
    "utterances": [{"speaker": "agent", "start": 0.0, "text": "Hello, how can I help?"}],
}


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_run_writes_reports(tmp_path: Path):
    src = write(tmp_path / "in.jsonl", [json.dumps(GOOD, ensure_ascii=False), json.dumps(CLEAN)])
    out = tmp_path / "report"
    r = CliRunner().invoke(app, ["run", str(src), "--out", str(out)])
    assert r.exit_code == 0, r.output
    findings = [json.loads(x) for x in (out / "findings.jsonl").read_text().splitlines()]
    cats = {f["category"] for f in findings}
    assert {"prohibited_promise", "suitability_mismatch", "calling_hours_violation"} <= cats
    for f in findings:
        for key in (
            "contact_id",
            "category",
            "rule_id",
            "pack_version",
            "utterance_index",
            "start",
            "evidence",
        ):
            assert key in f
    scores = [json.loads(x) for x in (out / "scores.jsonl").read_text().splitlines()]
    assert [s["contact_id"] for s in scores] == ["c-0001", "c-0002"]
    assert scores[0]["auto_fail"] and scores[1]["score"] == 100
    assert scores[1]["pack_id"] == "uk"  # chosen from the customer's timezone
    html = (out / "report.html").read_text()
    assert html.count("<svg") == 3 and "<script" not in html and "agt_1" in html
    assert "prohibited_promise" in r.output


def test_malformed_lines_reported_and_skipped(tmp_path: Path):
    bad_lang = dict(CLEAN, id="c-9", language="fr")
    bad_rating = dict(GOOD, id="c-8", customer={"risk_rating": 9})
    src = write(
        tmp_path / "in.jsonl",
        [
            json.dumps(GOOD, ensure_ascii=False),
            "{not json",
            json.dumps(bad_lang),
            "",
            json.dumps(bad_rating),
            json.dumps(CLEAN),
        ],
    )
    out = tmp_path / "report"
    r = CliRunner().invoke(app, ["run", str(src), "--out", str(out)])
    assert r.exit_code == 2
    assert "in.jsonl:2" in r.output and "invalid JSON" in r.output
    assert "in.jsonl:3" in r.output and "language" in r.output
    assert "in.jsonl:5" in r.output and "risk_rating" in r.output
    scores = (out / "scores.jsonl").read_text().splitlines()
    assert len(scores) == 2  # the good lines were still inspected
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    assert [e["line"] for e in errors] == [2, 3, 5]


def test_directory_input_and_forced_pack(tmp_path: Path):
    d = tmp_path / "in"
    d.mkdir()
    write(d / "a.jsonl", [json.dumps(CLEAN)])
    write(d / "b.jsonl", [json.dumps(dict(CLEAN, id="c-3"))])
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["run", str(d), "--pack", "sg", "--out", str(out)])
    assert r.exit_code == 0, r.output
    scores = [json.loads(x) for x in (out / "scores.jsonl").read_text().splitlines()]
    assert {s["pack_id"] for s in scores} == {"sg"} and len(scores) == 2


def test_forced_pack_without_the_language_is_a_line_error(tmp_path: Path):
    src = write(tmp_path / "in.jsonl", [json.dumps(GOOD, ensure_ascii=False)])
    r = CliRunner().invoke(app, ["run", str(src), "--pack", "us", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "no rules for language zh-CN" in r.output


def test_unknown_pack_or_missing_file_fails_without_output(tmp_path: Path):
    src = write(tmp_path / "in.jsonl", [json.dumps(CLEAN)])
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["run", str(src), "--pack", "mars", "--out", str(out)])
    assert r.exit_code == 1 and "unknown rule pack" in r.output
    r = CliRunner().invoke(app, ["run", str(tmp_path / "nope.jsonl"), "--out", str(out)])
    assert r.exit_code == 1 and "no such file" in r.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]  # no temp dirs left behind


def test_rerun_replaces_previous_report_atomically(tmp_path: Path):
    src = write(tmp_path / "in.jsonl", [json.dumps(CLEAN)])
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    r = CliRunner().invoke(app, ["run", str(src), "--out", str(out)])
    assert r.exit_code == 0
    assert not (out / "stale.txt").exists() and (out / "report.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out"]
