"""Row blocks: long columns read a block of rows at a time, so temporaries stay small.

A vectorised step over a 10-million-row column allocates its temporaries at the
column's length (a boolean mask is 10 MB, a float 80 MB), each one fresh memory that
the kernel maps page by page and takes back when it is freed: on a large frame that
was a third of the analytics' time, and the part that varied most between runs. The
same step done on blocks of :data:`BLOCK_ROWS` rows gives the same values (the steps
are elementwise) from temporaries that fit in the cache and that the allocator hands
out again block after block.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = [
    "BLOCK_ROWS",
    "NONE_MISSING",
    "THREAD_ROWS",
    "each_block",
    "is_sorted",
    "none_missing",
    "row_blocks",
    "threaded",
    "workers",
]

#: Rows per block: 64k rows, half a megabyte of float64 per temporary.
BLOCK_ROWS = 1 << 16


def row_blocks(n: int, size: int | None = None) -> Iterator[slice]:
    """Slices that cover ``range(n)`` in order, ``size`` rows each (the last may be shorter).

    ``size`` is :data:`BLOCK_ROWS` unless given (read at each call, so a test can
    shrink it to make small frames cross block boundaries).
    """
    size = size or BLOCK_ROWS
    for begin in range(0, n, size):
        yield slice(begin, min(begin + size, n))


#: The missing-value mask of a column without missing values, for one row.
NONE_MISSING = np.zeros(1, dtype=bool)
NONE_MISSING.flags.writeable = False


def none_missing(n: int) -> np.ndarray:
    """A read-only all-False mask of ``n`` rows that takes no memory (a broadcast view)."""
    return np.broadcast_to(NONE_MISSING[0], (n,))


def is_sorted(values: np.ndarray) -> bool:
    """Whether ``values`` never decreases, compared a block of neighbours at a time."""
    for block in row_blocks(max(len(values) - 1, 0)):
        if not bool(np.all(values[block.start + 1 : block.stop + 1] >= values[block])):
            return False
    return True


#: Rows from which :func:`each_block` shares the blocks between two threads.
THREAD_ROWS = 1 << 20


def workers() -> int:
    """The threads a step may use: 2, or 1 on a machine with one core for this process."""
    try:
        return min(2, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return min(2, os.cpu_count() or 1)


def threaded(n: int) -> bool:
    """Whether a step over ``n`` rows is shared between two threads (see :data:`THREAD_ROWS`)."""
    return n >= THREAD_ROWS and workers() > 1


def each_block(step: Callable[[slice], None], n: int) -> None:
    """Call ``step`` on every block of ``range(n)``; on two threads for a long column.

    ``step`` must only write its own block's rows of its outputs. numpy releases the
    GIL inside its loops, so two threads do an elementwise step over a long column in
    about half the time where a second core is free; below :data:`THREAD_ROWS` rows,
    or with one core, the blocks are done in order on this thread.
    """
    blocks = list(row_blocks(n))
    if not threaded(n) or len(blocks) < 2:
        for block in blocks:
            step(block)
        return
    with ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="cvframe-block") as pool:
        for _ in pool.map(step, blocks):  # (raises the first step's error, if any)
            pass
