"""Split an utterance into plain and highlighted segments for the findings on it (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    finding_id: int
    char_start: int | None
    char_end: int | None
    evidence: str = ""


@dataclass(frozen=True)
class Segment:
    text: str
    finding_ids: tuple[int, ...] = ()

    @property
    def marked(self) -> bool:
        """True when at least one finding points at this text."""
        return bool(self.finding_ids)


def locate(text: str, span: Span) -> tuple[int, int] | None:
    """Where the evidence lies in ``text``: the stored offsets when they still show the
    evidence, else the first case-insensitive occurrence of the evidence, else nothing."""
    s, e = span.char_start, span.char_end
    if s is not None and e is not None and 0 <= s < e <= len(text):
        if (
            not span.evidence
            or text[s:e].lower() == span.evidence.lower()
            or len(span.evidence) == (e - s)
        ):
            return s, e
    if span.evidence:
        pos = text.lower().find(span.evidence.lower())
        if pos >= 0:
            return pos, pos + len(span.evidence)
    return None


def segments(text: str, spans: Iterable[Span]) -> list[Segment]:
    """Plain/marked segments covering ``text`` exactly; overlapping spans share segments."""
    cuts = {0, len(text)}
    placed: list[tuple[int, int, int]] = []
    for sp in spans:
        where = locate(text, sp)
        if where is None:
            continue
        s, e = where
        placed.append((s, e, sp.finding_id))
        cuts.update((s, e))
    bounds = sorted(cuts)
    out: list[Segment] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a == b:
            continue
        ids = tuple(sorted(fid for s, e, fid in placed if s <= a and b <= e))
        if out and out[-1].finding_ids == ids:
            out[-1] = Segment(out[-1].text + text[a:b], ids)
        else:
            out.append(Segment(text[a:b], ids))
    return out or [Segment(text)]
