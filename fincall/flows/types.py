"""Plain data in and out of the flow engine, and the small interfaces it talks through."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Turn:
    """One line of the conversation as the agent will see it."""

    speaker: str  # "customer" | "bot"
    text: str
    step_id: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    type: str  # e.g. "card_last4", "amount", "currency_pair", "transfer_reference"
    value: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class IntentResult:
    intent: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    allowed: bool
    reason: str | None = None
    rule_id: str | None = None


@dataclass(frozen=True, slots=True)
class SentimentReading:
    label: str  # negative | neutral | positive
    score: float
    flagged: bool = False


@runtime_checkable
class IntentClassifier(Protocol):
    def classify(self, text: str) -> tuple[str, float, Sequence[tuple[str, float]]]:
        """Return (intent, confidence, alternatives as (intent, confidence) pairs)."""
        ...


@runtime_checkable
class EntityExtractor(Protocol):
    def extract(self, text: str, language: str) -> Sequence[Entity]:
        """Return the entities found in ``text``."""
        ...


@runtime_checkable
class ReplyGuard(Protocol):
    def check(self, text: str, language: str) -> GuardVerdict:
        """Decide whether a bot reply may be sent."""
        ...


SentimentFn = Callable[[Sequence[Turn]], SentimentReading | None]


@dataclass(frozen=True, slots=True)
class BotMessage:
    text: str
    language: str
    step_id: str | None = None
    blocked: bool = False  # True when the original reply was replaced by the safe fallback


@dataclass(frozen=True, slots=True)
class PromptOption:
    value: str
    label: str
    digits: str | None = None
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prompt:
    """What the bot waits for: IVR plays ``text`` and collects DTMF/speech; chat shows it."""

    step_id: str
    text: str
    language: str
    input: str  # "choice" | "text" | "digits"
    max_digits: int | None = None
    options: tuple[PromptOption, ...] = ()
    timeout_seconds: int = 8


@dataclass(frozen=True, slots=True)
class Handoff:
    """Everything the human agent receives so the customer never repeats themselves."""

    flow_id: str
    reason: str
    queue: str
    skills: dict[str, int]
    language: str
    priority: int
    customer_id: str | None
    intent: str | None
    confidence: float | None
    alternatives: tuple[tuple[str, float], ...]
    entities: dict[str, str]
    verified: bool
    verification_method: str | None
    sentiment: SentimentReading | None
    transcript: tuple[Turn, ...]
    actions_done: tuple[str, ...]
    step_id: str

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly view for the agent desktop screen-pop."""
        return {
            "flow_id": self.flow_id,
            "reason": self.reason,
            "queue": self.queue,
            "skills": dict(self.skills),
            "language": self.language,
            "priority": self.priority,
            "customer_id": self.customer_id,
            "intent": self.intent,
            "confidence": self.confidence,
            "alternatives": [list(a) for a in self.alternatives],
            "entities": dict(self.entities),
            "verified": self.verified,
            "verification_method": self.verification_method,
            "sentiment": None
            if self.sentiment is None
            else {"label": self.sentiment.label, "score": self.sentiment.score},
            "transcript": [{"speaker": t.speaker, "text": t.text} for t in self.transcript],
            "actions_done": list(self.actions_done),
        }


@dataclass(frozen=True, slots=True)
class FlowEvent:
    """Something worth recording (blocked reply, refused action, hand-off...)."""

    kind: str
    step_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FlowOutput:
    messages: tuple[BotMessage, ...]
    prompt: Prompt | None = None
    handoff: Handoff | None = None
    ended: bool = False

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]
