"""Events across nodes: every local event is also published on Redis, and events published by
other nodes are delivered to this node's subscribers (the chat hub, the wall, the dispatcher's
wake-up), so a customer on node A and their agent on node B see each other's messages."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

import redis

from fincall.core.events import Event, EventBus

log = logging.getLogger(__name__)
CHANNEL = "fincall:events"


class RedisBridge:
    def __init__(self, bus: EventBus, url: str, *, channel: str = CHANNEL) -> None:
        self.bus = bus
        self.client = redis.Redis.from_url(url)
        self.channel = channel
        self.node = uuid.uuid4().hex
        self._relaying = threading.local()
        self._pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self._thread: threading.Thread | None = None
        self._unsubscribe = None
        self._stopping = False

    def start(self) -> None:
        self._pubsub.subscribe(self.channel)
        self._thread = threading.Thread(target=self._listen, name="fincall-redis-bus", daemon=True)
        self._thread.start()
        self._unsubscribe = self.bus.subscribe("*", self._outbound)

    def _outbound(self, evt: Event) -> None:
        if getattr(self._relaying, "active", False):
            return  # an event that came from another node is not sent back out
        body = json.dumps(
            {"node": self.node, "topic": evt.topic, "payload": evt.payload}, default=str
        )
        try:
            self.client.publish(self.channel, body)
        except redis.RedisError:
            log.exception("could not publish %s to Redis", evt.topic)

    def _listen(self) -> None:
        try:
            self._relay_all()
        except (redis.RedisError, OSError, ValueError):
            if not self._stopping:
                log.exception("Redis event listener stopped")

    def _relay_all(self) -> None:
        for message in self._pubsub.listen():
            if message is None or message.get("type") != "message":
                continue
            try:
                data: dict[str, Any] = json.loads(message["data"])
            except (ValueError, TypeError):
                continue
            if data.get("node") == self.node:
                continue
            self._relaying.active = True
            try:
                self.bus.publish(Event(topic=str(data["topic"]), payload=dict(data["payload"])))
            finally:
                self._relaying.active = False

    def stop(self) -> None:
        self._stopping = True
        if self._unsubscribe:
            self._unsubscribe()
        try:
            self._pubsub.unsubscribe()
            self._pubsub.close()
        except redis.RedisError:
            pass
        self.client.close()
