"""``fincall qa``: batch quality inspection of transcript files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from fincall.compliance.errors import RulePackError
from fincall.compliance.types import CATEGORIES
from fincall.core.settings import load_settings
from fincall.qa.batch import count_lines, input_files, run_batch
from fincall.qa.errors import BatchInputError

app = typer.Typer(
    help="Quality inspection of contacts (batch files, reports).", no_args_is_help=True
)


def _configured_data_dir() -> Path | None:
    try:
        d = load_settings().data_dir
    except ValueError:
        return None
    return d if (d / "rulepacks").is_dir() else None


@app.callback()
def _main() -> None:
    """Quality inspection of contacts."""


@app.command("run")
def run(
    paths: list[Path] = typer.Argument(..., help="JSON Lines files or directories of them."),
    pack: str | None = typer.Option(
        None,
        "--pack",
        help="Rule pack id (cn-mainland, hk, us, uk, sg). Default: chosen per contact from the "
        "customer's region, then timezone, then language (zh-CN→cn-mainland, zh-HK→hk, en→us).",
    ),
    out: Path = typer.Option(Path("qa-report"), "--out", help="Report directory (replaced)."),
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help="Data directory whose rulepacks/ extend the shipped packs "
        "(default: the configured FINCALL_DATA_DIR).",
    ),
) -> None:
    """Inspect every contact in the files and write findings, scores and an HTML report."""
    console = Console()
    err = Console(stderr=True)
    if data_dir is None:
        data_dir = _configured_data_dir()
    try:
        files = input_files(paths)
        total = count_lines(files)
        with Progress(
            TextColumn("[bold]inspecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("inspect", total=total)
            summary = run_batch(
                paths,
                out_dir=out,
                pack_id=pack,
                data_dir=data_dir,
                on_progress=lambda n: progress.advance(task, n),
            )
    except (BatchInputError, RulePackError) as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    table = Table(
        title=f"QA summary — {summary.contacts} contacts, mean score {summary.mean_score:.1f}"
    )
    table.add_column("category")
    table.add_column("findings", justify="right")
    for c in CATEGORIES:
        table.add_row(c, str(summary.by_category.get(c, 0)))
    table.add_row("[bold]total", f"[bold]{summary.findings}")
    console.print(table)
    console.print(
        f"failed contacts: {summary.failed}; critical: {summary.by_severity.get('critical', 0)}; "
        f"report: {summary.out_dir / 'report.html'}"
    )
    if summary.errors:
        for e in summary.errors[:20]:
            err.print(f"[yellow]skipped[/yellow] {e}")
        if len(summary.errors) > 20:
            err.print(f"... and {len(summary.errors) - 20} more (see errors.jsonl)")
        err.print(f"[red]{len(summary.errors)} bad line(s) skipped[/red]")
        raise typer.Exit(2)
