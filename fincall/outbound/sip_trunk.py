"""Campaign calls over a real SIP trunk, placed by the voice channel's user agent.

``dial`` returns at once, so the runner's tick never waits on a ringing phone: the call runs in
the voice endpoint's event loop and its signalling comes back through ``updates`` (ringing on
180/183, then one final result). An answered call stays up until the runner has settled it;
``hand_off`` then gives it to the voice channel (held, then bridged to the agent who takes the
contact), or hangs it up when no agent was free (an abandoned call).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

from fincall.channels.voice.call import Call, CallEnded
from fincall.channels.voice.errors import CallError, SdpError
from fincall.channels.voice.server import SipEndpoint
from fincall.outbound.dialer import CallProgress, TrunkResult

log = logging.getLogger(__name__)

RINGING_STATUSES = frozenset({180, 183})
BUSY_STATUSES = frozenset({486, 600})
WRONG_NUMBER_STATUSES = frozenset({404, 484, 604})
NO_ANSWER_STATUSES = frozenset({408, 480})
Connect = Callable[[Call, str], Awaitable[None]]  # (the answered call, its queued contact id)


def result_for(status: int) -> TrunkResult | None:
    """The trunk result a SIP response status stands for (None: a 1xx that says nothing)."""
    if status in RINGING_STATUSES:
        return TrunkResult.RINGING
    if 100 <= status < 200:
        return None
    if 200 <= status < 300:
        return TrunkResult.ANSWERED
    if status in BUSY_STATUSES:
        return TrunkResult.BUSY
    if status in WRONG_NUMBER_STATUSES:
        return TrunkResult.WRONG_NUMBER
    if status in NO_ANSWER_STATUSES:
        return TrunkResult.NO_ANSWER
    return TrunkResult.FAILED


def target_uri(trunk_uri: str, number: str) -> str:
    """``sip:<number>@<host:port>`` of the trunk (a user part in the trunk URI is replaced)."""
    rest = trunk_uri.removeprefix("sip:")
    host = rest.split("@", 1)[1] if "@" in rest else rest
    return f"sip:{number}@{host}"


class SipTrunk:
    """The Dialer of ``FINCALL_OUTBOUND_DIALER=sip``: INVITEs through the voice endpoint."""

    simulated = False

    def __init__(
        self,
        *,
        endpoint: Callable[[], SipEndpoint | None],
        loop: asyncio.AbstractEventLoop,
        trunk_uri: str,
        caller_id: str = "fincall",
        ring_timeout: float = 30.0,
        connect: Connect | None = None,
        record: bool = True,
    ) -> None:
        self.endpoint = endpoint
        self.loop = loop
        self.trunk_uri = trunk_uri
        self.caller_id = caller_id
        self.ring_timeout = ring_timeout
        self.connect = connect
        self.record = record
        self.answered: dict[str, Call] = {}  # answered calls awaiting the runner, by attempt id
        self._lock = threading.Lock()
        self._updates: list[CallProgress] = []
        self._pending: set[Future[Any]] = set()

    # -- Dialer -------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """True while the voice channel's SIP endpoint runs (no dial is attempted otherwise)."""
        return self.endpoint() is not None and not self.loop.is_closed()

    def dial(self, *, call_id: str, number: str) -> CallProgress:
        """Send the INVITE in the background; the outcome arrives through ``updates``."""
        self._submit(self._place(call_id, number, time.monotonic()))
        return CallProgress(call_id, number, None, 0.0)

    def updates(self) -> list[CallProgress]:
        """Ringing and final results signalled since the last call, oldest first."""
        with self._lock:
            out, self._updates = self._updates, []
        return out

    def hand_off(self, *, call_id: str, contact_id: str | None) -> None:
        """After the runner settled an answered call: bridge it (contact queued) or hang up."""
        self._submit(self._hand_off(call_id, contact_id))

    @property
    def busy(self) -> bool:
        """True while a call is being placed or handed off (tests wait on it)."""
        return any(not f.done() for f in self._pending)

    # -- in the endpoint's loop ---------------------------------------------------------------
    def _submit(self, coro: Awaitable[None]) -> None:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _report(self, progress: CallProgress) -> None:
        with self._lock:
            self._updates.append(progress)

    async def _place(self, call_id: str, number: str, started: float) -> None:
        def report(result: TrunkResult, status: int | None) -> None:
            after = time.monotonic() - started
            self._report(CallProgress(call_id, number, result, after, status))

        endpoint = self.endpoint()
        if endpoint is None:
            log.error("campaign call %s not placed: the SIP endpoint is not running", call_id)
            report(TrunkResult.FAILED, None)
            return
        rang = False

        def provisional(status: int) -> None:
            nonlocal rang
            if result_for(status) is TrunkResult.RINGING and not rang:
                rang = True
                report(TrunkResult.RINGING, status)

        try:
            call = await endpoint.dial(
                target_uri(self.trunk_uri, number),
                caller=self.caller_id,
                timeout=self.ring_timeout,
                record=self.record,
                provisional=provisional,
            )
        except CallError as exc:
            status = exc.fields.get("status")
            if exc.fields.get("reason") == "timeout":
                report(TrunkResult.NO_ANSWER, None)  # the INVITE was cancelled
            elif isinstance(status, int):
                report(result_for(status) or TrunkResult.FAILED, status)
            else:
                report(TrunkResult.FAILED, None)
            return
        except (SdpError, OSError) as exc:
            log.warning("campaign call %s failed: %s", call_id, exc)
            report(TrunkResult.FAILED, None)
            return
        call.attributes["outbound_attempt_id"] = call_id
        self.answered[call_id] = call
        report(TrunkResult.ANSWERED, 200)

    async def _hand_off(self, call_id: str, contact_id: str | None) -> None:
        call = self.answered.pop(call_id, None)
        if call is None:
            return
        if contact_id is None:
            await call.hangup("abandoned")  # no agent was free for the answered call
            return
        call.attributes["contact_id"] = contact_id
        if self.connect is None:
            await call.hangup("no-call-handler")
            return
        try:  # also when the customer has hung up already: the voice channel closes the contact
            await self.connect(call, contact_id)
        except CallEnded:
            pass
        except Exception:
            log.exception("campaign call %s could not be handed to the voice channel", call_id)
        if not call.ended:
            await call.hangup("handler-finished")
