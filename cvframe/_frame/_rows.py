"""Which rows of a contract table a reader keeps: the ``queues=`` rule, once."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["queue_mask"]


def queue_mask(table: pa.Table, queues: Sequence[str]) -> pa.ChunkedArray:
    """Which rows of ``table`` are of ``queues``: their ``queue_id`` or ``queue_name`` is listed.

    ``queues`` as :func:`cvframe._arguments.queue_list` gives it. A row without either
    is of no queue (False, never null).

    >>> import pyarrow as pa
    >>> table = pa.table({"queue_id": ["q-1", "q-2", None], "queue_name": ["A", "B", "C"]})
    >>> queue_mask(table, ["q-1", "C"]).to_pylist()
    [True, False, True]
    """
    wanted = pa.array(list(queues), pa.string())
    return pc.or_(
        pc.fill_null(pc.is_in(table["queue_id"], value_set=wanted), False),
        pc.fill_null(pc.is_in(table["queue_name"], value_set=wanted), False),
    )
