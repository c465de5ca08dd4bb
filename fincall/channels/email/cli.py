"""``fincall email ...``: take in saved mail (.eml files, folders of them, mbox files)."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from fincall.channels.email.smtp import InboundMailHandler

app = typer.Typer(help="Email channel: ingest saved mail into contacts.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def main() -> None:
    """Email channel commands."""


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() == ".mbox":
        return True
    with open(path, "rb") as fh:
        return fh.read(5) == b"From "


def messages(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) for every message in the given files and folders, in order."""
    for path in paths:
        if path.is_dir():
            yield from messages(sorted(p for p in path.iterdir() if p.suffix.lower() == ".eml"))
        elif _is_mbox(path):
            box = mailbox.mbox(path, create=False)
            try:
                for i, key in enumerate(box.iterkeys(), start=1):
                    yield f"{path} (message {i})", box.get_bytes(key)
            finally:
                box.close()
        else:
            yield str(path), path.read_bytes()


@app.command("ingest")
def ingest(
    paths: list[Path] = typer.Argument(..., exists=True, help=".eml files, folders, mbox files"),
    max_attachment_mb: int = typer.Option(10, min=1, help="Refuse attachments above this size"),
) -> None:
    """Store each message as if it had arrived by SMTP (threaded, deduplicated by Message-ID)."""
    from fincall.core.settings import load_settings
    from fincall.runtime import Runtime

    try:
        settings = load_settings()
    except Exception as exc:  # an invalid setting: the reason, not a trace
        err.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None
    runtime = Runtime.create(settings)
    handler = InboundMailHandler(runtime, max_attachment_bytes=max_attachment_mb * 1024 * 1024)
    items = list(messages(paths))
    stored = duplicates = 0
    refused: list[tuple[str, str]] = []
    try:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("ingesting mail", total=len(items))
            for where, raw in items:
                reply = handler.store(raw)
                if reply.startswith("250") and "already" in reply:
                    duplicates += 1
                elif reply.startswith("250"):
                    stored += 1
                else:
                    refused.append((where, reply))
                progress.advance(task)
    finally:
        runtime.dispose()
    typer.echo(f"stored {stored}, already present {duplicates}, refused {len(refused)}")
    for where, reply in refused:
        err.print(f"[red]{where}:[/red] {reply}")
    if refused:
        raise typer.Exit(1)
