"""Live fan-out to browsers: events from the bus (any thread) to WebSocket connections.

Each connection has a bounded outbox drained by its own writer task; a browser that cannot
keep up is disconnected and resumes from its last sequence number, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket

from fincall.core.events import Event, EventBus

log = logging.getLogger(__name__)

WAKE_TOPICS = frozenset(
    {
        "routing.queued",
        "agent.state",
        "routing.offer_closed",
        "contact.ended",
        "chat.customer_left",
        "contact.sentiment",  # a flag changes the order of service
    }
)


class Connection:
    def __init__(self, ws: WebSocket, maxsize: int = 1000) -> None:
        self.ws = ws
        self.outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=maxsize)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._writer())

    async def _writer(self) -> None:
        while True:
            item = await self.outbox.get()
            if item is None:
                return
            try:
                await self.ws.send_json(item)
            except Exception:  # the browser went away; its reader ends the connection
                return

    def push(self, item: dict[str, Any]) -> None:
        try:
            self.outbox.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("slow websocket client dropped")
            with contextlib.suppress(Exception):
                self.outbox.put_nowait(None)

    async def close(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.outbox.put_nowait(None)
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, timeout=2)


class Hub:
    """Who is connected: customers by contact, agents by agent id, supervisors' walls."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.customers: dict[str, set[Connection]] = defaultdict(set)
        self.agents: dict[str, set[Connection]] = defaultdict(set)
        self.walls: set[Connection] = set()
        self.wake = asyncio.Event()
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self, bus: EventBus, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.wake = asyncio.Event()
        self._unsubscribe = bus.subscribe("*", self._from_any_thread)

    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()

    def _from_any_thread(self, evt: Event) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._route, evt)
        except RuntimeError:  # loop shutting down
            pass

    def _route(self, evt: Event) -> None:
        p = evt.payload
        topic = evt.topic
        if topic in WAKE_TOPICS:
            self.wake.set()
        if topic == "chat.message":
            msg = {
                "type": "message",
                "contact_id": p["contact_id"],
                "seq": p["seq"],
                "speaker": p["speaker"],
                "text": p["text"],
                "client_msg_id": p.get("client_msg_id"),
                "at": p.get("at"),
            }
            for conn in self.customers.get(p["contact_id"], ()):
                conn.push(msg)
            if p.get("agent_id"):
                for conn in self.agents.get(p["agent_id"], ()):
                    conn.push(msg)
            return
        if topic in (
            "routing.offer",
            "routing.offer_closed",
            "contact.connected",
            "chat.customer_left",
            "chat.identified",
            "contact.sentiment",
        ):
            agent_id = p.get("agent_id")
            if agent_id:
                for conn in self.agents.get(agent_id, ()):
                    conn.push({"type": topic, **p})
        if topic in ("routing.queued", "contact.connected", "contact.ended", "contact.abandoned"):
            status = {
                "routing.queued": "queued",
                "contact.connected": "connected",
                "contact.ended": "ended",
                "contact.abandoned": "ended",
            }[topic]
            for conn in self.customers.get(p.get("contact_id", ""), ()):
                conn.push({"type": "status", "status": status})
        if topic == "agent.state":
            for conn in self.agents.get(p["agent_id"], ()):
                conn.push({"type": "agent.state", **p})
        if topic.startswith(("routing.", "agent.", "contact.")):
            for conn in self.walls:
                conn.push({"type": "refresh", "topic": topic})

    def add(
        self,
        registry: dict[str, set[Connection]] | set[Connection],
        key: str | None,
        conn: Connection,
    ) -> None:
        if isinstance(registry, set):
            registry.add(conn)
        else:
            assert key is not None
            registry[key].add(conn)

    def remove(
        self,
        registry: dict[str, set[Connection]] | set[Connection],
        key: str | None,
        conn: Connection,
    ) -> None:
        if isinstance(registry, set):
            registry.discard(conn)
            return
        assert key is not None
        group = registry.get(key)
        if group is not None:
            group.discard(conn)
            if not group:
                registry.pop(key, None)
