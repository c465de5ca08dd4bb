"""Scores customer utterances on a worker thread, after the transaction that stored them commits.

The worker listens to the events every channel sends once an utterance is stored
(``chat.message``, ``contact.utterance``, ``contact.created``, ``contact.transcribed``) and
never scores in the writer's thread, so a chat message is acknowledged without waiting for
the model. While no model is loaded the events are dropped; ``sweep()`` catches up the open
contacts later.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from fincall.contacts import sentiment
from fincall.core.events import Event
from fincall.runtime import Runtime

log = logging.getLogger(__name__)

TOPICS = ("chat.message", "contact.utterance", "contact.created", "contact.transcribed")
_STOP = object()
_SWEEP = object()


class SentimentWorker:
    """One daemon thread draining a queue of contact ids to score."""

    def __init__(self, runtime: Runtime, scorer: Callable[[], sentiment.Scorer | None]) -> None:
        self.runtime = runtime
        self.scorer = scorer
        self.queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self.scored = 0

    def on_event(self, evt: Event) -> None:
        """Bus handler: hand the contact to the worker when a customer may have spoken."""
        speaker = evt.payload.get("speaker")
        cid = evt.payload.get("contact_id")
        if cid and speaker in (None, "customer"):
            self.queue.put(str(cid))

    def sweep(self) -> None:
        """Score every open contact with unscored customer utterances (e.g. once a model loads)."""
        self.queue.put(_SWEEP)

    def start(self) -> None:
        for topic in TOPICS:
            self._unsubscribe.append(self.runtime.bus.subscribe(topic, self.on_event))
        self._thread = threading.Thread(target=self._loop, name="sentiment", daemon=True)
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

    def process(self, contact_id: str) -> bool:
        """Score one contact in its own transaction; False when there was nothing to do."""
        scorer = self.scorer()
        if scorer is None:
            return False
        with self.runtime.transaction() as session:
            done = sentiment.score_contact(session=session, contact_id=contact_id, scorer=scorer)
        return done is not None

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            try:
                if item is _SWEEP:
                    if self.scorer() is None:
                        continue
                    with self.runtime.transaction() as session:
                        ids = sentiment.unscored_contact_ids(session=session)
                    for cid in ids:
                        self.scored += self.process(cid)
                elif self.process(str(item)):
                    self.scored += 1
            except Exception:
                log.exception("sentiment scoring failed for %s", item)
