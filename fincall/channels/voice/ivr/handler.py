"""The production call handler: contact, language, identity, menu, queue, hold, agent bridge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fincall.channels.voice import store
from fincall.channels.voice.call import Call, CallEnded
from fincall.channels.voice.demo import hold_music
from fincall.channels.voice.errors import CallError
from fincall.channels.voice.ivr.flow import IvrFlow, Step, load_flow, queue_for
from fincall.core.events import Event
from fincall.runtime import Runtime
from fincall.speech.errors import SpeechFailed, SpeechUnavailable
from fincall.speech.tts import Synthesizer

log = logging.getLogger(__name__)
SILENCE = bytes(8000)  # half a second of 8 kHz 16-bit silence


@dataclass(frozen=True)
class RoutingNotice:
    """A routing event for a queued call: ``offer`` (agent rung) or ``connected`` (accepted)."""

    kind: str
    agent_id: str
    offer_id: str | None = None


class CallBroker:
    """Connects routing events (any thread) with live calls (the endpoint's event loop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, tuple[asyncio.AbstractEventLoop, Call, asyncio.Queue[Any]]] = {}

    def attach(self, contact_id: str, call: Call) -> asyncio.Queue[RoutingNotice]:
        """Register a live call; routing notices for its contact arrive on the returned queue."""
        queue: asyncio.Queue[RoutingNotice] = asyncio.Queue()
        with self._lock:
            self._calls[contact_id] = (asyncio.get_running_loop(), call, queue)
        return queue

    def detach(self, contact_id: str) -> None:
        """Forget a call that ended."""
        with self._lock:
            self._calls.pop(contact_id, None)

    def live(self, contact_id: str) -> Call | None:
        """The live call of a contact on this node."""
        with self._lock:
            entry = self._calls.get(contact_id)
        return entry[1] if entry else None

    def run_on_call(self, contact_id: str, action: Callable[[Call], None]) -> bool:
        """Run ``action(call)`` in the call's loop; False when the call is not live here."""
        with self._lock:
            entry = self._calls.get(contact_id)
        if entry is None:
            return False
        loop, call, _ = entry
        loop.call_soon_threadsafe(action, call)
        return True

    def on_event(self, evt: Event) -> None:
        """Bus listener for ``routing.offer`` and ``contact.connected``."""
        contact_id = str(evt.payload.get("contact_id", ""))
        with self._lock:
            entry = self._calls.get(contact_id)
        if entry is None:
            return
        loop, _, queue = entry
        kind = "connected" if evt.topic == "contact.connected" else "offer"
        notice = RoutingNotice(
            kind=kind,
            agent_id=str(evt.payload.get("agent_id", "")),
            offer_id=evt.payload.get("offer_id"),
        )
        loop.call_soon_threadsafe(queue.put_nowait, notice)


class IvrHandler:
    """Runs the YAML IVR for each inbound call, then queues and bridges it to an agent phone."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        broker: CallBroker,
        tts: Synthesizer | None,
        flow: IvrFlow | None = None,
        ring_on_offer: bool = True,
        agent_ring_timeout: float = 20.0,
        interdigit: float = 4.0,
    ) -> None:
        self.runtime = runtime
        self.broker = broker
        self.tts = tts
        self.flow = flow or load_flow()
        self.ring_on_offer = ring_on_offer
        self.agent_ring_timeout = agent_ring_timeout
        self.interdigit = interdigit
        self.endpoint: Any = None  # set once the SIP endpoint is started (it dials agents)

    # -- prompts -----------------------------------------------------------------------------
    async def say(self, call: Call, text: str, language: str) -> None:
        """Speak ``text`` (espeak-ng, cached); skipped when the caller typed ahead."""
        if call.has_digits():
            return
        audio: Path | bytes = SILENCE
        if text and self.tts is not None:
            with contextlib.suppress(SpeechUnavailable, SpeechFailed):
                audio = await asyncio.to_thread(self.tts.render, text, language=language)
        await call.play(audio)

    def prompts(self) -> list[tuple[str, str]]:
        """Every (text, language) the flow can speak (to warm the TTS cache)."""
        out = []
        for step in self.flow.steps.values():
            for part in step.data.get("parts") or []:
                out.append((str(part["text"]), str(part["language"])))
            for value in step.data.values():
                if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                    out += [
                        (t, lang)
                        for lang, t in value.items()
                        if lang in ("en", "zh-CN", "zh-HK") and "{" not in t
                    ]
        return out

    # -- the call ----------------------------------------------------------------------------
    async def on_incoming(self, call: Call) -> None:
        """Create the contact (committed), answer, run the flow, queue, bridge."""
        await call.ring()
        cc = await asyncio.to_thread(
            store.start_contact,
            self.runtime,
            caller=call.caller,
            sip_call_id=call.dialog.call_id,
        )
        call.attributes["contact_id"] = cc.contact_id
        notices = self.broker.attach(cc.contact_id, call)
        try:
            await call.answer()
            state: dict[str, Any] = {"language": cc.language, "queue": None}
            step_id: str | None = self.flow.start
            while step_id is not None:
                step = self.flow.steps[step_id]
                step_id = step.next
                if step.kind == "language":
                    await self._language(call, step, cc, state)
                elif step.kind == "verify_dob":
                    await self._verify(call, step, cc, state)
                elif step.kind == "menu":
                    await self._menu(call, step, cc, state)
                elif step.kind == "queue":
                    await self._queue(call, step, cc, state, notices)
                    return
        finally:
            self.broker.detach(cc.contact_id)

    async def _language(self, call: Call, step: Step, cc: store.CallContact, state: dict) -> None:
        options = step.data["options"]
        chosen, source = None, "region" if cc.region else "default"
        for _ in range(step.retries + 1):
            for part in step.data.get("parts") or []:
                if call.has_digits():
                    break
                await self.say(call, str(part["text"]), str(part["language"]))
            digit = await call.collect_digits(1, timeout=step.timeout)
            if digit in options:
                chosen, source = options[digit], "dtmf"
                break
            if not digit:
                break  # no choice: the caller's region decides
        state["language"] = chosen or cc.language
        call.attributes["language"] = state["language"]
        await asyncio.to_thread(
            store.set_attributes,
            self.runtime,
            contact_id=cc.contact_id,
            language=state["language"],
            language_source=source,
        )

    async def _verify(self, call: Call, step: Step, cc: store.CallContact, state: dict) -> None:
        lang = state["language"]
        if not cc.can_verify:
            call.attributes["verified"] = False
            await asyncio.to_thread(
                store.set_attributes,
                self.runtime,
                contact_id=cc.contact_id,
                verified=False,
                verification="caller id not matched",
            )
            return
        ok = False
        for _ in range(step.retries + 1):
            await self.say(call, step.text("prompt", lang), lang)
            digits = await call.collect_digits(
                8, timeout=step.timeout, terminator="#", interdigit=self.interdigit
            )
            if not digits:
                continue
            ok = await asyncio.to_thread(
                store.verify_date_of_birth, self.runtime, contact_id=cc.contact_id, digits=digits
            )
            del digits  # the date of birth is never kept or logged
            if ok:
                break
        call.attributes["verified"] = ok
        await self.say(call, step.text("success" if ok else "failure", lang), lang)

    async def _menu(self, call: Call, step: Step, cc: store.CallContact, state: dict) -> None:
        lang = state["language"]
        options = step.data["options"]
        choice = step.data.get("no_input") or next(iter(options.values()))
        for attempt in range(step.retries + 1):
            await self.say(call, step.text("prompt", lang), lang)
            digit = await call.collect_digits(1, timeout=step.timeout)
            if digit in options:
                choice = options[digit]
                break
            if digit and attempt < step.retries:
                await self.say(call, step.text("invalid", lang), lang)
        state["queue"] = queue_for(str(choice["queue"]), lang)
        call.attributes["intent"] = choice.get("intent")
        await asyncio.to_thread(
            store.set_attributes,
            self.runtime,
            contact_id=cc.contact_id,
            intent=choice.get("intent"),
        )

    async def _queue(
        self,
        call: Call,
        step: Step,
        cc: store.CallContact,
        state: dict,
        notices: asyncio.Queue[RoutingNotice],
    ) -> None:
        lang = state["language"]
        queue_id = state["queue"] or queue_for("general-{language}", lang)
        await asyncio.to_thread(
            store.enqueue, self.runtime, contact_id=cc.contact_id, queue_id=queue_id
        )
        call.attributes["queue"] = queue_id
        await self._wait_for_agent(call, step, lang, notices)

    async def on_outbound(self, call: Call, *, contact_id: str, language: str) -> None:
        """An answered campaign call whose contact is already queued: hold, bridge to the agent."""
        call.attributes["contact_id"] = contact_id
        notices = self.broker.attach(contact_id, call)
        try:
            step = next(s for s in self.flow.steps.values() if s.kind == "queue")
            await self._wait_for_agent(call, step, language, notices)
        finally:
            self.broker.detach(contact_id)

    async def _wait_for_agent(
        self, call: Call, step: Step, lang: str, notices: asyncio.Queue[RoutingNotice]
    ) -> None:
        """Hold music and announcements until an agent is connected, then bridge to them."""
        await self.say(call, step.text("prompt", lang), lang)
        every = float(step.data.get("announce_every", 30))
        music = hold_music(every)
        call.rtp.play(music)
        legs: dict[str, tuple[asyncio.Task[Call], list[Call]]] = {}
        try:
            agent_leg = await self._hold(call, step, lang, music, every, notices, legs)
        finally:
            for agent_id, (task, made) in list(legs.items()):
                if call.attributes.get("agent_id") == agent_id and not call.ended:
                    continue
                for leg in made:  # ringing or answered agent legs of a caller who left
                    if not leg.ended:
                        asyncio.ensure_future(leg.hangup("caller-left"))
                task.add_done_callback(_hang_up_result)
        if agent_leg is None:
            await self.say(call, step.text("no_agent", lang), lang)
            await call.hangup("no-agent")
            return
        call.stop_playing()
        await call.bridge(agent_leg)

    def _dial(self, agent_id: str, call: Call, legs: dict) -> asyncio.Task[Call] | None:
        if agent_id in legs:
            return legs[agent_id][0]
        made: list[Call] = []

        async def dial() -> Call:
            user = await asyncio.to_thread(
                store.agent_sip_username, self.runtime, agent_id=agent_id
            )
            if not user or self.endpoint is None:
                raise CallError("the agent has no SIP phone", agent_id=agent_id)
            return await self.endpoint.dial(
                user, caller=call.caller, timeout=self.agent_ring_timeout, created=made.append
            )

        task = asyncio.ensure_future(dial())
        legs[agent_id] = (task, made)
        return task

    async def _hold(
        self,
        call: Call,
        step: Step,
        lang: str,
        music: bytes,
        every: float,
        notices: asyncio.Queue[RoutingNotice],
        legs: dict,
    ) -> Call | None:
        """Hold music until an agent is connected; the agent's answered leg (None: no agent)."""
        connected: str | None = None
        handled: set[asyncio.Task[Call]] = set()
        while True:
            notice = asyncio.ensure_future(notices.get())
            ended = asyncio.ensure_future(call.wait_ended())
            ringing = {t for t, _ in legs.values() if t not in handled}
            done, _ = await asyncio.wait(
                {notice, ended, *ringing}, timeout=every, return_when=asyncio.FIRST_COMPLETED
            )
            ended.cancel()
            if not notice.done():
                notice.cancel()
            if call.ended:
                raise CallEnded("the caller left the queue", call_id=call.id)
            if not done:
                position = await asyncio.to_thread(
                    store.queue_position,
                    self.runtime,
                    contact_id=str(call.attributes.get("contact_id")),
                )
                text = step.text("announcement", lang)
                if position is not None:
                    text += " " + step.text("position", lang).format(position=position)
                await self.say(call, text.strip(), lang)
                call.rtp.play(music)
                continue
            if notice in done:
                event: RoutingNotice = notice.result()
                if event.kind == "offer" and self.ring_on_offer and connected is None:
                    self._dial(event.agent_id, call, legs)
                elif event.kind == "connected":
                    connected = event.agent_id
                    call.attributes["agent_id"] = connected
                    task = self._dial(connected, call, legs)
                    try:
                        return await call.wait_for(task)
                    except CallError:
                        return None
                continue
            for task in done & ringing:
                # an agent phone answered before the desk accepted: the phone takes the offer
                handled.add(task)
                agent_id = next(a for a, (t, _) in legs.items() if t is task)
                if task.exception() is not None:
                    continue
                taken = await asyncio.to_thread(
                    store.accept_offer_by_phone,
                    self.runtime,
                    agent_id=agent_id,
                    contact_id=str(call.attributes.get("contact_id")),
                )
                if not taken:
                    await task.result().hangup("offer-gone")
                    legs.pop(agent_id)
                # contact.connected follows and bridges this leg


def _hang_up_result(task: asyncio.Future[Call]) -> None:
    if not task.cancelled() and task.exception() is None:
        leg = task.result()
        if not leg.ended:
            asyncio.ensure_future(leg.hangup("caller-left"))
