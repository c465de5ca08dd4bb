"""The chat bot driven by a flow (YAML, shared with the IVR) through the flow engine.

Each customer message is one turn in one transaction: the runner is rebuilt over the session
from the state kept in the contact's attributes, so a restart loses nothing. Until the intent
model is ready (first start trains it in the background) the bot greets and hands over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from fincall.channels.chat.bot import BotTurn, Handoff, HandoffBot, language_queue
from fincall.flows.engine import FlowRunner, FlowState
from fincall.flows.factory import demo_runner
from fincall.flows.loader import Flow
from fincall.flows.types import FlowOutput, IntentClassifier, ReplyGuard

# Flow queue names -> this installation's queues ("general" is per language).
QUEUE_MAP = {"cards": "cards", "complaints": "complaints", "wealth": "wealth"}
# Skills agents carry here; a flow's other skill requirements are advice, not a hard filter.
ROUTABLE_SKILLS = frozenset(
    {"fx", "funds", "cards", "loans", "complaints", "islamic_finance", "insurance", "wealth"}
)
STATE_KEY = "flow_state"


def flow_language(language: str) -> str:
    return language if language.startswith("zh") else "en"


class FlowChatBot:
    def __init__(
        self,
        *,
        flow: Flow,
        classifier: Callable[[], IntentClassifier | None],
        guard: Callable[[Callable[[], dict[str, Any]]], ReplyGuard],
        sms: Callable[[str, str], None],
    ) -> None:
        self.flow = flow
        self.classifier = classifier
        self.guard = guard
        self.sms = sms
        self.fallback = HandoffBot()

    def _runner(
        self, session: Session, language: str, customer_id: str | None, state: Any
    ) -> FlowRunner | None:
        classifier = self.classifier()
        if classifier is None:
            return None
        holder: dict[str, FlowRunner] = {}

        def context() -> dict[str, Any]:
            r = holder.get("r")
            return {"identity_verified": bool(r and r.state.verified)}

        runner = demo_runner(
            flow=self.flow,
            session=session,
            classifier=classifier,
            guard=self.guard(context),
            sms=self.sms,
            customer_id=customer_id,
            language=flow_language(language),
        )
        if isinstance(state, dict):
            runner.state = FlowState.from_dict(state)
        holder["r"] = runner
        return runner

    def _turn(
        self, runner: FlowRunner, out: FlowOutput, language: str, attributes: dict
    ) -> BotTurn:
        attributes[STATE_KEY] = runner.state.to_dict()
        replies = list(out.texts)
        if out.prompt is not None and out.prompt.text not in replies:
            replies.append(out.prompt.text)
        h = out.handoff
        if h is None:
            return BotTurn(replies=replies, ended=out.ended)
        queue = QUEUE_MAP.get(h.queue, language_queue(language))
        skills = {k: v for k, v in h.skills.items() if k in ROUTABLE_SKILLS}
        summary = {
            "intent": h.intent,
            "confidence": h.confidence,
            "entities": dict(h.entities),
            "verified": h.verified,
            "reason": h.reason,
            "sentiment": h.sentiment.label if h.sentiment else None,
            "first_message": next((t.text for t in h.transcript if t.speaker == "customer"), None),
        }
        return BotTurn(
            replies=replies,
            handoff=Handoff(
                queue_id=queue, skills=skills, priority_boost=h.priority, summary=summary
            ),
        )

    def greet(
        self, *, session: Session, contact_id: str, language: str, attributes: dict[str, object]
    ) -> BotTurn:
        runner = self._runner(session, language, None, None)
        if runner is not None:
            runner.state.vars["channel"] = "chat"
        if runner is None:
            return self.fallback.greet(
                session=session, contact_id=contact_id, language=language, attributes=attributes
            )
        return self._turn(runner, runner.start(), language, attributes)

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
        state = attributes.get(STATE_KEY)
        runner = self._runner(session, language, customer_id, state)
        if runner is None or not isinstance(state, dict):
            return self.fallback.on_message(
                session=session,
                contact_id=contact_id,
                attributes=attributes,
                language=language,
                text=text,
                customer_id=customer_id,
                verified=verified,
            )
        if customer_id and not runner.state.customer_id:
            runner.state.customer_id = customer_id
        if verified and not runner.state.verified:
            runner.state.verified, runner.state.verification_method = True, "chat_date_of_birth"
        if not runner.waiting:
            return BotTurn(handoff=Handoff(queue_id=language_queue(language)))
        return self._turn(runner, runner.on_text(text), language, attributes)
