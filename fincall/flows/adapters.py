"""Adapters from fincall's NLU and compliance parts to the small Protocols the runner uses.

They take the real callables/objects as arguments (no imports here), so the flow engine
stays independent of how those parts are built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from fincall.core.clock import utcnow
from fincall.flows.types import Entity, GuardVerdict

BLOCKING_SEVERITIES = frozenset({"critical", "major"})


def compliance_language(language: str) -> str:
    """Flow language codes ("en", "zh", "zh-HK") to the compliance engine's ("en", "zh-CN"...)."""
    if language.startswith("zh"):
        return language if "-" in language else "zh-CN"
    return "en"


class NluIntents:
    """Wraps an NLU classifier whose ``classify`` returns an object with intent, confidence and
    alternatives (each with intent and confidence)."""

    def __init__(self, classifier: Any) -> None:
        self.classifier = classifier

    def classify(self, text: str) -> tuple[str, float, Sequence[tuple[str, float]]]:
        """(intent, confidence, alternatives other than the winner)."""
        result = self.classifier.classify(text)
        alts = [
            (str(a.intent), float(a.confidence))
            for a in getattr(result, "alternatives", ())
            if a.intent != result.intent
        ]
        return str(result.intent), float(result.confidence), alts


class NluEntities:
    """Wraps an ``extract_entities(text, *, today, default_currency)`` function."""

    def __init__(
        self,
        extract: Callable[..., Sequence[Any]],
        *,
        default_currency: str = "HKD",
        today: Callable[[], date] | None = None,
    ) -> None:
        self._extract = extract
        self.default_currency = default_currency
        self.today = today or (lambda: utcnow().date())

    def extract(self, text: str, language: str) -> Sequence[Entity]:
        """Entities as the flow engine names them (``type`` = the NLU ``kind``)."""
        found = self._extract(text, today=self.today(), default_currency=self.default_currency)
        return [Entity(type=str(e.kind), value=str(e.value), text=str(e.text)) for e in found]


class ComplianceReplyGuard:
    """Runs each bot reply through the compliance engine's live check before it is sent.

    ``check_live`` is ``fincall.compliance.engine.check_live``; ``pack`` is a rule-pack id or a
    function of the language; ``context`` (optional) supplies the conversation context, e.g.
    ``{"identity_verified": runner.state.verified}``.
    """

    def __init__(
        self,
        check_live: Callable[..., Sequence[Any]],
        *,
        pack: str | Callable[[str], str],
        context: Callable[[], Mapping[str, Any]] | None = None,
        blocking: frozenset[str] = BLOCKING_SEVERITIES,
    ) -> None:
        self._check = check_live
        self.pack = pack
        self.context = context
        self.blocking = blocking

    def check(self, text: str, language: str) -> GuardVerdict:
        """Blocked when a finding of a blocking severity concerns this reply."""
        pack = self.pack(language) if callable(self.pack) else self.pack
        findings = self._check(
            text,
            speaker="bot",
            language=compliance_language(language),
            pack=pack,
            context=dict(self.context()) if self.context else None,
        )
        blocking = [f for f in findings if f.severity in self.blocking]
        if not blocking:
            return GuardVerdict(True)
        first = blocking[0]
        return GuardVerdict(False, reason=str(first.category), rule_id=str(first.rule_id))
