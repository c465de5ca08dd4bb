"""The dispatcher: runs routing rounds whenever something changes, and at least every second.

One process runs it (the embedded default). Several nodes on PostgreSQL elect one dispatcher
with a session-level advisory lock, so two never offer the same contact.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fincall.core.leader import LeaderLock
from fincall.routing import service as routing
from fincall.runtime import Runtime
from fincall.web.hub import Hub

log = logging.getLogger(__name__)
ADVISORY_LOCK_ID = 0x66696E63  # "finc"


class Dispatcher:
    def __init__(
        self,
        runtime: Runtime,
        hub: Hub,
        *,
        tick_seconds: float = 1.0,
        min_gap_seconds: float = 0.1,
    ) -> None:
        self.runtime = runtime
        self.hub = hub
        self.tick = tick_seconds
        # a burst of changes (many chats arriving, agents accepting) makes one round, not one
        # round each: rounds are this far apart at least, so a contact waits at most this much
        # longer for its offer and the rest of the process keeps most of the interpreter
        self.min_gap = min_gap_seconds
        self.task: asyncio.Task[None] | None = None
        self.rounds = 0
        self.leader = LeaderLock(runtime.engine, ADVISORY_LOCK_ID)

    def run_round(self) -> dict[str, int]:
        """One routing round in its own transaction (called from a worker thread)."""
        with self.runtime.transaction() as session:
            result = routing.dispatch_once(
                session=session,
                sentiment_boost=self.runtime.settings.sentiment_priority_boost,
            )
        self.rounds += 1
        return result

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        last = 0.0
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.hub.wake.wait(), timeout=self.tick)
            gap = last + self.min_gap - loop.time()
            if gap > 0:
                await asyncio.sleep(gap)
            self.hub.wake.clear()
            try:
                if await asyncio.to_thread(self.leader.held):
                    await asyncio.to_thread(self.run_round)
            except Exception:
                log.exception("routing round failed")
            last = loop.time()

    def start(self) -> None:
        self.task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.leader.release()
