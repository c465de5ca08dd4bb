"""``fincall nlu``: train the models and classify utterances from a file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from fincall.core.errors import DomainError
from fincall.core.settings import Settings, load_settings
from fincall.nlu import service
from fincall.nlu.errors import InputFileInvalid

app = typer.Typer(help="Language understanding: intents, entities, language, sentiment.")
_err = Console(stderr=True, soft_wrap=True)


def train_with_progress_bar(settings: Settings, *, data_dir: Path | None = None) -> Path:
    """Train the NLU models showing a Rich progress bar on stderr (also for ``fincall serve``)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=_err,
    ) as bar:
        task = bar.add_task("training NLU models", total=1.0)

        def step(label: str, amount: float) -> None:
            bar.update(task, advance=amount, description=label)

        if data_dir is None:
            path = service.train(settings=settings, progress=step)
        else:
            path = service.train(settings=settings, progress=step, data_dir=data_dir)
        bar.update(task, completed=1.0, description="done")
    return path


def read_queries(path: Path) -> list[str]:
    """Queries from a text file (one per line) or a CSV file with a ``text`` column."""
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise InputFileInvalid(f"{path}: no such file", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputFileInvalid(f"{path}:{line}: not UTF-8 text", path=str(path), line=line) from exc
    if path.suffix.lower() != ".csv":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    reader = csv.DictReader(io.StringIO(raw))
    if not reader.fieldnames or "text" not in [f.strip() for f in reader.fieldnames]:
        raise InputFileInvalid(
            f"{path}:1: the CSV header has no `text` column"
            f" (found: {', '.join(reader.fieldnames or [])})",
            path=str(path),
            line=1,
        )
    reader.fieldnames = [f.strip() for f in reader.fieldnames]
    queries = []
    try:
        for row in reader:
            text = (row.get("text") or "").strip()
            if text:
                queries.append(text)
    except csv.Error as exc:
        raise InputFileInvalid(f"{path}:{reader.line_num}: {exc}", path=str(path)) from exc
    return queries


@app.command()
def train() -> None:
    """Train the intent and sentiment models into <data dir>/models/nlu."""
    settings = load_settings()
    try:
        path = train_with_progress_bar(settings)
    except DomainError as exc:
        _err.print(f"[red]error:[/red] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(code=1) from exc
    _err.print(f"saved to {path}")


@app.command()
def classify(
    file: Path = typer.Argument(
        ..., help="A text file (one query per line) or a CSV with a `text` column."
    ),  # noqa: B008
) -> None:
    """Print one JSON object per query: text, language, intent, confidence, alternatives."""
    settings = load_settings()
    try:
        queries = read_queries(file)
        if not service.is_trained(settings):
            train_with_progress_bar(settings)
        nlu = service.load(settings=settings)
    except DomainError as exc:
        _err.print(f"[red]error:[/red] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(code=2) from exc
    for query in queries:
        typer.echo(json.dumps(nlu.intents.classify(query).to_dict(), ensure_ascii=False))
