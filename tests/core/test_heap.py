"""A started server moves its start-up objects out of the collected generations, so a full
garbage collection no longer walks them (and no longer stalls requests for a tenth of a
second); objects made later are still collected."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from fincall.web.app import create_app


def test_started_server_freezes_its_start_up_heap(world) -> None:
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        with TestClient(create_app(world.runtime, run_background=True)) as client:
            assert client.get("/healthz").status_code == 200
            frozen = gc.get_freeze_count()
            assert frozen > 10_000  # rule packs, dictionaries, the knowledge index …
            garbage = [[i] for i in range(1000)]
            garbage.append(garbage)  # a cycle made after start-up is still collected
            del garbage
            assert gc.collect() >= 1000
    finally:
        gc.unfreeze()
