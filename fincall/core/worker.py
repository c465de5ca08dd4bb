"""A daemon thread fed by bus events: the shape of every background job of one process.

Subclasses name the topics they listen to, turn an event into a work item (a contact id), do
one item in ``handle`` and, in ``catch_up``, whatever the events may have missed (a crash, a
model that was not loaded yet). Catch-up runs when asked (``sweep()``), on start if wanted,
and whenever the worker has been idle for ``sweep_seconds``. Nothing runs in the thread that
published the event.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from fincall.core.events import Event
from fincall.runtime import Runtime

log = logging.getLogger(__name__)

_STOP = object()
_SWEEP = object()


class EventWorker:
    name = "worker"
    topics: tuple[str, ...] = ()

    def __init__(self, runtime: Runtime, *, sweep_seconds: float | None = None) -> None:
        self.runtime = runtime
        self.sweep_seconds = sweep_seconds
        self.queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self.done = 0

    def item_for(self, evt: Event) -> str | None:
        """The work item an event asks for (default: its contact id), or None to ignore it."""
        cid = evt.payload.get("contact_id")
        return str(cid) if cid else None

    def handle(self, item: str) -> bool:
        """Do one item; False when there was nothing to do."""
        raise NotImplementedError

    def catch_up(self) -> int:
        """Do what the events missed; returns how many items were done."""
        return 0

    def on_event(self, evt: Event) -> None:
        item = self.item_for(evt)
        if item is not None:
            self.queue.put(item)

    def sweep(self) -> None:
        self.queue.put(_SWEEP)

    def start(self, *, catch_up_first: bool = False) -> None:
        """Subscribe to the topics and start the thread."""
        for topic in self.topics:
            self._unsubscribe.append(self.runtime.bus.subscribe(topic, self.on_event))
        if catch_up_first:
            self.sweep()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Unsubscribe, let queued work finish, stop the thread."""
        for unsub in self._unsubscribe:
            unsub()
        self._unsubscribe.clear()
        self.queue.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while True:
            try:
                item = self.queue.get(timeout=self.sweep_seconds)
            except queue.Empty:
                item = _SWEEP
            if item is _STOP:
                return
            try:
                if item is _SWEEP:
                    self.done += self.catch_up()
                elif self.handle(str(item)):
                    self.done += 1
            except Exception:
                log.exception("%s failed for %s", self.name, item)
