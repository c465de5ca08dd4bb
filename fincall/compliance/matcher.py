"""Phrase layer: one Aho–Corasick automaton per (pack, language group), built once."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import ahocorasick

from fincall.compliance.paraphrase import CUE_TERMS
from fincall.compliance.rulepack import RulePack, RuleSpec, default_speakers, phrase_fields
from fincall.compliance.textnorm import normalize

CUE = -1
_SUFFIXES = frozenset({"", "s", "es", "ed", "d", "ing"})
_ORDER = {"classifier": 1}


@dataclass(frozen=True)
class CompiledRule:
    index: int
    spec: RuleSpec
    speakers: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    exempt: frozenset[str]


class CompiledPack:
    """A pack's rules for one language group with a single automaton over all their phrases."""

    def __init__(self, pack: RulePack, group: str) -> None:
        self.pack = pack
        self.group = group
        specs = [r for r in pack.rules if r.languages is None or group in r.languages]
        specs.sort(key=lambda r: _ORDER.get(r.detector, 0))
        self.rules: tuple[CompiledRule, ...] = tuple(
            CompiledRule(
                index=i,
                spec=r,
                speakers=frozenset(default_speakers(r)),
                patterns=tuple(re.compile(p) for p in r.patterns),
                exempt=frozenset(r.exempt_product_types),
            )
            for i, r in enumerate(specs)
        )
        self.has_classifier = any(r.spec.detector == "classifier" for r in self.rules)
        entries: dict[str, list[tuple[int, str]]] = {}
        for cr in self.rules:
            for fld, phrases in phrase_fields(cr.spec).items():
                for p in phrases:
                    key = normalize(p).strip()
                    if key:
                        entries.setdefault(key, []).append((cr.index, fld))
        if self.has_classifier:
            for cue in CUE_TERMS[group]:
                entries.setdefault(normalize(cue), []).append((CUE, "cue"))
        self._automaton = ahocorasick.Automaton()
        for key, vals in entries.items():
            head = key[0].isascii() and key[0].isalnum()
            tail = key[-1].isascii() and key[-1].isalnum()
            self._automaton.add_word(key, (len(key), head, tail, tuple(vals)))
        if entries:
            self._automaton.make_automaton()
        self._empty = not entries

    def scan(self, norm: str) -> list[tuple[int, str, int, int]]:
        """All (rule index, field, start, end) phrase hits in a normalised text."""
        out: list[tuple[int, str, int, int]] = []
        self.scan_into(norm, 0, {}, out)
        return out

    def scan_into(
        self,
        norm: str,
        i: int,
        by_rule: dict[int, list[tuple[int, str, int, int]]],
        flat: list[tuple[int, str, int, int]] | None = None,
    ) -> bool:
        """Add utterance ``i``'s hits to ``by_rule`` (or ``flat``); True when a cue term is seen."""
        if self._empty:
            return False
        cue = False
        n = len(norm)
        for end, (plen, head, tail, vals) in self._automaton.iter(norm):
            s = end - plen + 1
            e = end + 1
            if head and s > 0:
                c = norm[s - 1]
                if c.isascii() and (c.isalnum() or c == "'"):
                    continue
            if tail and e < n:
                c = norm[e]
                if c.isascii() and c.isalnum():
                    j = e
                    while j < n and norm[j].isascii() and norm[j].isalnum():
                        j += 1
                    if norm[e:j] not in _SUFFIXES:
                        continue
            for ri, fld in vals:
                if ri == CUE:
                    cue = True
                elif flat is not None:
                    flat.append((ri, fld, s, e))
                else:
                    lst = by_rule.get(ri)
                    if lst is None:
                        by_rule[ri] = [(i, fld, s, e)]
                    else:
                        lst.append((i, fld, s, e))
        return cue


_COMPILED: dict[tuple[int, str], CompiledPack] = {}
_lock = threading.Lock()


def compiled(pack: RulePack, group: str) -> CompiledPack:
    """The compiled pack for a language group (built once per pack object)."""
    key = (id(pack), group)
    cp = _COMPILED.get(key)
    if cp is None or cp.pack is not pack:
        with _lock:
            cp = CompiledPack(pack, group)
            _COMPILED[key] = cp
    return cp
