"""Call-volume analytics across a Dask cluster, with the numbers pandas gives.

The API bounds how fast history can be fetched; it does not bound the analysis. This
module reads a snapshot (written by :func:`cvframe.write_snapshot` or
:func:`cvframe.sync`) as a Dask DataFrame, one partition per UTC day, and runs
:func:`cvframe.resample_intervals`, :func:`cvframe.kpis` and :func:`cvframe.to_series`
per series on the cluster's workers. Install with ``pip install 'cvframe[dask]'``.

How it stays equal to pandas: the rows of each series are shuffled into one partition,
and every partition is resampled over the same buckets (the first to the last bucket of
the whole dataset, found first), so gap filling matches the single-machine result.

Input is checked as the pandas functions check it (the README's input contract), on
each partition as it is computed: a bad value is a ``ValueError`` naming its column
when the result is computed. After the shuffle the copies of a record (same id, same
series) share a partition, so a repeated id is found there too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd

try:
    import dask
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "cvframe.dask needs Dask: pip install 'cvframe[dask]' (dask[dataframe,distributed])"
    ) from exc

from ._analytics import (
    DEFAULT_CSAT,
    DEFAULT_SL_DENOMINATOR,
    DEFAULT_SL_THRESHOLD,
    CsatReading,
    SlDenominator,
    bucket_span,
    column_tz,
    key_list,
)
from ._analytics import kpis as _kpis
from ._analytics import resample_intervals as _resample_intervals
from ._analytics import to_series as _to_series
from ._arguments import queue_list
from ._endpoints import endpoint_named
from ._frame import WINDOW_ATTR, empty_frame, with_window
from ._store import read_snapshot as _read_snapshot
from ._store import snapshot_days, snapshot_endpoint
from ._times import TimeLike, resolve_window

__all__ = ["kpis", "read_snapshot", "resample_intervals", "to_series"]

_DAY = pd.Timedelta(days=1)

# cvframe.to_series' choices (it checks them).
Layout = Literal["wide", "long"]
Label = Literal["name", "id"]
Edges = Literal["trim", "flag", "keep"]


def _read_day(
    bounds: tuple[pd.Timestamp, pd.Timestamp],
    path: str | os.PathLike[str],
    queues: list[str] | None,
    validate: bool,
    storage_options: Mapping[str, Any] | None = None,
    endpoint: str = "callvolume",
    window: list[Any] | None = None,
) -> pd.DataFrame:
    """One day of the snapshot as a contract frame (run on a worker).

    It carries the window of the whole read (``window``, :data:`WINDOW_ATTR`'s value,
    with the rows of the whole read), not its day's: every partition alike, so the
    computed frame (pandas keeps ``attrs`` its parts share) carries it, and a day alone
    or any partition cut down does not vouch for it.
    """
    begin, stop = bounds
    part = _read_snapshot(
        path,
        start=begin,
        end=stop,
        queues=queues,
        validate=validate,
        storage_options=storage_options,
        endpoint=endpoint,
    )
    part.attrs.pop(WINDOW_ATTR, None)
    if window is not None:
        part.attrs[WINDOW_ATTR] = list(window)
    return part


def _window_read(
    path: str | os.PathLike[str],
    begin: pd.Timestamp,
    stop: pd.Timestamp,
    queues: list[str] | None,
    storage_options: Mapping[str, Any] | None,
    endpoint: str,
) -> list[Any]:
    """The :data:`WINDOW_ATTR` value :func:`cvframe.read_snapshot` records for this read.

    Its row count is counted now, from a read of the key columns only (the same
    filters, the same repeated keys dropped): the window holds for exactly those rows.
    """
    counted = _read_snapshot(
        path,
        start=begin,
        end=stop,
        queues=queues,
        columns=list(endpoint_named(endpoint).key_columns[:1]),
        validate=False,
        storage_options=storage_options,
        endpoint=endpoint,
    )
    window = list(with_window(pd.DataFrame(), begin, stop).attrs[WINDOW_ATTR])
    window[2] = len(counted)
    return window


def read_snapshot(
    path: str | os.PathLike[str],
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    queues: str | Iterable[str] | None = None,
    validate: bool = True,
    storage_options: Mapping[str, Any] | None = None,
    endpoint: str | None = None,
) -> dd.DataFrame:
    """Read a Parquet snapshot as a Dask DataFrame, one partition per UTC day.

    Each partition is what :func:`cvframe.read_snapshot` gives for its day: the
    contract's columns and dtypes of the endpoint the snapshot holds (call volume,
    skill volume, agent performance or agent activity), sorted by its sort keys
    (``interval_start`` and ``queue_id`` for call volume).

    Parameters
    ----------
    path : str or os.PathLike
        A directory written by :func:`cvframe.write_snapshot` or :func:`cvframe.sync`,
        on a file system every worker can read; or an object-store URL
        (``s3://bucket/prefix``, ``gs://``, ``abfs://``), which every worker reaches.
    start, end : str, datetime or Timestamp, optional
        Keep intervals with ``start <= interval_start < end`` (``event_time`` for
        agent activity; UTC when naive).
    queues : str or list of str, optional
        Keep only these queues, given by queue id or queue name.
    validate : bool, default True
        Check each partition against the contract as it is read.
    storage_options : dict, optional
        For a URL: the fsspec filesystem's options (credentials, ``endpoint_url``...),
        sent to each worker with its task (leave credentials to the workers' own
        environment or instance role where you can).
    endpoint : str, optional
        The endpoint the snapshot must hold, as :func:`cvframe.read_snapshot` takes
        it; None reads what its files say they hold.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; nothing is read until it is computed, but where both ``start`` and
        ``end`` are given: then the key columns of the window are read once, here, to
        count its rows. The window is recorded as :func:`cvframe.read_snapshot` records
        it (``attrs``, on the meta, every partition and so the computed frame), for
        :func:`cvframe.to_series` and :func:`to_series` to tell a partial edge bucket;
        like the pandas frame's, it holds while the rows are the read's.

    Examples
    --------
    >>> import tempfile, cvframe, cvframe.dask
    >>> df = cvframe.records_to_frame([
    ...     {"_id": "a", "queueId": "q1", "offeredContacts": 4,
    ...      "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
    ...      "intervalEndTimeStamp": "2024-01-01T09:15:00Z"},
    ...     {"_id": "b", "queueId": "q1", "offeredContacts": 7,
    ...      "intervalStartTimeStamp": "2024-01-02T10:15:00Z",
    ...      "intervalEndTimeStamp": "2024-01-02T10:30:00Z"}])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cvframe.write_snapshot(df, tmp)
    ...     ddf = cvframe.dask.read_snapshot(tmp)
    ...     print(ddf.npartitions, int(ddf["offered_contacts"].sum().compute()))
    2 11
    """
    begin, stop = (None, None) if start is None and end is None else _window(start, end)
    wanted = queue_list(queues)
    name = endpoint_named(endpoint).name if endpoint is not None else None
    if name is None:
        name = snapshot_endpoint(path, storage_options=storage_options)
    meta = empty_frame(endpoint=name)
    window = None
    pieces = []
    for day in snapshot_days(path, storage_options=storage_options):
        lo = pd.Timestamp(day, tz="UTC")
        hi = lo + _DAY
        if begin is not None:
            lo = max(lo, begin)
        if stop is not None:
            hi = min(hi, stop)
        if lo < hi:
            pieces.append((lo, hi))
    if begin is not None and stop is not None:
        # As cvframe.read_snapshot: a read with both sides records its window.
        with_window(meta, begin, stop)
        if pieces:
            window = _window_read(path, begin, stop, wanted, storage_options, name)
            meta.attrs[WINDOW_ATTR] = list(window)
    if not pieces:
        return dd.from_pandas(meta, npartitions=1)
    return dd.from_map(
        _read_day,
        pieces,
        path=path if isinstance(path, str) else os.fspath(path),
        storage_options=None if storage_options is None else dict(storage_options),
        queues=wanted,
        validate=validate,
        endpoint=name,
        window=window,
        meta=meta,
        divisions=None,
        enforce_metadata=False,
    )


def _window(
    start: TimeLike | None, end: TimeLike | None
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    if end is None:
        begin, _ = resolve_window(start, None)
        return begin, None
    return resolve_window(start, end)


def _bucket_span(
    df: dd.DataFrame, freq: Any, tz: str | None
) -> tuple[pd.Timestamp, pd.Timestamp, str] | None:
    """The start of the first and the end of the last bucket of the whole frame."""
    zone = column_tz(df._meta["interval_start"]) if tz is None else str(tz)
    first, last_start, last_end = dask.compute(
        df["interval_start"].min(), df["interval_start"].max(), df["interval_end"].max()
    )
    if pd.isna(first):
        return None

    def ms(moment: Any) -> int:
        return int(pd.Timestamp(moment).value // 1_000_000)  # .value is in ns

    lo, hi = bucket_span(ms(first), ms(last_start), ms(last_end), freq, zone)
    return (
        pd.Timestamp(lo, unit="ms", tz="UTC").tz_convert(zone),
        pd.Timestamp(hi, unit="ms", tz="UTC").tz_convert(zone),
        zone,
    )


def _by_series(df: dd.DataFrame, by: str | Sequence[str] | None) -> tuple[dd.DataFrame, list[str]]:
    keys = key_list(by)
    if not keys:
        raise ValueError(
            "by must name at least one key column for a distributed resample; for one "
            "series of everything, use cvframe.resample_intervals on a pandas frame"
        )
    return df.shuffle(on=keys), keys


def _resample_part(part: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    out = _resample_intervals(part, **kwargs)
    return out.reset_index(drop=True)


def resample_intervals(
    df: dd.DataFrame,
    freq: str | pd.DateOffset | pd.Timedelta = "30min",
    *,
    by: str | Sequence[str] = "queue_id",
    tz: str | None = None,
    fill_gaps: bool = True,
    sl_threshold: str | pd.Timedelta | None = None,
    csat: CsatReading = DEFAULT_CSAT,
) -> dd.DataFrame:
    """:func:`cvframe.resample_intervals` per series, across the cluster.

    The rows of each series are brought into one partition; every partition is
    resampled over the buckets of the whole frame, so the rows are those of
    :func:`cvframe.resample_intervals` on the same data, gaps filled alike. Rows are
    sorted within a partition, not across them.

    Parameters
    ----------
    df : dask.dataframe.DataFrame
        Call-volume records, e.g. from :func:`read_snapshot`.
    freq : str, DateOffset or Timedelta, default "30min"
        As for :func:`cvframe.resample_intervals`.
    by : str or list of str, default "queue_id"
        The key column(s) of a series (at least one).
    tz : str, optional
        The clock the buckets follow; by default that of ``interval_start``.
    fill_gaps : bool, default True
        Add a row of zeros for every bucket without a record, for every series.
    sl_threshold : str or Timedelta, optional
        Carry each record's answered- and abandoned-within-threshold bounds into
        the buckets, summed, as :func:`cvframe.resample_intervals` does.
    csat : {"average", "sum"}, default "average"
        How ``csat_score`` is read and aggregated, as for
        :func:`cvframe.resample_intervals`.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy buckets; ``.compute().sort_values(["interval_start", "queue_id"],
        ignore_index=True)`` is the pandas result.

    Examples
    --------
    >>> import cvframe, cvframe.dask, dask.dataframe as dd
    >>> df = cvframe.records_to_frame([
    ...     {"_id": "a", "queueId": "q1", "offeredContacts": 4,
    ...      "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
    ...      "intervalEndTimeStamp": "2024-01-01T09:15:00Z"},
    ...     {"_id": "b", "queueId": "q2", "offeredContacts": 7,
    ...      "intervalStartTimeStamp": "2024-01-01T10:15:00Z",
    ...      "intervalEndTimeStamp": "2024-01-01T10:30:00Z"}])
    >>> hourly = cvframe.dask.resample_intervals(dd.from_pandas(df, npartitions=2), "1h")
    >>> out = hourly.compute().sort_values(["interval_start", "queue_id"], ignore_index=True)
    >>> out[["queue_id", "interval_start", "offered_contacts"]]
      queue_id            interval_start  offered_contacts
    0       q1 2024-01-01 09:00:00+00:00                 4
    1       q2 2024-01-01 09:00:00+00:00                 0
    2       q1 2024-01-01 10:00:00+00:00                 0
    3       q2 2024-01-01 10:00:00+00:00                 7
    """
    shuffled, keys = _by_series(df, by)
    options: dict[str, Any] = {
        "by": keys,
        "tz": tz,
        "fill_gaps": fill_gaps,
        "sl_threshold": sl_threshold,
        "csat": csat,
    }
    meta = _resample_intervals(df._meta, freq, **options)  # refuses bad arguments up front
    kwargs: dict[str, Any] = {"freq": freq, **options}
    span = _bucket_span(df, freq, tz)
    if span is not None:
        kwargs["start"], kwargs["end"], _zone = span
    return shuffled.map_partitions(_resample_part, meta=meta, enforce_metadata=False, **kwargs)


def kpis(
    df: dd.DataFrame,
    *,
    sl_threshold: str | pd.Timedelta = DEFAULT_SL_THRESHOLD,
    sl_denominator: SlDenominator = DEFAULT_SL_DENOMINATOR,
    csat: CsatReading = DEFAULT_CSAT,
) -> dd.DataFrame:
    """:func:`cvframe.kpis` on every partition (each row's KPIs need only that row).

    Parameters
    ----------
    df : dask.dataframe.DataFrame
        Records, or buckets of :func:`resample_intervals`.
    sl_threshold : str or Timedelta, default "20s"
        As for :func:`cvframe.kpis`.
    sl_denominator : str, default "offered"
        As for :func:`cvframe.kpis`: a denominator or a vendor's named definition.
    csat : {"average", "sum"}, default "average"
        How ``csat_score`` is read, as for :func:`cvframe.kpis`.

    Returns
    -------
    dask.dataframe.DataFrame
        ``df`` with the KPI columns of :func:`cvframe.kpis` added.

    Examples
    --------
    >>> import cvframe, cvframe.dask, dask.dataframe as dd
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a", "queueId": "q1", "offeredContacts": 10, "answeredContacts": 8,
    ...     "abandonedContacts": 2, "completedContacts": 8,
    ...     "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
    ...     "intervalEndTimeStamp": "2024-01-01T09:15:00Z"}])
    >>> cvframe.dask.kpis(dd.from_pandas(df, npartitions=1))["abandon_rate"].compute().tolist()
    [0.2]
    """
    kwargs: dict[str, Any] = {
        "sl_threshold": sl_threshold,
        "sl_denominator": sl_denominator,
        "csat": csat,
    }
    return df.map_partitions(_kpis, meta=_kpis(df._meta, **kwargs), **kwargs)


def _buckets_part(part: pd.DataFrame, pieces: list[dict[str, Any]]) -> pd.DataFrame | None:
    """One partition's rows for :func:`to_series` (None when it holds no record)."""
    if part.empty:
        return None
    return pd.concat([_resample_intervals(part, **piece) for piece in pieces], ignore_index=True)


def to_series(
    df: dd.DataFrame,
    metric: str = "offered_contacts",
    freq: str | pd.DateOffset | pd.Timedelta = "30min",
    *,
    tz: str | None = None,
    by: str | Sequence[str] = "queue_id",
    layout: Layout = "wide",
    label: Label = "name",
    edges: Edges = "trim",
    start: Any = None,
    end: Any = None,
    tz_naive: bool = False,
    sl_threshold: str | pd.Timedelta | None = None,
    sl_denominator: str | None = None,
) -> pd.DataFrame:
    """:func:`cvframe.to_series` with each series resampled on the cluster.

    Each series is resampled in the partition that holds its rows (with the
    service-level counts of every record where ``metric="service_level"``): the
    inner buckets at ``freq``, over the buckets of the whole frame, and the first
    and the last bucket at the records' own length, so that the first start and the
    last end of the whole frame's records are still there to tell a partial edge
    bucket. Those rows (about one per series and bucket) are gathered and given to
    :func:`cvframe.to_series`, which sums them into the same buckets: labels (names
    shared by several ids, across partitions), partial edge buckets (and the warning
    where the read's window is unknown), KPIs as ratios of each bucket's sums, and
    both layouts are exactly those of :func:`cvframe.to_series` on the same records.
    The read's window recorded on ``df``'s meta (``attrs``, e.g. by
    ``dd.from_pandas`` of a frame a cvframe reader returned) is passed on while
    ``df`` still has the rows it was recorded with; otherwise pass ``start``/``end``
    to say what was read.

    Parameters
    ----------
    df : dask.dataframe.DataFrame
        Records, e.g. from :func:`read_snapshot`.
    metric : str, default "offered_contacts"
        A measure column of the contract, or a KPI (``"aht"``, ``"asa"``,
        ``"service_level"``, ``"abandon_rate"``), as for :func:`cvframe.to_series`.
    freq : str, DateOffset or Timedelta, default "30min"
        As for :func:`cvframe.resample_intervals`.
    tz : str, optional
        The clock the buckets follow; the index (``ds``) is in this zone.
    by : str or list of str, default "queue_id"
        The key column(s) that tell the series apart (at least one).
    layout, label, edges, start, end, tz_naive, sl_threshold, sl_denominator
        As for :func:`cvframe.to_series`: the wide or long (``unique_id``, ``ds``,
        ``y``) layout, series named by queue name or id, partial edge buckets
        trimmed, flagged or kept, the read window, tz-naive local times, and the
        service level's threshold and definition.

    Returns
    -------
    pandas.DataFrame
        What :func:`cvframe.to_series` gives on the same records.

    Raises
    ------
    ValueError
        As :func:`cvframe.to_series` does (checked before any work on the cluster),
        or if ``by`` names no key.

    Examples
    --------
    >>> import cvframe, cvframe.dask, dask.dataframe as dd
    >>> df = cvframe.records_to_frame([
    ...     {"_id": "a", "queueId": "q1", "offeredContacts": 4,
    ...      "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
    ...      "intervalEndTimeStamp": "2024-01-01T09:15:00Z"},
    ...     {"_id": "b", "queueId": "q2", "offeredContacts": 7,
    ...      "intervalStartTimeStamp": "2024-01-01T10:15:00Z",
    ...      "intervalEndTimeStamp": "2024-01-01T10:30:00Z"}])
    >>> ddf = dd.from_pandas(df, npartitions=2)
    >>> cvframe.dask.to_series(ddf, freq="1h", edges="keep")
    queue_id                   q1  q2
    interval_start
    2024-01-01 09:00:00+00:00   4   0
    2024-01-01 10:00:00+00:00   0   7

    The long layout, for a read of 09:00 to 11:00 (``start``/``end``: every bucket
    inside it is complete, so none is partial):

    >>> cvframe.dask.to_series(ddf, freq="1h", layout="long", edges="flag",
    ...                        start="2024-01-01 09:00", end="2024-01-01 11:00")
      unique_id                        ds    y  partial
    0        q1 2024-01-01 09:00:00+00:00  4.0    False
    1        q1 2024-01-01 10:00:00+00:00  0.0    False
    2        q2 2024-01-01 09:00:00+00:00  0.0    False
    3        q2 2024-01-01 10:00:00+00:00  7.0    False
    """
    options: dict[str, Any] = {
        "tz": tz,
        "by": by,
        "layout": layout,
        "label": label,
        "start": start,
        "end": end,
        "tz_naive": tz_naive,
        "sl_threshold": sl_threshold,
        "sl_denominator": sl_denominator,
    }
    empty = _to_series(df._meta, metric, freq, edges=edges, **options)  # refuses bad arguments
    shuffled, keys = _by_series(df, by)
    span = _record_span(df)
    if span is None:
        return empty
    zone = column_tz(df._meta["interval_start"]) if tz is None else str(tz)
    first, last_start, last_end, length, rows = span
    if length <= 0:  # as cvframe.resample_intervals refuses it
        raise ValueError("every record needs interval_end after interval_start")
    lo, hi = bucket_span(first, last_start, last_end, freq, zone)
    lo = _utc_ms(start, zone) if start is not None else lo
    hi = _utc_ms(end, zone) if end is not None else hi
    # The first and the last bucket go at the records' own length, the others at freq:
    # cvframe.to_series then sees the whole frame's first start and last end (a
    # partition's buckets would cover themselves), which tell a partial edge bucket,
    # and adds those rows into the same sums.
    _, first_end = bucket_span(lo, lo, lo + length, freq, zone)
    last_begin, _ = bucket_span(hi - length, hi - length, hi, freq, zone)
    common: dict[str, Any] = {"by": keys, "tz": tz}
    if metric == "service_level":
        common["sl_threshold"] = DEFAULT_SL_THRESHOLD if sl_threshold is None else sl_threshold
    fine = pd.Timedelta(milliseconds=length)
    pieces = [{"freq": fine, "fill_gaps": False, "start": lo, "end": first_end}]
    if first_end < last_begin:
        pieces.append({"freq": freq, "fill_gaps": True, "start": first_end, "end": last_begin})
    if last_begin >= first_end:
        pieces.append({"freq": fine, "fill_gaps": False, "start": last_begin, "end": hi})
    for piece in pieces:
        piece.update(common, start=_instant(piece["start"], zone), end=_instant(piece["end"], zone))
    parts = [dask.delayed(_buckets_part)(part, pieces) for part in shuffled.to_delayed()]
    gathered = [b for b in dask.compute(*parts) if b is not None]
    frame = pd.concat(gathered, ignore_index=True)
    window = df._meta.attrs.get(WINDOW_ATTR)  # the read's, while the rows are its rows
    if isinstance(window, list | tuple) and len(window) == 3 and window[2] == rows:
        with_window(frame, window[0], window[1])
    return _to_series(frame, metric, freq, edges=edges, **options)


def _record_span(df: dd.DataFrame) -> tuple[int, int, int, int, int] | None:
    """The earliest start, latest start and latest end of the records, and the shortest
    record (UTC ms), and the number of records."""
    first, last_start, last_end, shortest, rows = dask.compute(
        df["interval_start"].min(),
        df["interval_start"].max(),
        df["interval_end"].max(),
        (df["interval_end"] - df["interval_start"]).min(),
        df.map_partitions(len).sum(),
    )
    if pd.isna(first):
        return None

    def ms(moment: Any) -> int:
        return int(pd.Timestamp(moment).value // 1_000_000)  # .value is in ns

    length = int(pd.Timedelta(shortest).value // 1_000_000)
    return ms(first), ms(last_start), ms(last_end), length, int(rows)


def _utc_ms(moment: Any, zone: str) -> int:
    """A timestamp-like in UTC ms (a naive one read in ``zone``), as to_series reads it."""
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize(zone) if stamp.tzinfo is None else stamp
    return int(stamp.value // 1_000_000)


def _instant(ms: int, zone: str) -> pd.Timestamp:
    return pd.Timestamp(ms, unit="ms", tz="UTC").tz_convert(zone)
