"""Events between parts of fincall.

In one process the bus calls handlers directly; with ``FINCALL_REDIS_URL`` the
same events also travel over Redis pub/sub so that other nodes see them.
Writers never publish before their transaction commits: ``publish_on_commit``
queues the event on the session and the bus sends it after COMMIT (and drops it
on ROLLBACK), so a listener never sees something that was not stored.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    topic: str
    payload: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Event], None]


class EventBus:
    """Topic-based publish/subscribe; ``"*"`` subscribes to every topic."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        with self._lock:
            self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers[topic]:
                    self._handlers[topic].remove(handler)

        return unsubscribe

    def publish(self, evt: Event) -> None:
        with self._lock:
            handlers = list(self._handlers.get(evt.topic, ())) + list(self._handlers.get("*", ()))
        for handler in handlers:
            try:
                handler(evt)
            except Exception:  # a faulty listener must not break the writer
                log.exception("event handler failed for %s", evt.topic)


_PENDING_KEY = "fincall_pending_events"


def publish_on_commit(session: Session, bus: EventBus, evt: Event) -> None:
    """Queue ``evt`` to be published once ``session`` commits (dropped on rollback)."""
    pending: list[tuple[EventBus, Event]] = session.info.setdefault(_PENDING_KEY, [])
    pending.append((bus, evt))


@sa_event.listens_for(Session, "after_commit")
def _flush_events(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    for bus, evt in pending:
        bus.publish(evt)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_events(session: Session, _previous_transaction: Any) -> None:
    if session.in_transaction():
        return
    session.info.pop(_PENDING_KEY, None)


BUS_KEY = "fincall_bus"


def emit(session: Session, topic: str, **payload: Any) -> None:
    """Publish ``topic`` after the session's transaction commits (no-op without a bound bus)."""
    bus = session.info.get(BUS_KEY)
    if bus is not None:
        publish_on_commit(session, bus, Event(topic=topic, payload=payload))
