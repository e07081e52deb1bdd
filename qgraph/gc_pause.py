"""Pausing Python's cyclic garbage collector while millions of long-lived objects are built.

Validating a bulk dataset, reading the embedded store's file, copying its graph and building its index each allocate
millions of objects that stay, none of them in a reference cycle. With the collector running, every time the heap
grows by a quarter it walks everything built so far: about half the CPU time of validating, and most of the start-up
time, at a million edges. Paused, the new objects are walked once, by one collection of the young generations at the
end, which also settles them in the oldest generation so that the frequent young collections leave them be.
Reference counting frees everything else as usual. A block that built few objects (``SMALL_BUILD``) skips that
collection. The pause is
process-wide: other threads allocate without collections for its length.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: objects (allocations less deallocations) a paused block must leave for the full collection at its end
SMALL_BUILD = 50_000


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block (or, as a decorator, the function) with the collector paused, then collect once. Nested uses,
    or an application that keeps the collector off, leave it as they found it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        # Collect the young generations once (what the block built, walked once) and so move its survivors to the
        # oldest generation. Not a full collection: that walks every object of the process (1.3 s beside a graph of
        # 80,000 items, paid by every small commit), and Python runs one itself when the oldest generation has grown
        # by a quarter. A small build is left to the young generations as usual.
        if gc.get_count()[0] > SMALL_BUILD:
            gc.collect(1)
