from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fincall.nlu.cli import app

runner = CliRunner()


def _env(data_dir: Path) -> dict[str, str]:
    return {"FINCALL_DATA_DIR": str(data_dir)}


def test_classify_text_file_prints_one_json_per_line(nlu_data_dir: Path, tmp_path: Path) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("I lost my card\n\n我的卡丢了\nhello there\n", encoding="utf-8")
    result = runner.invoke(app, ["classify", str(queries)], env=_env(nlu_data_dir))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [r["text"] for r in lines] == ["I lost my card", "我的卡丢了", "hello there"]
    for row in lines:
        assert set(row) == {"text", "language", "intent", "confidence", "alternatives"}
        assert len(row["alternatives"]) == 3
    assert lines[0]["intent"] == "lost_or_stolen_card"
    assert lines[1]["language"] == "zh-Hans"


def test_classify_csv_uses_text_column(nlu_data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "queries.csv"
    path.write_text('id,text\n1,"I want to talk to a human, please"\n2,你好\n', encoding="utf-8")
    result = runner.invoke(app, ["classify", str(path)], env=_env(nlu_data_dir))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["I want to talk to a human, please", "你好"]
    assert rows[0]["intent"] == "speak_to_agent"


def test_csv_without_text_column_is_rejected(nlu_data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,query\n1,hello\n", encoding="utf-8")
    result = runner.invoke(app, ["classify", str(path)], env=_env(nlu_data_dir))
    assert result.exit_code == 2
    assert "bad.csv:1" in result.output
    assert "text" in result.output
    assert "{" not in result.stdout


def test_missing_file_is_a_clear_error(nlu_data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["classify", str(tmp_path / "nope.txt")], env=_env(nlu_data_dir))
    assert result.exit_code == 2
    assert "no such file" in result.output
