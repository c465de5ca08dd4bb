"""Per-category precision/recall of the compliance engine on the labelled evaluation set.

Usage: python benchmarks/qa_eval.py [--verbose]
Reads fincall/compliance/data/eval_contacts.jsonl (contacts with an "expected" list of the
categories a reviewer assigned). Also reports the prohibited_promise figures without the
paraphrase classifier, to show what the classifier adds. Last line: one JSON object.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fincall.compliance.engine import inspect  # noqa: E402
from fincall.compliance.parsing import contact_from_dict  # noqa: E402
from fincall.compliance.rulepack import choose_pack_id, get_pack  # noqa: E402
from fincall.compliance.types import CATEGORIES  # noqa: E402

EVAL = ROOT / "fincall" / "compliance" / "data" / "eval_contacts.jsonl"


def evaluate(*, classifier: bool, verbose: bool = False) -> dict[str, dict[str, float]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    support: Counter[str] = Counter()
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        expected = set(row.pop("expected"))
        contact = contact_from_dict(row)
        pid = choose_pack_id(
            language=contact.language,
            region=contact.customer.region,
            timezone=contact.customer.timezone,
        )
        found = {f.category for f in inspect(contact, pack=get_pack(pid), classifier=classifier)}
        for c in CATEGORIES:
            support[c] += c in expected
            if c in found and c in expected:
                tp[c] += 1
            elif c in found:
                fp[c] += 1
                if verbose:
                    print(f"  FP {c:26s} {row['id']} {row['utterances'][0]['text'][:50]}")
            elif c in expected:
                fn[c] += 1
                if verbose:
                    print(f"  FN {c:26s} {row['id']} {row['utterances'][0]['text'][:50]}")
    out = {}
    for c in CATEGORIES:
        p = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 1.0
        r = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 1.0
        out[c] = {
            "precision": round(p, 3),
            "recall": round(r, 3),
            "support": support[c],
            "tp": tp[c],
            "fp": fp[c],
            "fn": fn[c],
        }
    return out


def main() -> None:
    verbose = "--verbose" in sys.argv
    n = sum(1 for _ in EVAL.open(encoding="utf-8"))
    full = evaluate(classifier=True, verbose=verbose)
    phrase_only = evaluate(classifier=False)
    print(f"evaluation set: {n} contacts ({EVAL.relative_to(ROOT)})")
    print(f"{'category':28s} {'precision':>9s} {'recall':>7s} {'support':>8s}  tp  fp  fn")
    for c, m in full.items():
        print(
            f"{c:28s} {m['precision']:9.3f} {m['recall']:7.3f} {m['support']:8d} "
            f"{m['tp']:3d} {m['fp']:3d} {m['fn']:3d}"
        )
    tps = sum(m["tp"] for m in full.values())
    fps = sum(m["fp"] for m in full.values())
    fns = sum(m["fn"] for m in full.values())
    micro_p = tps / (tps + fps) if tps + fps else 1.0
    micro_r = tps / (tps + fns) if tps + fns else 1.0
    pp = phrase_only["prohibited_promise"]
    print(f"micro precision {micro_p:.3f}  micro recall {micro_r:.3f}")
    print(
        f"prohibited_promise without the paraphrase classifier: precision {pp['precision']:.3f} "
        f"recall {pp['recall']:.3f} (with: {full['prohibited_promise']['precision']:.3f} / "
        f"{full['prohibited_promise']['recall']:.3f})"
    )
    result = {
        "contacts": n,
        "micro_precision": round(micro_p, 3),
        "micro_recall": round(micro_r, 3),
        "per_category": {c: {"p": m["precision"], "r": m["recall"]} for c, m in full.items()},
        "prohibited_promise_phrase_only": {"p": pp["precision"], "r": pp["recall"]},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
