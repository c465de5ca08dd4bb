"""``fincall flows ...``: check flow files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from fincall.flows.errors import FlowDefinitionError
from fincall.flows.loader import LIBRARY_DIR, load_flow

app = typer.Typer(help="Bot and IVR flows.")
console = Console(soft_wrap=True)


@app.command()
def validate(
    paths: list[Path] = typer.Argument(None, help="Flow YAML files (default: the shipped library)"),
) -> None:
    """Check flow files; print warnings; exit 1 naming file and line on the first error."""
    files = paths or sorted(LIBRARY_DIR.glob("*.yaml"))
    failed = False
    for path in files:
        try:
            flow = load_flow(path)
        except FlowDefinitionError as exc:
            console.print(f"[red]error[/red] {exc}", highlight=False)
            failed = True
            continue
        console.print(f"ok {path}: flow '{flow.id}' with {len(flow.steps)} steps", highlight=False)
        for warning in flow.warnings:
            console.print(f"[yellow]warning[/yellow] {warning}", highlight=False)
    if failed:
        raise typer.Exit(code=1)
