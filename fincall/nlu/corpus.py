"""The shipped training data: Banking77 train, English contact-center intents, Chinese intents."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from fincall.nlu.errors import TrainingDataInvalid

DATA_DIR = Path(__file__).resolve().parent / "data"
CONTACT_CENTER_INTENTS = (
    "speak_to_agent",
    "complaint",
    "greeting",
    "goodbye",
    "fx_rate_inquiry",
    "fund_recommendation",
    "loan_inquiry",
    "investment_risk_question",
)


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled training or test utterance."""

    text: str
    intent: str
    script: str | None = None


def banking77_labels(data_dir: Path = DATA_DIR) -> list[str]:
    """The 77 Banking77 intent names."""
    return list(json.loads((data_dir / "banking77_categories.json").read_text(encoding="utf-8")))


def all_labels(data_dir: Path = DATA_DIR) -> list[str]:
    """Every intent the classifier knows: Banking77 plus the contact-center intents."""
    return banking77_labels(data_dir) + list(CONTACT_CENTER_INTENTS)


def read_csv_examples(path: Path, *, known: set[str]) -> list[Example]:
    """Examples from a CSV with ``text`` and ``category`` columns."""
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for line, row in enumerate(reader, start=2):
            text, intent = (row.get("text") or "").strip(), (row.get("category") or "").strip()
            if not text or intent not in known:
                raise TrainingDataInvalid(
                    f"{path}:{line}: needs a text and a known category", path=str(path), line=line
                )
            out.append(Example(text, intent))
    return out


def read_jsonl_examples(path: Path, *, known: set[str]) -> list[Example]:
    """Examples from JSON lines with ``text`` and ``intent`` (and optional ``script``)."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise TrainingDataInvalid(
                    f"{path}:{line}: not valid JSON ({exc.msg})", path=str(path), line=line
                ) from exc
            text = obj.get("text") if isinstance(obj, dict) else None
            intent = obj.get("intent") if isinstance(obj, dict) else None
            if not isinstance(text, str) or not text.strip() or intent not in known:
                raise TrainingDataInvalid(
                    f"{path}:{line}: needs a non-empty text and a known intent",
                    path=str(path),
                    line=line,
                )
            out.append(Example(text.strip(), intent, obj.get("script")))
    return out


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """English and Chinese training examples."""

    english: list[Example]
    chinese: list[Example]


def load_training_set(data_dir: Path = DATA_DIR) -> TrainingSet:
    """The shipped training examples (never the held-out test files)."""
    known = set(all_labels(data_dir))
    english = read_csv_examples(data_dir / "banking77_train.csv", known=known)
    extra = data_dir / "intents_en_extra_train.jsonl"
    if extra.exists():
        english += read_jsonl_examples(extra, known=known)
    chinese_path = data_dir / "intents_zh_train.jsonl"
    chinese = read_jsonl_examples(chinese_path, known=known) if chinese_path.exists() else []
    return TrainingSet(english, chinese)


def load_test_set(name: str, data_dir: Path = DATA_DIR) -> list[Example]:
    """A held-out split shipped with the package: ``en_extra`` or ``zh``."""
    known = set(all_labels(data_dir))
    path = (
        data_dir / {"en_extra": "intents_en_extra_test.jsonl", "zh": "intents_zh_test.jsonl"}[name]
    )
    return read_jsonl_examples(path, known=known) if path.exists() else []
