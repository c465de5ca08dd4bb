"""``fincall knowledge check`` and ``search``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fincall.knowledge.cli import app


def test_check_starter_set():
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "en" in result.output and "twins" in result.output


def test_check_bad_file(tmp_path):
    (tmp_path / "a.md").write_text("no front matter\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1 and "a.md:1:" in result.output.replace("\n", "")


def test_search_prints_json_lines():
    result = CliRunner().invoke(app, ["search", "how do I report a stolen card", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.output.splitlines()[0])
    assert first["id"] == "card-loss-zh"
