"""Contact-centre KPIs from the totals of each row, with honest service-level bounds.

Every KPI is a ratio of two totals of the same row (never an average of averages),
so it is right for a 15-minute record and for any bucket of
:func:`cvframe.resample_intervals` alike. Definitions: ``shared/reference/NOTES.md``
(Genesys glossary for AHT and ASA; Genesys, Amazon Connect and Cisco UCCE for the
service-level denominators).

The records carry the total and the longest wait of the answered contacts, not each
contact's wait, so the number answered within the threshold ``T`` is only bounded.
``S`` (the total wait of the ``A`` answered contacts) and ``M`` (the longest) are
whole milliseconds, and the waits behind them need not be: each may have been
rounded to the nearest millisecond, truncated or rounded up before ``S`` and ``M``
were taken, or the exact waits added up and only the total rounded (for a bucket of
:func:`cvframe.resample_intervals`, each record's total), and ``T`` compared with the
exact waits or with the rounded ones. Either way each wait compared with ``T`` is
within 1 ms of its recorded value, so the longest lies in ``(M - 1, M + 1)``, and
their total ``V`` in ``(S - 2A, S + 2A)`` (``A`` ms for the waits rounded one by one,
``A`` more for the totals rounded record by record). The bounds hold for every such
``V`` and longest, so no kind of rounding can make them exclude the true count:

* if ``M + 1 <= T``, every wait was under ``T``: none missed, exactly;
* else at most ``min(A, ceil((S - M + 2A + 1) / T))`` missed: if any did, the
  longest did, and each other one that missed waited more than ``T`` out of the rest
  of the total, less than ``S + 2A - (M - 1)``;
* and at least ``ceil((S - 2A - A·T) / (M + 1 - T))``: if ``k`` missed, each of them
  waited at most the longest and each of the other ``A - k`` at most ``T``, so
  ``V <= (A - k)·T + k·(M + 1)``; and at least 1 if ``M - 1 >= T`` (the longest
  certainly missed).
* With ``M`` missing: between 0 and ``min(A, ceil((S + 2A) / T) - 1)``.

The margins cost little: ``M = T`` is no longer "exact" (the longest may have been
20000.4 ms for ``T = 20 s``); the most missed grows by at most one contact (while
``2A < T``), only where ``S - M`` lands just under a multiple of ``T``; and the
fewest loosens only where ``M`` exceeds ``T`` by less than a few ``A`` ms.

The lower bound says more than "the one that waited ``M``" only when the contacts
waited well over ``T`` on average: a busy interval.

Those bounds are on a count, and counts add up: a frame from
:func:`cvframe.resample_intervals` with ``sl_threshold`` carries, per bucket, the sums
of its records' bounds and estimates (:data:`cvframe._analytics._resample.SL_COUNT_COLUMNS`).
:func:`kpis` divides those instead, which keeps the tightness of the 15-minute records
however coarse the bucket; a bucket's own longest wait would say far less.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._durations import duration_ms
from .._frame import COLUMNS
from ._checks import check_input
from ._resample import (
    DEFAULT_CSAT,
    SL_COUNT_COLUMNS,
    CsatReading,
    carries_sl_counts,
    csat_reading,
    duration_words,
    measure_arrays,
    measure_series,
    recorded_sl_threshold,
)

__all__ = ["KPI_COLUMNS", "SL_DENOMINATORS", "SlDenominator", "kpis"]

SlDenominator = Literal["offered", "answered", "answered+abandoned"]

#: What service level is divided by, per ``sl_denominator``: "offered" counts
#: abandons as misses (Cisco's "negative", Amazon Connect), "answered" ignores them,
#: "answered+abandoned" is Genesys' default.
SL_DENOMINATORS: Mapping[str, tuple[str, ...]] = {
    "offered": ("offered_contacts",),
    "answered": ("answered_contacts",),
    "answered+abandoned": ("answered_contacts", "abandoned_contacts"),
}

#: Average durations: KPI -> (total duration, count), kept as data for the README table.
AVERAGES: Mapping[str, tuple[str, str]] = {
    "aht": ("conversation_handle_time", "completed_contacts"),
    "asa": ("queue_hold_time_answered", "answered_contacts"),
    "avg_abandon_wait": ("queue_hold_time_abandoned", "abandoned_contacts"),
    "avg_talk_time": ("conversation_talk_time", "completed_contacts"),
    "avg_hold_time": ("hold_duration", "completed_contacts"),
    "avg_acw_time": ("acw_duration", "completed_contacts"),
}

#: Ratios: KPI -> (numerator, denominator).
RATIOS: Mapping[str, tuple[str, str]] = {
    "abandon_rate": ("abandoned_contacts", "offered_contacts"),
    "answer_rate": ("answered_contacts", "offered_contacts"),
    # With csat="average" (the default) csat_score already is the average: it is taken
    # as it is where there are responses; with csat="sum" it is divided by them.
    "csat_average": ("csat_score", "csat_responses"),
}

#: The columns :func:`kpis` adds, in order.
KPI_COLUMNS: tuple[str, ...] = (
    *AVERAGES,
    *RATIOS,
    "service_level_low",
    "service_level",
    "service_level_high",
    "service_level_exact",
)

#: How far a whole-millisecond wait may be from the exact wait it was made from: less
#: than this, whether it was rounded to the nearest, truncated or rounded up. The
#: bounds widen each recorded quantity by it (see the module docstring).
ROUNDING_MARGIN_MS = 1.0

_KIND = {c.name: c.kind for c in COLUMNS}
_REQUIRED: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *(name for pair in AVERAGES.values() for name in pair),
            *(name for pair in RATIOS.values() for name in pair),
            "max_queue_hold_time_answered",
        ]
    )
)


def threshold_ms(value: Any, *, name: str = "sl_threshold") -> float:
    """A positive duration (``"20s"``, a Timedelta) in milliseconds, or ValueError.

    cvframe's one duration reader (:func:`cvframe._durations.parse_duration`): a string
    needs its unit, a bare number is refused.
    """
    return duration_ms(value, name=name)


class _Floats:
    """A frame's measure columns as (float values with 0 for missing, missing mask).

    Each column is converted once per call however many KPIs read it (the counts
    divide several). The arrays are shared: read them, never write to them.
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.done: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self.done:
            values, missing = measure_arrays(self.df[name], _KIND[name])
            self.done[name] = values.astype(np.float64), missing
        return self.done[name]


def _arrays(df: pd.DataFrame | _Floats, name: str) -> tuple[np.ndarray, np.ndarray]:
    columns = df if isinstance(df, _Floats) else _Floats(df)
    return columns(name)


def _ratio(
    df: pd.DataFrame | _Floats, numerator: str, denominator: str
) -> tuple[np.ndarray, np.ndarray]:
    """numerator / denominator as floats, and where it is NA (missing input or 0 count)."""
    num, num_missing = _arrays(df, numerator)
    den, den_missing = _arrays(df, denominator)
    na = num_missing | den_missing | (den == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(na, 0.0, num / np.where(na, 1.0, den))
    return value, na


def service_level_bounds(
    answered: np.ndarray,
    total_wait: np.ndarray,
    max_wait: np.ndarray,
    max_wait_missing: np.ndarray,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fewest, estimated and most answered contacts that waited longer than a threshold.

    The one implementation of the bounds (see the module docstring for why they
    hold): :func:`kpis` uses it on each row, and :func:`cvframe.resample_intervals`
    with ``sl_threshold`` on each record before it sums the counts.

    Parameters
    ----------
    answered : numpy.ndarray
        ``A``, answered contacts per row (float, whole numbers).
    total_wait : numpy.ndarray
        ``S``, their total queue wait, in milliseconds.
    max_wait : numpy.ndarray
        ``M``, their longest queue wait, in milliseconds (any value where missing).
    max_wait_missing : numpy.ndarray
        Boolean, where ``M`` is missing.
    threshold : float
        ``T``, in milliseconds; positive.

    Returns
    -------
    low, estimate, high : numpy.ndarray
        Per row, as floats. With a rounding margin of ``2·A`` ms on ``S`` and 1 ms on
        ``M`` (see the module docstring): if ``A = 0`` or ``M + 1 <= T``, all 0 (no
        wait can have exceeded T); else ``high = min(A, ceil((S - M + 2·A + 1) / T))``
        and ``low = max(1 if M - 1 >= T else 0, ceil((S - 2·A - A·T) / (M + 1 - T)))``,
        clipped to at most ``high``; if ``M`` is missing, ``low = 0`` and
        ``high = min(A, ceil((S + 2·A) / T) - 1)``. The estimate is clipped to
        ``[low, high]``. NA inputs other than ``M`` are the caller's business.

    Examples
    --------
    Four answered contacts waited 150 s in all, the longest 60 s; with T = 20 s at
    least 2 missed (if only the longest had, the other three would have waited at
    most 60 s together, not 90 s) and at most 4:

    >>> import numpy as np
    >>> low, estimate, high = service_level_bounds(
    ...     np.array([4.0]), np.array([150_000.0]), np.array([60_000.0]),
    ...     np.array([False]), 20_000.0)
    >>> low.tolist(), high.tolist()
    ([2.0], [4.0])
    """
    a, s, m, t = answered, total_wait, max_wait, threshold
    slack = ROUNDING_MARGIN_MS * 2.0 * a  # how far S may be from the waits compared with T
    # Could any wait have exceeded T (the longest may be up to 1 ms over M), and must
    # the longest have (it is more than M - 1)?
    possible = (a > 0) & ~max_wait_missing & (m + ROUNDING_MARGIN_MS > t)
    certain = possible & (m - ROUNDING_MARGIN_MS >= t)
    unknown_max = (a > 0) & max_wait_missing
    high = np.zeros_like(a)
    most = _ceil_div(s - m + slack + ROUNDING_MARGIN_MS, t)
    high = np.where(possible, np.minimum(a, np.maximum(most, 0.0)), high)
    high = np.where(
        unknown_max, np.minimum(a, np.maximum(_ceil_div(s + slack, t) - 1.0, 0.0)), high
    )
    gap = np.where(possible, m + ROUNDING_MARGIN_MS - t, 1.0)
    fewest = np.maximum(_ceil_div(s - slack - a * t, gap), np.where(certain, 1.0, 0.0))
    low = np.where(possible, np.minimum(fewest, high), 0.0)
    # The estimate: the waits other than the longest taken as exponential with their mean.
    over = possible & (m > t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        others = np.maximum(a - 1.0, 0.0)
        mean_other = np.where(others > 0, np.maximum(s - m, 0.0) / others, 0.0)
        tail_other = np.where(mean_other > 0, np.exp(-t / mean_other), 0.0)
        mean_all = np.where(a > 0, s / a, 0.0)
        tail_all = np.where(mean_all > 0, np.exp(-t / mean_all), 0.0)
    estimate = np.where(over, 1.0 + others * tail_other, 0.0)
    estimate = np.where(unknown_max, a * tail_all, estimate)
    return low, np.clip(estimate, low, high), high


def _ceil_div(numerator: np.ndarray, denominator: np.ndarray | float) -> np.ndarray:
    """The smallest whole ``k`` with ``k·denominator >= numerator`` (denominator > 0).

    A float quotient can land a hair past a whole number, so ``ceil`` is checked
    against the products in both directions; with whole-millisecond inputs (and sums
    far below 2**53) the products are exact, so the result is too.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.ceil(numerator / denominator)
        k = np.where((k - 1.0) * denominator >= numerator, k - 1.0, k)
        return np.where(k * denominator < numerator, k + 1.0, k)


def answered_within_threshold(
    df: pd.DataFrame | _Floats, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: (fewest, estimated, most) answered within ``threshold`` ms, and where unknown."""
    answered, answered_missing = _arrays(df, "answered_contacts")
    total_wait, total_missing = _arrays(df, "queue_hold_time_answered")
    max_wait, max_missing = _arrays(df, "max_queue_hold_time_answered")
    missed_low, missed_estimate, missed_high = service_level_bounds(
        answered, total_wait, max_wait, max_missing, threshold
    )
    unknown = answered_missing | total_missing
    return answered - missed_high, answered - missed_estimate, answered - missed_low, unknown


def _argument(ms: int) -> str:
    """A threshold in ms as one would pass it: '20s', '1500ms'."""
    return repr(f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms")


def _carried_within(
    df: pd.DataFrame, threshold: float, sl_threshold: Any, columns: _Floats
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`answered_within_threshold`, from the counts a resampled ``df`` carries."""
    recorded = recorded_sl_threshold(df)
    if recorded is not None and recorded != threshold:
        raise ValueError(
            f"sl_threshold {sl_threshold!r} differs from the {duration_words(recorded)} that "
            f"the frame's answered_within_sl_* columns count: pass sl_threshold="
            f"{_argument(recorded)}, or resample the 15-minute "
            f"records with resample_intervals(..., sl_threshold={sl_threshold!r}), or drop "
            "those columns (the bounds then come from each row's longest wait)"
        )
    low, estimate, high = (
        measure_arrays(df[name], kind) for name, kind in SL_COUNT_COLUMNS.items()
    )
    _, answered_missing = columns("answered_contacts")
    unknown = low[1] | estimate[1] | high[1] | answered_missing
    return (
        low[0].astype(np.float64),
        estimate[0].astype(np.float64),
        high[0].astype(np.float64),
        unknown,
    )


def kpis(
    df: pd.DataFrame,
    *,
    sl_threshold: str | pd.Timedelta | dt.timedelta = "20s",
    sl_denominator: SlDenominator = "offered",
    csat: CsatReading = DEFAULT_CSAT,
) -> pd.DataFrame:
    """Add KPI columns computed from the totals of each row.

    Works on call-volume records and on the buckets of
    :func:`cvframe.resample_intervals` alike; resample first, then compute KPIs, so
    that every KPI is a ratio of totals. A zero (or missing) denominator gives NA,
    never ``inf`` or an error.

    ======================  =====================================================
    column                  definition
    ======================  =====================================================
    ``aht``                 conversation_handle_time / completed_contacts
    ``asa``                 queue_hold_time_answered / answered_contacts
    ``avg_abandon_wait``    queue_hold_time_abandoned / abandoned_contacts
    ``avg_talk_time``       conversation_talk_time / completed_contacts
    ``avg_hold_time``       hold_duration / completed_contacts
    ``avg_acw_time``        acw_duration / completed_contacts
    ``abandon_rate``        abandoned_contacts / offered_contacts
    ``answer_rate``         answered_contacts / offered_contacts
    ``csat_average``        csat_score where csat_responses > 0 (or, with
                            ``csat="sum"``, csat_score / csat_responses)
    ``service_level_low``   fewest possible answered within T / denominator
    ``service_level``       estimate (see below) / denominator
    ``service_level_high``  most possible answered within T / denominator
    ``service_level_exact``  True when low == high (the value is known exactly)
    ======================  =====================================================

    Averages are ``timedelta64[ms]`` (rounded to the millisecond); rates are
    ``Float64``; ``service_level_exact`` is ``bool``.

    "Answered within T" means a queue wait of at most T. With A answered
    contacts, S their total wait and M the longest, and margins for the rounding
    of the waits to whole milliseconds (2·A ms on S, 1 ms on M; see the module
    docstring): if M + 1 ≤ T all A made it (exact); else at least
    ``max(1 if M - 1 ≥ T else 0, ceil((S - 2A - A·T) / (M + 1 - T)))`` and at most
    ``min(A, ceil((S - M + 2A + 1) / T))`` missed T (a missing M gives between 0
    and ``min(A, ceil((S + 2A) / T) - 1)``). The estimate takes the longest wait as
    one miss (when M > T) and the other A - 1 waits as exponentially distributed
    with their known mean ``(S - M) / (A - 1)``, so ``1 + (A - 1) exp(-T (A - 1) /
    (S - M))`` missed; it is clipped to the bounds, so it always lies within them.

    A frame from :func:`cvframe.resample_intervals` with ``sl_threshold`` carries
    these counts worked out per 15-minute record and summed per bucket
    (``answered_within_sl_low``, ``answered_within_sl_estimate``,
    ``answered_within_sl_high``, for the threshold in its ``sl_threshold`` column).
    The service-level columns are then those sums over the denominator: the same
    formulas, applied where the longest wait says the most, so a day's bounds are
    as tight as its quarter-hours allow, not those of the day's single longest wait.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame with the contract's count and duration columns.
    sl_threshold : str or Timedelta, default "20s"
        The service-level threshold T; a positive duration. If ``df`` carries
        service-level counts, it must be the threshold they were counted for.
    sl_denominator : {"offered", "answered", "answered+abandoned"}, default "offered"
        What "answered within T" is divided by: offered contacts (abandons count as
        misses), answered contacts (abandons ignored), or answered plus abandoned
        (Genesys' default).
    csat : {"average", "sum"}, default "average"
        How ``csat_score`` is read (:data:`cvframe._analytics._resample.CSAT_READINGS`):
        the average score of the row's ``csat_responses`` (what the newer API pages
        say; a bucket of :func:`cvframe.resample_intervals` holds the
        response-weighted mean), so ``csat_average`` is ``csat_score`` itself; or
        their sum, divided here by ``csat_responses``. Either way it is NA without
        responses. Pass the same as to :func:`cvframe.resample_intervals`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with :data:`KPI_COLUMNS` added (replacing any already there).

    Raises
    ------
    ValueError
        If ``df`` lacks contract columns (they are named), ``sl_denominator`` is
        unknown, ``csat`` is not ``"average"`` or ``"sum"``, ``sl_threshold`` is not
        a positive duration, or it differs from
        the one that the service-level counts ``df`` carries were counted for (resample
        with that threshold, or drop the counts).

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a", "queueId": "q1",
    ...     "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
    ...     "intervalEndTimeStamp": "2024-01-01T09:15:00Z",
    ...     "offeredContacts": 10, "answeredContacts": 8, "abandonedContacts": 2,
    ...     "completedContacts": 8, "conversationHandleTime": 1_440_000,
    ...     "queueHoldTimeAnswered": 120_000, "maxQueueHoldTimeAnswered": 45_000,
    ...     "csatResponses": 4, "csatScore": 4.5}])
    >>> out = cvframe.kpis(df, sl_threshold="20s")
    >>> out.loc[0, "aht"], out.loc[0, "asa"]
    (Timedelta('0 days 00:03:00'), Timedelta('0 days 00:00:15'))
    >>> out[["abandon_rate", "csat_average", "service_level_low", "service_level_high"]]
       abandon_rate  csat_average  service_level_low  service_level_high
    0           0.2           4.5                0.4                 0.7
    >>> print(f"{out.loc[0, 'service_level']:.3f}", out.loc[0, "service_level_exact"])
    0.592 False

    Resampled with a threshold, a frame carries its records' counts, which kpis
    uses (one record here, so the same numbers); another threshold is refused:

    >>> hour = cvframe.resample_intervals(df, "1h", sl_threshold="20s")
    >>> cvframe.kpis(hour, sl_threshold="20s")[["service_level_low", "service_level_high"]]
       service_level_low  service_level_high
    0                0.4                 0.7
    >>> cvframe.kpis(hour, sl_threshold="30s")
    Traceback (most recent call last):
    ...
    ValueError: sl_threshold '30s' differs from the 20 seconds that the frame's ...
    """
    threshold = threshold_ms(sl_threshold)
    reading = csat_reading(csat)
    if sl_denominator not in SL_DENOMINATORS:
        raise ValueError(
            f"sl_denominator must be one of {list(SL_DENOMINATORS)}, got {sl_denominator!r}"
        )
    check_input(df, [*_REQUIRED, *SL_DENOMINATORS[sl_denominator]], what="kpis")

    out = df.drop(columns=[c for c in KPI_COLUMNS if c in df.columns])
    columns = _Floats(df)
    for name, (total, count) in AVERAGES.items():
        value, na = _ratio(columns, total, count)
        series = measure_series(np.rint(value).astype(np.int64), na, "duration")
        out[name] = series.set_axis(df.index)
    for name, (numerator, denominator) in RATIOS.items():
        if name == "csat_average" and reading == "average":
            value, na = columns(numerator)
            responses, responses_missing = columns(denominator)
            na = na | responses_missing | (responses == 0)
        else:
            value, na = _ratio(columns, numerator, denominator)
        out[name] = measure_series(value, na, "float").set_axis(df.index)

    if carries_sl_counts(df):
        within_low, within, within_high, na = _carried_within(df, threshold, sl_threshold, columns)
    else:
        within_low, within, within_high, na = answered_within_threshold(columns, threshold)
    sl_base = np.zeros(len(df))
    for name in SL_DENOMINATORS[sl_denominator]:
        values, missing = columns(name)
        sl_base += values
        na = na | missing
    na |= sl_base == 0
    safe = np.where(na, 1.0, sl_base)
    for column, in_time in (
        ("service_level_low", within_low),
        ("service_level", within),
        ("service_level_high", within_high),
    ):
        level = np.where(na, 0.0, in_time / safe)
        out[column] = measure_series(level, na, "float").set_axis(df.index)
    out["service_level_exact"] = pd.Series(~na & (within_low == within_high), index=df.index)
    return out
