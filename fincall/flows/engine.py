"""The flow runner: channel-neutral, driven by inputs, returning what to say and to wait for."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from fincall.core.errors import DomainError
from fincall.flows.actions import ACTIONS, ActionContext
from fincall.flows.banking import CoreBanking, IdentityVerifier
from fincall.flows.errors import FlowStateError
from fincall.flows.loader import Flow, Step
from fincall.flows.types import (
    BotMessage,
    EntityExtractor,
    FlowEvent,
    FlowOutput,
    Handoff,
    IntentClassifier,
    Prompt,
    PromptOption,
    ReplyGuard,
    SentimentFn,
    Turn,
)
from fincall.flows.validators import otp_code, parse_value

MAX_STEPS_PER_TURN = 64
TRADITIONAL = frozenset({"zh-HK", "zh-TW"})
WAITING_TYPES = frozenset({"ask", "classify", "collect", "verify_identity"})
_VAR = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class FlowServices:
    """The outside world as the runner sees it; each part is a small Protocol."""

    classifier: IntentClassifier
    guard: ReplyGuard
    banking: CoreBanking
    verifier: IdentityVerifier | None = None
    extractor: EntityExtractor | None = None
    sentiment: SentimentFn | None = None


@dataclass(slots=True)
class FlowState:
    """Everything a conversation needs to resume; ``to_dict``/``from_dict`` persist it."""

    language: str
    customer_id: str | None = None
    step_id: str | None = None
    status: str = "new"  # new | waiting | handed_off | ended
    vars: dict[str, str] = field(default_factory=dict)
    entities: dict[str, str] = field(default_factory=dict)
    intent: str | None = None
    confidence: float | None = None
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    clarify_options: list[str] = field(default_factory=list)
    verified: bool = False
    verification_method: str | None = None
    retries: int = 0
    no_input: int = 0
    transcript: list[Turn] = field(default_factory=list)
    actions_done: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowState:
        data = dict(data)
        data["transcript"] = [Turn(**t) for t in data.get("transcript", [])]
        data["alternatives"] = [tuple(a) for a in data.get("alternatives", [])]
        return cls(**data)


def pick_text(spec: Any, language: str, default_language: str) -> str:
    """The text of a (possibly per-language) spec for ``language``: exact, base, then default."""
    if isinstance(spec, str):
        return spec
    if not isinstance(spec, dict):
        return ""
    base = language.split("-")[0]
    for key in (language, base, default_language):
        if key in spec:
            return str(spec[key])
    return str(next(iter(spec.values()), ""))


@lru_cache(maxsize=1)
def _s2hk() -> Any:
    try:
        from opencc import OpenCC
    except ImportError:  # optional: without OpenCC, Simplified text is shown as written
        return None
    return OpenCC("s2hk")


def to_traditional(text: str) -> str:
    """Simplified to Hong Kong Traditional characters (unchanged without OpenCC)."""
    conv = _s2hk()
    return text if conv is None else str(conv.convert(text))


def _norm(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def render(template: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` with values (missing names become empty); nothing else is evaluated."""
    return _VAR.sub(lambda m: values.get(m.group(1), ""), template)


class FlowRunner:
    """Run one conversation through a flow. Every bot reply passes the ReplyGuard first."""

    def __init__(
        self,
        flow: Flow,
        services: FlowServices,
        *,
        language: str | None = None,
        customer_id: str | None = None,
        state: FlowState | None = None,
    ) -> None:
        self.flow = flow
        self.services = services
        self.state = state or FlowState(
            language=language or flow.languages[0], customer_id=customer_id
        )
        self.events: list[FlowEvent] = []
        self._messages: list[BotMessage] = []
        self._prompt: Prompt | None = None
        self._handoff: Handoff | None = None

    # public inputs -------------------------------------------------------------
    def start(self) -> FlowOutput:
        """Begin the conversation at the flow's start step."""
        if self.state.status != "new":
            raise FlowStateError("flow already started")
        return self._turn(lambda: self._run(self.flow.start))

    def on_text(self, text: str) -> FlowOutput:
        """The customer typed or said ``text``."""
        self._check_waiting()
        self.state.transcript.append(Turn("customer", text, self.state.step_id))
        self._extract_entities(text)
        return self._turn(lambda: self._run(self._handle(text=text, digits=None)))

    def on_digits(self, digits: str) -> FlowOutput:
        """The caller pressed DTMF ``digits``."""
        self._check_waiting()
        self.state.transcript.append(Turn("customer", f"[DTMF {digits}]", self.state.step_id))
        return self._turn(lambda: self._run(self._handle(text=digits, digits=digits)))

    def on_timeout(self) -> FlowOutput:
        """No input arrived in time."""
        self._check_waiting()
        return self._turn(lambda: self._run(self._no_input()))

    @property
    def waiting(self) -> bool:
        return self.state.status == "waiting"

    # plumbing ------------------------------------------------------------------
    def _check_waiting(self) -> None:
        if self.state.status != "waiting":
            raise FlowStateError(f"flow is {self.state.status}, not waiting for input")

    def _turn(self, body: Any) -> FlowOutput:
        self._messages, self._prompt, self._handoff = [], None, None
        body()
        return FlowOutput(
            messages=tuple(self._messages),
            prompt=self._prompt,
            handoff=self._handoff,
            ended=self.state.status in ("ended", "handed_off"),
        )

    def _event(self, kind: str, **detail: Any) -> None:
        self.events.append(FlowEvent(kind=kind, step_id=self.state.step_id, detail=detail))

    def _values(self) -> dict[str, str]:
        values = dict(self.state.entities)
        values.update(self.state.vars)
        values["verified"] = "true" if self.state.verified else "false"
        values["customer_known"] = "true" if self.state.customer_id else "false"
        if self.state.intent:
            values["intent"] = self.state.intent
            values["intent_label"] = self._intent_label(self.state.intent)
        return values

    def _intent_label(self, intent: str) -> str:
        labels = self.flow.intent_labels.get(intent)
        if not labels:
            return intent.replace("_", " ")
        return pick_text(labels, self.state.language, self.flow.languages[0])

    def _text(self, spec: Any) -> str:
        lang = self.state.language
        raw = pick_text(spec, lang, self.flow.languages[0])
        if lang in TRADITIONAL and not (isinstance(spec, dict) and lang in spec):
            raw = to_traditional(raw)
        return render(raw, self._values()).strip()

    def _say(self, spec: Any, step: Step) -> str:
        text = self._text(spec)
        if not text:
            return ""
        verdict = self.services.guard.check(text, self.state.language)
        blocked = not verdict.allowed
        if blocked:
            self._event("reply_blocked", text=text, reason=verdict.reason, rule_id=verdict.rule_id)
            text = self._text(self.flow.fallback_reply)
        self._messages.append(BotMessage(text, self.state.language, step.id, blocked))
        self.state.transcript.append(Turn("bot", text, step.id))
        return text

    # the step machine ------------------------------------------------------------
    def _run(self, step_id: str | None) -> None:
        count = 0
        while step_id is not None:
            count += 1
            if count > MAX_STEPS_PER_TURN:
                self._event("loop_detected", last_step=step_id)
                self._emergency_handoff("loop_detected")
                return
            step = self.flow.steps[step_id]
            if step_id != self.state.step_id:
                self.state.retries = 0
                self.state.no_input = 0
            self.state.step_id = step_id
            step_id = getattr(self, f"_enter_{step.type}")(step)

    def _wait(
        self, step: Step, *, input_kind: str, max_digits: int | None = None, options=()
    ) -> None:
        text = self._say(step.get("prompt"), step)
        self._prompt = Prompt(
            step_id=step.id,
            text=text,
            language=self.state.language,
            input=input_kind,
            max_digits=max_digits,
            options=tuple(options),
            timeout_seconds=int(step.get("timeout", self.flow.settings.get("timeout", 8))),
        )
        self.state.status = "waiting"

    def _options(self, step: Step) -> list[PromptOption]:
        return [
            PromptOption(
                value=str(o["value"]),
                label=self._text(o.get("label", o["value"])),
                digits=str(o["digits"]) if "digits" in o else None,
                keywords=tuple(str(k) for k in o.get("keywords", [])),
            )
            for o in step.get("options")
        ]

    def _enter_say(self, step: Step) -> str | None:
        self._say(step.get("text"), step)
        return str(step.get("next"))

    def _enter_ask(self, step: Step) -> str | None:
        self._wait(step, input_kind="choice", max_digits=1, options=self._options(step))
        return None

    def _enter_classify(self, step: Step) -> str | None:
        opts: list[PromptOption] = []
        if step.get("offer_alternatives"):
            opts = [
                PromptOption(value=i, label=self._intent_label(i), digits=str(n))
                for n, i in enumerate(self.state.clarify_options, start=1)
            ]
        menu = step.get("digits") or {}
        opts += [
            PromptOption(value=str(i), label=self._intent_label(str(i)), digits=str(d))
            for d, i in menu.items()
        ]
        self._wait(step, input_kind="text", max_digits=1 if opts else None, options=opts)
        return None

    def _enter_collect(self, step: Step) -> str | None:
        known = self.state.entities.get(str(step.get("entity")))
        if known is not None:
            value = parse_value(
                str(step.get("validator", step.get("entity"))), known, step.get("pattern")
            )
            if value is not None:
                self.state.vars[str(step.get("store"))] = value
                return str(step.get("next"))
        self._wait(step, input_kind="text", max_digits=step.get("max_digits"))
        return None

    def _enter_verify_identity(self, step: Step) -> str | None:
        if self.state.verified:
            return str(step.get("on_success"))
        verifier = self.services.verifier
        if verifier is None or not self.state.customer_id:
            self._event("verification_unavailable", customer_known=bool(self.state.customer_id))
            return str(step.get("on_fail"))
        try:
            self.state.vars["otp_destination"] = verifier.send_otp(self.state.customer_id)
        except DomainError as exc:
            self._event("verification_unavailable", error=exc.code)
            return str(step.get("on_fail"))
        self._wait(step, input_kind="digits", max_digits=6)
        return None

    def _enter_action(self, step: Step) -> str | None:
        name = str(step.get("name"))
        spec = ACTIONS[name]
        if spec.requires_customer and not self.state.customer_id:
            self._event("action_refused", action=name, why="customer_unknown")
            self.state.vars["error_code"] = "customer-unknown"
            return str(step.get("on_error"))
        if spec.requires_verification and not self.state.verified:
            self._event("action_refused", action=name, why="not_verified")
            self.state.vars["error_code"] = "identity-verification-required"
            return str(step.get("on_error"))
        values = self._values()
        args = {k: render(str(v), values) for k, v in (step.get("args") or {}).items()}
        ctx = ActionContext(
            banking=self.services.banking,
            customer_id=self.state.customer_id,
            language=self.state.language,
            verified=self.state.verified,
        )
        try:
            result = spec.run(ctx, args)
        except (DomainError, KeyError, ValueError) as exc:
            code = exc.code if isinstance(exc, DomainError) else "invalid-argument"
            self._event("action_failed", action=name, error=code)
            self.state.vars["error_code"] = code
            return str(step.get("on_error"))
        self.state.vars.update(result)
        self.state.actions_done.append(f"{name}:{result.get('case_id', 'ok')}")
        self._event("action_done", action=name, **result)
        return str(step.get("next"))

    def _enter_branch(self, step: Step) -> str | None:
        for case in step.get("cases"):
            if self._holds(case["when"]):
                return str(case["next"])
        return str(step.get("default"))

    def _holds(self, when: dict[str, Any]) -> bool:
        if "intent" in when:
            actual = self.state.intent
        elif "entity" in when:
            actual = self.state.entities.get(str(when["entity"]))
        else:
            actual = self._values().get(str(when["var"]))
        if "exists" in when:
            return (actual is not None) == bool(when["exists"])
        if "equals" in when:
            return actual is not None and _norm(actual) == _norm(when["equals"])
        return actual is not None and _norm(actual) in {_norm(x) for x in when["in"]}

    def _enter_handoff(self, step: Step) -> str | None:
        if step.get("text"):
            self._say(step.get("text"), step)
        skills: dict[str, int] = {}
        raw = step.get("skills") or {}
        skills.update({str(s): 1 for s in raw} if isinstance(raw, list) else dict(raw))
        queue = str(step.get("queue"))
        if step.get("skills_from_intent") and self.state.intent in self.flow.intent_skills:
            by_intent = self.flow.intent_skills[self.state.intent]
            queue = str(by_intent.get("queue", queue))
            skills.update(dict(by_intent.get("skills") or {}))
        self._finish_handoff(step, str(step.get("reason", "requested")), queue, skills)
        return None

    def _finish_handoff(self, step: Step, reason: str, queue: str, skills: dict[str, int]) -> None:
        sentiment = (
            self.services.sentiment(self.state.transcript) if self.services.sentiment else None
        )
        priority = int(step.get("priority", 0)) + (
            1 if sentiment is not None and sentiment.flagged else 0
        )
        self._handoff = Handoff(
            flow_id=self.flow.id,
            reason=reason,
            queue=queue,
            skills=skills,
            language=self.state.language,
            priority=priority,
            customer_id=self.state.customer_id,
            intent=self.state.intent,
            confidence=self.state.confidence,
            alternatives=tuple(self.state.alternatives),
            entities={
                **self.state.entities,
                **{
                    k: v
                    for k, v in self.state.vars.items()
                    if k in ("card_last4", "fx_pair", "transfer_reference")
                },
            },
            verified=self.state.verified,
            verification_method=self.state.verification_method,
            sentiment=sentiment,
            transcript=tuple(self.state.transcript),
            actions_done=tuple(self.state.actions_done),
            step_id=step.id,
        )
        self.state.status = "handed_off"
        self._event("handoff", queue=queue, reason=reason)

    def _emergency_handoff(self, reason: str) -> None:
        step = self.flow.steps[self.state.step_id or self.flow.start]
        self._finish_handoff(
            step, reason, str(self.flow.settings.get("default_queue", "general")), {}
        )

    def _enter_end(self, step: Step) -> str | None:
        if step.get("text"):
            self._say(step.get("text"), step)
        self.state.status = "ended"
        self._event("ended")
        return None

    # input handling -----------------------------------------------------------------
    def _handle(self, *, text: str, digits: str | None) -> str | None:
        step = self.flow.steps[str(self.state.step_id)]
        self.state.status = "running"
        self.state.no_input = 0
        return getattr(self, f"_input_{step.type}")(step, text.strip(), digits)

    def _retry(self, step: Step) -> str | None:
        self.state.retries += 1
        limit = int(step.get("max_retries", self.flow.settings.get("max_retries", 2)))
        if self.state.retries > limit:
            self._event("retries_exhausted", step=step.id)
            return str(step.get("on_fail") or self.flow.settings.get("on_no_match"))
        if step.get("retry_prompt"):
            self._say(step.get("retry_prompt"), step)
        elif self.flow.settings.get("retry_text"):
            self._say(self.flow.settings["retry_text"], step)
        retries = self.state.retries
        getattr(self, f"_enter_{step.type}")(step)
        self.state.retries = retries
        return None

    def _input_ask(self, step: Step, text: str, digits: str | None) -> str | None:
        low = text.lower()
        for opt in step.get("options"):
            keys = [str(opt["value"]).lower(), *(str(k).lower() for k in opt.get("keywords", []))]
            if (digits is not None and str(opt.get("digits")) == digits) or (
                digits is None and any(k and k in low for k in keys)
            ):
                value = str(opt["value"])
                self.state.vars[str(step.get("store"))] = value
                if step.get("store") == "language" and not self.state.language.startswith(value):
                    self.state.language = value  # "zh" keeps a known variant such as zh-HK
                return str(opt.get("next", step.get("next")))
        return self._retry(step)

    def _input_classify(self, step: Step, text: str, digits: str | None) -> str | None:
        menu = {str(k): str(v) for k, v in (step.get("digits") or {}).items()}
        chosen: str | None = None
        if step.get("offer_alternatives") and text.isdigit():
            n = int(text)
            if 1 <= n <= len(self.state.clarify_options):
                chosen = self.state.clarify_options[n - 1]
        if chosen is None and digits is not None and digits in menu:
            chosen = menu[digits]
        if chosen is None and step.get("offer_alternatives"):
            low = text.lower()
            for i in self.state.clarify_options:
                if self._intent_label(i).lower() in low:
                    chosen = i
        if chosen is not None:
            intent, confidence, alts = chosen, 1.0, []
        elif digits is not None:
            return self._retry(step)
        else:
            intent, confidence, raw_alts = self.services.classifier.classify(text)
            alts = [(str(a), float(c)) for a, c in raw_alts]
        self.state.intent, self.state.confidence = intent, float(confidence)
        self.state.alternatives = alts
        self._event("intent", intent=intent, confidence=float(confidence))
        threshold = float(
            step.get("threshold", self.flow.settings.get("confidence_threshold", 0.6))
        )
        if confidence < threshold:
            ranked = [intent] + [a for a, _ in alts if a != intent]
            self.state.clarify_options = ranked[:3]
            self.state.vars["alternatives_text"] = "  ".join(
                f"{n}. {self._intent_label(i)}" for n, i in enumerate(self.state.clarify_options, 1)
            )
            return str(step.get("on_low_confidence"))
        for route in step.get("routes"):
            if intent in route["intents"]:
                return str(route["next"])
        return str(step.get("default"))

    def _input_collect(self, step: Step, text: str, digits: str | None) -> str | None:
        entity = str(step.get("entity"))
        kind = str(step.get("validator", entity))
        value: str | None = None
        if self.services.extractor is not None and digits is None:
            for ent in self.services.extractor.extract(text, self.state.language):
                if ent.type == entity:
                    value = parse_value(kind, ent.value, step.get("pattern"))
                    if value is not None:
                        break
        if value is None:
            value = parse_value(kind, text, step.get("pattern"))
        if value is None:
            return self._retry(step)
        self.state.vars[str(step.get("store"))] = value
        self.state.entities[entity] = value
        return str(step.get("next"))

    def _input_verify_identity(self, step: Step, text: str, digits: str | None) -> str | None:
        code = otp_code(text)
        verifier = self.services.verifier
        if code and verifier is not None and verifier.verify_otp(str(self.state.customer_id), code):
            self.state.verified = True
            self.state.verification_method = "otp"
            self._event("identity_verified", method="otp")
            return str(step.get("on_success"))
        self._event("verification_failed")
        self.state.retries += 1
        if self.state.retries > int(step.get("max_retries", 2)):
            return str(step.get("on_fail"))
        if step.get("retry_prompt"):
            self._say(step.get("retry_prompt"), step)
        self._prompt = Prompt(step.id, "", self.state.language, "digits", 6)
        self.state.status = "waiting"
        return None

    def _no_input(self) -> str | None:
        step = self.flow.steps[str(self.state.step_id)]
        self.state.no_input += 1
        if self.state.no_input > int(self.flow.settings.get("no_input_retries", 2)):
            self._event("no_input_exhausted", step=step.id)
            target = self.flow.settings.get("on_no_input")
            if target is None:
                self.state.status = "ended"
                return None
            return str(target)
        if self.flow.settings.get("no_input_text"):
            self._say(self.flow.settings["no_input_text"], step)
        count = self.state.no_input
        if step.type == "verify_identity":
            self._wait(step, input_kind="digits", max_digits=6)
        else:
            getattr(self, f"_enter_{step.type}")(step)
        self.state.no_input = count
        return None

    def _extract_entities(self, text: str) -> None:
        if self.services.extractor is None:
            return
        for ent in self.services.extractor.extract(text, self.state.language):
            self.state.entities.setdefault(ent.type, ent.value)
