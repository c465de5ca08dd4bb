"""Two nodes' buses joined through a real Redis server."""

from __future__ import annotations

import os
import queue
import time

import pytest
import redis

from fincall.core.events import Event, EventBus
from fincall.core.redis_bus import RedisBridge
from tests.conftest import service_unavailable

REDIS_URL = os.environ.get("FINCALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


def test_events_cross_nodes_once_and_never_echo(redis_url):
    channel = f"fincall:test:{os.getpid()}"
    bus_a, bus_b = EventBus(), EventBus()
    a, b = (
        RedisBridge(bus_a, redis_url, channel=channel),
        RedisBridge(bus_b, redis_url, channel=channel),
    )
    got_a: queue.Queue[Event] = queue.Queue()
    got_b: queue.Queue[Event] = queue.Queue()
    bus_a.subscribe("chat.message", got_a.put)
    bus_b.subscribe("chat.message", got_b.put)
    a.start()
    b.start()
    try:
        # wait until both subscriptions are live: Redis reports its subscribers
        client = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 5
        while client.pubsub_numsub(channel)[0][1] < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # polling Redis's own subscriber count, a condition we can see
        assert client.pubsub_numsub(channel)[0][1] == 2
        bus_a.publish(Event("chat.message", {"contact_id": "con_1", "seq": 3}))
        remote = got_b.get(timeout=5)
        assert remote.payload == {"contact_id": "con_1", "seq": 3}
        local = got_a.get(timeout=5)
        assert local.payload["seq"] == 3
        bus_b.publish(Event("chat.message", {"contact_id": "con_1", "seq": 4}))
        assert got_a.get(timeout=5).payload["seq"] == 4
        assert got_b.get(timeout=5).payload["seq"] == 4
        # nothing was echoed back: each bus saw each event exactly once
        with pytest.raises(queue.Empty):
            got_a.get(timeout=0.5)
        with pytest.raises(queue.Empty):
            got_b.get(timeout=0.5)
    finally:
        a.stop()
        b.stop()
