"""Holding off the cyclic garbage collector while bulk data is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while bulk data is built.

    A page is tens of thousands of fresh dicts and lists, none of them in a cycle;
    without this the collector scans them again and again as they are allocated
    (a third of a page's conversion time). Leaves a disabled collector disabled.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
