"""Article files: markdown with YAML front matter, parsed into plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from fincall.knowledge.errors import ArticleInvalid

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
LANGUAGES = ("en", "zh")
STATES = ("draft", "approved")
REQUIRED = ("id", "language", "title", "valid_from", "version", "state")


@dataclass(frozen=True, slots=True)
class ArticleFile:
    key: str
    twin: str | None
    language: str
    title: str
    body: str
    products: tuple[str, ...]
    tags: tuple[str, ...]
    jurisdiction: tuple[str, ...]
    valid_from: date
    valid_to: date | None
    version: int
    state: str
    source: str


def _fail(source: str, line: int, problem: str) -> ArticleInvalid:
    return ArticleInvalid(f"{source}:{line}: {problem}", file=source, line=line, problem=problem)


def _as_date(value: Any, field: str, source: str, line: int) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise _fail(source, line, f"'{field}' is not a date (YYYY-MM-DD): {value!r}") from exc


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def parse_article(text: str, *, source: str) -> ArticleFile:
    """Parse one article; errors name the file and the line of the problem."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise _fail(source, 1, "an article starts with a '---' front matter block")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration as exc:
        raise _fail(source, 1, "front matter is not closed by '---'") from exc
    front_text = "\n".join(lines[1:end])
    try:
        node = yaml.compose(front_text, Loader=yaml.SafeLoader)
        meta = yaml.safe_load(front_text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        raise _fail(source, line, f"front matter YAML: {exc.problem}") from exc
    if not isinstance(meta, dict) or node is None:
        raise _fail(source, 2, "front matter must be a mapping")

    def line_of(key: str) -> int:
        for k, _ in node.value:
            if k.value == key:
                return k.start_mark.line + 2
        return 2

    for key in REQUIRED:
        if key not in meta:
            raise _fail(source, end + 1, f"missing required field '{key}'")
    if meta["language"] not in LANGUAGES:
        raise _fail(source, line_of("language"), f"language must be one of {LANGUAGES}")
    if meta["state"] not in STATES:
        raise _fail(source, line_of("state"), f"state must be one of {STATES}")
    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        raise _fail(source, end + 1, "the article has no body")
    valid_from = _as_date(meta["valid_from"], "valid_from", source, line_of("valid_from"))
    valid_to = (
        _as_date(meta["valid_to"], "valid_to", source, line_of("valid_to"))
        if meta.get("valid_to")
        else None
    )
    if valid_to is not None and valid_to < valid_from:
        raise _fail(source, line_of("valid_to"), "valid_to is before valid_from")
    try:
        version = int(meta["version"])
    except (TypeError, ValueError) as exc:
        raise _fail(source, line_of("version"), "version must be an integer") from exc
    return ArticleFile(
        key=str(meta["id"]),
        twin=str(meta["twin"]) if meta.get("twin") else None,
        language=str(meta["language"]),
        title=str(meta["title"]),
        body=body,
        products=_strs(meta.get("products")),
        tags=_strs(meta.get("tags")),
        jurisdiction=_strs(meta.get("jurisdiction")) or ("ALL",),
        valid_from=valid_from,
        valid_to=valid_to,
        version=version,
        state=str(meta["state"]),
        source=source,
    )


def load_article_dir(directory: Path | str = ARTICLES_DIR) -> list[ArticleFile]:
    """Parse every ``*.md`` of a directory; ids must be unique."""
    out: list[ArticleFile] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.md")):
        art = parse_article(path.read_text(encoding="utf-8"), source=str(path))
        if art.key in seen:
            raise _fail(str(path), 2, f"id '{art.key}' already used by {seen[art.key]}")
        seen[art.key] = str(path)
        out.append(art)
    return out
