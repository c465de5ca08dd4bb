"""Keep the garbage collector from stalling a busy server.

A started server holds a few hundred thousand long-lived objects (rule packs, tokeniser
dictionaries, models, the knowledge index). Every full collection walks all of them while
holding the interpreter: about 0.1 s here, a stall every request in flight feels. Once they
are loaded they live as long as the process, so they are moved out of the collected
generations (``gc.freeze``); what is created later is collected as usual.

Under load the objects created later (open connections, sessions, cached statements) still
grow to ~200,000, and with CPython's default thresholds a full collection walks them every
few seconds, 0.1–0.2 s each. A long-running process (the server, the traffic simulator) calls
``pace_collector``: young collections come after 20,000 new objects instead of 700, so far fewer
short-lived objects survive into the old generation, and a full collection waits for 100 middle
ones. Cycles still die young (most garbage here never leaves the young generation); a full
collection still runs once the old generation has grown by a quarter (CPython's own rule).
"""

from __future__ import annotations

import gc

# (young, middle, full): a young collection every 20,000 net new container objects, a middle
# one every 20 young ones, a full one after at least 100 middle ones
PACED_THRESHOLDS = (20_000, 20, 100)


def settle_heap() -> None:
    """Collect what start-up left behind, then exempt the survivors from later collections."""
    gc.collect()
    gc.freeze()


def pace_collector() -> None:
    """Collect less often in a long-running process (see the module's note)."""
    gc.set_threshold(*PACED_THRESHOLDS)
