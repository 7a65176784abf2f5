"""Reading a snapshot back: read_snapshot() with filters pushed down, its high-water mark."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arguments import queue_list
from .._endpoints import CALLVOLUME, Endpoint, endpoint_named
from .._errors import SnapshotError
from .._frame import (
    DtypeBackend,
    arrow_schema,
    check_dtype_backend,
    column_names,
    keep_latest_versions,
    pandas_types_mapper,
    queue_mask,
    rows_in_order,
    table_holds,
    with_window,
)
from .._frame import validate as validate_frame
from .._times import TimeLike, to_utc
from ._contract import has_queues
from ._days import DayFiles, day_files
from ._filters import ms_scalar, row_filter, window_days
from ._format import check_file_schema, file_endpoint, rewrite_hint
from ._keys import key_columns
from ._layout import PARTITION_FIELD, partition_column, partitioning, sort_keys
from ._location import SnapshotLocation, snapshot_location

if TYPE_CHECKING:
    import pyarrow.dataset as ds

__all__ = [
    "high_water_mark",
    "open_dataset",
    "read_snapshot",
    "snapshot_endpoint",
    "stored_endpoint",
]


def high_water_mark(
    days: DayFiles,
    *,
    before: pd.Timestamp | None = None,
    queues: Sequence[str] | None = None,
) -> pd.Timestamp | None:
    """The latest interval time stored in ``days`` (below ``before``, of ``queues``), or None.

    The interval time is the endpoint's interval column: ``interval_start``, or
    ``event_time`` for agent activity. ``sync`` passes its window end as ``before``: a
    stored record dated far in the future (sent by mistake, or written by hand) must
    not stop it from reading. A sync of some queues passes them, so that it resumes
    from where those queues were synced, whatever another sync stored for other queues.
    """
    endpoint = days.endpoint
    column = partition_column(endpoint)
    _, last_day = window_days(None, before)
    columns = [column] if queues is None else [column, "queue_id", "queue_name"]
    for day in reversed(days.days()):
        if last_day is not None and day > last_day:
            continue
        where = days.where(day)
        with days.open(day, "find the high-water mark") as file:
            check_file_schema(file.schema_arrow, where, endpoint)
            lacking = [c for c in columns if c not in file.schema_arrow.names]
            if lacking:
                raise SnapshotError(
                    f"{where} lacks the column(s) {', '.join(lacking)}, which cvframe needs "
                    "to find the high-water mark (did another tool rewrite it?); "
                    f"{rewrite_hint(endpoint)}"
                )
            stored = file.read(columns=columns)
        starts = stored[column]
        if queues is not None:
            starts = starts.filter(queue_mask(stored, queues))
        if before is not None:
            starts = starts.filter(pc.less(starts, ms_scalar(before)))
        latest = pc.max(starts).as_py()
        if latest is not None:
            return pd.Timestamp(latest).tz_convert("UTC")
    return None


def _requested_columns(columns: Sequence[str] | None, endpoint: Endpoint) -> list[str]:
    """The contract columns ``columns`` names (all when None); ValueError for others."""
    names = column_names(endpoint)
    if columns is None:
        return names
    if isinstance(columns, str):
        raise ValueError("columns must be a list of column names, not one string")
    wanted = list(columns)
    unknown = [c for c in wanted if c not in names]
    if unknown or not wanted:
        raise ValueError(
            f"columns {unknown or wanted} are not {endpoint.label} columns; choose from "
            + ", ".join(names)
        )
    return wanted


def open_dataset(days: DayFiles) -> ds.Dataset:
    """The snapshot ``days`` as a pyarrow dataset (hive partitions, its endpoint's schema)."""
    return _dataset(days.location, arrow_schema(days.endpoint))


def _dataset(location: SnapshotLocation, schema: pa.Schema) -> ds.Dataset:
    """The day files at ``location`` as a pyarrow dataset of ``schema`` and the partition."""
    import pyarrow.dataset as ds  # on first use: not with ``import cvframe``

    source = location.local_path if location.is_local else location.root
    return ds.dataset(
        source,
        format="parquet",
        partitioning=partitioning(),
        schema=schema.append(pa.field(PARTITION_FIELD, pa.string())),
        filesystem=location.filesystem,
    )


def stored_endpoint(
    location: SnapshotLocation, begin: pd.Timestamp | None = None, stop: pd.Timestamp | None = None
) -> Endpoint:
    """The endpoint the snapshot at ``location`` holds, as its files' metadata say.

    A file of the window ``[begin, stop)`` tells, when there is one (reading it is what
    the read does anyway); else any file does. An empty snapshot holds call volume.
    """
    import pyarrow.dataset as ds

    first, last = window_days(begin, stop)
    day = ds.field(PARTITION_FIELD)
    inside = [
        *([day >= first] if first is not None else []),
        *([day <= last] if last is not None else []),
    ]
    dataset = _dataset(location, pa.schema([]))
    for expr in ([inside[0] & inside[-1]] if inside else []) + [None]:
        for fragment in dataset.get_fragments(filter=expr):
            name = file_endpoint(fragment.physical_schema)
            if name is None:
                continue  # not cvframe's: the read's own check names it
            try:
                return endpoint_named(name)
            except ValueError:
                raise SnapshotError(
                    f"{fragment.path} holds rows of {name!r}, an endpoint this cvframe does "
                    "not know; read it with the cvframe that wrote it"
                ) from None
    return CALLVOLUME


def snapshot_endpoint(
    path: str | os.PathLike[str], *, storage_options: Mapping[str, Any] | None = None
) -> str:
    """The name of the endpoint the snapshot at ``path`` holds (``"callvolume"`` if empty)."""
    location = snapshot_location(path, storage_options)
    with _reading(location, location.url):
        return stored_endpoint(location).name


def _shown(location: SnapshotLocation, path: str) -> str:
    """A file the dataset found, as messages show it (the URL in an object store)."""
    if location.is_local:
        return path
    inside = path.lstrip("/").removeprefix(location.root.lstrip("/")).lstrip("/")
    return location.child_url(inside)


@contextlib.contextmanager
def _reading(location: SnapshotLocation, url: str) -> Iterator[None]:
    """Turn an error met reading the snapshot at ``url`` into a SnapshotError."""
    # A store's client raises its own errors too (botocore's, aiohttp's): all are a
    # SnapshotError there, with credentials masked and no chained traceback to leak them.
    local = location.is_local
    errors: tuple[type[BaseException], ...] = (
        (OSError, pa.ArrowException) if local else (Exception,)
    )
    try:
        yield
    except SnapshotError:
        raise
    except errors as exc:
        detail = location.redact(str(exc))
        raise SnapshotError(f"cannot read the snapshot at {url}: {detail}") from (
            exc if local else None
        )


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
    endpoint: str | Endpoint | None = None,
) -> pd.DataFrame:
    """Read a Parquet snapshot back into a frame of the endpoint it holds.

    The filters are pushed down to pyarrow's dataset scanner: days outside
    ``[start, end)`` are not opened at all, and row groups are skipped by their
    statistics. A snapshot holds one endpoint (call volume, skill volume, agent
    performance or agent activity), named in each file's metadata.

    Parameters
    ----------
    path : str or os.PathLike
        A directory written by :func:`write_snapshot` or :func:`sync`, or an
        object-store URL (``s3://bucket/prefix``, ``gs://``, ``abfs://``, ``memory://``).
    start, end : str, datetime or Timestamp, optional
        Keep rows with ``start <= interval_start < end`` (``event_time`` for agent
        activity; UTC when naive).
    queues : str or list of str, optional
        Keep only these queues, given by queue id or queue name (not for agent
        activity, whose rows are of no queue).
    columns : list of str, optional
        Read only these contract columns, in this order (default: all of them).
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    validate : bool, default True
        Check a full frame (``columns=None``) against the contract.
    storage_options : dict, optional
        For a URL: the fsspec filesystem's options (credentials, ``endpoint_url``...),
        as pandas' readers take them. Never shown in messages.
    endpoint : str, optional
        The endpoint the snapshot must hold: ``"callvolume"``, ``"skillvolume"``,
        ``"agentperformance"`` or ``"agentactivity"``. None (the default) reads what
        the snapshot's files say they hold (call volume for an empty snapshot, or one
        written before snapshots held other endpoints).

    Returns
    -------
    pandas.DataFrame
        The endpoint's columns and dtypes, one row per natural key (a record id for
        call volume), sorted by its sort keys (``interval_start``, ``queue_id`` and
        ``id`` for call volume), with a RangeIndex.

    Raises
    ------
    cvframe.SnapshotError
        If ``path`` is not a directory (no objects under a URL), a file in the window
        is not readable Parquet, holds another schema version, or holds another
        endpoint than ``endpoint`` (or than the other files).
    ValueError
        For unknown columns, unparseable times or ``end <= start``; for
        ``endpoint="queues"`` or ``"agents"`` (directories, not history: read them
        with :func:`cvframe.read_queues` and :func:`cvframe.read_agents`).

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
    declared = None if endpoint is None else endpoint_named(endpoint)
    if declared is not None:
        partition_column(declared)  # a directory endpoint is refused before any I/O
    location = snapshot_location(path, storage_options)
    probe = day_files(location)
    if not probe.exists():
        raise SnapshotError(
            f"no snapshot at {probe.url}: create one with cvframe.write_snapshot or cvframe sync"
        )
    backend = check_dtype_backend(dtype_backend)
    begin = to_utc(start, "start") if start is not None else None
    stop = to_utc(end, "end") if end is not None else None
    if begin is not None and stop is not None and stop <= begin:
        raise ValueError(f"end ({stop}) must be after start ({begin})")
    wanted_queues = queue_list(queues)
    if declared is not None:
        _requested_columns(columns, declared)  # unknown columns: before any I/O
    with _reading(location, probe.url):
        chosen = declared or stored_endpoint(location, begin, stop)
    if wanted_queues is not None and not has_queues(chosen):
        raise ValueError(f"queues= does not apply to {chosen.name}: its rows are of no queue")
    wanted = _requested_columns(columns, chosen)
    expr = row_filter(begin, stop, wanted_queues, partition_column(chosen))
    needed = list(dict.fromkeys([*wanted, *key_columns(chosen), *chosen.sort_keys]))
    with _reading(location, probe.url):
        dataset = open_dataset(day_files(location, chosen))
        for fragment in dataset.get_fragments(filter=expr):
            where = _shown(location, fragment.path)
            holds = file_endpoint(fragment.physical_schema)
            if declared is None and holds is not None and holds != chosen.name:
                raise SnapshotError(
                    f"the snapshot at {probe.url} mixes endpoints: {where} holds {holds} "
                    f"rows, other days {chosen.name} rows. A snapshot holds one endpoint: "
                    "move one endpoint's days to a path of its own"
                )
            check_file_schema(fragment.physical_schema, where, chosen)
        table = dataset.to_table(columns=needed, filter=expr)
    # Keys never repeat as written; a hand-copied file could make them.
    table = keep_latest_versions(table, endpoint=chosen)
    # Day files are written in order: a check of neighbours spares a sort copying every
    # column (a hand-made file out of order is still sorted).
    if not rows_in_order(table, chosen.sort_keys):
        table = table.sort_by(sort_keys(chosen))
    table = table.select(wanted)
    # The contract checked on the Arrow table; pandera only builds a failing frame's report.
    passes = not (validate and columns is None) or table_holds(table, chosen)
    df = table.to_pandas(types_mapper=pandas_types_mapper(backend))
    df.index = pd.RangeIndex(len(df))
    if not passes:
        validate_frame(df, endpoint=chosen, dtype_backend=backend)
    # The window read, when both sides are given (for to_series' edge buckets); a read
    # without one records nothing: the snapshot may not hold the whole of its span.
    return with_window(df, begin, stop)
