"""Rolling interval records up into coarser buckets: :func:`resample_intervals`.

The API sends one record per queue per 15-minute interval. :func:`resample_intervals`
sums the counts and total durations of the records that fall in each bucket
(``max_*`` fields take the maximum), in UTC or on a local clock, and can fill the
buckets that have no record with explicit zeros. The buckets are those of
:mod:`._buckets`; the service-level counts it can carry are those of
:mod:`._service_level`; its output follows :mod:`._bucket_schema`
(``cvframe.IntervalSchema``), so it can be resampled again or fed to
:func:`cvframe.kpis`.

This module does the grouping and the sums: one group id per row from the key
columns, one slot per (bucket, group), and numpy reductions into the slots.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from .._frame import contract_dtypes
from ._blocks import is_sorted, row_blocks
from ._bucket_schema import validated
from ._buckets import (
    Buckets,
    bucket_grid,
    check_edge,
    check_multiple,
    instant_text,
    parse_freq,
    to_utc_ms,
)
from ._checks import check_input, first_error
from ._measures import (
    AGGREGATIONS,
    DEFAULT_CSAT,
    KEY_COLUMNS,
    MEASURE_COLUMNS,
    CsatReading,
    column_tz,
    csat_reading,
    instants_view,
    key_list,
    measure_series,
    measure_views,
)
from ._service_level import (
    SL_CARRIED_COUNTS,
    SL_THRESHOLD_COLUMN,
    SlCounts,
    sl_counts_to_sum,
    threshold_series,
)

__all__ = ["resample_intervals"]


def resample_intervals(
    df: pd.DataFrame,
    freq: str | pd.DateOffset | pd.Timedelta = "30min",
    *,
    by: str | Sequence[str] | None = "queue_id",
    tz: str | None = None,
    fill_gaps: bool = True,
    start: Any = None,
    end: Any = None,
    sl_threshold: str | pd.Timedelta | dt.timedelta | None = None,
    csat: CsatReading = DEFAULT_CSAT,
) -> pd.DataFrame:
    """Roll interval records up into buckets of ``freq``, per series.

    Counts and total durations are summed; the ``max_*`` fields take the maximum;
    ``csat_score`` is averaged, weighted by ``csat_responses`` (or summed, with
    ``csat="sum"``); ``queue_name`` follows ``queue_id``. A bucket whose records miss a value has
    that value missing (NA propagates, so totals stay exact). The result follows
    :data:`cvframe.IntervalSchema` and can be resampled again or passed to
    :func:`cvframe.kpis`.

    Parameters
    ----------
    df : pandas.DataFrame
        Call-volume records (the contract of :func:`cvframe.read_callvolume`) or the
        output of this function. Columns other than the keys, the interval bounds
        and the measures are dropped.
    freq : str, DateOffset or Timedelta, default "30min"
        The bucket length: a fixed length that is a whole multiple of the data's
        interval length (15 minutes for API records), e.g. ``"30min"``, ``"1h"``;
        days (``"D"``, ``"7D"``); a week (``"W"``, i.e. Monday to Sunday, or
        ``"W-SAT"`` for Sunday to Saturday); or a calendar month (``"MS"``). That set
        (:data:`FREQUENCY_PATTERN`) is the same on pandas 2.2 and 3.x; anything else,
        e.g. a month end (``"ME"``, ``"M"``) or a 2.2-only alias (``"H"``, ``"T"``), is
        a ValueError that lists it.
    by : str, list of str or None, default "queue_id"
        Key column(s) that identify a series (see :data:`KEY_COLUMNS`); ``None``
        adds all records together.
    tz : str, optional
        The time zone whose clock the buckets follow, e.g. ``"America/New_York"``:
        a ``"D"`` bucket is then a local day (23, 24 or 25 hours). By default the
        zone of ``df["interval_start"]`` (UTC for API records). The output's
        ``interval_start``/``interval_end`` are in this zone.
    fill_gaps : bool, default True
        Add a row of zeros for every bucket without a record, for every series,
        from the first to the last bucket of the data (or over ``[start, end)``).
    start, end : timestamp-like, optional
        Keep only the buckets in ``[start, end)``; both must be bucket boundaries.
        A naive timestamp is read in ``tz``.
    sl_threshold : str or Timedelta, optional
        A service-level threshold T (a positive duration, whole milliseconds) to
        carry through the resampling. For each input record, the fewest and most
        answered contacts that waited at most T, and :func:`cvframe.kpis`' estimate,
        are worked out from that record's own total and longest wait, then summed
        per bucket into ``answered_within_sl_low`` (``Int64``),
        ``answered_within_sl_estimate`` (``Float64``) and ``answered_within_sl_high``
        (``Int64``); the same for the abandoned contacts that hung up within T,
        from their total and longest wait, into ``abandoned_within_sl_low``,
        ``abandoned_within_sl_estimate`` and ``abandoned_within_sl_high`` (BW, for the
        definitions that use it); with T in ``sl_threshold`` (``timedelta64[ms]``,
        the same in every row). :func:`cvframe.kpis` then takes its service level
        from them, as tight as the records allow, instead of from the bucket's single
        longest wait. A frame that already carries these columns has them summed
        whether or not ``sl_threshold`` is given (it must then equal the recorded
        one); one that carries the answered counts only (an older version's) has
        the abandoned counts worked out from each of its rows.
    csat : {"average", "sum"}, default "average"
        How ``csat_score`` is read (:data:`CSAT_READINGS`). ``"average"``: it is the
        average score of the row's ``csat_responses`` (what the newer API pages
        say), so a bucket takes ``sum(csat_score * csat_responses) /
        sum(csat_responses)``: NA in a bucket without responses (filled gaps
        included), and NA where a record with responses misses its score or a record
        misses its count. ``"sum"``: it is their total, so a bucket sums it like a
        count. Pass the same to :func:`cvframe.kpis`.

    Returns
    -------
    pandas.DataFrame
        One row per series and bucket, sorted by ``interval_start`` then the keys;
        with the service-level columns after the measures when ``sl_threshold`` is
        given or ``df`` carries them (zeros in filled gaps, NA in a bucket where a
        record misses its answered count or total wait).

    Raises
    ------
    ValueError
        If ``df`` lacks contract columns (they are named), ``freq`` is not a whole
        multiple of the data's interval length, a record straddles two buckets,
        ``start``/``end`` are not bucket boundaries, ``sl_threshold`` is not a
        positive whole number of milliseconds, it differs from the threshold that
        the service-level columns ``df`` carries were counted for, or ``csat`` is
        not ``"average"`` or ``"sum"``.

    Examples
    --------
    >>> import cvframe
    >>> def rec(start, end, offered, wait):
    ...     return {"_id": start, "queueId": "q1", "queueName": "Sales",
    ...             "intervalStartTimeStamp": start, "intervalEndTimeStamp": end,
    ...             "offeredContacts": offered, "answeredContacts": offered,
    ...             "queueHoldTimeAnswered": wait, "maxQueueHoldTimeAnswered": wait}
    >>> df = cvframe.records_to_frame([
    ...     rec("2024-01-01T09:00:00Z", "2024-01-01T09:15:00Z", 3, 30_000),
    ...     rec("2024-01-01T09:15:00Z", "2024-01-01T09:30:00Z", 2, 50_000),
    ...     rec("2024-01-01T10:00:00Z", "2024-01-01T10:15:00Z", 1, 5_000)])
    >>> out = cvframe.resample_intervals(df, "30min")
    >>> out[["queue_name", "interval_start", "offered_contacts"]]
      queue_name            interval_start  offered_contacts
    0      Sales 2024-01-01 09:00:00+00:00                 5
    1      Sales 2024-01-01 09:30:00+00:00                 0
    2      Sales 2024-01-01 10:00:00+00:00                 1
    >>> out["max_queue_hold_time_answered"].tolist()
    [Timedelta('0 days 00:00:50'), Timedelta('0 days 00:00:00'), Timedelta('0 days 00:00:05')]
    >>> cvframe.resample_intervals(df, "D", tz="Europe/Paris")["interval_start"].iloc[0]
    Timestamp('2024-01-01 00:00:00+0100', tz='Europe/Paris')

    With a 20-second threshold, each quarter-hour's count is exact (2 of 3 within it,
    then 1 of 2), so the half-hour's is too (3 of 5); from the half-hour's totals
    alone (80 s over 5 contacts, the longest 50 s) it would be between 3 and 4:

    >>> sl = cvframe.resample_intervals(df, "30min", fill_gaps=False, sl_threshold="20s")
    >>> sl[["answered_within_sl_low", "answered_within_sl_high", "sl_threshold"]]
       answered_within_sl_low  answered_within_sl_high    sl_threshold
    0                       3                        3 0 days 00:00:20
    1                       1                        1 0 days 00:00:20
    >>> levels = ["service_level_low", "service_level_high"]
    >>> cvframe.kpis(sl, sl_threshold="20s")[levels].iloc[:1]
       service_level_low  service_level_high
    0                0.6                 0.6
    >>> cvframe.kpis(out, sl_threshold="20s")[levels].iloc[:1]
       service_level_low  service_level_high
    0                0.6                 0.8
    """
    keys = key_list(by)
    required = ["interval_start", "interval_end", *(c.name for c in MEASURE_COLUMNS), *keys]
    # Names missing columns too; a long frame's ids are checked alongside the work.
    pending = check_input(df, required, what="resample_intervals", alongside=True)
    with first_error(pending):
        return _resampled(df, keys, freq, tz, fill_gaps, start, end, sl_threshold, csat)


def _resampled(
    df: pd.DataFrame,
    keys: list[str],
    freq: str | pd.DateOffset | pd.Timedelta,
    tz: str | None,
    fill_gaps: bool,
    start: Any,
    end: Any,
    sl_threshold: str | pd.Timedelta | dt.timedelta | None,
    csat: CsatReading,
) -> pd.DataFrame:
    """:func:`resample_intervals` once ``df``'s columns are checked."""
    spec = parse_freq(freq)
    reading = csat_reading(csat)
    zone = column_tz(df["interval_start"]) if tz is None else str(tz)
    row_start = instants_view(df["interval_start"], name="interval_start")
    row_end = instants_view(df["interval_end"], name="interval_end")
    shortest, longest = _length_range(row_start, row_end)
    if shortest <= 0:
        raise ValueError("every record needs interval_end after interval_start")
    # Records of one length (the usual case) need that length checked only.
    one_length = len(row_start) and shortest == longest
    check_multiple(spec, np.array([shortest]) if one_length else row_end - row_start)
    sl_all = sl_counts_to_sum(df, sl_threshold)

    lo = to_utc_ms(start, zone, name="start") if start is not None else None
    hi = to_utc_ms(end, zone, name="end") if end is not None else None
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"end ({end}) must be after start ({start})")
    keep = None  # the usual case: every row, no copy of the frame
    if lo is not None or hi is not None:
        keep = np.ones(len(row_start), dtype=bool)
        if lo is not None:
            keep &= row_end > lo
        if hi is not None:
            keep &= row_start < hi
    frame, sl = df, sl_all
    if keep is not None and not keep.all():
        frame = df.loc[keep]
        row_start, row_end = row_start[keep], row_end[keep]
        sl = sl_all.subset(keep) if sl_all is not None else None

    no_rows = len(row_start) == 0
    if no_rows and (keys or lo is None or hi is None or not fill_gaps):
        return validated(_empty_buckets(df, keys, zone, sl))
    if sl is not None and sl.threshold_ms is None:
        raise ValueError(
            "the frame carries answered_within_sl_* columns but no row to tell their "
            "threshold; pass sl_threshold to fill the empty buckets"
        )
    edges = [v for v in (lo, hi) if v is not None]
    lows = [int(row_start.min())] if len(row_start) else []
    highs = [int(row_end.max())] if len(row_end) else []
    grid = bucket_grid(min([*lows, *edges]), max([*highs, *edges]), spec, zone)
    check_edge(grid, lo, spec, zone, name="start", at_end=False)
    check_edge(grid, hi, spec, zone, name="end", at_end=True)

    where, i = grid.locate_spans(row_start, row_end)
    if i is not None:
        raise ValueError(
            f"the record for [{instant_text(row_start[i], zone)}, "
            f"{instant_text(row_end[i], zone)}) "
            f"straddles two {spec.text!r} buckets in {zone}: the data's intervals do not "
            "nest in freq (is freq a whole multiple of them?)"
        )
    first = int(grid.locate(np.array([lo]))[0]) if lo is not None else int(where.min())
    last = int(grid.locate(np.array([hi - 1]))[0]) if hi is not None else int(where.max())
    return validated(
        _aggregate(frame, keys, where, grid, first, last, zone, fill_gaps, sl, reading, row_start)
    )


#: The most (bucket, series) slots a frame without filled gaps is counted into directly;
#: beyond this many per input row the occupied slots are found by sorting instead.
_DENSE_SLOTS_PER_ROW = 8


def _length_range(start: np.ndarray, end: np.ndarray) -> tuple[int, int]:
    """The shortest and longest ``end - start``, a block at a time (1 and 1 without rows)."""
    shortest, longest = 1, 1
    for i, block in enumerate(row_blocks(len(start))):
        lengths = end[block] - start[block]
        low, high = int(lengths.min()), int(lengths.max())
        shortest, longest = (low, high) if i == 0 else (min(shortest, low), max(longest, high))
    return shortest, longest


class _RowGroups:
    """Each row's group id: an array, or Arrow's dictionary indices and their ranks.

    The second form is never made into an array of the frame's length: :meth:`add_to`
    adds the ranks of the indices into the caller's array a block at a time.
    """

    def __init__(
        self,
        ids: np.ndarray | None = None,
        *,
        indices: list[np.ndarray] | None = None,
        rank: np.ndarray | None = None,
    ) -> None:
        self.ids, self.indices, self.rank = ids, indices, rank

    def add_to(self, out: np.ndarray) -> None:
        """``out += ids``, without an array of the ids."""
        if self.ids is not None:
            out += self.ids
            return
        assert self.indices is not None and self.rank is not None
        offset = 0
        for indices in self.indices:
            for block in row_blocks(len(indices)):
                out[offset + block.start : offset + block.stop] += self.rank[indices[block]]
            offset += len(indices)


def _arrow_sorted_groups(
    chunks: pa_arrow.ChunkedArray,
) -> tuple[_RowGroups, pa_arrow.Array, bool]:
    """An Arrow column's group ids in sorted order of its values, those values, and whether
    some are null (their group comes last).

    Arrow's dictionary encoding hashes the strings once, faster than pandas' factorize;
    the (few) distinct values are then sorted (UTF-8 bytes sort as code points, the
    order of Python's str), and each row's group is the rank of its index, read where
    it is needed. A dictionary holds only the values that occur, so every group has rows.
    """
    encoded = pc.dictionary_encode(chunks)
    if encoded.num_chunks > 1:  # one dictionary for all chunks
        encoded = pa_arrow.table({"key": encoded}).unify_dictionaries()["key"]
    dictionary = encoded.chunk(0).dictionary
    order = np.asarray(pc.array_sort_indices(dictionary), dtype=np.int64)
    rank = np.empty(len(dictionary) + 1, dtype=np.int64)
    rank[order] = np.arange(len(dictionary))
    rank[-1] = len(dictionary)  # a null's index, filled with -1: the group after the values
    indices = []
    for chunk in encoded.chunks:
        chunk_indices = chunk.indices
        if chunk_indices.null_count:
            chunk_indices = chunk_indices.fill_null(-1)
        indices.append(np.asarray(chunk_indices))
    values = pc.take(dictionary, pa_arrow.array(order))
    return _RowGroups(indices=indices, rank=rank), values, chunks.null_count > 0


def _key_codes(
    series: pd.Series, *, lazy: bool = False
) -> tuple[Any, pd.api.extensions.ExtensionArray]:
    """Codes of a key column in sorted order of its values, NA last; and those values.

    ``lazy``: an Arrow string column's codes as :class:`_RowGroups` (not an array).
    """
    arrow = getattr(series.array, "__arrow_array__", None)
    if arrow is not None and isinstance(series.dtype, pd.StringDtype) and len(series):
        groups, uniques, has_missing = _arrow_sorted_groups(pa_arrow.chunked_array(arrow()))
        values = pd.array(uniques, dtype=series.dtype)
        if has_missing:
            values = pd.array([*values, pd.NA], dtype=series.dtype)
        if lazy:
            return groups, values
        codes = np.zeros(len(series), dtype=np.int64)
        groups.add_to(codes)
        return codes, values
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    has_missing = bool((codes < 0).any())
    values = pd.array(uniques, dtype=series.dtype)
    if has_missing:
        codes = np.where(codes < 0, len(values), codes)
        values = pd.array([*values, pd.NA], dtype=series.dtype)
    return np.asarray(codes, dtype=np.int64), values


def _group_ids(frame: pd.DataFrame, keys: list[str]) -> tuple[_RowGroups, pd.DataFrame]:
    """A group id per row, and the key values of each group (sorted, NA last).

    The groups and their order are those of ``groupby(keys, sort=True, dropna=False)``;
    the ids come from one hash pass per key column (pandas' factorize) rather than a
    groupby, and several keys are combined as digits of one integer.
    """
    dtypes = contract_dtypes()
    key_frame = frame[keys].reset_index(drop=True).astype({k: dtypes[k] for k in keys})
    if not keys:
        return _RowGroups(np.zeros(len(frame), dtype=np.int64)), key_frame.iloc[:1]
    coded = [_key_codes(key_frame[k], lazy=len(keys) == 1) for k in keys]
    sizes = [len(values) for _, values in coded]
    if math.prod(sizes) >= 2**62:  # the digits would overflow: let pandas group them
        ids = key_frame.groupby(keys, dropna=False, sort=True).ngroup().to_numpy(dtype=np.int64)
        first_rows = pd.Series(np.arange(len(frame))).groupby(ids).first().to_numpy()
        return _RowGroups(ids), key_frame.iloc[first_rows].reset_index(drop=True)
    if len(keys) == 1:
        codes, values = coded[0]
        if isinstance(codes, _RowGroups):
            return codes, pd.DataFrame({keys[0]: values})
        present = np.zeros(len(values), dtype=bool)
        present[codes] = True
        if present.all():
            return _RowGroups(codes), pd.DataFrame({keys[0]: values})
        # A value that only rows dropped before (by start/end) had: renumber without it.
        rank = np.cumsum(present) - 1
        return _RowGroups(rank[codes]), pd.DataFrame({keys[0]: values[np.flatnonzero(present)]})
    combined = np.zeros(len(frame), dtype=np.int64)
    for (codes, _), size in zip(coded, sizes, strict=True):
        combined = combined * size + codes
    ids, uniques = pd.factorize(combined, sort=True)
    ids = np.asarray(ids, dtype=np.int64)
    digits = np.asarray(uniques, dtype=np.int64)
    columns: dict[str, Any] = {}
    for key, (_, values), size in reversed(list(zip(keys, coded, sizes, strict=True))):
        digits, digit = np.divmod(digits, size)
        columns[key] = values[digit]
    return _RowGroups(ids), pd.DataFrame({k: columns[k] for k in keys})


def _slots(codes: np.ndarray, size: int, fill_gaps: bool) -> tuple[np.ndarray, np.ndarray]:
    """The output slots (sorted codes) and each row's position among them."""
    if fill_gaps:
        # Every slot is an output row, so a row's code is its position.
        return np.arange(size, dtype=np.int64), codes
    if size <= _DENSE_SLOTS_PER_ROW * max(len(codes), 1):
        present = np.zeros(size, dtype=bool)
        present[codes] = True
        rank = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present).astype(np.int64), rank[codes]
    out_codes, positions = np.unique(codes, return_inverse=True)
    return out_codes.astype(np.int64), positions.reshape(-1).astype(np.int64)


def _aggregate(
    frame: pd.DataFrame,
    keys: list[str],
    where: np.ndarray,
    grid: Buckets,
    first: int,
    last: int,
    tz: str,
    fill_gaps: bool,
    sl: SlCounts | None,
    csat: CsatReading,
    row_start: np.ndarray,
) -> pd.DataFrame:
    row_groups, groups = _group_ids(frame, keys)
    n_groups = len(groups) if keys else 1
    n_buckets = max(last - first + 1, 0)
    # One integer per (bucket, group), bucket-major: the output's sort order. Made in
    # place of ``where`` (the caller's own array, not read after this), so that no
    # temporary of the frame's length is allocated.
    codes = where if where.flags.writeable else where.copy()
    codes -= first
    codes *= n_groups
    row_groups.add_to(codes)  # (a row's group is then codes % n_groups)
    out_codes, positions = _slots(codes, n_buckets * n_groups, fill_gaps)
    size = len(out_codes)

    dtypes = contract_dtypes()
    columns: dict[str, Any] = {}
    out_groups = out_codes % n_groups
    for key in keys:
        columns[key] = pd.Series(groups[key].array.take(out_groups), copy=False)
        if key == "queue_id" and "queue_name" not in keys and "queue_name" in frame.columns:
            names = _latest_names(frame, codes, n_groups, row_start)
            columns["queue_name"] = pd.Series(names.take(out_groups), copy=False)
    out_buckets = out_codes // n_groups + first
    columns["interval_start"] = _datetimes(grid.start[out_buckets], tz)
    columns["interval_end"] = _datetimes(grid.end[out_buckets], tz)

    sums: dict[str, np.ndarray] = {}
    for column in MEASURE_COLUMNS:
        if column.name == "csat_score" and csat == "average":
            columns[column.name] = None  # (its place) once csat_responses is summed
            continue
        values, missing = measure_views(frame[column.name], column.kind)
        sums[column.name], out_missing = _reduce(
            values, missing, positions, size, AGGREGATIONS[column.name]
        )
        columns[column.name] = measure_series(sums[column.name], out_missing, column.kind)
    if csat == "average":
        columns["csat_score"] = _weighted_mean(
            measure_views(frame["csat_score"], "float"),
            measure_views(frame["csat_responses"], "int"),
            sums["csat_responses"],
            positions,
        )
    if sl is not None:
        for name, (values, missing) in sl.columns.items():
            out, out_missing = _reduce(values, missing, positions, size, "sum")
            columns[name] = measure_series(out, out_missing, SL_CARRIED_COUNTS[name])
        columns[SL_THRESHOLD_COLUMN] = threshold_series(sl.threshold_ms, size)

    for key in (*keys, "queue_name"):
        if key in columns and columns[key].dtype != dtypes[key]:
            columns[key] = columns[key].astype(dtypes[key])
    order = [k for k in KEY_COLUMNS if k in columns]
    rest = [c for c in columns if c not in order]
    return pd.DataFrame({name: columns[name] for name in order + rest}, copy=False)


def _datetimes(ms: np.ndarray, tz: str) -> pd.Series:
    index = pd.DatetimeIndex(ms.astype("datetime64[ms]")).tz_localize("UTC").tz_convert(tz)
    return pd.Series(index.as_unit("ms"))


def _reduce(
    values: np.ndarray,
    missing: np.ndarray,
    positions: np.ndarray,
    size: int,
    how: Literal["sum", "max"],
) -> tuple[np.ndarray, np.ndarray]:
    """Sum or max ``values`` into ``size`` slots, and where a slot has a missing input."""
    out = np.zeros(size, dtype=values.dtype)
    if how == "sum":
        np.add.at(out, positions, values)
    else:
        np.maximum.at(out, positions, values)
    out_missing = np.zeros(size, dtype=bool)
    if missing.any():  # (missing values are usually none at all)
        out_missing[positions[missing]] = True
    return out, out_missing


def _float_sums(values: np.ndarray, positions: np.ndarray, size: int) -> np.ndarray:
    """``values`` (float64) summed into ``size`` slots, in row order: ``np.add.at``'s sums.

    ``np.bincount`` adds each weight to its bin in order from 0.0, as ``np.add.at``
    does into zeros (so the same floats, to the bit), and its loop measured many
    times faster than ``ufunc.at``'s float one on some arrays.
    """
    return np.bincount(positions, weights=values, minlength=size)


#: Below this a float64 holds every whole number exactly, and sums of them too.
_EXACT_FLOAT_INTEGERS = 2**53


def _weighted_mean(
    scores: tuple[np.ndarray, np.ndarray],
    weights: tuple[np.ndarray, np.ndarray],
    count_sums: np.ndarray,
    positions: np.ndarray,
) -> pd.Series:
    """Average the scores into the slots of ``count_sums``, each weighted by its count.

    ``count_sums`` are the counts summed per slot (missing ones as 0). A slot is
    missing (``Float64`` NA) where its counts add up to 0 (no average to take), where
    a count is missing, or where a value with a positive count is; a value whose
    count is 0 does not weigh in, missing or not. The products are made and added a
    block of rows at a time, in row order: the same sums as one pass would make.
    """
    values, missing = scores
    counts, counts_missing = weights
    size = len(count_sums)
    if len(count_sums) and int(count_sums.max()) >= _EXACT_FLOAT_INTEGERS:
        count = np.zeros(size)  # float sums that may round: made as floats, in order
        np.add.at(count, positions, counts.astype(np.float64))
    else:
        count = count_sums.astype(np.float64)  # what float sums of them give, exactly
    total = np.zeros(size)
    out_missing = np.zeros(size, dtype=bool)
    plain = not missing.any() and not counts_missing.any()
    if plain:
        # Nothing missing (the usual case): a value whose count is 0 adds 0 exactly,
        # the same sums as leaving it out, without the masks; unless a value is not
        # finite (inf * 0), which the slot's total then shows.
        total = _float_sums(values * counts, positions, size)
        plain = bool(np.isfinite(total).all())
    if not plain:
        total[:] = 0.0
        for block in row_blocks(len(values)):
            weighed = counts[block] > 0
            product = values[block] * counts[block]
            np.add.at(total, positions[block], np.where(weighed & ~missing[block], product, 0.0))
            bad = counts_missing[block] | (missing[block] & weighed)
            if bad.any():
                out_missing[positions[block][bad]] = True
    out_missing |= count == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(out_missing, 0.0, total / np.where(count == 0, 1.0, count))
    return measure_series(mean, out_missing, "float")


def _latest_names(
    frame: pd.DataFrame, codes: np.ndarray, n_groups: int, row_start: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """Each group's queue_name from its latest record that has one (of those, the last row).

    Found with two maxima per group (the latest start among rows with a name, then the
    last such row) instead of sorting the rows by time: the names are only read for the
    few rows chosen. Rows in time order (as read) need one: the last named row, looked
    for from the end.
    """
    names = frame["queue_name"].astype(contract_dtypes()["queue_name"]).array
    arrow = getattr(names, "_pa_array", None)  # Arrow's null count spares a mask
    if isinstance(arrow, pa_arrow.ChunkedArray) and arrow.null_count == 0:
        every, has_name = True, np.ones(0, dtype=bool)
    else:
        has_name = ~np.asarray(names.isna(), dtype=bool)
        every = bool(has_name.all())
    if len(row_start) < 2 or is_sorted(row_start):
        return names.take(_last_rows(codes, has_name, every, n_groups), allow_fill=True)
    ids = codes % n_groups  # each row's group (codes are bucket * n_groups + group)
    named = np.arange(len(names)) if every else np.flatnonzero(has_name)
    named_ids = ids if every else ids[named]
    row = np.full(n_groups, -1, dtype=np.int64)
    starts = row_start if every else row_start[named]
    latest = np.full(n_groups, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, named_ids, starts)
    chosen = np.flatnonzero(starts == latest[named_ids])
    np.maximum.at(row, named_ids[chosen], named[chosen])
    return names.take(row, allow_fill=True)


#: The rows :func:`_last_rows` looks at first, per group (doubled each time short).
_TAIL_ROWS_PER_GROUP = 4


def _last_rows(codes: np.ndarray, has_name: np.ndarray, every: bool, n_groups: int) -> np.ndarray:
    """Each group's last row with a name (-1 for none), reading blocks from the end.

    ``codes`` are the rows' slot codes (bucket * ``n_groups`` + group).

    A row in a later block comes after every row of an earlier one, so once each group
    has a row the earlier blocks cannot change it: for rows as read (every queue in
    every interval) the last block of a few intervals is all that is read. Every group
    has a row (the ids number the groups present), so with every name present the
    search ends there; else it may read the whole frame, as one pass would.
    """
    row = np.full(n_groups, -1, dtype=np.int64)
    stop, block = len(codes), max(_TAIL_ROWS_PER_GROUP * n_groups, 1 << 16)
    while stop > 0:
        begin = max(stop - block, 0)
        if every:
            np.maximum.at(row, codes[begin:stop] % n_groups, np.arange(begin, stop))
        else:
            named = begin + np.flatnonzero(has_name[begin:stop])
            np.maximum.at(row, codes[named] % n_groups, named)
        if bool((row >= 0).all()):
            break
        stop, block = begin, 2 * block
    return row


def _empty_buckets(df: pd.DataFrame, keys: list[str], tz: str, sl: SlCounts | None) -> pd.DataFrame:
    """The result without rows: the columns and dtypes a frame of ``df``'s buckets would have."""
    dtypes = contract_dtypes()
    names = list(keys)
    if "queue_id" in keys and "queue_name" not in keys and "queue_name" in df.columns:
        names.insert(keys.index("queue_id") + 1, "queue_name")
    columns: dict[str, Any] = {k: pd.Series([], dtype=dtypes[k]) for k in names}
    columns["interval_start"] = pd.Series([], dtype=f"datetime64[ms, {tz}]")
    columns["interval_end"] = pd.Series([], dtype=f"datetime64[ms, {tz}]")
    for column in MEASURE_COLUMNS:
        columns[column.name] = pd.Series([], dtype=dtypes[column.name])
    if sl is not None:
        for name in sl.columns:
            kind = SL_CARRIED_COUNTS[name]
            columns[name] = pd.Series([], dtype="Float64" if kind == "float" else "Int64")
        columns[SL_THRESHOLD_COLUMN] = threshold_series(sl.threshold_ms, 0)
    out = pd.DataFrame(columns)
    order = [k for k in KEY_COLUMNS if k in out.columns]
    return out[order + [c for c in out.columns if c not in order]]
