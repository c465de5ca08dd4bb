"""Batch inspection of JSON Lines files: parse, inspect, score, write a report atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fincall.compliance.engine import inspect_contact
from fincall.compliance.errors import ContactInputError
from fincall.compliance.parsing import contact_from_dict
from fincall.compliance.rulepack import RulePack, choose_pack_id, get_packs, language_group
from fincall.compliance.types import ContactInput
from fincall.qa.errors import BatchInputError
from fincall.qa.report import render_report
from fincall.qa.scorecard import ScorecardConfig, score_contact


@dataclass(frozen=True)
class LineError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class BatchSummary:
    out_dir: Path
    contacts: int = 0
    findings: int = 0
    failed: int = 0
    score_sum: float = 0.0
    by_category: Counter[str] = field(default_factory=Counter)
    by_agent: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    scores: list[int] = field(default_factory=list)
    packs: Counter[str] = field(default_factory=Counter)
    errors: list[LineError] = field(default_factory=list)

    @property
    def mean_score(self) -> float:
        """Average contact score (0 when no contact was inspected)."""
        return self.score_sum / self.contacts if self.contacts else 0.0


def input_files(paths: Sequence[Path]) -> list[Path]:
    """Expand the given files/directories into the JSON Lines files to read."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.iterdir() if q.suffix in (".jsonl", ".json")))
        elif p.is_file():
            files.append(p)
        else:
            raise BatchInputError(f"{p}: no such file or directory", path=str(p))
    return files


def count_lines(files: Sequence[Path]) -> int:
    """Number of non-blank lines (for the progress bar)."""
    total = 0
    for f in files:
        with f.open("rb") as fh:
            total += sum(1 for line in fh if line.strip())
    return total


def read_contacts(files: Sequence[Path]) -> Iterator[tuple[str, int, ContactInput | LineError]]:
    """Yield (file, line number, contact or the line's error) for every non-blank line."""
    for f in files:
        with f.open("rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    data = json.loads(raw.decode("utf-8"))
                    yield str(f), n, contact_from_dict(data)
                except UnicodeDecodeError:
                    yield str(f), n, LineError(str(f), n, "not valid UTF-8")
                except json.JSONDecodeError as exc:
                    yield (
                        str(f),
                        n,
                        LineError(str(f), n, f"invalid JSON: {exc.msg} (col {exc.colno})"),
                    )
                except ContactInputError as exc:
                    yield str(f), n, LineError(str(f), n, exc.message)


def _pick_pack(
    contact: ContactInput, packs: dict[str, RulePack], forced: RulePack | None
) -> RulePack | str:
    group = language_group(contact.language)
    if forced is not None:
        if group not in forced.language_groups():
            return f"pack {forced.id!r} has no rules for language {contact.language}"
        return forced
    pid = choose_pack_id(
        language=contact.language,
        region=contact.customer.region,
        timezone=contact.customer.timezone,
    )
    pack = packs.get(pid)
    if pack is None or group not in pack.language_groups():
        # region says e.g. US but the contact is in Chinese: fall back on the language
        pid = choose_pack_id(language=contact.language)
        pack = packs.get(pid)
    if pack is None:
        return f"no rule pack for language {contact.language}"
    return pack


def run_batch(
    paths: Sequence[Path],
    *,
    out_dir: Path,
    pack_id: str | None = None,
    data_dir: Path | None = None,
    scorecard: ScorecardConfig | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Inspect every contact in the files; write findings/scores/errors/report into out_dir.

    Everything is written into a temporary directory beside ``out_dir`` and renamed into
    place at the end, so a crash never leaves a half-written report.
    """
    packs = get_packs(data_dir=data_dir)
    forced = None
    if pack_id is not None:
        if pack_id not in packs:
            raise BatchInputError(
                f"unknown rule pack {pack_id!r} (known: {', '.join(sorted(packs))})",
                pack=pack_id,
            )
        forced = packs[pack_id]
    files = input_files(paths)
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    summary = BatchSummary(out_dir=out_dir)
    try:
        with (
            (tmp / "findings.jsonl").open("w", encoding="utf-8") as ff,
            (tmp / "scores.jsonl").open("w", encoding="utf-8") as sf,
        ):
            for file, line, item in read_contacts(files):
                if on_progress:
                    on_progress(1)
                if isinstance(item, LineError):
                    summary.errors.append(item)
                    continue
                pack = _pick_pack(item, packs, forced)
                if isinstance(pack, str):
                    summary.errors.append(LineError(file, line, pack))
                    continue
                _record(item, pack, summary, ff, sf, scorecard, file, line)
        with (tmp / "errors.jsonl").open("w", encoding="utf-8") as ef:
            for e in summary.errors:
                ef.write(json.dumps({"file": e.file, "line": e.line, "reason": e.reason}) + "\n")
        (tmp / "report.html").write_text(render_report(summary), encoding="utf-8")
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _record(
    contact: ContactInput,
    pack: RulePack,
    summary: BatchSummary,
    ff: Any,
    sf: Any,
    scorecard: ScorecardConfig | None,
    file: str,
    line: int,
) -> None:
    result = inspect_contact(contact, pack=pack)
    score = score_contact(contact_id=contact.id, findings=result.findings, config=scorecard)
    agent = contact.agent_id or "(unassigned)"
    for f in result.findings:
        row = f.to_dict()
        row["agent_id"] = contact.agent_id
        row["source"] = f"{file}:{line}"
        ff.write(json.dumps(row, ensure_ascii=False) + "\n")
        summary.by_category[f.category] += 1
        summary.by_severity[f.severity] += 1
        summary.by_agent[agent] += 1
    srow = score.to_dict()
    srow.update(
        pack_id=pack.id,
        pack_version=pack.version,
        agent_id=contact.agent_id,
        language=contact.language,
        findings=len(result.findings),
    )
    sf.write(json.dumps(srow, ensure_ascii=False) + "\n")
    summary.contacts += 1
    summary.findings += len(result.findings)
    summary.score_sum += score.score
    summary.scores.append(score.score)
    summary.failed += 0 if score.passed else 1
    summary.packs[f"{pack.id}@{pack.version}"] += 1


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        out_dir.rename(old)
        tmp.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out_dir)
