"""Forecast-ready series: :func:`to_series`, wide (a column per series) or long (Nixtla).

The buckets are those of :func:`cvframe.resample_intervals`; a KPI is taken per bucket by
:func:`cvframe.kpis` from the bucket's sums, never as an average of averages. This module
adds what forecasting libraries need on top: a regular index, the long ``unique_id`` /
``ds`` / ``y`` layout, readable series labels, partial edge buckets trimmed or flagged,
and a tz-naive local clock.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._frame import frame_window
from ._buckets import instant_text, parse_freq, to_utc_ms
from ._kpis import AVERAGES, RATIOS, kpis
from ._measures import MEASURE_COLUMNS, column_tz, instants_ms, key_list
from ._resample import resample_intervals
from ._service_level import DEFAULT_SL_DENOMINATOR, DEFAULT_SL_THRESHOLD, sl_definition

__all__ = ["EDGES", "KPI_METRICS", "LABELS", "LAYOUTS", "series_labels", "to_series"]

_MEASURES = tuple(c.name for c in MEASURE_COLUMNS)
_DURATION_MEASURES = frozenset(c.name for c in MEASURE_COLUMNS if c.kind == "duration")

#: The KPIs :func:`to_series` takes as ``metric``, each a ratio of a bucket's sums.
KPI_METRICS: tuple[str, ...] = ("aht", "asa", "service_level", "abandon_rate")
_DURATION_KPIS = frozenset(("aht", "asa"))
#: The columns a service level needs besides its denominator's.
_SL_COLUMNS = ("answered_contacts", "queue_hold_time_answered", "max_queue_hold_time_answered")

Layout = Literal["wide", "long"]
Label = Literal["name", "id"]
Edges = Literal["trim", "flag", "keep"]
LAYOUTS: tuple[str, ...] = ("wide", "long")
LABELS: tuple[str, ...] = ("name", "id")
EDGES: tuple[str, ...] = ("trim", "flag", "keep")

#: The fewest characters of a queue id shown after a name that other ids share too.
_ID_PREFIX = 8
#: What joins the parts of a long-layout ``unique_id`` when ``by`` names several keys.
_KEY_JOIN = " / "


def _choice(value: Any, accepted: tuple[str, ...], name: str) -> None:
    if not isinstance(value, str) or value not in accepted:
        raise ValueError(f"{name} must be one of {list(accepted)}, got {value!r}")


def _kpi_columns(metric: str, sl_denominator: str) -> tuple[str, ...]:
    """The contract columns ``metric`` (a KPI) is computed from."""
    if metric in AVERAGES:
        return AVERAGES[metric]
    if metric in RATIOS:
        return RATIOS[metric]
    columns = sl_definition(sl_denominator).columns
    return (*_SL_COLUMNS, *(c for c in columns if c not in _SL_COLUMNS))


def to_series(
    df: pd.DataFrame,
    metric: str = "offered_contacts",
    freq: str | pd.DateOffset | pd.Timedelta = "30min",
    *,
    tz: str | None = None,
    by: str | Sequence[str] | None = "queue_id",
    layout: Layout = "wide",
    label: Label = "name",
    edges: Edges = "trim",
    start: Any = None,
    end: Any = None,
    tz_naive: bool = False,
    sl_threshold: str | pd.Timedelta | dt.timedelta | None = None,
    sl_denominator: str | None = None,
) -> pd.DataFrame:
    """One metric per series and bucket, ready for a forecasting library.

    The buckets are those of :func:`cvframe.resample_intervals` with
    ``fill_gaps=True``. ``layout="wide"`` gives a column per series and a row per
    bucket, indexed by the bucket starts as a regular ``DatetimeIndex`` with its
    ``freq`` set (statsmodels, sktime, darts); ``layout="long"`` gives the columns
    ``unique_id``, ``ds`` and ``y``, a row per series and bucket, sorted by
    ``unique_id`` then ``ds`` (statsforecast, neuralforecast, MLForecast; Prophet
    with ``tz_naive=True``).

    **Metrics.** A measure column (a count, score or total duration) is the bucket's
    sum (its maximum for ``max_*``). A KPI, ``"aht"``, ``"asa"``, ``"service_level"``
    or ``"abandon_rate"``, is :func:`cvframe.kpis` of the bucket: a ratio of the
    bucket's sums (e.g. AHT = handle time / completed contacts of the whole bucket),
    never an average of the records' own KPIs. ``"service_level"`` is the estimate
    (between :func:`cvframe.kpis`' bounds, exact where they meet), with the
    records' service-level counts carried through the resampling
    (``resample_intervals(sl_threshold=...)``), so a day's value is as tight as its
    quarter hours allow.

    **Gaps.** Zero-filling applies to counts and totals: a bucket without a record
    holds 0 contacts. A KPI is NA (NaN in the long layout) in a bucket whose
    denominator is 0 (no contacts answered, completed or offered), filled gaps
    included: there is no rate to give, and 0 would be a wrong one.

    **Partial edge buckets.** A first or last bucket that reaches outside what was
    read holds part of a bucket's contacts (e.g. a New York day of which only 19:00 to
    midnight was read, because the read started at 00:00 UTC): as a day's volume it
    is wrong, and a forecaster reads it as a dip (a seasonal naive repeats it). The
    *covered span* is ``[start, end)`` where given; otherwise the window the frame was
    read for, which :func:`cvframe.read_callvolume`, the other readers and
    :func:`cvframe.read_snapshot` record on it (``df.attrs["cvframe_window"]``). A
    bucket is *covered* when it lies wholly inside the span; a covered bucket is
    complete, quiet or not (the API sends no record for a quarter hour without
    contacts, so a quiet last quarter hour does not make a day partial). With the span
    known, ``edges="trim"`` (the default) drops the buckets that are not covered,
    ``"flag"`` keeps them with a boolean ``partial`` column (long layout only) and
    ``"keep"`` keeps them unmarked. Where a side of the span is unknown (no
    ``start``/``end`` and no recorded window, e.g. a frame built by hand or by
    :func:`cvframe.records_to_frame`), the frame cannot tell "no contacts" from "not
    read", so nothing is dropped on that side: a first (last) bucket that the records
    do not reach from its start (to its end) is kept, flagged with ``"flag"``, and a
    ``UserWarning`` names it and says to pass ``start``/``end`` or read with
    cvframe's readers (``"keep"`` keeps it without a warning). The recorded window
    holds for the rows read: a frame filtered or concatenated since has none (its
    span is unknown, as above), so pass ``start``/``end`` for a cut read. No bucket
    is added for the span's quiet ends: the series runs from the first record's
    bucket to the last's.

    Parameters
    ----------
    df : pandas.DataFrame
        Call-volume records, or buckets of :func:`cvframe.resample_intervals` (finer
        than ``freq``: a bucket of ``freq`` itself always covers its whole bucket).
    metric : str, default "offered_contacts"
        A measure column of the contract, or one of :data:`KPI_METRICS`.
    freq : str, DateOffset or Timedelta, default "30min"
        As for :func:`cvframe.resample_intervals`.
    tz : str, optional
        The clock the buckets follow; the index (``ds``) is in this zone.
    by : str, list of str or None, default "queue_id"
        The key column(s) that tell the series apart; ``None`` gives one series,
        named after ``metric``.
    layout : {"wide", "long"}, default "wide"
        Wide: values with the metric's dtype (``Int64`` counts, ``timedelta64[ms]``
        totals and AHT/ASA, ``Float64`` rates). Long: ``y`` is ``float64`` for every
        metric (forecasting libraries fit floats), durations in seconds, NaN where a
        KPI is undefined.
    label : {"name", "id"}, default "name"
        How a series is named when ``by`` holds ``queue_id``: by its ``queue_name``
        (the latest one its records carry; its id where it has none), with the id
        added where several ids share a name: ``"Billing (q-1a2b3c…)"``, the
        shortest prefix of at least 8 characters that tells the ids apart (the whole
        id when that is short). The columns' level is then named ``queue``. A frame
        whose records carry no name at all (or no ``queue_name``) gives the ids, as
        ``"id"`` does. ``"id"``: the ids themselves, level
        ``queue_id`` (what ``to_series`` gave before it named series).
    edges : {"trim", "flag", "keep"}, default "trim"
        What happens to a first or last bucket that is not covered (above); with the
        span unknown, ``"trim"`` drops nothing (and warns).
        ``"flag"`` needs ``layout="long"``: a wide frame's rows hold every series at
        once, and a ``partial`` column there would read as one more series.
    start, end : timestamp-like, optional
        The covered span and the buckets returned: ``[start, end)``, each a bucket
        boundary, as for :func:`cvframe.resample_intervals` (a naive time is read in
        ``tz``). Each one given overrides that side of the frame's recorded window.
    tz_naive : bool, default False
        Give the bucket starts as wall-clock times of ``tz`` without a zone (Prophet
        refuses tz-aware ``ds``). Days, weeks and months map one to one. Buckets
        shorter than a day cannot where a DST change falls in the span: the clock
        skips an hour in spring (the wall times are no longer evenly spaced) and
        shows one twice in autumn (two buckets would share a ``ds``). That is a
        ValueError naming the change, never a silently repeated ``ds``: keep the
        zone, use ``tz="UTC"`` (naive UTC), or days.
    sl_threshold : str or Timedelta, optional
        The service-level threshold T (``metric="service_level"`` only); default
        ``"20s"``, as for :func:`cvframe.kpis`.
    sl_denominator : str, optional
        What the service level is divided by (``metric="service_level"`` only), as
        for :func:`cvframe.kpis`; default ``"offered"``.

    Returns
    -------
    pandas.DataFrame
        Wide: index ``interval_start`` (a ``DatetimeIndex`` with ``freq``), one
        column per series, sorted by their labels. Long: ``unique_id`` (str),
        ``ds`` (datetime), ``y`` (``float64``), and ``partial`` (bool) with
        ``edges="flag"``; the multi-key ``unique_id`` joins its labels with ``" / "``.

    Warns
    -----
    UserWarning
        Where a side of the covered span is unknown and its edge bucket may be partial
        (above), unless ``edges="keep"``.

    Raises
    ------
    ValueError
        If ``metric``, ``layout``, ``label`` or ``edges`` is not one of the accepted
        values (they are listed); ``edges="flag"`` with the wide layout; a KPI on a
        frame lacking its columns (they are named); ``sl_threshold`` or
        ``sl_denominator`` with another metric; ``df`` breaks the input contract
        that :func:`cvframe.resample_intervals` checks; the buckets are not evenly
        spaced (e.g. ``"2h"`` on a local clock across a DST change: use ``tz=None``,
        a ``freq`` that divides an hour, or days); or ``tz_naive`` meets a DST change
        (above).

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.records_to_frame([
    ...     {"_id": "a", "queueId": "q1", "queueName": "Sales", "offeredContacts": 4,
    ...      "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
    ...      "intervalEndTimeStamp": "2024-01-01T09:15:00Z"},
    ...     {"_id": "b", "queueId": "q2", "queueName": "Billing", "offeredContacts": 7,
    ...      "intervalStartTimeStamp": "2024-01-01T10:15:00Z",
    ...      "intervalEndTimeStamp": "2024-01-01T10:30:00Z"}])
    >>> wide = cvframe.to_series(df, "offered_contacts", "30min")
    >>> wide
    queue                      Billing  Sales
    interval_start
    2024-01-01 09:00:00+00:00        0      4
    2024-01-01 09:30:00+00:00        0      0
    2024-01-01 10:00:00+00:00        7      0
    >>> wide.index.freqstr
    '30min'
    >>> list(cvframe.to_series(df, "offered_contacts", "30min", label="id").columns)
    ['q1', 'q2']

    The long layout, hourly, for a read of 09:00 to 10:30 (the window a reader would
    record): the 10:00 hour is partial, trimmed by default and flagged on request:

    >>> from cvframe._frame import with_window  # what the readers do
    >>> read = with_window(df.copy(), "2024-01-01 09:00", "2024-01-01 10:30")
    >>> cvframe.to_series(read, freq="1h", layout="long")
      unique_id                        ds    y
    0   Billing 2024-01-01 09:00:00+00:00  0.0
    1     Sales 2024-01-01 09:00:00+00:00  4.0
    >>> cvframe.to_series(read, freq="1h", layout="long", edges="flag", tz_naive=True)
      unique_id                  ds    y  partial
    0   Billing 2024-01-01 09:00:00  0.0    False
    1   Billing 2024-01-01 10:00:00  7.0     True
    2     Sales 2024-01-01 09:00:00  4.0    False
    3     Sales 2024-01-01 10:00:00  0.0     True

    Without a window (``records_to_frame`` records none), the 10:00 hour may be
    partial or quiet after 10:30: it is kept, with a warning naming it:

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     len(cvframe.to_series(df, freq="1h"))
    2
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    to_series: the last bucket (freq 'h') starting 2024-01-01 10:00:00+00:00 (the records ...
    """
    _choice(metric, (*_MEASURES, *KPI_METRICS), "metric")
    _choice(layout, LAYOUTS, "layout")
    _choice(label, LABELS, "label")
    _choice(edges, EDGES, "edges")
    if edges == "flag" and layout == "wide":
        raise ValueError(
            "edges='flag' needs layout='long': a wide frame's rows hold every series, so a "
            "partial column would read as one more series; use edges='trim' or 'keep', "
            "or layout='long'"
        )
    if not isinstance(tz_naive, bool):
        raise ValueError(f"tz_naive must be True or False, got {tz_naive!r}")
    is_sl = metric == "service_level"
    if not is_sl and (sl_threshold is not None or sl_denominator is not None):
        raise ValueError(
            f"sl_threshold and sl_denominator apply to metric='service_level' only, "
            f"not {metric!r}; leave them out"
        )
    threshold = DEFAULT_SL_THRESHOLD if sl_threshold is None else sl_threshold
    denominator = DEFAULT_SL_DENOMINATOR if sl_denominator is None else sl_denominator
    if metric in KPI_METRICS:
        lacking = [c for c in _kpi_columns(metric, denominator) if c not in df.columns]
        if lacking:
            raise ValueError(
                f"metric {metric!r} is computed from {list(_kpi_columns(metric, denominator))}; "
                f"df lacks {lacking}"
            )
    keys = key_list(by)
    spec = parse_freq(freq)
    buckets = resample_intervals(
        df,
        freq,
        by=by,
        tz=tz,
        fill_gaps=True,
        start=start,
        end=end,
        sl_threshold=threshold if is_sl else None,
    )
    zone = column_tz(buckets["interval_start"])
    if metric in KPI_METRICS:
        kwargs: dict[str, Any] = {"sl_threshold": threshold}
        if is_sl:
            kwargs["sl_denominator"] = denominator
        buckets = kpis(buckets, **kwargs)

    partial, unsure = _partial_buckets(df, buckets, zone, start, end)
    if edges != "keep" and unsure:
        _warn_unsure(unsure, spec.index_offset().freqstr, zone, edges)
    if edges == "flag":
        partial |= _unsure_rows(buckets, unsure)
    if edges == "trim" and partial.any():
        buckets = buckets.loc[~partial].reset_index(drop=True)
        partial = np.zeros(len(buckets), dtype=bool)

    starts = _bucket_starts(buckets, spec)
    if tz_naive:
        starts = _naive(starts, spec, zone)
    names = _labels_per_row(buckets, keys, label)
    if layout == "long":
        return _long(buckets, metric, keys, names, starts, partial if edges == "flag" else None)
    return _wide(buckets, metric, keys, names, starts)


def _partial_buckets(
    df: pd.DataFrame, buckets: pd.DataFrame, zone: str, start: Any, end: Any
) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Per bucket row: whether it reaches outside the known covered span; the unsure edges.

    A side of the span is known from ``start``/``end``, else from the window a reader
    recorded on ``df`` (:func:`cvframe._frame.frame_window`). Where a side is unknown,
    nothing is partial on it; the edge is *unsure* (``("first", bucket start ms)`` or
    ``("last", ...)``) when the records' first start (last end) is not the first
    bucket's start (last bucket's end): that bucket may be partial or merely quiet.
    """
    out = np.zeros(len(buckets), dtype=bool)
    unsure: list[tuple[str, int]] = []
    if buckets.empty:
        return out, unsure
    window = frame_window(df)
    lo: int | None = None
    hi: int | None = None
    if start is not None:
        lo = to_utc_ms(start, zone, name="start")
    elif window is not None:
        lo = to_utc_ms(window[0], zone, name="start")
    if end is not None:
        hi = to_utc_ms(end, zone, name="end")
    elif window is not None:
        hi = to_utc_ms(window[1], zone, name="end")
    b_start = instants_ms(buckets["interval_start"], name="interval_start")
    b_end = instants_ms(buckets["interval_end"], name="interval_end")
    row_start = instants_ms(df["interval_start"], name="interval_start")
    row_end = instants_ms(df["interval_end"], name="interval_end")
    if lo is not None:
        out |= b_start < lo
    elif len(row_start) and int(row_start.min()) != int(b_start.min()):
        unsure.append(("first", int(b_start.min())))
    if hi is not None:
        out |= b_end > hi
    elif len(row_end) and int(row_end.max()) != int(b_end.max()):
        unsure.append(("last", int(b_start[b_end == b_end.max()][0])))
    return out, unsure


def _unsure_rows(buckets: pd.DataFrame, unsure: list[tuple[str, int]]) -> np.ndarray:
    """Per bucket row: whether it is one of the unsure edge buckets."""
    b_start = instants_ms(buckets["interval_start"], name="interval_start")
    return np.isin(b_start, np.array([ms for _, ms in unsure], dtype=np.int64))


def _warn_unsure(unsure: list[tuple[str, int]], freq_text: str, zone: str, edges: str) -> None:
    """One warning naming the edge buckets that may be partial (the read's window unknown)."""
    where = {
        "first": "the records start after its start",
        "last": "the records end before its end",
    }
    if len(unsure) == 2 and unsure[0][1] == unsure[1][1]:  # one bucket, both edges
        named = (
            f"the only bucket (freq {freq_text!r}) starting {instant_text(unsure[0][1], zone)} "
            f"({where['first']} and end before its end)"
        )
    else:
        named = "; ".join(
            f"the {side} bucket (freq {freq_text!r}) starting {instant_text(ms, zone)} "
            f"({where[side]})"
            for side, ms in unsure
        )
    done = "kept, flagged partial" if edges == "flag" else "kept"
    warnings.warn(
        f"to_series: {named} may be partial (not wholly read) or complete (quiet there): "
        "the frame carries no read window and start=/end= were not given, so it is "
        f"{done}. Pass start=/end= (the window read), or read with cvframe's readers "
        "(read_callvolume, read_snapshot), which record the window on the frame",
        UserWarning,
        stacklevel=3,
    )


def _bucket_starts(buckets: pd.DataFrame, spec: Any) -> pd.DatetimeIndex:
    """The distinct bucket starts in order, checked to be evenly spaced (with ``freq``)."""
    index = pd.DatetimeIndex(buckets["interval_start"].drop_duplicates()).sort_values()
    offset = spec.index_offset()
    if not len(index):
        return pd.DatetimeIndex([], dtype=index.dtype, freq=offset, name="interval_start")
    regular = pd.date_range(index[0], periods=len(index), freq=offset).as_unit("ms")
    if not regular.equals(index):
        raise ValueError(
            f"the {spec.text!r} buckets in {index.tz} are not evenly spaced (a DST "
            "change moves some of them), so they cannot form a regular index; use "
            "tz=None, a freq that divides an hour, or days"
        )
    regular.name = "interval_start"
    return regular


def _naive(starts: pd.DatetimeIndex, spec: Any, zone: str) -> pd.DatetimeIndex:
    """The bucket starts as wall-clock times of ``zone``, or ValueError at a DST change."""
    wall = starts.tz_localize(None)
    if len(wall) < 2:
        return pd.DatetimeIndex(wall, freq=starts.freq, name="interval_start")
    repeated = wall.duplicated()
    if repeated.any():
        twice = wall[repeated][0]
        raise ValueError(
            f"tz_naive=True: the clock of {zone} shows {twice} twice (it goes back an hour "
            f"there), so two {spec.text!r} buckets would share that ds; keep the zone "
            "(tz_naive=False), use tz='UTC' for naive UTC times, or daily buckets"
        )
    regular = pd.date_range(wall[0], periods=len(wall), freq=spec.index_offset()).as_unit("ms")
    if not regular.equals(wall):
        gap = int(np.flatnonzero(regular != wall)[0])
        raise ValueError(
            f"tz_naive=True: the clock of {zone} skips from {wall[gap - 1]} to {wall[gap]} "
            f"(it jumps forward an hour there), so the {spec.text!r} buckets' wall times are "
            "not evenly spaced; keep the zone (tz_naive=False), use tz='UTC' for naive UTC "
            "times, or daily buckets"
        )
    return pd.DatetimeIndex(regular, freq=spec.index_offset(), name="interval_start")


def series_labels(ids: Sequence[Any], names: Sequence[Any]) -> list[str]:
    """A readable, unique label per queue: its name, with the id where names collide.

    ``ids`` are distinct queue ids and ``names`` their names (NA where unknown: the id
    is the label). Ids that share a name are labelled ``"name (prefix…)"`` with the
    shortest prefix, at least 8 characters, that tells them apart (the whole id, no
    ellipsis, when that is as short). Deterministic: the same ids and names always give
    the same labels, whatever their order.

    Examples
    --------
    >>> series_labels(["q-1a2b3c4d5e", "q-1a2b9f00", "q3"], ["Billing", "Billing", None])
    ['Billing (q-1a2b3c…)', 'Billing (q-1a2b9f…)', 'q3']
    """
    texts = [str(i) for i in ids]
    plain = [t if pd.isna(n) else str(n) for t, n in zip(texts, names, strict=True)]
    groups: dict[str, list[int]] = {}
    for position, name in enumerate(plain):
        groups.setdefault(name, []).append(position)
    out = list(plain)
    for name, members in groups.items():
        if len(members) < 2:
            continue
        shared = [texts[m] for m in members]
        width = _ID_PREFIX
        while len({s[:width] for s in shared}) < len(shared) and width < max(map(len, shared)):
            width += 1
        for m, text in zip(members, shared, strict=True):
            shown = text if len(text) <= width else f"{text[:width]}…"
            out[m] = f"{name} ({shown})"
    if len(set(out)) < len(out):  # a name that reads like another's label: ids in full
        counts = pd.Series(out).value_counts()
        out = [f"{o} [{t}]" if counts[o] > 1 else o for o, t in zip(out, texts, strict=True)]
    return out


def _labels_per_row(buckets: pd.DataFrame, keys: list[str], label: str) -> pd.Series | None:
    """The queue label of each bucket row (None when ids are kept or there are none)."""
    if label == "id" or "queue_id" not in keys or "queue_name" not in buckets.columns:
        return None
    ids = buckets["queue_id"]
    pairs = (
        pd.DataFrame({"id": ids.astype(object), "name": buckets["queue_name"].astype(object)})
        .drop_duplicates("id")
        .reset_index(drop=True)
    )
    if pairs["name"].isna().all():  # no names to give: the ids, as label="id" gives them
        return None
    mapping = dict(
        zip(pairs["id"], series_labels(list(pairs["id"]), list(pairs["name"])), strict=True)
    )
    return ids.astype(object).map(mapping)


def _values(buckets: pd.DataFrame, metric: str, *, floats: bool) -> pd.Series:
    """The metric's column; as float64 (seconds for durations, NaN for NA) if ``floats``."""
    column = buckets[metric]
    if not floats:
        return column
    if metric in _DURATION_KPIS or metric in _DURATION_MEASURES:
        seconds = column / pd.Timedelta(seconds=1)
        return pd.Series(np.asarray(seconds, dtype=np.float64), index=column.index)
    return pd.Series(column.to_numpy(dtype=np.float64, na_value=np.nan), index=column.index)


def _long(
    buckets: pd.DataFrame,
    metric: str,
    keys: list[str],
    names: pd.Series | None,
    starts: pd.DatetimeIndex,
    partial: np.ndarray | None,
) -> pd.DataFrame:
    if keys:
        parts = [
            names if k == "queue_id" and names is not None else buckets[k].astype(object)
            for k in keys
        ]
        texts = [p.map(str) for p in parts]
        unique_id = texts[0] if len(texts) == 1 else texts[0].str.cat(texts[1:], sep=_KEY_JOIN)
    else:
        unique_id = pd.Series(metric, index=buckets.index)
    # Each row's bucket start as ``starts`` gives it (naive with tz_naive): its position
    # among the distinct starts, which ``starts`` lists in the same order.
    row_ms = instants_ms(buckets["interval_start"], name="interval_start")
    ds = starts[np.searchsorted(np.unique(row_ms), row_ms)] if len(row_ms) else starts
    out = pd.DataFrame(
        {
            "unique_id": pd.Series(unique_id.to_numpy(dtype=object), dtype=str),
            "ds": pd.Series(ds.rename(None).as_unit("ms")),
            "y": _values(buckets, metric, floats=True).reset_index(drop=True),
        }
    )
    if partial is not None:
        out["partial"] = pd.Series(partial, dtype=bool)
    return out.sort_values(["unique_id", "ds"], kind="stable", ignore_index=True)


def _wide(
    buckets: pd.DataFrame,
    metric: str,
    keys: list[str],
    names: pd.Series | None,
    starts: pd.DatetimeIndex,
) -> pd.DataFrame:
    values = _values(buckets, metric, floats=False)
    if keys:
        frame = buckets[keys].copy()
        frame["interval_start"] = buckets["interval_start"]
        frame["__value"] = values
        wide = frame.pivot(index="interval_start", columns=keys, values="__value")
        if names is not None:
            mapping = dict(zip(buckets["queue_id"].astype(object), names, strict=True))
            if len(keys) == 1:
                ids = wide.columns.dtype
                # Labels of the ids' dtype: rename gives object labels on pandas 2.x.
                wide = wide.rename(columns=mapping)
                wide.columns = wide.columns.astype(ids)
                wide.columns.name = "queue"
            else:
                wide = wide.rename(columns=mapping, level="queue_id")
                wide.columns = wide.columns.set_names(
                    ["queue" if k == "queue_id" else k for k in keys]
                )
            wide = wide.sort_index(axis=1)  # by label, as the ids were
    else:
        wide = pd.DataFrame({metric: values.to_numpy()}, index=buckets["interval_start"])
    wide = wide.sort_index()
    wide.index = starts
    return wide
