"""Knowledge-base search quality: recall@3 per language on the labelled query set.

Runs BM25 (with the bilingual glossary) always, and hybrid BM25 + embeddings when the
packaged MiniLM encoder from fincall.nlu is available. Also measures cross-lingual recall:
queries searched against only the other language's articles (twin must come back).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fincall.knowledge.articles import load_article_dir  # noqa: E402
from fincall.knowledge.search import Glossary, KbDoc, SearchIndex  # noqa: E402

QUERIES = Path(__file__).resolve().parents[1] / "fincall" / "knowledge" / "eval" / "queries.jsonl"
K = 3


def load_docs() -> list[KbDoc]:
    return [
        KbDoc(
            id=a.key,
            language=a.language,
            title=a.title,
            body=a.body,
            twin=a.twin,
            tags=a.tags,
            products=a.products,
            jurisdiction=a.jurisdiction,
        )
        for a in load_article_dir()
        if a.state == "approved"
    ]


def recall(index: SearchIndex, queries: list[dict], *, language_of=None, target_of=None) -> dict:
    """recall@K and the misses for a list of labelled queries."""
    hits = 0
    misses = []
    for q in queries:
        lang = language_of(q) if language_of else q["language"]
        targets = set(target_of(q) if target_of else q["relevant"])
        got = [h.doc_id for h in index.search(q["query"], language=lang, k=K)]
        if targets & set(got):
            hits += 1
        else:
            misses.append((q["query"], sorted(targets), got))
    return {"n": len(queries), "recall": hits / len(queries) if queries else 0.0, "misses": misses}


def make_embedder():
    try:
        from fincall.nlu.encoder import MiniLMEncoder, packaged_model_dir
    except ImportError:
        return None
    model_dir = packaged_model_dir()
    return MiniLMEncoder(model_dir) if model_dir else None


def main() -> None:
    docs = load_docs()
    by_id = {d.id: d for d in docs}
    queries = [
        json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines() if line
    ]
    glossary = Glossary.load()
    figures: dict[str, object] = {"articles": len(docs), "queries": len(queries), "k": K}

    configs = {"bm25": SearchIndex(docs, glossary=glossary), "bm25_no_glossary": SearchIndex(docs)}
    embedder = None if "--bm25-only" in sys.argv else make_embedder()
    if embedder is not None:
        t0 = time.perf_counter()
        configs["hybrid"] = SearchIndex(docs, glossary=glossary, embedder=embedder)
        figures["hybrid_index_seconds"] = round(time.perf_counter() - t0, 2)
    else:
        print("no embedder available: hybrid figures skipped")

    for name, index in configs.items():
        for lang in ("en", "zh"):
            res = recall(index, [q for q in queries if q["language"] == lang])
            figures[f"{name}_recall@{K}_{lang}"] = round(res["recall"], 3)
            print(f"{name:18s} {lang}: recall@{K} = {res['recall']:.3f} over {res['n']} queries")
            if name == "bm25":
                for query, want, got in res["misses"]:
                    print(f"    miss: {query!r} want {want} got {got}")

    # cross-lingual: only the other language's articles are in the index
    for lang, other in (("en", "zh"), ("zh", "en")):
        index = SearchIndex([d for d in docs if d.language == other], glossary=glossary)
        twinned = [
            q
            for q in queries
            if q["language"] == lang and any(by_id.get(r) and by_id[r].twin for r in q["relevant"])
        ]
        res = recall(
            index,
            twinned,
            language_of=lambda q, o=other: o,
            target_of=lambda q, o=other: [
                f"{by_id[r].twin}-{o}" for r in q["relevant"] if r in by_id and by_id[r].twin
            ],
        )
        figures[f"cross_lingual_recall@{K}_{lang}_to_{other}"] = round(res["recall"], 3)
        print(f"cross-lingual {lang}->{other}: recall@{K} = {res['recall']:.3f} over {res['n']}")

    index = configs["bm25"]
    t0 = time.perf_counter()
    for q in queries:
        index.search(q["query"], k=K)
    figures["bm25_ms_per_query"] = round((time.perf_counter() - t0) * 1000 / len(queries), 2)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
