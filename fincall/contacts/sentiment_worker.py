"""Scores customer utterances on a worker thread, after the transaction that stored them commits.

The worker listens to the events every channel sends once an utterance is stored
(``chat.message``, ``contact.utterance``, ``contact.created``, ``contact.transcribed``) and
never scores in the writer's thread, so a chat message is acknowledged without waiting for
the model. While no model is loaded the events are dropped; ``sweep()`` catches up the open
contacts later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fincall.contacts import sentiment
from fincall.core.events import Event
from fincall.core.worker import EventWorker
from fincall.runtime import Runtime

log = logging.getLogger(__name__)

TOPICS = ("chat.message", "contact.utterance", "contact.created", "contact.transcribed")


class SentimentWorker(EventWorker):
    """Scores the customer utterances of contacts handed over by the events."""

    name = "sentiment"
    topics = TOPICS

    def __init__(self, runtime: Runtime, scorer: Callable[[], sentiment.Scorer | None]) -> None:
        super().__init__(runtime)
        self.scorer = scorer

    def item_for(self, evt: Event) -> str | None:
        """A contact where a customer may have spoken."""
        if evt.payload.get("speaker") in (None, "customer"):
            return super().item_for(evt)
        return None

    def handle(self, item: str) -> bool:
        """Score one contact in its own transaction; False when there was nothing to do."""
        scorer = self.scorer()
        if scorer is None:
            return False
        with self.runtime.transaction() as session:
            done = sentiment.score_contact(session=session, contact_id=item, scorer=scorer)
        return done is not None

    def catch_up(self) -> int:
        """Score every open contact with unscored customer utterances (e.g. once a model loads)."""
        if self.scorer() is None:
            return 0
        with self.runtime.transaction() as session:
            ids = sentiment.unscored_contact_ids(session=session)
        return sum(self.handle(cid) for cid in ids)
