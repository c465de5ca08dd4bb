"""A small NLU model trained once per test session on a subset of the shipped data."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from fincall.core.settings import load_settings
from fincall.nlu import service
from fincall.nlu.corpus import DATA_DIR

SUBSET_LABELS = (
    "lost_or_stolen_card",
    "card_arrival",
    "exchange_rate",
    "change_pin",
    "top_up_failed",
    "transfer_timing",
)


def _subset_data(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in (
        "banking77_categories.json",
        "intents_en_extra_train.jsonl",
        "sentiment_en.jsonl",
        "sentiment_zh.jsonl",
    ):
        shutil.copy(DATA_DIR / name, target / name)
    with (DATA_DIR / "banking77_train.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["category"] in SUBSET_LABELS]
    with (target / "banking77_train.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["text", "category"])
        writer.writeheader()
        kept: dict[str, int] = {}
        for row in rows:
            if kept.get(row["category"], 0) < 40:
                kept[row["category"]] = kept.get(row["category"], 0) + 1
                writer.writerow(row)
    zh_source = DATA_DIR / "intents_zh_train.jsonl"
    zh_rows = [
        json.loads(line) for line in zh_source.read_text(encoding="utf-8").splitlines() if line
    ]
    keep = set(SUBSET_LABELS) | {
        "speak_to_agent",
        "greeting",
        "goodbye",
        "complaint",
        "fx_rate_inquiry",
    }
    with (target / "intents_zh_train.jsonl").open("w", encoding="utf-8") as fh:
        for row in zh_rows:
            if row["intent"] in keep:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target


@pytest.fixture(scope="session")
def nlu_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fincall data dir holding a small trained NLU model (no sentence encoder)."""
    root = tmp_path_factory.mktemp("nlu")
    data = _subset_data(root / "training")
    settings = load_settings(data_dir=root / "fincall")
    service.train(settings=settings, data_dir=data, use_encoder=False)
    return settings.data_dir


@pytest.fixture(scope="session")
def nlu(nlu_data_dir: Path) -> service.LanguageUnderstanding:
    """The small model, loaded."""
    return service.load(settings=load_settings(data_dir=nlu_data_dir))
