"""A forecasting-ready wide frame: one column per series, a regular DatetimeIndex."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ._buckets import parse_freq
from ._measures import MEASURE_COLUMNS, key_list
from ._resample import resample_intervals

__all__ = ["to_series"]

_METRICS = tuple(c.name for c in MEASURE_COLUMNS)


def to_series(
    df: pd.DataFrame,
    metric: str = "offered_contacts",
    freq: str | pd.DateOffset | pd.Timedelta = "30min",
    *,
    tz: str | None = None,
    by: str | Sequence[str] | None = "queue_id",
) -> pd.DataFrame:
    """One metric as a wide frame: a column per series, a row per bucket, zeros for gaps.

    The buckets are those of :func:`cvframe.resample_intervals` with
    ``fill_gaps=True``; the index holds their starts, is regular and has its
    ``freq`` set, which statsmodels, sktime and Prophet expect.

    Parameters
    ----------
    df : pandas.DataFrame
        Call-volume records, or buckets of :func:`cvframe.resample_intervals`.
    metric : str, default "offered_contacts"
        A count, score or total-duration column of the contract.
    freq : str, DateOffset or Timedelta, default "30min"
        As for :func:`cvframe.resample_intervals`.
    tz : str, optional
        The clock the buckets follow; the index is in this zone.
    by : str, list of str or None, default "queue_id"
        The key column(s) whose values name the columns (a MultiIndex for several);
        ``None`` gives a single column named after ``metric``.

    Returns
    -------
    pandas.DataFrame
        Index ``interval_start`` (a DatetimeIndex with ``freq``), one column per
        series, values with the metric's contract dtype.

    Raises
    ------
    ValueError
        If ``metric`` is not a measure column, ``df`` lacks contract columns or
        breaks the input contract that :func:`cvframe.resample_intervals` checks
        (a repeated ``id``; a negative, fractional, infinite or non-numeric count;
        a negative duration; naive timestamps; ``interval_end <=
        interval_start``), or the buckets are not evenly spaced (e.g. ``"2h"`` on
        a local clock across a DST change): use ``tz=None`` or a ``freq`` that
        divides an hour, or days.

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.records_to_frame([
    ...     {"_id": "a", "queueId": "q1", "offeredContacts": 4,
    ...      "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
    ...      "intervalEndTimeStamp": "2024-01-01T09:15:00Z"},
    ...     {"_id": "b", "queueId": "q2", "offeredContacts": 7,
    ...      "intervalStartTimeStamp": "2024-01-01T10:15:00Z",
    ...      "intervalEndTimeStamp": "2024-01-01T10:30:00Z"}])
    >>> wide = cvframe.to_series(df, "offered_contacts", "30min")
    >>> wide
    queue_id                   q1  q2
    interval_start
    2024-01-01 09:00:00+00:00   4   0
    2024-01-01 09:30:00+00:00   0   0
    2024-01-01 10:00:00+00:00   0   7
    >>> wide.index.freqstr
    '30min'
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {list(_METRICS)}, got {metric!r}")
    keys = key_list(by)
    spec = parse_freq(freq)
    buckets = resample_intervals(df, freq, by=by, tz=tz, fill_gaps=True)
    if keys:
        wide = buckets.pivot(index="interval_start", columns=keys, values=metric)
    else:
        wide = buckets.set_index("interval_start")[[metric]]
    wide = wide.sort_index()
    offset = spec.index_offset()
    index = pd.DatetimeIndex(wide.index)
    if len(index):
        regular = pd.date_range(index[0], periods=len(index), freq=offset).as_unit("ms")
        if not regular.equals(index):
            raise ValueError(
                f"the {spec.text!r} buckets in {index.tz} are not evenly spaced (a DST "
                "change moves some of them), so they cannot form a regular index; use "
                "tz=None, a freq that divides an hour, or days"
            )
        wide.index = regular
    else:
        wide.index = pd.DatetimeIndex([], dtype=index.dtype, freq=offset)
    wide.index.name = "interval_start"
    return wide
