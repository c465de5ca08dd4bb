"""The chat bot seam: greets, serves what it can, and hands the rest to a queue with context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Handoff:
    queue_id: str
    skills: dict[str, int] = field(default_factory=dict)
    priority_boost: int = 0
    summary: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BotTurn:
    replies: list[str] = field(default_factory=list)
    handoff: Handoff | None = None
    ended: bool = False


class ChatBot(Protocol):
    """Runs inside the caller's transaction; state it keeps between turns goes in ``attributes``
    (the contact's JSON attributes, saved with the turn)."""

    def greet(
        self, *, session: Session, contact_id: str, language: str, attributes: dict[str, object]
    ) -> BotTurn: ...

    def on_message(
        self,
        *,
        session: Session,
        contact_id: str,
        attributes: dict[str, object],
        language: str,
        text: str,
        customer_id: str | None,
        verified: bool,
    ) -> BotTurn: ...


GREETING = {
    "en": "Hello, this is the bank's virtual assistant. How can we help you today?",
    "zh-CN": "您好，我是银行智能客服。请问有什么可以帮您？",
    "zh-HK": "你好，我係銀行嘅網上客服。請問有咩可以幫到你？",
}
CONNECTING = {
    "en": "Let me connect you with one of our advisers.",
    "zh-CN": "正在为您转接人工客服，请稍候。",
    "zh-HK": "而家幫你轉接客戶服務主任，請稍候。",
}


def language_queue(language: str) -> str:
    return {"zh-CN": "general-zh-CN", "zh-HK": "general-zh-HK"}.get(language, "general-en")


class HandoffBot:
    """The bot used when no flow is configured: greet, then hand over on the first message."""

    def greet(
        self, *, session: Session, contact_id: str, language: str, attributes: dict[str, object]
    ) -> BotTurn:
        return BotTurn(replies=[GREETING.get(language, GREETING["en"])])

    def on_message(
        self,
        *,
        session: Session,
        contact_id: str,
        attributes: dict[str, object],
        language: str,
        text: str,
        customer_id: str | None,
        verified: bool,
    ) -> BotTurn:
        return BotTurn(
            replies=[CONNECTING.get(language, CONNECTING["en"])],
            handoff=Handoff(queue_id=language_queue(language), summary={"first_message": text}),
        )
