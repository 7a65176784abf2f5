"""Arrow -> pandas: contract tables become the contract frame, one row per natural key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from .._endpoints import CALLVOLUME, DurationUnit
from ._dtypes import (
    DtypeBackend,
    arrow_schema,
    check_dtype_backend,
    pandas_types_mapper,
    release_unused,
)
from ._per_endpoint import (
    EndpointLike,
    nullable_key_columns,
    record_columns,
    resolve,
)
from ._records_to_arrow import records_to_table, warn_drift
from ._validation import table_holds
from ._validation import validate as validate_frame

__all__ = [
    "RELEASE_ROWS",
    "count_distinct",
    "empty_frame",
    "frame_from_tables",
    "keep_latest_versions",
    "records_to_frame",
    "rows_in_order",
]


def frame_from_tables(
    tables: Iterable[pa_arrow.Table],
    *,
    endpoint: EndpointLike = CALLVOLUME,
    dtype_backend: DtypeBackend = "numpy_nullable",
    validate: bool = False,
    keys_unique: bool = False,
) -> pd.DataFrame:
    """Concatenate contract tables into the contract frame.

    Keeps one row per ``endpoint.key_columns`` (call volume: per ``id``), the highest
    version where the endpoint has one and else the last received, and each nested
    item (a record's skills, an agent's interval's queues) whole from its latest
    reading (see :func:`keep_latest_versions`); sorts by the
    endpoint's ``sort_keys``, rows they tie (an agent's events of one second) in the
    order they were received, and gives a RangeIndex.

    ``validate=True`` checks the frame as :func:`cvframe.validate` does, with the same
    :class:`cvframe.SchemaError` for a frame that breaks the contract, but on the Arrow
    table before it is converted (:func:`~cvframe._frame._validation.table_holds`):
    a few reductions, no second hash of the keys, and pandera only for the report.

    ``keys_unique=True`` says the caller has counted the keys already and no key
    repeats (a read's pass check over the record ids), so that they are not hashed
    again; only for endpoints whose items are the rows.
    """
    declared = resolve(endpoint)
    check_dtype_backend(dtype_backend)
    pieces = list(tables)
    table = pa_arrow.concat_tables(pieces) if pieces else arrow_schema(declared).empty_table()
    # Only ``table`` may hold the pages now, so that converting it frees them column by
    # column (self_destruct) instead of keeping a second copy of the data until the end.
    counts = [piece.num_rows for piece in pieces]
    del pieces, tables
    big = table.num_rows >= RELEASE_ROWS
    if big:
        # The pages' temporaries (the read's id hash, the per-page conversions) are
        # free in Arrow's pools but still resident: hand them back before the key's
        # hash below, and again before to_pandas allocates the numpy columns.
        release_unused()
    if not keys_unique:
        table = keep_latest_versions(table, endpoint=declared, pieces=counts)
    # Rows the sort keys tie keep the order they arrived in (sort_by is stable): an
    # agent's events of one second say, by their order, which state the agent ended in.
    order = declared.sort_keys
    if not rows_in_order(table, order):
        table = table.sort_by([(name, "ascending") for name in order])
    holds = table_holds(table, declared) if validate else True
    if big and not keys_unique:
        release_unused()  # the key's hash
    if table.nbytes >= _COLUMN_BY_COLUMN_BYTES:
        held = [table]
        del table  # only held may keep the chunks, so that converting frees them
        df = _frame_column_by_column(held, dtype_backend)
    else:
        df = table.to_pandas(
            types_mapper=pandas_types_mapper(dtype_backend), self_destruct=True, split_blocks=True
        )
        del table
        for index, column in enumerate(df.columns):
            array = df[column].array
            if _read_only(array):
                df.isetitem(index, array.copy())
    df.index = pd.RangeIndex(len(df))
    if not holds:
        validate_frame(df, endpoint=declared, dtype_backend=dtype_backend)  # the report
    return df


def _frame_column_by_column(
    held: list[pa_arrow.Table], dtype_backend: DtypeBackend
) -> pd.DataFrame:
    """The frame of the table ``held`` holds (taken out of it), one column at a time.

    What ``to_pandas(self_destruct=True)`` does, but each column's Arrow memory is
    freed, and handed back to the system every :data:`_RELEASE_BYTES`, before the
    next column is converted: a column of a thousand page-sized chunks becomes a new
    array, and the chunks it freed would otherwise stay resident until the end,
    under every new column (the read of a million records peaked some 200 MB
    higher). The frame is built from the columns without a copy or consolidation
    (``copy=False`` keeps one block per column, as ``split_blocks=True`` does); every
    column is pandas' own, writable memory (:func:`_read_only`).
    """
    table = held.pop()
    mapper = pandas_types_mapper(dtype_backend)
    names = table.column_names
    arrays: dict[str, Any] = {}
    freed = trimmed = 0
    for name in names:
        column = table.select([0])
        table = table.remove_column(0)  # column holds the last reference to it now
        freed += column.nbytes
        array = column.to_pandas(types_mapper=mapper, self_destruct=True, split_blocks=True)[
            name
        ].array
        del column
        arrays[name] = array.copy() if _read_only(array) else array
        del array
        if freed >= _RELEASE_BYTES:
            trimmed += freed
            release_unused(trim=trimmed >= _TRIM_BYTES)  # malloc_trim walks the whole heap
            trimmed = 0 if trimmed >= _TRIM_BYTES else trimmed
            freed = 0
    release_unused()
    return pd.DataFrame(arrays, columns=names, copy=False)


def _read_only(array: Any) -> bool:
    """Whether a pandas array sits on memory it cannot write: Arrow's, which
    ``to_pandas`` hands over in place for a one-chunk time or duration column. An
    assignment into such a column raised (pandas 3) or made it ``object`` (2.2)."""
    data = getattr(array, "_ndarray", None)  # DatetimeArray, TimedeltaArray
    return isinstance(data, np.ndarray) and not data.flags.writeable


#: How many bytes of columns :func:`_frame_column_by_column` converts between hand-backs
#: of Arrow's pools, and between ``malloc_trim`` calls (which walk the whole heap: a
#: few to tens of milliseconds on a fragmented one).
_RELEASE_BYTES = 16 * 2**20
_TRIM_BYTES = 64 * 2**20
#: Tables of at least this many bytes (about 450,000 call-volume records) become a
#: frame column by column: it costs some 10% more time than one ``to_pandas``, and
#: saves about half the table's size at the peak.
_COLUMN_BY_COLUMN_BYTES = 128 * 2**20

#: Tables of at least this many rows hand the memory Arrow freed back to the system
#: around ``to_pandas`` (a few milliseconds; the read of a million records keeps
#: ~100 MB less resident at its peak).
RELEASE_ROWS = 100_000


def rows_in_order(table: pa_arrow.Table, sort_keys: Sequence[str] = CALLVOLUME.sort_keys) -> bool:
    """Whether the rows already follow ``sort_keys`` strictly (no two rows tie).

    The API sends call-volume records in that order (interval_start, queue_id, id), so
    the check (a few vectorised comparisons of neighbours) usually spares a sort that
    would copy every column.
    """
    if table.num_rows < 2:
        return True
    keys = [table[name] for name in sort_keys]
    if any(key.null_count for key in keys):
        return False
    # Walk the keys from the last: "row i comes strictly before row i + 1".
    before: Any = None
    for key in reversed(keys):
        head, tail = key.slice(0, len(key) - 1), key.slice(1)
        less = pc.less(head, tail)
        before = less if before is None else pc.or_(less, pc.and_(pc.equal(head, tail), before))
    return bool(pc.all(before).as_py())


def keep_latest_versions(
    table: pa_arrow.Table,
    *,
    endpoint: EndpointLike = CALLVOLUME,
    pieces: Sequence[int] | None = None,
) -> pa_arrow.Table:
    """One row per natural key: the highest version, and among equal versions the last received.

    The key is ``endpoint.key_columns`` (call volume: ``id``); an endpoint without a
    version keeps the last received. Where one item gives many rows (a record's skills,
    an agent's interval's queues: see :func:`record_columns`), the item is kept whole
    from its latest reading (its highest version, else the last received), so that a
    skill or queue a newer reading no longer lists is dropped, not left from the old
    one. A reading is a run of consecutive rows of one item (and one version), as
    :func:`records_to_table` gives them; an item that newly lists no rows at all (an
    empty ``skillBreakdown``) cannot drop its old rows. ``pieces``, the row counts of
    the tables ``table`` was concatenated from (as :func:`frame_from_tables` passes
    them), ends a reading at each table's end too: without it, an unversioned item
    whose two readings end one table and begin the next reads as one reading.

    The rows kept are in the order they were received (a row read twice at the place
    of its kept reading), so that sorting them stably keeps the API's order where the
    sort keys tie. ``table`` itself, untouched, when no key repeats and no item was read twice (the
    usual case, told by one count for a one-column key), so callers need not check
    first. A row whose key leaves a required column null cannot be told apart from
    another: every such row is kept, for the schema to flag.
    """
    declared = resolve(endpoint)
    keys = declared.key_columns
    record = record_columns(declared)
    if table.num_rows < 2:
        return table
    repeats = _distinct(table, keys) != table.num_rows
    if not record and not repeats:
        return table  # the call-volume path: one count
    nullable = nullable_key_columns(declared)
    order = pa_arrow.array(range(table.num_rows), pa_arrow.int64())
    ranked = table.append_column("__order", order)
    versioned = declared.version_column is not None
    if versioned:
        version = pc.fill_null(table[declared.version_column], -1)
        ranked = ranked.append_column("__version", version)
    if record:
        run_key = (*record, "__version") if versioned else record
        starts = _first_of_each_key(ranked, run_key, nullable)
        if pieces is not None:
            starts = pc.or_(starts, _piece_starts(pieces, table.num_rows))
        runs = pc.cumulative_sum(starts.cast(pa_arrow.int64()))
        if not repeats and pc.max(runs).as_py() == _distinct(table, record):
            return table
        ranked = _latest_reading_of_each_record(
            ranked.append_column("__run", runs), record, nullable
        )
    ranking = [(key, "ascending") for key in keys]
    if versioned:
        ranking.append(("__version", "descending"))
    ranking.append(("__order", "descending"))
    ranked = ranked.sort_by(ranking)
    keep = _first_of_each_key(ranked, keys, nullable)
    # Back in the order received, so that a stable sort keeps ties as the API sent them.
    kept = ranked.filter(keep).sort_by([("__order", "ascending")])
    return kept.drop_columns(
        [name for name in ("__order", "__version") if name in kept.column_names]
    )


def _piece_starts(pieces: Sequence[int], num_rows: int) -> pa_arrow.Array:
    """True at the first row of each piece (tables of ``pieces`` rows, one after another)."""
    if sum(pieces) != num_rows:
        raise ValueError(f"pieces= counts {sum(pieces)} rows; the table has {num_rows}")
    starts = np.zeros(num_rows, dtype=bool)
    firsts = np.cumsum([0, *pieces[:-1]], dtype=np.int64)
    starts[firsts[firsts < num_rows]] = True
    return pa_arrow.array(starts, pa_arrow.bool_())


def _distinct(table: pa_arrow.Table, columns: Sequence[str]) -> int:
    """How many distinct values ``columns`` take in ``table`` (one count for one column)."""
    if len(columns) == 1:
        return count_distinct(table[columns[0]])
    return int(table.group_by(list(columns)).aggregate([]).num_rows)


def count_distinct(values: pa_arrow.Array | pa_arrow.ChunkedArray) -> int:
    """How many distinct non-null values ``values`` holds.

    ``pc.unique``'s length, less the null it holds when there are nulls: on 100k ids in
    100 chunks that is two to three times faster than ``pc.count_distinct``.

    >>> count_distinct(pa_arrow.chunked_array([["a", "b"], ["b", None]]))
    2
    """
    unique = pc.unique(values)
    return len(unique) - (unique.null_count > 0)


def _latest_reading_of_each_record(
    ranked: pa_arrow.Table, record: Sequence[str], nullable: frozenset[str]
) -> pa_arrow.Table:
    """The rows of each item's latest reading (``__run``): highest ``__version``, then last."""
    ordering = [(key, "ascending") for key in record]
    if "__version" in ranked.column_names:
        ordering.append(("__version", "descending"))
    ordering.append(("__run", "descending"))
    by_record = ranked.sort_by(ordering)
    runs = by_record["__run"].combine_chunks()
    first = _first_of_each_key(by_record, record, nullable)
    latest = pc.fill_null_forward(pc.if_else(first, runs, pa_arrow.scalar(None, pa_arrow.int64())))
    return by_record.filter(pc.equal(runs, latest)).drop_columns(["__run"])


def _first_of_each_key(
    ranked: pa_arrow.Table, keys: Sequence[str], nullable: frozenset[str]
) -> pa_arrow.Array:
    """True for the first row of each run of equal keys in ``ranked`` (sorted by them)."""
    starts: Any = None
    for key in keys:
        values = ranked[key].combine_chunks()
        head, tail = values[:-1], values[1:]
        differs = pc.not_equal(tail, head)
        if key in nullable:
            # Two nulls are the same value here (no reason given), a null and a value not.
            differs = pc.if_else(
                pc.is_null(differs), pc.xor(pc.is_null(tail), pc.is_null(head)), differs
            )
        else:
            # A null in a key that must name the row: the row stands alone.
            differs = pc.fill_null(differs, True)
        starts = differs if starts is None else pc.or_(starts, differs)
    return pa_arrow.concat_arrays([pa_arrow.array([True]), starts])


def records_to_frame(
    records: Sequence[Mapping[str, Any]],
    *,
    endpoint: EndpointLike = "callvolume",
    duration_unit: DurationUnit = "ms",
    dtype_backend: DtypeBackend = "numpy_nullable",
    warn_unknown: bool = True,
    time_zone: str = "UTC",
    window: tuple[Any, Any] | None = None,
) -> pd.DataFrame:
    """Turn a list of API items, as a page sends them, into a contract frame (not validated).

    Parameters
    ----------
    records : list of dict
        The items of one or more pages (API field names, nested as sent: agent
        performance's agents with their intervals and queues, call-volume records
        with their ``skillBreakdown`` for ``"skillvolume"``).
    endpoint : str, default "callvolume"
        Whose items: ``"callvolume"``, ``"skillvolume"``, ``"agentperformance"``,
        ``"agentactivity"``, ``"queues"`` or ``"agents"``.
    duration_unit : {"ms", "s"}, default "ms"
        The unit the items' durations are in.
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    warn_unknown : bool, default True
        Name the fields the contract does not know in one :class:`cvframe.SchemaDriftWarning`.
    time_zone : str, default "UTC"
        The zone (an IANA name, or an offset such as ``"+05:30"``) of the times an
        endpoint sends without one (agent activity's ``EventTime``); the frame holds
        them in UTC. Across a daylight-saving change: a time of the repeated autumn
        hour is its reading inside ``window`` when only one is, else placed by the
        order each agent's events arrive in (refused where neither tells); a time of
        the skipped spring hour is moved forward to the change (2:30 is read as 3:00).
    window : tuple of two times, optional
        ``(lo, hi)``: the window of the request the items answer (UTC when naive),
        which places the repeated autumn hour's times (see ``time_zone``). A window
        that ends or starts at the change holds one reading only.

    Returns
    -------
    pandas.DataFrame
        One row per natural key of the endpoint, sorted, with the contract's dtypes.

    Raises
    ------
    cvframe.ResponseError
        For a value the contract cannot hold, naming the field, the record id and the
        value as sent: text with a lone surrogate, a count that is not a whole number
        within 64 bits, a NaN or infinite number, a duration beyond
        :data:`MAX_DURATION_MS`, a timestamp that is not ISO 8601 (or in the
        endpoint's own spelling), a nesting list that is not a list, one field sent
        in two spellings with different values; for ``"skillvolume"``, items none of
        which holds ``skillBreakdown`` though one had offered contacts (the server
        ignored ``includeSkillBreakdown``; a record without it among others that have
        it gives no rows, an empty list means no skills).
    ValueError
        For an unknown ``endpoint``, ``dtype_backend``, ``duration_unit`` or
        ``time_zone``, or a ``window`` that is not two times, the first before the other.

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
    >>> events = cvframe.records_to_frame(
    ...     [{"AgentId": "a-1", "EventTime": "10/20/2020 2:13:12", "Activity": "notready",
    ...       "ReasonCode": "1"}],
    ...     endpoint="agentactivity", time_zone="America/New_York")
    >>> events.loc[0, "event_time"]
    Timestamp('2020-10-20 06:13:12+0000', tz='UTC')
    """
    declared = resolve(endpoint)
    unknown: set[str] = set()
    table = records_to_table(
        records,
        endpoint=declared,
        duration_unit=duration_unit,
        unknown_fields=unknown,
        time_zone=time_zone,
        window=window,
    )
    if warn_unknown:
        warn_drift(unknown, stacklevel=3)
    return frame_from_tables([table], endpoint=declared, dtype_backend=dtype_backend)


def empty_frame(
    dtype_backend: DtypeBackend = "numpy_nullable", *, endpoint: EndpointLike = "callvolume"
) -> pd.DataFrame:
    """A frame with no rows and the contract's columns and dtypes.

    Parameters
    ----------
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    endpoint : str, default "callvolume"
        Whose contract: ``"callvolume"``, ``"skillvolume"``, ``"agentperformance"``,
        ``"agentactivity"``, ``"queues"`` or ``"agents"``.

    Returns
    -------
    pandas.DataFrame
        What :func:`cvframe.read_callvolume` (or the endpoint's reader) returns for a
        window without records.

    Examples
    --------
    >>> import cvframe
    >>> cvframe.empty_frame().shape
    (0, 25)
    >>> list(cvframe.empty_frame(endpoint="agents").columns)
    ['account_id', 'agent_id', 'first_name', 'last_name']
    """
    return frame_from_tables([], endpoint=endpoint, dtype_backend=dtype_backend)
