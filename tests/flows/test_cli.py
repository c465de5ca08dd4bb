"""``fincall flows validate``."""

from __future__ import annotations

from typer.testing import CliRunner

from fincall.flows.cli import app


def test_validate_library_ok():
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0, result.output
    assert "flow 'main_banking'" in result.output


def test_validate_bad_file_names_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\nlanguages: [en]\nstart: a\nfallback_reply: Sorry\nsteps:\n  a:\n    type: jump\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, [str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:7:" in result.output.replace("\n", "") and "unknown step type" in result.output
