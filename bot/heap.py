"""The server process's garbage collector, set for a long-running bot (``shopchat serve``).

Every webhook allocates thousands of short-lived objects (the parsed update, models, futures,
rows). With CPython's default threshold, 700 allocations, the cyclic collector runs every
few updates, and each older-generation pass also walks everything startup loaded (the flows,
the catalog, the understanding's dictionaries), none of which is ever garbage. On the webhook
benchmark that was about a tenth of the CPU per update. So, once the app is built: what it
holds is frozen out of the collector's walks (``gc.freeze``), and the youngest generation is
collected every 10,000 allocations instead of 700. Reference counting still frees most
objects at once; only cycles wait a little longer.

Only the ``serve`` command does this: a test process builds many apps and must get their
memory back.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """Freeze what the process holds now and collect the young generation less often."""
    gc.collect()  # what startup dropped goes now, not frozen forever
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


__all__ = ["settle_heap"]
