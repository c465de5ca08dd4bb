"""Intent classification figures: Banking77 test accuracy, Chinese and English held-out accuracy,
warm single-query latency (p50/p99) of the whole classify call with the stored encoder and, in
the same process, with the NumPy encoder as the baseline. Ends with one JSON line.

Usage: python benchmarks/intent_eval.py [--data-dir DIR] [--retrain]
The model under ``<data dir>/models/nlu`` is used (trained first when absent, as ``fincall nlu
train`` would). Banking77 test.csv is read from ../shared/data and never used for training.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fincall.core.settings import load_settings  # noqa: E402
from fincall.nlu import service  # noqa: E402
from fincall.nlu.corpus import load_test_set  # noqa: E402
from fincall.nlu.encoder import MiniLMEncoder, packaged_model_dir  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def _accuracy(classifier, rows: list[tuple[str, str]]) -> tuple[float, dict[str, float]]:  # noqa: ANN001
    hits = 0
    by_group: dict[str, list[int]] = defaultdict(list)
    for text, intent, *group in rows:
        ok = classifier.classify(text).intent == intent
        hits += ok
        if group:
            by_group[group[0]].append(ok)
    groups = {g: round(100 * sum(v) / len(v), 2) for g, v in by_group.items()}
    return (round(100 * hits / len(rows), 2) if rows else 0.0), groups


def _banking77(classifier, rows: list[tuple[str, str]]) -> tuple[float, float]:  # noqa: ANN001
    """Accuracy of the 85-label model, and the standard metric (argmax over the 77 labels)."""
    from fincall.nlu.corpus import banking77_labels

    b77 = set(banking77_labels())
    keep = [i for i, label in enumerate(classifier.labels) if label in b77]
    full = restricted = 0
    for text, intent in rows:
        _, proba = classifier.probabilities(text)
        full += classifier.labels[int(proba.argmax())] == intent
        restricted += classifier.labels[keep[int(proba[keep].argmax())]] == intent
    return round(100 * full / len(rows), 2), round(100 * restricted / len(rows), 2)


def _latency(classifier, queries: list[str]) -> tuple[float, float, float]:  # noqa: ANN001
    """p50 and p99 wall time in ms of the whole ``classify`` call, one query at a time, after a
    warm-up in both languages; and the p99 of the thread's CPU time (the wall time minus waiting
    for a busy machine's cores)."""
    for q in queries[:10] + queries[-10:]:
        classifier.classify(q)
    timings, cpu = [], []
    for q in queries:
        start, start_cpu = time.perf_counter(), time.thread_time()
        classifier.classify(q)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    rank = min(len(timings) - 1, int(round(0.99 * len(timings))) - 1)
    timings.sort()
    cpu.sort()
    return statistics.median(timings), timings[rank], cpu[rank]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--retrain", action="store_true")
    parser.add_argument("--latency-queries", type=int, default=500)
    args = parser.parse_args()
    settings = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    train_seconds = None
    if args.retrain or not service.is_trained(settings):
        start = time.perf_counter()
        service.train(settings=settings)
        train_seconds = round(time.perf_counter() - start, 1)
        print(f"trained in {train_seconds} s")
    nlu = service.load(settings=settings)
    classifier = nlu.intents
    figures: dict[str, object] = {"train_seconds": train_seconds}

    test_csv = SHARED / "banking77" / "test.csv"
    if test_csv.exists():
        with test_csv.open(encoding="utf-8", newline="") as fh:
            rows = [(r["text"], r["category"]) for r in csv.DictReader(fh)]
        acc, acc77 = _banking77(classifier, rows)
        figures["banking77_test_accuracy"] = acc
        print(
            f"Banking77 test accuracy: {acc}% on {len(rows)} queries, 85-label model"
            " (target >= 94.5%)"
        )
        figures["banking77_test_accuracy_77_labels"] = acc77
        print(
            f"Banking77 test accuracy with the argmax over the 77 Banking77 labels only: {acc77}%"
        )
    else:
        print(f"Banking77 test set not found at {test_csv}: skipped")

    zh = [(e.text, e.intent, e.script or "?") for e in load_test_set("zh")]
    acc, by_script = _accuracy(classifier, zh)
    figures["zh_test_accuracy"] = acc
    figures["zh_test_size"] = len(zh)
    figures["zh_test_accuracy_by_script"] = by_script
    print(f"Chinese test accuracy: {acc}% on {len(zh)} queries {by_script} (target >= 92%)")

    en_extra = [(e.text, e.intent) for e in load_test_set("en_extra")]
    acc, _ = _accuracy(classifier, en_extra)
    figures["en_contact_center_test_accuracy"] = acc
    print(f"English contact-center intents held-out accuracy: {acc}% on {len(en_extra)} queries")

    queries = [r[0] for r in (rows if test_csv.exists() else en_extra)][: args.latency_queries]
    queries += [z[0] for z in zh][:100]
    runtime = str(classifier.meta.get("encoder") or "none")
    p50, p99, cpu99 = _latency(classifier, queries)
    figures["encoder"] = runtime
    figures["latency_ms_p50"] = round(p50, 2)
    figures["latency_ms_p99"] = round(p99, 2)
    figures["latency_cpu_ms_p99"] = round(cpu99, 2)
    figures["latency_queries"] = len(queries)
    print(
        f"single-query classify latency (warm, {runtime} encoder): p50 {p50:.2f} ms,"
        f" p99 {p99:.2f} ms over {len(queries)} queries (target p99 <= 20 ms);"
        f" p99 of CPU time {cpu99:.2f} ms"
    )
    packaged = packaged_model_dir()
    if packaged and classifier.encoder and not isinstance(classifier.encoder, MiniLMEncoder):
        onnx_encoder = classifier.encoder
        classifier.encoder = MiniLMEncoder(packaged)
        base50, base99, _ = _latency(classifier, queries)
        classifier.encoder = onnx_encoder
        figures["numpy_latency_ms_p50"] = round(base50, 2)
        figures["numpy_latency_ms_p99"] = round(base99, 2)
        figures["speedup_p50"] = round(base50 / p50, 2)
        figures["speedup_p99"] = round(base99 / p99, 2)
        print(
            f"same queries with the NumPy encoder: p50 {base50:.2f} ms, p99 {base99:.2f} ms"
            f" ({base50 / p50:.1f}x / {base99 / p99:.1f}x slower)"
        )
    figures["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
