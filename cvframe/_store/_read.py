"""Reading a snapshot back: read_snapshot() with filters pushed down, its high-water mark."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from .._arguments import queue_list
from .._errors import SnapshotError
from .._frame import (
    DtypeBackend,
    arrow_schema,
    check_dtype_backend,
    column_names,
    keep_latest_versions,
    pandas_types_mapper,
    queue_mask,
)
from .._frame import validate as validate_frame
from .._times import TimeLike, to_utc
from ._days import DayFiles, day_files
from ._filters import ms_scalar, row_filter, window_days
from ._format import REWRITE_HINT, check_file_schema
from ._layout import PARTITION_FIELD, PARTITIONING, SORT_KEYS
from ._location import snapshot_location

__all__ = ["high_water_mark", "open_dataset", "read_snapshot"]


def high_water_mark(
    days: DayFiles,
    *,
    before: pd.Timestamp | None = None,
    queues: Sequence[str] | None = None,
) -> pd.Timestamp | None:
    """The latest ``interval_start`` stored in ``days`` (below ``before``, of ``queues``), or None.

    ``sync`` passes its window end as ``before``: a stored record dated far in the
    future (sent by mistake, or written by hand) must not stop it from reading. A
    sync of some queues passes them, so that it resumes from where those queues
    were synced, whatever another sync stored for other queues.
    """
    _, last_day = window_days(None, before)
    columns = ["interval_start"] if queues is None else ["interval_start", "queue_id", "queue_name"]
    for day in reversed(days.days()):
        if last_day is not None and day > last_day:
            continue
        where = days.where(day)
        with days.open(day, "find the high-water mark") as file:
            check_file_schema(file.schema_arrow, where)
            lacking = [c for c in columns if c not in file.schema_arrow.names]
            if lacking:
                raise SnapshotError(
                    f"{where} lacks the column(s) {', '.join(lacking)}, which cvframe needs "
                    "to find the high-water mark (did another tool rewrite it?); "
                    f"{REWRITE_HINT}"
                )
            stored = file.read(columns=columns)
        starts = stored["interval_start"]
        if queues is not None:
            starts = starts.filter(queue_mask(stored, queues))
        if before is not None:
            starts = starts.filter(pc.less(starts, ms_scalar(before)))
        latest = pc.max(starts).as_py()
        if latest is not None:
            return pd.Timestamp(latest).tz_convert("UTC")
    return None


def _requested_columns(columns: Sequence[str] | None) -> list[str]:
    """The contract columns ``columns`` names (all when None); ValueError for others."""
    names = column_names()
    if columns is None:
        return names
    if isinstance(columns, str):
        raise ValueError("columns must be a list of column names, not one string")
    wanted = list(columns)
    unknown = [c for c in wanted if c not in names]
    if unknown or not wanted:
        raise ValueError(
            f"columns {unknown or wanted} are not call-volume columns; choose from "
            + ", ".join(names)
        )
    return wanted


def open_dataset(days: DayFiles) -> ds.Dataset:
    """The snapshot ``days`` as a pyarrow dataset (hive partitions, contract schema)."""
    schema = arrow_schema().append(pa.field(PARTITION_FIELD, pa.string()))
    location = days.location
    source = location.local_path if location.is_local else location.root
    return ds.dataset(
        source,
        format="parquet",
        partitioning=PARTITIONING,
        schema=schema,
        filesystem=location.filesystem,
    )


def _shown(days: DayFiles, path: str) -> str:
    """A file the dataset found, as messages show it (the URL in an object store)."""
    location = days.location
    if location.is_local:
        return path
    inside = path.lstrip("/").removeprefix(location.root.lstrip("/")).lstrip("/")
    return location.child_url(inside)


def read_snapshot(
    path: str | os.PathLike[str],
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    queues: str | Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
    dtype_backend: DtypeBackend = "numpy_nullable",
    validate: bool = True,
    storage_options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Read a Parquet snapshot back into a call-volume frame.

    The filters are pushed down to pyarrow's dataset scanner: days outside
    ``[start, end)`` are not opened at all, and row groups are skipped by their
    statistics.

    Parameters
    ----------
    path : str or os.PathLike
        A directory written by :func:`write_snapshot` or :func:`sync`, or an
        object-store URL (``s3://bucket/prefix``, ``gs://``, ``abfs://``, ``memory://``).
    start, end : str, datetime or Timestamp, optional
        Keep intervals with ``start <= interval_start < end`` (UTC when naive).
    queues : str or list of str, optional
        Keep only these queues, given by queue id or queue name.
    columns : list of str, optional
        Read only these contract columns, in this order (default: all of them).
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    validate : bool, default True
        Check a full frame (``columns=None``) against the contract.
    storage_options : dict, optional
        For a URL: the fsspec filesystem's options (credentials, ``endpoint_url``...),
        as pandas' readers take them. Never shown in messages.

    Returns
    -------
    pandas.DataFrame
        The contract's columns and dtypes, one row per record, sorted by
        ``interval_start``, ``queue_id`` and ``id``, with a RangeIndex.

    Raises
    ------
    cvframe.SnapshotError
        If ``path`` is not a directory (no objects under a URL), a file in the window
        is not readable
        Parquet, or holds another schema version.
    ValueError
        For unknown columns, unparseable times or ``end <= start``.

    Examples
    --------
    >>> import tempfile, cvframe
    >>> df = cvframe.records_to_frame([
    ...     {"_id": f"r{day}", "queueId": "qu-1", "queueName": "Billing", "__v": 0,
    ...      "intervalStartTimeStamp": f"2023-06-0{day}T09:45:00.000Z",
    ...      "intervalEndTimeStamp": f"2023-06-0{day}T10:00:00.000Z",
    ...      "offeredContacts": day, "acwDuration": 3949}
    ...     for day in (1, 2, 3)])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cvframe.write_snapshot(df, tmp)
    ...     part = cvframe.read_snapshot(tmp, start="2023-06-02", end="2023-06-03",
    ...                                  columns=["interval_start", "acw_duration"])
    >>> part
                 interval_start    acw_duration
    0 2023-06-02 09:45:00+00:00 0 days 00:00:03.949000
    """
    days = day_files(snapshot_location(path, storage_options))
    if not days.exists():
        raise SnapshotError(
            f"no snapshot at {days.url}: create one with cvframe.write_snapshot or cvframe sync"
        )
    wanted = _requested_columns(columns)
    backend = check_dtype_backend(dtype_backend)
    begin = to_utc(start, "start") if start is not None else None
    stop = to_utc(end, "end") if end is not None else None
    if begin is not None and stop is not None and stop <= begin:
        raise ValueError(f"end ({stop}) must be after start ({begin})")
    expr = row_filter(begin, stop, queue_list(queues))
    needed = list(dict.fromkeys([*wanted, "id", "version", "interval_start", "queue_id"]))
    # A store's client raises its own errors too (botocore's, aiohttp's): all are a
    # SnapshotError there, with credentials masked and no chained traceback to leak them.
    local = days.location.is_local
    errors: tuple[type[BaseException], ...] = (
        (OSError, pa.ArrowException) if local else (Exception,)
    )
    try:
        dataset = open_dataset(days)
        for fragment in dataset.get_fragments(filter=expr):
            check_file_schema(fragment.physical_schema, _shown(days, fragment.path))
        table = dataset.to_table(columns=needed, filter=expr)
    except SnapshotError:
        raise
    except errors as exc:
        detail = days.location.redact(str(exc))
        raise SnapshotError(f"cannot read the snapshot at {days.url}: {detail}") from (
            exc if local else None
        )
    # Ids never repeat as written; a hand-copied file could make them.
    table = keep_latest_versions(table).sort_by(SORT_KEYS).select(wanted)
    df = table.to_pandas(types_mapper=pandas_types_mapper(backend))
    df.index = pd.RangeIndex(len(df))
    if validate and columns is None:
        validate_frame(df, dtype_backend=backend)
    return df
