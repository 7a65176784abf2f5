"""A row's natural key as one array: what upserts, pruning and moves compare rows by.

An endpoint names a row by its ``key_columns``: call volume by ``id`` alone, agent
performance by agent x interval x queue. :func:`row_keys` makes one array of them per
table, built once, so that every comparison is one ``is_in`` or ``index_in`` whatever
the key: a single key column is that column as it is (call volume's path is what it
always was); a composite key is one string per row, each part written as its length,
``:`` and its text (``-`` for a null part), so no two different keys can spell the
same string.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .._endpoints import CALLVOLUME, Endpoint

__all__ = ["key_columns", "row_keys", "version_values"]

#: What a null part of a composite key is written as (a part is otherwise "N:text").
_NULL_PART = "-"


def key_columns(endpoint: Endpoint) -> list[str]:
    """The columns of the endpoint's natural key, and its version column if it has one."""
    version = endpoint.version_column
    return [*endpoint.key_columns, *([version] if version is not None else [])]


def row_keys(table: pa.Table, endpoint: Endpoint = CALLVOLUME) -> pa.Array:
    """One value per row of ``table`` naming it by the endpoint's natural key.

    >>> import pyarrow as pa
    >>> from cvframe._endpoints import AGENT_PERFORMANCE
    >>> t = pa.table({"agent_id": ["a:1", "a"], "interval_start": [1, 2],
    ...               "queue_id": ["q", None]})
    >>> row_keys(t, AGENT_PERFORMANCE).to_pylist()
    ['3:a:11:11:q', '1:a1:2-']
    """
    names = endpoint.key_columns
    if len(names) == 1:
        column = table[names[0]]
        return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    parts = []
    for name in names:
        column = table[name]
        if pa.types.is_timestamp(column.type) or pa.types.is_duration(column.type):
            column = pc.cast(column, pa.int64())
        text = pc.cast(column, pa.string())
        length = pc.cast(pc.binary_length(text), pa.string())
        parts.append(pc.fill_null(pc.binary_join_element_wise(length, text, ":"), _NULL_PART))
    joined = pc.binary_join_element_wise(*parts, "")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def version_values(table: pa.Table, endpoint: Endpoint = CALLVOLUME) -> pa.Array:
    """Each row's version, -1 where it has none (or the endpoint has no versions)."""
    version = endpoint.version_column
    if version is None:
        return pa.array([-1] * table.num_rows, pa.int64())
    return pc.fill_null(table[version], -1)
