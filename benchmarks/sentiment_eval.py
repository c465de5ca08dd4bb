"""Sentiment accuracy on held-out splits of public corpora: lexicon baselines, research models
trained on the corpora (never shipped), and the shipped model (trained only on fincall's own
utterances). Ends with one JSON line.

English: Twitter US Airline Sentiment (3 classes, deduplicated by tweet_id).
Chinese: ChnSentiCorp hotel reviews and waimai_10k delivery reviews (2 classes).
Splits: a stable 80/20 split by a hash of the row id; research models train on the 80%.
Usage: python benchmarks/sentiment_eval.py [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fincall.nlu.linear import train_head  # noqa: E402
from fincall.nlu.sentiment import (  # noqa: E402
    _dense,
    lexicon_features,
    snownlp_positive,
    train_sentiment,
    vader_features,
)
from fincall.nlu.service import load_encoder  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def _is_test(key: str) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 5 == 0


def _split(rows: list[tuple[str, str, str]], limit: int | None) -> tuple[list, list]:
    train = [(t, y) for k, t, y in rows if not _is_test(k)]
    test = [(t, y) for k, t, y in rows if _is_test(k)]
    if limit:
        test = test[:limit]
    return train, test


def _acc(pred: list[str], gold: list[str]) -> float:
    return round(100 * sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold), 2)


def airline(limit: int | None) -> list[tuple[str, str, str]]:
    """(tweet_id, text, label) rows, first occurrence of each tweet_id."""
    seen: set[str] = set()
    rows = []
    with (SHARED / "airline_sentiment" / "tweets_slim.csv").open(
        encoding="utf-8", newline=""
    ) as fh:
        for r in csv.DictReader(fh):
            if r["tweet_id"] in seen:
                continue
            seen.add(r["tweet_id"])
            rows.append((r["tweet_id"], r["text"], r["airline_sentiment"]))
    return rows


def chinese(name: str) -> list[tuple[str, str, str]]:
    """(row key, review, positive|negative) rows of a binary Chinese corpus."""
    path = {
        "chnsenticorp": SHARED / "chnsenticorp" / "ChnSentiCorp_htl_all.csv",
        "waimai": SHARED / "waimai_10k" / "waimai_10k.csv",
    }[name]
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            text = (r.get("review") or "").strip()
            if text:
                rows.append((f"{name}:{i}", text, "positive" if r["label"] == "1" else "negative"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="at most N test rows per corpus")
    parser.add_argument("--corpora", default="airline,chnsenticorp,waimai")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    encoder = load_encoder()
    shipped = train_sentiment(encoder=encoder)

    wanted = set(args.corpora.split(","))
    if "airline" in wanted and (SHARED / "airline_sentiment").exists():
        train, test = _split(airline(args.limit), args.limit)
        texts, gold = [t for t, _ in test], [y for _, y in test]
        vader = []
        for t in texts:
            c = float(vader_features(t)[0])
            vader.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
        figures["airline_vader"] = _acc(vader, gold)
        start = time.perf_counter()
        research = train_head(
            [t for t, _ in train], [y for _, y in train], analyzers=("en_words", "en_chars"), c=0.3
        )
        figures["airline_research_ngram_svm"] = _acc(
            [research.labels[int(research.proba(t).argmax())] for t in texts], gold
        )
        train_dense = np.stack([lexicon_features(t, "en") * 2.0 for t, _ in train])
        research_lex = train_head(
            [t for t, _ in train], [y for _, y in train], analyzers=("en_words", "en_chars"),
            dense=train_dense, c=0.3,
        )  # fmt: skip
        figures["airline_research_ngram_vader_svm"] = _acc(
            [
                research_lex.labels[
                    int(research_lex.proba(t, lexicon_features(t, "en") * 2.0).argmax())
                ]
                for t in texts
            ],
            gold,
        )
        figures["airline_research_seconds"] = round(time.perf_counter() - start, 1)
        head = shipped.heads["en"]
        layers = (
            encoder.encode_layers(texts) if encoder is not None and head.dense_dim > 7 else None
        )
        pred = []
        for i, t in enumerate(texts):
            dense = _dense(t, "en", None)
            if layers is not None:
                dense = np.concatenate([dense, layers[i, :384]])
            pred.append(head.labels[int(head.proba(t, dense).argmax())])
        figures["airline_shipped_model"] = _acc(pred, gold)
        figures["airline_test_size"] = len(test)
        print(
            f"Airline (3 classes, {len(test)} held-out tweets): VADER {figures['airline_vader']}%, "
            f"research n-gram SVM {figures['airline_research_ngram_svm']}%, "
            f"research n-gram+VADER SVM {figures['airline_research_ngram_vader_svm']}%, "
            f"shipped model {figures['airline_shipped_model']}%"
        )

    for name in ("chnsenticorp", "waimai"):
        folder = SHARED / ("chnsenticorp" if name == "chnsenticorp" else "waimai_10k")
        if name not in wanted or not folder.exists():
            continue
        train, test = _split(chinese(name), args.limit)
        texts, gold = [t for t, _ in test], [y for _, y in test]
        figures[f"{name}_snownlp"] = _acc(
            ["positive" if snownlp_positive(t) > 0.5 else "negative" for t in texts], gold
        )
        research = train_head(
            [t for t, _ in train], [y for _, y in train], analyzers=("zh_tokens",), c=0.3
        )
        figures[f"{name}_research_ngram_svm"] = _acc(
            [research.labels[int(research.proba(t).argmax())] for t in texts], gold
        )
        head = shipped.heads["zh"]
        pred = []
        for t in texts:
            p = dict(zip(head.labels, head.proba(t, _dense(t, "zh", None)).tolist(), strict=True))
            pred.append("positive" if p["positive"] >= p["negative"] else "negative")
        figures[f"{name}_shipped_model"] = _acc(pred, gold)
        figures[f"{name}_test_size"] = len(test)
        print(
            f"{name} (2 classes, {len(test)} held-out reviews): "
            f"SnowNLP {figures[f'{name}_snownlp']}%, "
            f"research n-gram SVM {figures[f'{name}_research_ngram_svm']}%, "
            f"shipped model (positive vs negative) {figures[f'{name}_shipped_model']}%"
        )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
