"""Pausing the garbage collector while building large object graphs.

Loading or analysing a network of a million links allocates millions of small objects, none of
them garbage; CPython's cyclic collector would walk the whole, growing heap again and again
(reading a 1,000,000-link network took half as long again with it running). Reference counting
still frees everything as usual while the collector is paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused() -> Iterator[None]:
    """Disable the cyclic garbage collector inside the block, restoring its state after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
