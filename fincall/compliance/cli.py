"""``fincall compliance``: validate rule packs and try the live check from a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from fincall.compliance.engine import check_live, inspect
from fincall.compliance.errors import RulePackError, RulePackNotFound
from fincall.compliance.parsing import example_contact
from fincall.compliance.rulepack import default_speakers, get_pack, load_packs

app = typer.Typer(help="Compliance rule packs and checks.", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """Compliance rule packs and checks."""


@app.command("check-packs")
def check_packs(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Also load <data-dir>/rulepacks/*.yaml (tenant rules)."
    ),
) -> None:
    """Validate every pack and run each rule's own match / no_match examples."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        packs = load_packs(extra_dirs=[data_dir / "rulepacks"] if data_dir else [])
    except RulePackError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    table = Table(title="Rule packs")
    for col in ("pack", "version", "languages", "rules", "examples", "failures"):
        table.add_column(col)
    failures: list[str] = []
    for pack in packs.values():
        n_ex = 0
        n_fail = 0
        for rule in pack.rules:
            groups: list[str] = list(rule.languages or []) or sorted(pack.language_groups())
            for group in groups:
                lang = next(lg for lg in pack.languages if lg.startswith("zh") == (group == "zh"))
                cases = [(True, e) for e in rule.examples.match]
                cases += [(False, e) for e in rule.examples.no_match]
                for expect, ex in cases:
                    n_ex += 1
                    contact = example_contact(
                        ex,
                        rule_speaker=default_speakers(rule)[0],
                        language=lang,
                        direction=(rule.directions or ["inbound"])[0],
                    )
                    found = inspect(contact, pack=pack)
                    if rule.detector == "classifier":
                        hit = any(f.category == rule.category for f in found)
                    else:
                        hit = any(f.rule_id == rule.id for f in found)
                    if hit != expect:
                        n_fail += 1
                        word = "should match" if expect else "should not match"
                        failures.append(f"{pack.id} {rule.id}: {word}: {ex}")
        table.add_row(
            pack.id,
            pack.version,
            ",".join(pack.languages),
            str(len(pack.rules)),
            str(n_ex),
            str(n_fail),
        )
    Console(soft_wrap=True).print(table)
    for f in failures:
        err.print(f"[red]FAIL[/red] {f}")
    if failures:
        raise typer.Exit(1)


@app.command("check")
def check(
    text: str = typer.Argument(..., help="A draft message or utterance."),
    language: str = typer.Option("zh-CN", "--language", help="zh-CN, zh-HK or en."),
    pack: str = typer.Option("cn-mainland", "--pack", help="Rule pack id."),
    speaker: str = typer.Option("agent", "--speaker", help="agent, customer or bot."),
) -> None:
    """Print the findings the live check returns for one message (JSON, one per line)."""
    try:
        rule_pack = get_pack(pack)
    except RulePackNotFound as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    for f in check_live(text, speaker=speaker, language=language, pack=rule_pack):
        typer.echo(json.dumps(f.to_dict(), ensure_ascii=False))
