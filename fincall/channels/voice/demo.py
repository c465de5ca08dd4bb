"""A small built-in IVR: answer, play a prompt, collect one digit, confirm it, hang up."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

from fincall.channels.voice.call import Call
from fincall.channels.voice.errors import CallError
from fincall.speech.tts import Synthesizer

WELCOME = "Welcome to fincall. Press one for accounts, or two for cards."
CONFIRM = "You pressed {digit}. Goodbye."
NO_INPUT = "We did not receive your choice. Goodbye."


class DemoHandler:
    """Answers, plays a welcome prompt, collects one DTMF digit, confirms it, hangs up."""

    def __init__(
        self, *, tts: Synthesizer | None = None, ring_s: float = 0.0, digit_timeout: float = 5.0
    ) -> None:
        self.tts = tts
        self.ring_s = ring_s
        self.digit_timeout = digit_timeout
        self.digits: dict[str, str] = {}  # call id -> digit collected (for tests and logs)

    def _prompt(self, text: str) -> Path | bytes:
        if self.tts is None:
            return bytes(8000 * 2)  # one second of silence when no synthesizer is configured
        return self.tts.render(text, language="en")

    async def on_incoming(self, call: Call) -> None:
        """The demo flow."""
        await call.ring()
        if self.ring_s:
            await call.wait_ended(self.ring_s)
        await call.answer()
        await call.play(self._prompt(WELCOME))
        digit = await call.collect_digits(1, timeout=self.digit_timeout)
        self.digits[call.id] = digit
        call.attributes["menu_choice"] = digit
        text = CONFIRM.format(digit=digit) if digit else NO_INPUT
        await call.play(self._prompt(text))
        await call.hangup("ivr-complete")


@functools.lru_cache(maxsize=8)
def hold_music(seconds: float = 4.0) -> bytes:
    """A gentle two-tone loop used while callers wait (8 kHz 16-bit PCM)."""
    t = np.arange(int(seconds * 8000)) / 8000
    tone = np.sin(2 * np.pi * 392 * t) * (t % 1 < 0.5) + np.sin(2 * np.pi * 523 * t) * (
        t % 1 >= 0.5
    )
    return (tone * 3000).astype("<i2").tobytes()


class HoldHandler:
    """IVR then hold: answer, prompt, one DTMF digit, then hold music until the caller leaves."""

    def __init__(self, *, prompt: Path | bytes | None = None, digit_timeout: float = 5.0) -> None:
        self.prompt = prompt if prompt is not None else hold_music(1.0)
        self.digit_timeout = digit_timeout
        self.digits: dict[str, str] = {}

    async def on_incoming(self, call: Call) -> None:
        """The flow."""
        await call.ring()
        await call.answer()
        await call.play(self.prompt)
        self.digits[call.id] = await call.collect_digits(1, timeout=self.digit_timeout)
        call.attributes["menu_choice"] = self.digits[call.id]
        music = hold_music()
        while not call.ended:
            await call.play(music)


class QueueToAgentHandler:
    """IVR, then queue with hold music while an agent phone is dialled, then bridge to it."""

    def __init__(
        self,
        *,
        dial: Callable[..., Awaitable[Call]],
        agent: str,
        prompt: Path | bytes | None = None,
        digit_timeout: float = 5.0,
        agent_timeout: float = 30.0,
    ) -> None:
        self.dial = dial
        self.agent = agent
        self.prompt = prompt if prompt is not None else hold_music(1.0)
        self.digit_timeout = digit_timeout
        self.agent_timeout = agent_timeout

    async def on_incoming(self, call: Call) -> None:
        """The flow: prompt, digit, hold music while ringing the agent, bridge."""
        await call.ring()
        await call.answer()
        await call.play(self.prompt)
        call.attributes["menu_choice"] = await call.collect_digits(1, timeout=self.digit_timeout)
        call.rtp.play(hold_music(60.0))
        dialling = asyncio.ensure_future(
            self.dial(self.agent, caller=call.caller, timeout=self.agent_timeout)
        )
        left = asyncio.ensure_future(call.wait_ended())
        await asyncio.wait({dialling, left}, return_when=asyncio.FIRST_COMPLETED)
        left.cancel()
        if call.ended:  # the caller gave up in the queue: release the agent leg when it connects
            dialling.add_done_callback(_hang_up_result)
            return
        try:
            agent = dialling.result()
        except CallError:
            call.attributes["queue_result"] = "no-agent"
            await call.hangup("no-agent")
            return
        call.attributes["agent"] = self.agent
        call.stop_playing()
        await call.bridge(agent)


def _hang_up_result(task: asyncio.Future[Call]) -> None:
    if not task.cancelled() and task.exception() is None:
        asyncio.ensure_future(task.result().hangup("caller-left"))
