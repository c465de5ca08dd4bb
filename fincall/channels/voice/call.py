"""Calls as explicit state machines, and the ``CallHandler`` protocol fincall implements."""

from __future__ import annotations

import asyncio
import contextlib
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from fincall.channels.voice.errors import CallError
from fincall.channels.voice.recording import RecordingResult, RecordingWriter
from fincall.channels.voice.rtp import RtpSession
from fincall.core.clock import utcnow
from fincall.core.errors import IllegalTransition
from fincall.core.ids import new_id

if TYPE_CHECKING:
    from fincall.channels.voice.dialog import Dialog


class CallEnded(CallError):
    """The call ended (hang-up, cancel, timeout) while an operation was waiting on it."""

    code = "call-ended"


class CallState(StrEnum):
    RINGING = "ringing"  # inbound, offered to fincall, not answered yet
    DIALING = "dialing"  # outbound INVITE sent, not answered yet
    ANSWERED = "answered"
    ENDED = "ended"


TRANSITIONS: dict[CallState, frozenset[CallState]] = {
    CallState.RINGING: frozenset({CallState.ANSWERED, CallState.ENDED}),
    CallState.DIALING: frozenset({CallState.ANSWERED, CallState.ENDED}),
    CallState.ANSWERED: frozenset({CallState.ENDED}),
    CallState.ENDED: frozenset(),
}


@dataclass(frozen=True)
class CallEvent:
    """A call lifecycle event: ``kind`` is started, answered or ended."""

    kind: str
    call_id: str
    direction: str
    caller: str
    called: str
    at: datetime
    sip_call_id: str
    end_reason: str | None = None
    recording_path: str | None = None
    recording_sha256: str | None = None
    recording_duration_s: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """A JSON-friendly dict (for the event bus)."""
        out = {k: v for k, v in self.__dict__.items() if k != "at"}
        out["at"] = self.at.isoformat()
        return out


class CallHandler(Protocol):
    """What fincall plugs into the voice endpoint: one coroutine per inbound call.

    The call lives while ``on_incoming`` runs; when it returns an unanswered call is refused
    (480) and an answered call is hung up. ``CallEnded`` raised inside means the caller left.
    """

    async def on_incoming(self, call: Call) -> None:
        """Handle a new inbound call (ring, answer, play, collect digits, bridge, hang up)."""
        ...


class Signalling(Protocol):
    """The SIP side a call drives (implemented by the endpoint)."""

    async def ring(self, call: Call) -> None: ...
    async def accept(self, call: Call) -> None: ...
    async def terminate(self, call: Call, reason: str) -> None: ...


def load_audio(source: Path | str | bytes) -> bytes:
    """8 kHz 16-bit mono PCM from raw PCM bytes or a WAV file (mono/stereo, 8/16 kHz)."""
    if isinstance(source, bytes):
        return source
    with wave.open(str(source), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise CallError("prompt must be 16-bit PCM WAV", path=str(source))
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        if wav.getnchannels() == 2:
            data = data.reshape(-1, 2).mean(axis=1).astype("<i2")
        rate = wav.getframerate()
    if rate != 8000:
        idx = np.arange(0, len(data), rate / 8000.0)
        data = np.interp(idx, np.arange(len(data)), data).astype("<i2")
    return data.tobytes()


class Call:
    """One call leg: state, media, digits, recording; signalling goes through the endpoint."""

    def __init__(
        self,
        *,
        direction: str,
        caller: str,
        called: str,
        rtp: RtpSession,
        signalling: Signalling,
        dialog: Dialog,
        record_to: Path | None = None,
        master_key: bytes | str | None = None,
    ) -> None:
        self.id = new_id("call")
        self.direction = direction
        self.caller, self.called = caller, called
        self.rtp = rtp
        self.dialog = dialog
        self._signalling = signalling
        self.state = CallState.RINGING if direction == "inbound" else CallState.DIALING
        self.started_at = utcnow()
        self.answered_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.end_reason: str | None = None
        self.on_hold = False
        self.attributes: dict[str, Any] = {}
        self.recording: RecordingWriter | None = None
        self.recording_result: RecordingResult | None = None
        self._record_to, self._master_key = record_to, master_key
        self._digits: asyncio.Queue[str] = asyncio.Queue()
        self._ended = asyncio.Event()
        self.peer: Call | None = None
        self.listeners: list[Callable[[Call, str], Awaitable[None] | None]] = []
        rtp.on_dtmf = self.dtmf_received

    # -- state ------------------------------------------------------------------------------
    def transition(self, new: CallState) -> None:
        """Move to ``new`` or raise IllegalTransition."""
        if new not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"call cannot go from {self.state} to {new}", call_id=self.id)
        self.state = new

    @property
    def ended(self) -> bool:
        """True once the call is over."""
        return self.state == CallState.ENDED

    def _check_live(self) -> None:
        if self.ended:
            raise CallEnded("the call has ended", call_id=self.id, reason=self.end_reason)

    # -- signalling -------------------------------------------------------------------------
    async def ring(self) -> None:
        """Send 180 Ringing to the caller."""
        self._check_live()
        await self._signalling.ring(self)

    async def answer(self) -> None:
        """Answer (200 OK with the SDP answer); media and recording start now."""
        self._check_live()
        if self.state == CallState.ANSWERED:
            return
        await self._signalling.accept(self)

    def mark_answered(self) -> None:
        """Record the answer (called by the endpoint once the 200 OK was sent or received)."""
        self.transition(CallState.ANSWERED)
        self.answered_at = utcnow()
        if self._record_to is not None and self._master_key is not None:
            self.recording = RecordingWriter(self._record_to, master_key=self._master_key)
            self.rtp.frame_taps.append(self.recording.write_frame)

    async def hangup(self, reason: str = "hangup") -> None:
        """End the call (BYE, CANCEL or a refusal, depending on the state)."""
        if not self.ended:
            await self._signalling.terminate(self, reason)

    def mark_ended(self, reason: str) -> None:
        """Record the end and release media (called by the endpoint)."""
        if self.ended:
            return
        self.transition(CallState.ENDED)
        self.ended_at = utcnow()
        self.end_reason = reason
        if self.peer is not None:
            self.unbridge()
        self.rtp.close()
        if self.recording is not None:
            self.recording.close()
        self._ended.set()

    async def wait_ended(self, timeout: float | None = None) -> bool:
        """Wait until the call ends; False on timeout."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ended.wait(), timeout)
        return self._ended.is_set()

    # -- media ------------------------------------------------------------------------------
    async def play(self, source: Path | str | bytes) -> None:
        """Play a WAV file or 8 kHz PCM to the caller and wait until it has been sent."""
        self._check_live()
        pcm = load_audio(source)
        done = self.rtp.play(pcm)
        await self._until(done)

    def stop_playing(self) -> None:
        """Stop the current prompt."""
        self.rtp.stop_playing()

    async def collect_digits(
        self,
        max_digits: int = 1,
        timeout: float = 5.0,
        *,
        terminator: str = "#",
        interdigit: float | None = None,
    ) -> str:
        """Collect up to ``max_digits`` DTMF digits; stops at ``terminator`` or on timeout."""
        self._check_live()
        digits = ""
        wait = timeout
        while len(digits) < max_digits:
            getter = asyncio.ensure_future(self._digits.get())
            try:
                digit = await self._until(getter, timeout=wait)
            except TimeoutError:
                break
            finally:
                getter.cancel()
            if digit is None:
                break
            if digit == terminator:
                break
            digits += digit
            wait = interdigit if interdigit is not None else timeout
        return digits

    def has_digits(self) -> bool:
        """True when digits were typed ahead and not collected yet."""
        return not self._digits.empty()

    async def wait_for(self, fut: asyncio.Future[Any], timeout: float | None = None) -> Any:
        """Await ``fut``; CallEnded if the call ends first, TimeoutError after ``timeout``."""
        return await self._until(fut, timeout)

    def flush_digits(self) -> None:
        """Forget digits typed ahead."""
        while not self._digits.empty():
            self._digits.get_nowait()

    def dtmf_received(self, digit: str) -> None:
        """A DTMF digit arrived (RFC 4733 or SIP INFO)."""
        self._digits.put_nowait(digit)
        if self.rtp.play_buffer and self.attributes.get("barge_in", True):
            self.rtp.stop_playing()

    def send_dtmf(self, digits: str) -> None:
        """Send RFC 4733 DTMF events to the other side."""
        for d in digits:
            self.rtp.send_dtmf(d)

    def pause_recording(self) -> None:
        """Mask the recording (silence) from now, e.g. while card details are given (PCI)."""
        if self.recording is not None:
            self.recording.pause()

    def resume_recording(self) -> None:
        """Record audio again after pause_recording()."""
        if self.recording is not None:
            self.recording.resume()

    async def bridge(self, other: Call) -> None:
        """Connect this call's audio with ``other`` until either side ends, then end both."""
        self._check_live()
        other._check_live()
        self.peer, other.peer = other, self
        self.rtp.stop_playing()
        other.rtp.stop_playing()
        self.rtp.peer, other.rtp.peer = other.rtp, self.rtp
        waits = [asyncio.ensure_future(c._ended.wait()) for c in (self, other)]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
            self.unbridge()
        for c in (self, other):
            if not c.ended:
                await c.hangup("bridge-ended")

    def unbridge(self) -> None:
        """Disconnect a bridge (both legs stay up)."""
        other = self.peer
        self.peer = None
        self.rtp.peer = None
        if other is not None:
            other.peer = None
            other.rtp.peer = None

    async def _until(self, fut: asyncio.Future[Any], timeout: float | None = None) -> Any:
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            done, _ = await asyncio.wait(
                {fut, ended}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ended.cancel()
        if fut in done:
            return fut.result()
        if self.ended:
            raise CallEnded("the call has ended", call_id=self.id, reason=self.end_reason)
        raise TimeoutError

    def event(self, kind: str) -> CallEvent:
        """A lifecycle event describing this call now."""
        rec = self.recording_result
        return CallEvent(
            kind=kind,
            call_id=self.id,
            direction=self.direction,
            caller=self.caller,
            called=self.called,
            at=utcnow(),
            sip_call_id=self.dialog.call_id,
            end_reason=self.end_reason,
            recording_path=str(rec.path) if rec else None,
            recording_sha256=rec.sha256 if rec else None,
            recording_duration_s=rec.duration_s if rec else None,
            attributes=dict(self.attributes),
        )
