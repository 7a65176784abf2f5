"""write_snapshot(): a frame of a history endpoint into a Parquet snapshot, one file per UTC day."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .._endpoints import Endpoint, endpoint_named
from ._days import day_files
from ._format import frame_to_table
from ._layout import partition_column
from ._lease import locked
from ._location import snapshot_location
from ._lock import DEFAULT_LOCK_TIMEOUT
from ._upsert import WriteMode, upsert_table

__all__ = ["write_snapshot"]


def write_snapshot(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    mode: WriteMode = "upsert",
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    storage_options: Mapping[str, Any] | None = None,
    endpoint: str | Endpoint = "callvolume",
) -> None:
    """Write a frame of call volume (or another history endpoint) to a Parquet snapshot.

    The snapshot is a hive-partitioned dataset (``PATH/date=YYYY-MM-DD/part-0.parquet``),
    one partition per UTC day of ``interval_start`` (``event_time`` for agent
    activity), that pandas, pyarrow, polars, DuckDB and Spark read. Durations are
    stored as Arrow ``duration[ms]``: pandas and polars get timedeltas back, DuckDB and
    Spark read integer milliseconds. Each file's metadata records the endpoint whose
    rows it holds, its column schema version and the cvframe version that wrote it.
    A snapshot holds one endpoint: give each endpoint a path of its own.

    Each day is rewritten atomically (a temporary file beside the old one, flushed,
    then renamed over it), so a reader never sees a partial file and a crash leaves
    the previous state. Days not in ``df`` are left as they are, and a day whose
    rows do not change is not rewritten.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame following the endpoint's column contract (either ``dtype_backend``),
        as :func:`cvframe.read_callvolume` (or the endpoint's reader) returns it; it is
        validated first.
    path : str or os.PathLike
        The dataset directory, created if missing; or an object-store URL
        (``s3://bucket/prefix``, ``gs://``, ``abfs://``, ``memory://``), where each
        day is one object replaced by a single PUT and one writer at a time holds a
        lease object (``.cvframe.lease``). A URL is never taken for a local folder.
    mode : {"upsert", "replace"}, default "upsert"
        ``"upsert"`` merges by the natural key (``id`` for call volume; agent x
        interval x queue for agent performance...), keeping the highest ``version``
        (a stored row is never replaced by a lower version; for an endpoint without
        versions the rows written win). ``"replace"`` makes each day present in
        ``df`` hold exactly ``df``'s rows of that day.
    lock_timeout : float, default 60.0
        Seconds to wait for another sync or write on the same path.
    storage_options : dict, optional
        For a URL: the fsspec filesystem's options (credentials, ``endpoint_url``...),
        as pandas' writers take them. Never shown in messages.
    endpoint : str, default "callvolume"
        Which contract ``df`` follows: ``"callvolume"``, ``"skillvolume"``,
        ``"agentperformance"`` or ``"agentactivity"``.

    Raises
    ------
    cvframe.SchemaError
        If ``df`` breaks the column contract.
    cvframe.SnapshotError
        If ``path`` is a file, or holds files of another endpoint or schema version; or if
        writing fails (disk full, permission denied: the message names the path
        and what to do). The day being written keeps its previous file, and no
        partial file is left where a reader would see it.
    cvframe.LockError
        If another writer kept the lock longer than ``lock_timeout``.
    ValueError
        For ``endpoint="queues"`` or ``"agents"``: directories, not history (they have
        no time to partition by); keep them with ``df.to_parquet``.

    Notes
    -----
    In an object store (``s3://``, ``memory://``) the guarantees are the local
    disk's, with these differences: a day object is replaced by one PUT of the whole
    file (atomic below 100 MiB; a larger day goes up in parts, which S3 still
    applies whole); the one-writer lock is a lease object created with
    ``If-None-Match: *`` and renewed while writing, so the lease of a process killed
    with ``kill -9`` makes the next writer wait until it expires (30 s), and a
    writer paused for longer than that can still write once after losing it (object
    stores have no fencing); the machines' clocks must agree within 15 s.
    ``gs://`` and ``abfs://`` are read, but writing there needs a lease cvframe
    does not implement yet (a :class:`cvframe.SnapshotError` says so, before any
    write). ``memory://`` is the process's own, for tests.

    See Also
    --------
    read_snapshot : Read it back, with filters pushed down to the files.
    sync : Keep a snapshot up to date from the API.

    Examples
    --------
    >>> import tempfile, cvframe
    >>> from pathlib import Path
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a1", "queueId": "qu-1", "queueName": "Billing", "__v": 0,
    ...     "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
    ...     "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
    ...     "offeredContacts": 3, "conversationHandleTime": 68043}])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cvframe.write_snapshot(df, tmp)
    ...     back = cvframe.read_snapshot(tmp)
    ...     files = sorted(str(p.relative_to(tmp)) for p in Path(tmp).rglob("*"))
    >>> files
    ['.cvframe.lock', 'date=2023-06-01', 'date=2023-06-01/part-0.parquet']
    >>> back.equals(df)
    True
    """
    declared = endpoint_named(endpoint)
    partition_column(declared)  # a directory endpoint is refused before anything
    location = snapshot_location(path, storage_options)
    table = frame_to_table(df, endpoint=declared)
    days = day_files(location, declared)
    days.prepare()
    with locked(location, lock_timeout) as lock:
        upsert_table(days, table, mode=mode, ensure_held=lock.ensure_held)
