"""Which rows of a contract table a reader keeps: the ``queues=`` rule, once."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["QUEUE_COLUMNS", "queue_expression", "queue_mask"]

#: The columns a ``queues=`` entry is matched against: a queue is named by its id or
#: by its name.
QUEUE_COLUMNS = ("queue_id", "queue_name")


def queue_mask(table: pa.Table, queues: Sequence[str]) -> pa.ChunkedArray:
    """Which rows of ``table`` are of ``queues``: their ``queue_id`` or ``queue_name`` is listed.

    ``queues`` as :func:`cvframe._arguments.queue_list` gives it. A row without either
    is of no queue (False, never null). Any endpoint's table will do: the columns it
    has of the two are matched (the queues directory has only ``queue_id``).

    >>> import pyarrow as pa
    >>> table = pa.table({"queue_id": ["q-1", "q-2", None], "queue_name": ["A", "B", "C"]})
    >>> queue_mask(table, ["q-1", "C"]).to_pylist()
    [True, False, True]
    """
    present = [column for column in QUEUE_COLUMNS if column in table.column_names]
    if not present:
        raise ValueError(
            "queues= needs a table with a queue_id or queue_name column; this one has "
            f"{table.column_names}"
        )
    wanted = pa.array(list(queues), pa.string())
    matches = (pc.fill_null(pc.is_in(table[column], value_set=wanted), False) for column in present)
    return functools.reduce(pc.or_, matches)


def queue_expression(queues: Sequence[str]) -> pc.Expression:
    """:func:`queue_mask`'s rule as a filter expression, for a dataset scan to push down.

    >>> import pyarrow as pa
    >>> table = pa.table({"queue_id": ["q-1", "q-2", None], "queue_name": ["A", "B", "C"]})
    >>> table.filter(queue_expression(["q-1", "C"]))["queue_name"].to_pylist()
    ['A', 'C']
    """
    wanted = list(queues)
    return functools.reduce(operator.or_, (pc.field(c).isin(wanted) for c in QUEUE_COLUMNS))
