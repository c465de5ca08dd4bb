"""``fincall qa``: batch quality inspection of transcript files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from fincall.compliance.errors import RulePackError
from fincall.compliance.rulepack import clear_cache
from fincall.compliance.types import CATEGORIES
from fincall.core.errors import DomainError
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
    console = Console(soft_wrap=True)
    err = Console(stderr=True, soft_wrap=True)
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


def _parse_since(value: str) -> datetime:
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"expected a date like 2026-11-01 (or an ISO date-time), got {value!r}",
            param_hint="--since",
        ) from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@app.command("rerun")
def rerun(
    since: str = typer.Option(..., "--since", help="Re-inspect contacts that ended since DATE."),
) -> None:
    """Re-inspect stored contacts with the current rule packs and show what changed."""
    from fincall.qa import service
    from fincall.runtime import Runtime

    err = Console(stderr=True, soft_wrap=True)
    console = Console(soft_wrap=True)
    try:
        start = _parse_since(since)
    except typer.BadParameter as exc:
        err.print(f"[red]error:[/red] --since: {exc.message}")
        raise typer.Exit(2) from exc
    settings = load_settings()
    runtime = Runtime.create(settings)
    changes = []
    failed: list[tuple[str, str]] = []
    try:
        clear_cache()
        with runtime.transaction() as session:
            ids = service.rerun_candidates(session=session, since=start)
        with Progress(
            TextColumn("[bold]re-inspecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("rerun", total=len(ids))
            for cid in ids:
                try:
                    with runtime.transaction() as session:
                        changes.append(
                            service.rerun_one(
                                session=session, contact_id=cid, data_dir=settings.data_dir
                            )
                        )
                except (RulePackError, DomainError) as exc:
                    failed.append((cid, getattr(exc, "message", str(exc))))
                    if isinstance(exc, RulePackError):
                        break
                progress.advance(task)
    finally:
        runtime.dispose()
    changed = [c for c in changes if c.changed]
    table = Table(title=f"Re-inspection since {start:%Y-%m-%d %H:%M} UTC")
    for col, just in (
        ("contact", "left"),
        ("pack version", "left"),
        ("score", "right"),
        ("Δ", "right"),
        ("new findings", "left"),
        ("removed findings", "left"),
    ):
        table.add_column(
            col,
            justify=just,  # type: ignore[arg-type]
            overflow="fold",
            no_wrap=col == "contact",
            min_width=32 if col == "contact" else None,
        )
    for c in changed:
        old = "new" if c.old_score is None else str(c.old_score)
        table.add_row(
            c.contact_id,
            c.new_pack_version
            if c.old_pack_version in (None, c.new_pack_version)
            else f"{c.old_pack_version} → {c.new_pack_version}",
            f"{old} → {c.new_score}",
            f"{c.score_delta:+d}",
            ", ".join(f"{f['rule_id']}@{f['utterance_index']}" for f in c.added),
            ", ".join(f"{f['rule_id']}@{f['utterance_index']}" for f in c.removed),
        )
    console.print(table)
    console.print(
        f"re-inspected {len(changes)} contact(s); {len(changed)} changed; "
        f"{sum(len(c.added) for c in changes)} finding(s) added, "
        f"{sum(len(c.removed) for c in changes)} removed"
    )
    if failed:
        for cid, why in failed:
            err.print(f"[red]failed[/red] {cid}: {why}")
        raise typer.Exit(1)
