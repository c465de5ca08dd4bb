"""Hybrid bilingual search: BM25 over jieba/stemmed tokens, glossary query translation,
optional embedding similarity, and translated twins standing in for each other."""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import yaml

from fincall.knowledge.text import is_chinese, stem, to_simplified, tokens

GLOSSARY_FILE = Path(__file__).resolve().parent / "glossary.yaml"
TITLE_WEIGHT = 3
TAG_WEIGHT = 2
TRANSLATION_WEIGHT = 0.6  # weight of query terms added from the other language
SYNONYM_WEIGHT = 0.4  # weight of same-language glossary synonyms
TWIN_FACTOR = 0.9  # a twin's evidence counts slightly less than the article's own


@runtime_checkable
class Embedder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised vector per text (rows)."""
        ...


@dataclass(frozen=True, slots=True)
class KbDoc:
    id: str
    language: str
    title: str
    body: str
    twin: str | None = None
    tags: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    jurisdiction: tuple[str, ...] = ("ALL",)


@dataclass(frozen=True, slots=True)
class SearchHit:
    doc_id: str
    language: str
    title: str
    twin: str | None
    score: float
    lexical: float
    semantic: float | None
    via_twin: bool  # found through its translated twin


class Glossary:
    """Bilingual concept list: finds concepts in a query and returns their terms."""

    def __init__(self, entries: Iterable[dict[str, list[str]]]) -> None:
        self.entries = [
            {"en": [str(t) for t in e.get("en", [])], "zh": [str(t) for t in e.get("zh", [])]}
            for e in entries
        ]
        self._en = [
            [tuple(stem(w) for w in t.lower().split()) for t in e["en"]] for e in self.entries
        ]

    @classmethod
    def load(cls, path: Path | str = GLOSSARY_FILE) -> Glossary:
        """Read the glossary YAML (a list of {en: [...], zh: [...]})."""
        return cls(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or [])

    def concepts(self, query: str) -> list[int]:
        """Indexes of the entries mentioned in ``query`` (either language)."""
        simple = to_simplified(query).lower()
        words = [
            stem(w) for w in "".join(c if c.isalnum() or c in "-'" else " " for c in simple).split()
        ]
        found: list[int] = []
        for i, entry in enumerate(self.entries):
            hit = any(t.lower() in simple for t in entry["zh"])
            if not hit:
                for term in self._en[i]:
                    n = len(term)
                    if n and any(
                        tuple(words[j : j + n]) == term for j in range(len(words) - n + 1)
                    ):
                        hit = True
                        break
            if hit:
                found.append(i)
        return found

    def expansions(self, query: str) -> tuple[list[str], list[str]]:
        """(other-language terms, same-language synonyms) for the concepts in ``query``."""
        lang, other = ("zh", "en") if is_chinese(query) else ("en", "zh")
        translated: list[str] = []
        synonyms: list[str] = []
        for i in self.concepts(query):
            translated.extend(self.entries[i][other])
            synonyms.extend(self.entries[i][lang])
        return translated, synonyms


class BM25:
    """Okapi BM25 over weighted query terms."""

    def __init__(self, docs: Sequence[list[str]], *, k1: float = 1.4, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.avg = (sum(self.len) / len(docs)) if docs else 0.0
        df: Counter[str] = Counter()
        for c in self.tf:
            df.update(c.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: dict[str, float]) -> np.ndarray:
        """One score per document for a {term: weight} query."""
        out = np.zeros(len(self.tf))
        for i, tf in enumerate(self.tf):
            norm = self.k1 * (1 - self.b + self.b * self.len[i] / (self.avg or 1.0))
            s = 0.0
            for term, weight in query.items():
                f = tf.get(term)
                if f:
                    s += weight * self.idf[term] * f * (self.k1 + 1) / (f + norm)
            out[i] = s
        return out


def _doc_tokens(doc: KbDoc) -> list[str]:
    return (
        tokens(doc.title) * TITLE_WEIGHT
        + tokens(" ".join(doc.tags)) * TAG_WEIGHT
        + tokens(doc.body)
    )


class SearchIndex:
    """An in-memory index of approved, valid articles (rebuild it when articles change)."""

    def __init__(
        self,
        docs: Sequence[KbDoc],
        *,
        glossary: Glossary | None = None,
        embedder: Embedder | None = None,
        semantic_weight: float = 0.5,
        vector_cache: MutableMapping[str, np.ndarray] | None = None,
    ) -> None:
        self.docs = list(docs)
        self.glossary = glossary
        self.embedder = embedder
        self.semantic_weight = semantic_weight
        self.bm25 = BM25([_doc_tokens(d) for d in self.docs])
        self.by_twin: dict[str, list[int]] = defaultdict(list)
        for i, d in enumerate(self.docs):
            if d.twin:
                self.by_twin[d.twin].append(i)
        self.vectors: np.ndarray | None = None
        if embedder is not None and self.docs:
            self.vectors = self._embed_docs(embedder, {} if vector_cache is None else vector_cache)

    def _embed_docs(self, embedder: Embedder, cache: MutableMapping[str, np.ndarray]) -> np.ndarray:
        """Document vectors; unchanged documents come from ``cache`` (keyed by content hash)."""
        texts = [f"{d.title}. {d.body}" for d in self.docs]
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        missing = [i for i, key in enumerate(keys) if key not in cache]
        if missing:
            fresh = np.asarray(embedder.encode([texts[i] for i in missing]), dtype=np.float32)
            for row, i in enumerate(missing):
                cache[keys[i]] = fresh[row]
        return np.stack([cache[key] for key in keys])

    def query_terms(self, query: str) -> dict[str, float]:
        """Weighted terms of the query plus glossary translations and synonyms."""
        terms: dict[str, float] = {}
        for t in tokens(query):
            terms[t] = 1.0
        if self.glossary is not None:
            translated, synonyms = self.glossary.expansions(query)
            for weight, words in ((TRANSLATION_WEIGHT, translated), (SYNONYM_WEIGHT, synonyms)):
                for t in tokens(" ".join(words)):
                    terms[t] = max(terms.get(t, 0.0), weight)
        return terms

    def _raw(self, query: str) -> tuple[np.ndarray, np.ndarray | None]:
        lexical = self.bm25.scores(self.query_terms(query))
        semantic = None
        if self.vectors is not None and self.embedder is not None:
            q = np.asarray(self.embedder.encode([query]), dtype=np.float32)[0]
            semantic = self.vectors @ q
        return lexical, semantic

    def search(
        self,
        query: str,
        *,
        language: str | None = None,
        k: int = 5,
        products: Iterable[str] | None = None,
        jurisdiction: str | None = None,
    ) -> list[SearchHit]:
        """Top ``k`` articles, one per twin group, in ``language`` when a version exists in it."""
        if not self.docs or not query.strip():
            return []
        lexical, semantic = self._raw(query)
        top = float(lexical.max())
        lex_norm = lexical / top if top > 0 else lexical
        combined = lex_norm.copy()
        if semantic is not None:
            w = self.semantic_weight
            combined = (1 - w) * lex_norm + w * np.clip(semantic, 0.0, 1.0)
        want = language.split("-")[0] if language else ("zh" if is_chinese(query) else "en")
        wanted_products = set(products or ())
        groups: dict[str, tuple[float, int, bool]] = {}
        for i, doc in enumerate(self.docs):
            if wanted_products and not wanted_products & set(doc.products):
                continue
            if jurisdiction and not {"ALL", jurisdiction} & set(doc.jurisdiction):
                continue
            score = float(combined[i])
            if score <= 0:
                continue
            group = doc.twin or doc.id
            members = self.by_twin.get(doc.twin, [i]) if doc.twin else [i]
            shown = next((j for j in members if self.docs[j].language == want), i)
            if shown != i:
                score *= TWIN_FACTOR
            best = groups.get(group)
            if best is None or score > best[0]:
                groups[group] = (score, shown, shown != i)
        ranked = sorted(groups.values(), key=lambda g: (-g[0], self.docs[g[1]].id))[:k]
        return [
            SearchHit(
                doc_id=self.docs[j].id,
                language=self.docs[j].language,
                title=self.docs[j].title,
                twin=self.docs[j].twin,
                score=round(score, 6),
                lexical=round(float(lex_norm[j]), 6),
                semantic=None if semantic is None else round(float(semantic[j]), 6),
                via_twin=via,
            )
            for score, j, via in ranked
        ]
