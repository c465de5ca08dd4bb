"""Keep the start-up heap out of the garbage collector's way.

A started server holds a few hundred thousand long-lived objects (rule packs, tokeniser
dictionaries, models, the knowledge index). Every full collection walks all of them while
holding the interpreter: about 0.1 s here, a stall every request in flight feels. Once they
are loaded they live as long as the process, so they are moved out of the collected
generations (``gc.freeze``); what is created later is collected as usual.
"""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect what start-up left behind, then exempt the survivors from later collections."""
    gc.collect()
    gc.freeze()
