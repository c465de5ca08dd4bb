"""``fincall wfm``: Erlang staffing from the command line."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from fincall.wfm.erlang import (
    Staffing,
    agents_for_service_level,
    agents_for_service_level_a,
    offered_load,
)
from fincall.wfm.errors import StaffingInputInvalid

app = typer.Typer(help="Workforce management: Erlang C / Erlang A staffing.")
console = Console(soft_wrap=True)


def _parse_target(text: str) -> tuple[float, float]:
    """'80/20' -> (0.8, 20.0)."""
    try:
        pct, secs = text.split("/")
        fraction, seconds = float(pct) / 100.0, float(secs)
    except ValueError:
        raise typer.BadParameter("target must look like 80/20 (percent/seconds)") from None
    if not 0 < fraction < 1 or seconds <= 0:
        raise typer.BadParameter("target percent must be in (0, 100) and seconds > 0")
    return fraction, seconds


def _staff(
    *,
    calls_per_hour: float,
    aht: float,
    fraction: float,
    seconds: float,
    shrinkage: float,
    patience: float | None,
) -> Staffing:
    if patience is None:
        load = offered_load(arrivals_per_hour=calls_per_hour, aht_seconds=aht)
        return agents_for_service_level(
            load=load,
            aht_seconds=aht,
            target_fraction=fraction,
            target_seconds=seconds,
            shrinkage=shrinkage,
        )
    return agents_for_service_level_a(
        arrivals_per_second=calls_per_hour / 3600.0,
        aht_seconds=aht,
        patience_seconds=patience,
        target_fraction=fraction,
        target_seconds=seconds,
        shrinkage=shrinkage,
    )


@app.command()
def staffing(
    calls_per_hour: float = typer.Option(..., help="Forecast contacts per hour."),
    aht: float = typer.Option(..., help="Average handling time, seconds."),
    target: str = typer.Option("80/20", help="Service level: percent/seconds."),
    shrinkage: float = typer.Option(0.3, help="Fraction of paid time not on contacts."),
    patience: float | None = typer.Option(None, help="Mean patience (s): use Erlang A."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Agents needed for one interval's forecast."""
    fraction, seconds = _parse_target(target)
    try:
        s = _staff(
            calls_per_hour=calls_per_hour,
            aht=aht,
            fraction=fraction,
            seconds=seconds,
            shrinkage=shrinkage,
            patience=patience,
        )
    except StaffingInputInvalid as err:
        console.print(f"[red]error:[/red] {err.message}")
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(asdict(s)))
        return
    table = Table(
        "agents", "scheduled", "service level", "P(wait)", "ASA s", "occupancy", "P(abandon)"
    )
    table.add_row(
        str(s.agents),
        str(s.scheduled),
        f"{s.service_level:.1%}",
        f"{s.p_wait:.1%}",
        f"{s.asa_seconds:.1f}",
        f"{s.occupancy:.1%}",
        f"{s.p_abandon:.1%}",
    )
    console.print(table)


@app.command()
def plan(
    forecast: Path = typer.Argument(..., help="CSV with columns interval,calls_per_hour,aht."),
    output: Path = typer.Option(..., "--output", "-o", help="CSV to write."),
    target: str = typer.Option("80/20", help="Service level: percent/seconds."),
    shrinkage: float = typer.Option(0.3, help="Fraction of paid time not on contacts."),
    patience: float | None = typer.Option(None, help="Mean patience (s): use Erlang A."),
) -> None:
    """Staffing for every interval of a forecast CSV (written only if every row is valid)."""
    fraction, seconds = _parse_target(target)
    try:
        with forecast.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as err:
        console.print(f"[red]error:[/red] cannot read {forecast}: {err.strerror}")
        raise typer.Exit(2) from None
    needed = {"interval", "calls_per_hour", "aht"}
    if rows and not needed <= set(rows[0]):
        console.print(f"[red]error:[/red] {forecast}:1: columns must include {sorted(needed)}")
        raise typer.Exit(2)
    results = []
    for line, row in track(list(enumerate(rows, start=2)), description="Staffing intervals"):
        try:
            s = _staff(
                calls_per_hour=float(row["calls_per_hour"]),
                aht=float(row["aht"]),
                fraction=fraction,
                seconds=seconds,
                shrinkage=shrinkage,
                patience=patience,
            )
        except (ValueError, TypeError, StaffingInputInvalid) as err:
            message = err.message if isinstance(err, StaffingInputInvalid) else str(err)
            console.print(f"[red]error:[/red] {forecast}:{line}: {message}")
            raise typer.Exit(2) from None
        results.append((row["interval"], s))
    tmp = output.with_suffix(output.suffix + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["interval", "agents", "scheduled", "service_level", "asa_seconds"])
        for interval, s in results:
            writer.writerow(
                [interval, s.agents, s.scheduled, f"{s.service_level:.4f}", f"{s.asa_seconds:.2f}"]
            )
    tmp.replace(output)
    console.print(f"wrote {len(results)} intervals to {output}")
