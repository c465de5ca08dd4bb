"""Article files: the starter set is complete and bad files are rejected with file and line."""

from __future__ import annotations

import pytest

from fincall.knowledge.articles import load_article_dir, parse_article
from fincall.knowledge.errors import ArticleInvalid

GOOD = """---
id: x-en
language: en
title: X
valid_from: 2026-01-01
version: 1
state: approved
---
Body.
"""


def test_starter_set_is_bilingual_with_twins():
    arts = load_article_dir()
    assert len(arts) >= 40
    by_twin: dict[str, set[str]] = {}
    for a in arts:
        if a.twin:
            by_twin.setdefault(a.twin, set()).add(a.language)
    assert len(by_twin) >= 18 and all(langs == {"en", "zh"} for langs in by_twin.values())
    topics = " ".join(a.title.lower() for a in arts)
    for needle in (
        "lost",
        "pin",
        "fees",
        "r1",
        "suitability",
        "crs",
        "fatca",
        "profit rate",
        "murabaha",
        "takaful",
        "complaint",
        "apr",
        "scam",
    ):
        assert needle in topics, needle


@pytest.mark.parametrize(
    ("old", "new", "line", "problem"),
    [
        ("language: en", "language: fr", 3, "language must be one of"),
        ("valid_from: 2026-01-01", "valid_from: soon", 5, "not a date"),
        ("state: approved", "state: live", 7, "state must be one of"),
        ("title: X\n", "", 7, "missing required field 'title'"),
        ("title: X", "title: [X", 5, "front matter YAML"),
        ("Body.\n", "", 8, "no body"),
    ],
)
def test_bad_article_names_line(old, new, line, problem):
    with pytest.raises(ArticleInvalid) as info:
        parse_article(GOOD.replace(old, new), source="x.en.md")
    assert info.value.fields["line"] == line, str(info.value)
    assert problem in str(info.value) and str(info.value).startswith(f"x.en.md:{line}:")
