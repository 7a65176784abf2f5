"""Arrow -> pandas: contract tables become the contract frame, one row per record id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from .._endpoints import CALLVOLUME, DurationUnit
from ._dtypes import DtypeBackend, arrow_schema, check_dtype_backend, pandas_types_mapper
from ._records_to_arrow import records_to_table, warn_drift

__all__ = ["empty_frame", "frame_from_tables", "keep_latest_versions", "records_to_frame"]


def frame_from_tables(
    tables: Iterable[pa_arrow.Table], *, dtype_backend: DtypeBackend = "numpy_nullable"
) -> pd.DataFrame:
    """Concatenate contract tables into the contract frame.

    Keeps one row per ``id`` (the highest ``version``; on a tie, the last seen),
    sorts by ``interval_start``, ``queue_id`` (then ``id``) and gives a RangeIndex.
    """
    check_dtype_backend(dtype_backend)
    pieces = list(tables)
    table = pa_arrow.concat_tables(pieces) if pieces else arrow_schema().empty_table()
    # Only ``table`` may hold the pages now, so that converting it frees them column by
    # column (self_destruct) instead of keeping a second copy of the data until the end.
    del pieces, tables
    table = keep_latest_versions(table)
    if not _is_sorted(table):
        table = table.sort_by([(name, "ascending") for name in CALLVOLUME.sort_keys])
    df = table.to_pandas(
        types_mapper=pandas_types_mapper(dtype_backend), self_destruct=True, split_blocks=True
    )
    del table
    df.index = pd.RangeIndex(len(df))
    return df


def _is_sorted(table: pa_arrow.Table) -> bool:
    """Whether the rows already follow (interval_start, queue_id, id), ids all distinct.

    The API sends records in that order, so the check (a few vectorised comparisons
    of neighbours) usually spares a sort that would copy every column.
    """
    if table.num_rows < 2:
        return True
    keys = [table[name] for name in CALLVOLUME.sort_keys]
    if any(key.null_count for key in keys):
        return False
    # Walk the keys from the last: "row i comes strictly before row i + 1".
    before: Any = None
    for key in reversed(keys):
        head, tail = key.slice(0, len(key) - 1), key.slice(1)
        less = pc.less(head, tail)
        before = less if before is None else pc.or_(less, pc.and_(pc.equal(head, tail), before))
    return bool(pc.all(before).as_py())


def keep_latest_versions(table: pa_arrow.Table) -> pa_arrow.Table:
    """One row per id: the highest version, and among equal versions the last received.

    ``table`` itself, untouched, when no id repeats (the usual case, told by one count),
    so callers need not check first.
    """
    id_column = CALLVOLUME.id_column
    if pc.count_distinct(table[id_column]).as_py() == table.num_rows:
        return table
    order = pa_arrow.array(range(table.num_rows), pa_arrow.int64())
    ranked = table.append_column("__order", order).append_column(
        "__version", pc.fill_null(table[CALLVOLUME.version_column], -1)
    )
    ranked = ranked.sort_by(
        [(id_column, "ascending"), ("__version", "descending"), ("__order", "descending")]
    )
    ids = ranked[id_column].combine_chunks()
    first = pc.not_equal(ids[1:], ids[:-1])
    keep = pa_arrow.concat_arrays(
        [
            pa_arrow.array([True]),
            first.combine_chunks() if isinstance(first, pa_arrow.ChunkedArray) else first,
        ]
    )
    # A null id cannot be told apart from another: keep every such row for the schema to flag.
    keep = pc.or_kleene(keep, pc.is_null(ids))
    return ranked.filter(keep).drop_columns(["__order", "__version"])


def records_to_frame(
    records: Sequence[Mapping[str, Any]],
    *,
    duration_unit: DurationUnit = "ms",
    dtype_backend: DtypeBackend = "numpy_nullable",
    warn_unknown: bool = True,
) -> pd.DataFrame:
    """Turn a list of API records (API field names) into a contract frame (not validated).

    Raises
    ------
    cvframe.ResponseError
        For a value the contract cannot hold, naming the field, the record id and the
        value as sent: text with a lone surrogate, a count that is not a whole number
        within 64 bits, a NaN or infinite number, a duration beyond
        :data:`MAX_DURATION_MS`, a timestamp that is not ISO 8601.

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a1", "queueId": "qu-1", "__v": 0,
    ...     "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
    ...     "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
    ...     "offeredContacts": 3, "conversationHandleTime": 68043}])
    >>> df.loc[0, "conversation_handle_time"]
    Timedelta('0 days 00:01:08.043000')
    """
    unknown: set[str] = set()
    table = records_to_table(records, duration_unit=duration_unit, unknown_fields=unknown)
    if warn_unknown:
        warn_drift(unknown, stacklevel=3)
    return frame_from_tables([table], dtype_backend=dtype_backend)


def empty_frame(dtype_backend: DtypeBackend = "numpy_nullable") -> pd.DataFrame:
    """A frame with no rows and the contract's columns and dtypes.

    Parameters
    ----------
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.

    Returns
    -------
    pandas.DataFrame
        What :func:`cvframe.read_callvolume` returns for a window without records.

    Examples
    --------
    >>> import cvframe
    >>> cvframe.empty_frame().shape
    (0, 25)
    """
    return frame_from_tables([], dtype_backend=dtype_backend)
