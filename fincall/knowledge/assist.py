"""Agent assist: suggested articles and next-best actions, refreshed as a conversation goes on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from fincall.knowledge.errors import ArticleInvalid
from fincall.knowledge.search import SearchHit, SearchIndex
from fincall.knowledge.text import is_chinese

PLAYBOOK_FILE = Path(__file__).resolve().parent / "next_best_actions.yaml"
ACTION_KINDS = frozenset({"self_service", "check", "disclosure", "handoff"})


class SpokenLine(Protocol):
    speaker: str
    text: str


@dataclass(frozen=True, slots=True)
class NextAction:
    id: str
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class AssistSuggestions:
    intent: str | None
    articles: tuple[SearchHit, ...]
    actions: tuple[NextAction, ...]
    changed: bool = True


@dataclass(frozen=True, slots=True)
class Playbook:
    """Per intent: extra search words and the ordered next-best actions."""

    entries: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, path: Path | str = PLAYBOOK_FILE) -> Playbook:
        """Read and check the intent -> actions YAML."""
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict) or "default" not in data:
            raise ArticleInvalid(f"{path}: needs a mapping with a 'default' entry")
        for intent, entry in data.items():
            for action in (entry or {}).get("actions", []):
                if action.get("kind") not in ACTION_KINDS or "id" not in action:
                    raise ArticleInvalid(
                        f"{path}: intent '{intent}': each action needs an id and a kind in "
                        f"{sorted(ACTION_KINDS)}"
                    )
        return cls(entries=data)

    def entry(self, intent: str | None) -> dict[str, Any]:
        return self.entries.get(intent or "", self.entries["default"])

    def actions(self, intent: str | None, language: str) -> tuple[NextAction, ...]:
        lang = "zh" if language.startswith("zh") else "en"
        return tuple(
            NextAction(
                id=str(a["id"]),
                kind=str(a["kind"]),
                label=str(a["label"].get(lang, a["label"].get("en", a["id"])))
                if isinstance(a.get("label"), dict)
                else str(a.get("label", a["id"])),
            )
            for a in self.entry(intent).get("actions", [])
        )

    def query_hint(self, intent: str | None, language: str) -> str:
        hint = self.entry(intent).get("query") or {}
        lang = "zh" if language.startswith("zh") else "en"
        return str(hint.get(lang, "")) if isinstance(hint, dict) else str(hint)


class AgentAssist:
    """Builds suggestions from the recent customer lines and the detected intent."""

    def __init__(self, index: SearchIndex, playbook: Playbook, *, k: int = 3, window: int = 3):
        self.index = index
        self.playbook = playbook
        self.k = k
        self.window = window

    def suggest(
        self, *, lines: Sequence[SpokenLine], intent: str | None, language: str | None = None
    ) -> AssistSuggestions:
        """Top articles and next-best actions for the conversation so far."""
        customer = [ln.text for ln in lines if ln.speaker == "customer" and ln.text.strip()]
        recent = customer[-self.window :]
        lang = language or ("zh" if recent and is_chinese(" ".join(recent)) else "en")
        # the newest line counts twice: it is what the customer is talking about now
        query = " ".join([*recent, *recent[-1:], self.playbook.query_hint(intent, lang)])
        hits = tuple(self.index.search(query, language=lang, k=self.k)) if query.strip() else ()
        return AssistSuggestions(
            intent=intent, articles=hits, actions=self.playbook.actions(intent, lang)
        )


@dataclass
class AssistSession:
    """One live conversation: feed it lines and intents, it says when suggestions change."""

    assist: AgentAssist
    language: str | None = None
    lines: list[Any] = field(default_factory=list)
    intent: str | None = None
    last: AssistSuggestions | None = None

    def update(
        self, line: SpokenLine | None = None, *, intent: str | None = None
    ) -> AssistSuggestions:
        """Add a line and/or a newly detected intent; ``changed`` tells the desktop to redraw."""
        if line is not None:
            self.lines.append(line)
        if intent is not None:
            self.intent = intent
        fresh = self.assist.suggest(lines=self.lines, intent=self.intent, language=self.language)
        changed = self.last is None or (
            [h.doc_id for h in fresh.articles] != [h.doc_id for h in self.last.articles]
            or fresh.actions != self.last.actions
        )
        result = AssistSuggestions(fresh.intent, fresh.articles, fresh.actions, changed)
        self.last = result
        return result
