"""A started server moves its start-up objects out of the collected generations, so a full
garbage collection no longer walks them (and no longer stalls requests for a tenth of a
second); objects made later are still collected."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from fincall.core.heap import PACED_THRESHOLDS, pace_collector
from fincall.web.app import create_app


def test_started_server_freezes_its_start_up_heap(world) -> None:
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        with TestClient(create_app(world.runtime, run_background=True)) as client:
            assert client.get("/healthz").status_code == 200
            frozen = gc.get_freeze_count()
            assert frozen > 10_000  # rule packs, dictionaries, the knowledge index …
            # a cycle made after start-up is still collected (automatic collection is off
            # meanwhile: the app's threads allocate too, and could collect it first)
            gc.disable()
            garbage = [[i] for i in range(1000)]
            garbage.append(garbage)
            del garbage
            assert gc.collect() >= 1000
    finally:
        gc.enable()
        gc.unfreeze()


def test_paced_collector_still_collects_cycles_automatically() -> None:
    """With the long-running process's thresholds, cyclic garbage is still collected without
    anyone calling gc.collect: it never piles up beyond a young generation's worth."""
    old = gc.get_threshold()
    try:
        pace_collector()
        assert gc.isenabled()
        gc.collect()
        before = len(gc.get_objects())
        for _ in range(200_000):
            cycle: list[object] = []
            cycle.append(cycle)
        del cycle
        assert len(gc.get_objects()) < before + 2 * PACED_THRESHOLDS[0]
    finally:
        gc.set_threshold(*old)
