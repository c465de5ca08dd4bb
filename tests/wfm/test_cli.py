"""The ``fincall wfm`` sub-app."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from fincall.wfm.cli import app

runner = CliRunner()


def test_staffing_json() -> None:
    res = runner.invoke(
        app, ["staffing", "--calls-per-hour", "200", "--aht", "180", "--shrinkage", "0.3", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["agents"] == 14 and data["scheduled"] == 20


def test_staffing_bad_target() -> None:
    res = runner.invoke(
        app, ["staffing", "--calls-per-hour", "200", "--aht", "180", "--target", "x"]
    )
    assert res.exit_code != 0


def test_plan_writes_csv(tmp_path: Path) -> None:
    src = tmp_path / "forecast.csv"
    src.write_text("interval,calls_per_hour,aht\n09:00,200,180\n09:15,400,180\n", encoding="utf-8")
    out = tmp_path / "plan.csv"
    res = runner.invoke(app, ["plan", str(src), "-o", str(out), "--patience", "120"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["interval"] for r in rows] == ["09:00", "09:15"]
    assert int(rows[1]["agents"]) > int(rows[0]["agents"])


def test_plan_bad_row_names_line_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "forecast.csv"
    src.write_text("interval,calls_per_hour,aht\n09:00,200,180\n09:15,lots,180\n", encoding="utf-8")
    out = tmp_path / "plan.csv"
    res = runner.invoke(app, ["plan", str(src), "-o", str(out)])
    assert res.exit_code == 2
    assert "forecast.csv:3" in res.output
    assert not out.exists()
