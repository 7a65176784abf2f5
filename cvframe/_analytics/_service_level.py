"""Service level: how many answered contacts waited at most a threshold, as bounds.

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
* The estimate is half the midpoint of the bounds and half a model of the waits
  clipped to the bounds (so it lies within them). The model: none missed if
  ``M <= T``; else the longest wait one miss and the other ``A - 1`` waits
  exponential *cut at* ``M`` (none of them exceeded it) with their known mean
  ``(S - M) / (A - 1)``. Scaled by ``M``, such a wait has density ∝ ``exp(-c·x)``
  on ``[0, 1]``, whose mean ``1/c - 1/(e^c - 1)`` falls from 1 to 0 as ``c`` runs
  over the reals, so the mean fixes ``c`` (negative where it is over ``M / 2``: a
  density rising towards ``M``), and ``1 + (A - 1)·(e^{-cT/M} - e^{-c}) / (1 - e^{-c})``
  missed.
  With ``M`` missing: ``A·exp(-T·A / S)``, clipped (not measured: the records
  simulated below all carry ``M``).

  Chosen by measurement (``benchmarks/sl_estimators.py``, the README's table;
  ``tests/analytics/test_sl_estimator.py`` reruns it): on seeded quarter hours of
  queue waits (M/M/N+M: an atom of immediate answers plus a tail), exponential,
  lognormal, uniform and the emulator's waits, this blend has the lowest mean
  absolute error of the service level averaged over the distributions (0.0255 per
  quarter hour, 0.0151 per day), against the earlier estimate (the longest one miss,
  the others exponential *uncut*: 0.0332 and 0.0413, biased optimistic by +0.015
  per quarter hour), the midpoint alone (0.0332 and 0.0208, biased pessimistic) and
  the cut exponential alone (0.0255 and 0.0183). It trades rather than wins
  everywhere: it is best by far on the queue waits; per quarter hour the cut
  exponential alone is better on the other four, and per day the earlier estimate is
  best on the lognormal's heavy tail.

The margins cost little: ``M = T`` is no longer "exact" (the longest may have been
20000.4 ms for ``T = 20 s``); the most missed grows by at most one contact (while
``2A < T``), only where ``S - M`` lands just under a multiple of ``T``; and the
fewest loosens only where ``M`` exceeds ``T`` by less than a few ``A`` ms.

The lower bound says more than "the one that waited ``M``" only when the contacts
waited well over ``T`` on average: a busy interval.

Those bounds are on a count, and counts add up. A bucket keeps one longest wait, so
bounds taken from a bucket's own total and longest wait grow wide with the bucket.
Given ``sl_threshold``, :func:`cvframe.resample_intervals` works the counts out for
each input record, where the data pin them down best, and sums them: the true count
of a bucket is the sum of its records' true counts, each within its own bounds, so
the sums bound it. They travel in :data:`SL_COUNT_COLUMNS`, the threshold in
:data:`SL_THRESHOLD_COLUMN`; a frame that carries them is summed again when
resampled, and :func:`cvframe.kpis` divides those sums instead, which keeps the
tightness of the 15-minute records however coarse the bucket. The abandoned contacts
that hung up within ``T`` (BW, for the definitions that use it) are bounded the same
way from the abandoned contacts' total and longest wait, and carried the same way, in
:data:`SL_ABANDONED_COUNT_COLUMNS`. A frame that carries only the answered counts
(written by a version before them, or by hand) still works: :func:`cvframe.kpis` then
takes BW from each row's own abandoned totals, and a resample works BW out per row of
it (each row's bounds hold, so their sums do).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._durations import duration_ms
from ._blocks import each_block
from ._buckets import duration_words
from ._measures import FloatColumns, measure_arrays

__all__ = [
    "ABANDONED_WITHIN",
    "ANSWERED_WITHIN",
    "DEFAULT_SL_DENOMINATOR",
    "DEFAULT_SL_THRESHOLD",
    "SL_ABANDONED_COUNT_COLUMNS",
    "SL_CARRIED_COUNTS",
    "SL_COLUMNS",
    "SL_COUNT_COLUMNS",
    "SL_DENOMINATORS",
    "SL_THRESHOLD_COLUMN",
    "WITHIN_COLUMNS",
    "SlCounts",
    "SlDefinition",
    "SlDenominator",
    "abandoned_counts_in_order",
    "answered_within_threshold",
    "carried_abandoned_within",
    "carried_answered_within",
    "carries_abandoned_counts",
    "carries_sl_counts",
    "check_carried_threshold",
    "is_default_sl_threshold",
    "missed_bounds",
    "sl_counts_in_order",
    "sl_counts_to_sum",
    "sl_definition",
    "sl_ratio",
    "threshold_series",
    "truncated_exponential_tail",
    "within_threshold",
]


class _DefaultThreshold(str):
    """The default ``sl_threshold``: equal to ``"20s"``, yet told apart from a ``"20s"`` passed.

    Erlang C's deprecated ``threshold`` may only be given when ``sl_threshold`` was not;
    a ``"20s"`` the caller wrote is an explicit choice, this object is the default.
    """

    __slots__ = ()


#: The service-level threshold when none is given (:func:`cvframe.kpis`, Erlang C).
DEFAULT_SL_THRESHOLD: str = _DefaultThreshold("20s")


def is_default_sl_threshold(value: Any) -> bool:
    """Whether ``value`` is :data:`DEFAULT_SL_THRESHOLD` itself (the caller gave none)."""
    return value is DEFAULT_SL_THRESHOLD


#: The service-level counts :func:`resample_intervals` carries when given ``sl_threshold``,
#: with their kind: answered contacts that waited at most the threshold, the fewest
#: possible, :func:`cvframe.kpis`' estimate and the most possible, each summed over the
#: records of a bucket (``Int64``, ``Float64``, ``Int64``). Kept as data: the README's
#: service-level section lists the same columns.
SL_COUNT_COLUMNS: Mapping[str, Literal["int", "float"]] = {
    "answered_within_sl_low": "int",
    "answered_within_sl_estimate": "float",
    "answered_within_sl_high": "int",
}

#: The column that records the threshold the counts are for: ``timedelta64[ms]``, one
#: value in every row of a frame.
SL_THRESHOLD_COLUMN = "sl_threshold"

#: All the columns of the carried counts, which go together or not at all.
SL_COLUMNS = (*SL_COUNT_COLUMNS, SL_THRESHOLD_COLUMN)

#: The abandoned contacts that hung up within the threshold (BW), carried beside
#: :data:`SL_COUNT_COLUMNS` for the same threshold: the fewest possible, the estimate
#: and the most possible, each summed over the records of a bucket (``Int64``,
#: ``Float64``, ``Int64``), bounded from the abandoned contacts' total and longest
#: wait. All three or none, and only with :data:`SL_COLUMNS` (a frame of an older
#: version has those alone). Kept as data: the README lists the same columns.
SL_ABANDONED_COUNT_COLUMNS: Mapping[str, Literal["int", "float"]] = {
    "abandoned_within_sl_low": "int",
    "abandoned_within_sl_estimate": "float",
    "abandoned_within_sl_high": "int",
}

#: Every carried count with its kind, in the order of a resampled frame's columns
#: (then :data:`SL_THRESHOLD_COLUMN`).
SL_CARRIED_COUNTS: Mapping[str, Literal["int", "float"]] = {
    **SL_COUNT_COLUMNS,
    **SL_ABANDONED_COUNT_COLUMNS,
}


SlDenominator = Literal[
    "offered",
    "answered",
    "answered+abandoned",
    "genesys",
    "amazon_connect",
    "cisco_negative",
    "cisco_ignore_abandons",
    "cisco_positive",
]

#: The contacts answered within the threshold (waited at most T): bounded, from the
#: answered contacts' total and longest wait.
ANSWERED_WITHIN = "answered_within"
#: The abandoned contacts that waited at most T before hanging up: bounded the same
#: way, from ``queue_hold_time_abandoned`` and ``max_queue_hold_time_abandoned``.
ABANDONED_WITHIN = "abandoned_within"
#: Per bounded count: the contract columns it is worked out from (count, total wait,
#: longest wait).
WITHIN_COLUMNS: Mapping[str, tuple[str, str, str]] = {
    ANSWERED_WITHIN: (
        "answered_contacts",
        "queue_hold_time_answered",
        "max_queue_hold_time_answered",
    ),
    ABANDONED_WITHIN: (
        "abandoned_contacts",
        "queue_hold_time_abandoned",
        "max_queue_hold_time_abandoned",
    ),
}


@dataclass(frozen=True)
class SlDefinition:
    """One definition of service level: counts within T over a denominator.

    ``numerator`` adds up terms, ``denominator`` adds (``+1``) or takes away (``-1``)
    terms; a term is :data:`ANSWERED_WITHIN`, :data:`ABANDONED_WITHIN` or a count
    column. A bounded count may stand in the denominator only taken away, which
    keeps the ratio non-decreasing in every bounded count (:func:`sl_ratio` relies
    on it, and the class refuses anything else).
    """

    numerator: tuple[str, ...]
    denominator: tuple[tuple[str, int], ...]
    #: The formula in the README's words: AW, BW, O, A, B.
    formula: str
    #: Where it comes from, what is assumed and what the aggregates cannot give.
    source: str

    def __post_init__(self) -> None:
        for term, sign in self.denominator:
            if sign not in (1, -1) or (term in WITHIN_COLUMNS and sign != -1):
                raise ValueError(f"denominator term {term!r} with sign {sign}: see SlDefinition")

    @property
    def bounded(self) -> tuple[str, ...]:
        """The bounded counts it uses, answered within T first."""
        used = {*self.numerator, *(term for term, _ in self.denominator)}
        return tuple(term for term in WITHIN_COLUMNS if term in used)

    @property
    def columns(self) -> tuple[str, ...]:
        """The contract columns it reads (beyond those of answered within T)."""
        names: list[str] = []
        for term in (*self.numerator, *(term for term, _ in self.denominator)):
            names.extend(WITHIN_COLUMNS.get(term, (term,)))
        return tuple(dict.fromkeys(n for n in names if n not in WITHIN_COLUMNS[ANSWERED_WITHIN]))


_AW, _BW = ANSWERED_WITHIN, ABANDONED_WITHIN
_NO_SHORT_ABANDONS = "The records carry no count of short abandons, so none are excluded."

#: Every ``sl_denominator``: the three denominators and the vendors' named
#: definitions (``shared/reference/NOTES.md``, "metric definitions", checked against
#: the vendors' pages), kept as data: the README's table, the CLI's choices and the
#: error message for an unknown name come from it.
SL_DENOMINATORS: Mapping[str, SlDefinition] = {
    "offered": SlDefinition(
        (_AW,),
        (("offered_contacts", 1),),
        "AW / O",
        'Abandons count as misses (the same as "cisco_negative"). Talkdesk\'s '
        "answered within T / (inbound − short abandons) is this with no short abandons "
        "taken away: the records carry no count of them.",
    ),
    "answered": SlDefinition(
        (_AW,), (("answered_contacts", 1),), "AW / A", "Abandons ignored altogether."
    ),
    "answered+abandoned": SlDefinition(
        (_AW,),
        (("answered_contacts", 1), ("abandoned_contacts", 1)),
        "AW / (A + B)",
        'Genesys\' default denominator (the same as "genesys").',
    ),
    "genesys": SlDefinition(
        (_AW,),
        (("answered_contacts", 1), ("abandoned_contacts", 1)),
        "AW / (A + B)",
        "Genesys Cloud's default: (answered − answered over T) / (answered + abandoned). "
        "Its options to exclude short abandons and flow-outs cannot be applied: the "
        "records carry no short-abandon count and no flow-outs.",
    ),
    "amazon_connect": SlDefinition(
        (_AW, _BW),
        (("offered_contacts", 1),),
        "(AW + BW) / O",
        'Amazon Connect\'s "Service level X": contacts removed from the queue within T '
        "(answered or abandoned within T) / contacts queued, taking the API's offered as "
        "queued. Contacts removed by a callback or a transfer within T are not in the "
        "records, so they are not counted as removed. Amazon Connect offers only fixed "
        "thresholds (15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300, 600 s).",
    ),
    "cisco_negative": SlDefinition(
        (_AW,),
        (("offered_contacts", 1),),
        "AW / O",
        "Cisco UCCE, abandons affect it negatively: SLCalls / SLOffered, taking the "
        "API's offered as SLOffered (contacts with a service-level event). " + _NO_SHORT_ABANDONS,
    ),
    "cisco_ignore_abandons": SlDefinition(
        (_AW,),
        (("offered_contacts", 1), (_BW, -1)),
        "AW / (O − BW)",
        "Cisco UCCE, abandoned calls ignored: SLCalls / (SLOffered − SLAband), SLAband "
        "the calls abandoned within T, offered taken as SLOffered. " + _NO_SHORT_ABANDONS,
    ),
    "cisco_positive": SlDefinition(
        (_AW, _BW),
        (("offered_contacts", 1),),
        "(AW + BW) / O",
        "Cisco UCCE, abandons affect it positively: (SLCalls + SLAband) / SLOffered, "
        "offered taken as SLOffered. " + _NO_SHORT_ABANDONS,
    ),
}
#: The ``sl_denominator`` of every function and command that takes one.
DEFAULT_SL_DENOMINATOR: SlDenominator = "offered"


def sl_definition(sl_denominator: Any) -> SlDefinition:
    """The definition named ``sl_denominator``; ValueError listing every name if unknown."""
    if not isinstance(sl_denominator, str) or sl_denominator not in SL_DENOMINATORS:
        raise ValueError(
            f"sl_denominator must be one of {list(SL_DENOMINATORS)}, got {sl_denominator!r}"
        )
    return SL_DENOMINATORS[sl_denominator]


#: How far a whole-millisecond wait may be from the exact wait it was made from: less
#: than this, whether it was rounded to the nearest, truncated or rounded up. The
#: bounds widen each recorded quantity by it (see the module docstring).
ROUNDING_MARGIN_MS = 1.0


def _counts_in_order(df: pd.DataFrame, names: Mapping[str, str], count: str) -> pd.Series:
    if not set(names) <= set(df.columns) or count not in df.columns:
        return pd.Series(True, index=df.index)
    low, estimate, high = (df[name].astype("Float64") for name in names)
    total = df[count].astype("Float64")
    ok = (low <= estimate) & (estimate <= high) & (high <= total)
    return ok.fillna(True).astype(bool)


def sl_counts_in_order(df: pd.DataFrame) -> pd.Series:
    """Per row: low <= estimate <= high <= answered_contacts (True where any is NA)."""
    return _counts_in_order(df, SL_COUNT_COLUMNS, "answered_contacts")


def abandoned_counts_in_order(df: pd.DataFrame) -> pd.Series:
    """Per row: the abandoned counts' low <= estimate <= high <= abandoned_contacts."""
    return _counts_in_order(df, SL_ABANDONED_COUNT_COLUMNS, "abandoned_contacts")


def missed_bounds(
    answered: np.ndarray,
    total_wait: np.ndarray,
    max_wait: np.ndarray,
    max_wait_missing: np.ndarray,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fewest, estimated and most answered contacts that *missed* a threshold (waited longer).

    The one implementation of the bounds and the estimate that the module docstring
    derives: :func:`cvframe.kpis` uses it on each row, and
    :func:`cvframe.resample_intervals` with ``sl_threshold`` on each record before it
    sums the counts (both through :func:`answered_within_threshold`).

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
        Per row, as floats: the module docstring's bounds on the contacts that missed
        (all 0 where ``A = 0``), the estimate clipped to ``[low, high]``. NA inputs
        other than ``M`` are the caller's business.

    Examples
    --------
    Four answered contacts waited 150 s in all, the longest 60 s; with T = 20 s at
    least 2 missed (if only the longest had, the other three would have waited at
    most 60 s together, not 90 s) and at most 4:

    >>> import numpy as np
    >>> low, estimate, high = missed_bounds(
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
    # The estimate (module docstring): half the midpoint of the bounds, half the longest
    # as one miss and the others exponential truncated at M with their mean.
    over = possible & (m > t)
    others = np.maximum(a - 1.0, 0.0)
    truncated = np.zeros_like(a)
    rows = over & (others > 0) & (m > 0)
    if rows.any():
        mean_ratio = np.maximum(s[rows] - m[rows], 0.0) / others[rows] / m[rows]
        tail = truncated_exponential_tail(np.clip(mean_ratio, 1e-9, 1.0 - 1e-9), t / m[rows])
        truncated[rows] = others[rows] * tail
    truncated = np.where(over, 1.0 + truncated, 0.0)
    estimate = 0.5 * (low + high) / 2.0 + 0.5 * np.clip(truncated, low, high)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean_all = np.where(a > 0, s / a, 0.0)
        tail_all = np.where(mean_all > 0, np.exp(-t / np.where(mean_all > 0, mean_all, 1.0)), 0.0)
    estimate = np.where(unknown_max, a * tail_all, estimate)
    return low, np.clip(estimate, low, high), high


def truncated_exponential_tail(mean: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``P(X > x)`` for ``X`` on ``[0, 1]`` with density ∝ ``exp(-c·x)`` and ``E[X] = mean``.

    ``c`` (any real: negative for a mean over 1/2, a rising density) solves
    ``E[X] = 1/c - 1/(e^c - 1) = mean``, which falls with ``c``: read off a table, then
    polished by Newton steps (to within 1e-9 of the root; ``mean`` in ``(0, 1)``). The
    estimate of :func:`missed_bounds` takes the waits other than the longest, divided
    by the longest, as such an ``X``.

    Examples
    --------
    A mean of 1/2 is the uniform distribution; a mean of 0.1 an exponential of rate
    about 10, cut at 1:

    >>> import numpy as np
    >>> truncated_exponential_tail(np.array([0.5, 0.1]), np.array([0.25, 0.2])).round(4).tolist()
    [0.75, 0.1354]
    """
    table_c, table_mean = _MEAN_TABLE
    c = np.interp(mean, table_mean, table_c)
    for _ in range(_NEWTON_STEPS):
        c = c - (_truncated_mean(c) - mean) / _truncated_mean_slope(c)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        flat = np.abs(c) < 1e-9
        safe = np.where(flat, 1.0, c)
        # (e^{-cx} - e^{-c}) / (1 - e^{-c}), written so that neither sign of c overflows.
        rising = np.expm1(safe * (1.0 - x)) / np.expm1(safe)
        falling = (np.exp(-safe * x) - np.exp(-safe)) / -np.expm1(-safe)
        tail = np.where(safe > 0, falling, rising)
    return np.clip(np.where(flat, 1.0 - x, tail), 0.0, 1.0)


def _truncated_mean(c: np.ndarray) -> np.ndarray:
    """``E[X]`` for ``X`` on ``[0, 1]`` with density ∝ ``exp(-c·x)``."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        small = np.abs(c) < 1e-6
        safe = np.where(small, 1.0, c)
        mean = 1.0 / safe - 1.0 / np.expm1(safe)
    return np.where(small, 0.5 - c / 12.0, mean)


def _truncated_mean_slope(c: np.ndarray) -> np.ndarray:
    """The derivative of :func:`_truncated_mean`: ``1 / (4·sinh²(c/2)) - 1/c²`` (< 0)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        small = np.abs(c) < 1e-3
        safe = np.where(small, 1.0, c)
        slope = 1.0 / (4.0 * np.sinh(safe / 2.0) ** 2) - 1.0 / safe**2
    return np.where(small, -1.0 / 12.0 + c**2 / 240.0, slope)


def _mean_table() -> tuple[np.ndarray, np.ndarray]:
    """Rates ``c`` from -1e4 to 1e4 (denser near 0) and their means, means ascending."""
    half = np.expm1(np.linspace(0.0, np.log1p(1e4), 2049))
    c = np.concatenate([half[:0:-1], -half])  # from +1e4 down to -1e4: means ascending
    return c, _truncated_mean(c)


#: The table the rate is first read off; Newton steps then take it to the root (the
#: mean is smooth and monotone in c, and the table's spacing leaves each start well
#: inside the quadratic convergence region).
_MEAN_TABLE = _mean_table()
_NEWTON_STEPS = 2


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
    columns: FloatColumns, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: (fewest, estimated, most) answered within ``threshold`` ms, and where unknown."""
    return within_threshold(columns, threshold, ANSWERED_WITHIN)


def within_threshold(
    columns: FloatColumns, threshold: float, term: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: (fewest, estimated, most) of ``term``'s contacts within ``threshold`` ms.

    ``term`` is :data:`ANSWERED_WITHIN` or :data:`ABANDONED_WITHIN`: the same bounds
    of :func:`missed_bounds`, on the answered or on the abandoned contacts' waits.
    """
    count_column, total_column, max_column = WITHIN_COLUMNS[term]
    count, count_missing = columns(count_column)
    total_wait, total_missing = columns(total_column)
    max_wait, max_missing = columns(max_column)
    missed_low, missed_estimate, missed_high = (np.empty(len(count)) for _ in range(3))

    def bounds(rows: slice) -> None:  # elementwise: the same floats block by block
        (missed_low[rows], missed_estimate[rows], missed_high[rows]) = missed_bounds(
            count[rows], total_wait[rows], max_wait[rows], max_missing[rows], threshold
        )

    each_block(bounds, len(count))
    # No contacts means none within T, exactly, whatever their (absent) wait totals say.
    unknown = count_missing | (total_missing & (count != 0))
    return count - missed_high, count - missed_estimate, count - missed_low, unknown


def sl_ratio(
    definition: SlDefinition,
    columns: FloatColumns,
    within: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
    """Per row: the definition's (low, estimate, high), where it is NA, where it is exact.

    ``within`` holds, per bounded count the definition uses, its (fewest, estimated,
    most, unknown) from :func:`within_threshold` or the carried counts.
    """
    # Why low and high are the ratio at the counts' low and high ends: the bounded
    # counts x (AW, BW) are each known only to lie in an interval, independently of
    # each other. The numerator N is a sum of counts, so non-decreasing in each x and
    # >= 0; the denominator D only takes bounded counts away (SlDefinition refuses
    # anything else), so it is non-increasing in each. Where D > 0, N / D then is
    # non-decreasing in every x: raising x does not lower N and does not raise D.
    # Its smallest value over the box of intervals is at every x's low end, its
    # largest at every high end, and the estimates, inside the intervals, give a
    # value between the two. E.g. AW / (O - BW): d/dAW = 1 / (O - BW) > 0 and
    # d/dBW = AW / (O - BW)**2 >= 0. The smallest D (at the high ends) decides NA: a
    # denominator that may be 0 gives no ratio.
    na = np.zeros(len(columns), dtype=bool)
    plain: dict[str, np.ndarray] = {}
    for term in (*definition.numerator, *(term for term, _ in definition.denominator)):
        if term in within:
            na |= within[term][3]
        elif term not in plain:
            plain[term], missing = columns(term)
            na |= missing
    levels = []
    for end in range(3):  # low, estimate, high

        def value(term: str, end: int = end) -> np.ndarray:
            return within[term][end] if term in within else plain[term]

        numerator = sum((value(term) for term in definition.numerator), np.zeros(len(na)))
        denominator = sum(
            (sign * value(term) for term, sign in definition.denominator), np.zeros(len(na))
        )
        levels.append((numerator, denominator))
    na = na | ~(levels[2][1] > 0)
    exact = ~na
    for term in definition.bounded:
        exact &= within[term][0] == within[term][2]
    low, estimate, high = (
        np.where(na, 0.0, numerator / np.where(na, 1.0, denominator))
        for numerator, denominator in levels
    )
    return (low, estimate, high), na, exact


def _threshold_argument(ms: int) -> str:
    """A threshold in ms as one would pass it: '20s', '1500ms'."""
    return repr(f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms")


def carried_answered_within(
    columns: FloatColumns, threshold: float, sl_threshold: Any, *, check: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`answered_within_threshold`, from the counts a resampled frame carries.

    ``check=False`` skips :func:`check_carried_threshold`, for a caller that made it
    once for the whole frame and reads it a block of rows at a time.
    """
    if check:
        check_carried_threshold(columns.df, threshold, sl_threshold)
    return _carried(columns, SL_COUNT_COLUMNS, of="answered_contacts")


def check_carried_threshold(df: pd.DataFrame, threshold: float, sl_threshold: Any) -> None:
    """ValueError unless the counts ``df`` carries are for ``threshold`` (ms)."""
    recorded = _recorded_sl_threshold(df)
    if recorded is not None and recorded != threshold:
        raise ValueError(
            f"sl_threshold {sl_threshold!r} differs from the {duration_words(recorded)} that "
            f"the frame's answered_within_sl_* columns count: pass sl_threshold="
            f"{_threshold_argument(recorded)}, or resample the 15-minute "
            f"records with resample_intervals(..., sl_threshold={sl_threshold!r}), or drop "
            "those columns (the bounds then come from each row's longest wait)"
        )


def carried_abandoned_within(
    columns: FloatColumns,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`within_threshold` for BW, from the counts a resampled frame carries.

    The threshold is the frame's (:func:`carried_answered_within` checks it).
    """
    return _carried(columns, SL_ABANDONED_COUNT_COLUMNS, of="abandoned_contacts")


def _carried(
    columns: FloatColumns, counts: Mapping[str, Any], *, of: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (low, estimate, high) counts a resampled frame carries in ``counts``' columns,
    as floats, and where they are unknown: any of them or the contacts ``of`` missing."""
    low, estimate, high = (columns.raw(name, kind) for name, kind in counts.items())
    _, of_missing = columns(of)
    unknown = low[1] | estimate[1] | high[1] | of_missing
    return (
        low[0].astype(np.float64),
        estimate[0].astype(np.float64),
        high[0].astype(np.float64),
        unknown,
    )


@dataclass(frozen=True)
class SlCounts:
    """Service-level counts to sum: per column (values, missing) of each row, and the threshold."""

    #: The threshold in ms; None for a frame that carries the columns but has no rows.
    threshold_ms: int | None
    columns: Mapping[str, tuple[np.ndarray, np.ndarray]]

    def subset(self, keep: np.ndarray) -> SlCounts:
        """The counts of the rows where ``keep`` is True."""
        return SlCounts(
            self.threshold_ms,
            {
                name: (values[keep], missing[keep])
                for name, (values, missing) in self.columns.items()
            },
        )


def carries_sl_counts(df: pd.DataFrame) -> bool:
    """Whether ``df`` carries the service-level counts; ValueError if only some of them."""
    present = [name for name in SL_COLUMNS if name in df.columns]
    if present and len(present) < len(SL_COLUMNS):
        missing = [name for name in SL_COLUMNS if name not in df.columns]
        raise ValueError(
            f"the frame has {present} but not {missing}: the service-level counts and their "
            "threshold go together; drop them all, or resample the records with sl_threshold"
        )
    carries_abandoned_counts(df, answered=bool(present))
    return bool(present)


def carries_abandoned_counts(df: pd.DataFrame, *, answered: bool | None = None) -> bool:
    """Whether ``df`` carries the abandoned counts; ValueError if only some, or alone.

    ``answered``: whether it carries :data:`SL_COLUMNS` (found when not given).
    """
    present = [name for name in SL_ABANDONED_COUNT_COLUMNS if name in df.columns]
    if not present:
        return False
    if len(present) < len(SL_ABANDONED_COUNT_COLUMNS):
        missing = [name for name in SL_ABANDONED_COUNT_COLUMNS if name not in df.columns]
        raise ValueError(
            f"the frame has {present} but not {missing}: the abandoned-within counts go "
            "together; drop them all (BW then comes from each row's abandoned totals), or "
            "resample the records with sl_threshold"
        )
    if answered is None:
        answered = all(name in df.columns for name in SL_COLUMNS)
    if not answered:
        missing = [name for name in SL_COLUMNS if name not in df.columns]
        raise ValueError(
            f"the frame has {present} but not {missing}: the abandoned-within counts go with "
            "the answered ones and their threshold; drop them too, or resample the records "
            "with sl_threshold"
        )
    return True


def _recorded_sl_threshold(df: pd.DataFrame) -> int | None:
    """The threshold (ms) of the counts ``df`` carries; None when it has no rows."""
    values, missing = measure_arrays(df[SL_THRESHOLD_COLUMN], "duration")
    if missing.any():
        raise ValueError(
            f"{SL_THRESHOLD_COLUMN} has missing values; every row needs the threshold its "
            "answered_within_sl_* counts are for"
        )
    distinct = np.unique(values)
    if len(distinct) > 1:
        words = ", ".join(duration_words(int(v)) for v in distinct)
        raise ValueError(
            f"{SL_THRESHOLD_COLUMN} holds several thresholds ({words}): counts for different "
            "thresholds cannot be added up; resample each part with the same sl_threshold"
        )
    return int(distinct[0]) if len(distinct) else None


def sl_counts_to_sum(df: pd.DataFrame, sl_threshold: Any) -> SlCounts | None:
    """The counts to sum: those ``df`` carries, else its records' for ``sl_threshold``."""
    wanted: int | None = None
    if sl_threshold is not None:
        value = duration_ms(sl_threshold, name="sl_threshold")
        if value != math.floor(value):
            raise ValueError(
                f"sl_threshold must be a whole number of milliseconds (the contract's "
                f"resolution, in which it is recorded), got {sl_threshold!r}"
            )
        wanted = int(value)
    if carries_sl_counts(df):
        recorded = _recorded_sl_threshold(df)
        if wanted is not None and recorded is not None and wanted != recorded:
            raise ValueError(
                f"sl_threshold {sl_threshold!r} ({duration_words(wanted)}) differs from the "
                f"{duration_words(recorded)} that the frame's answered_within_sl_* columns "
                "count, and buckets cannot be recounted: resample the 15-minute records with "
                f"sl_threshold={sl_threshold!r}, or drop those columns first"
            )
        _check_order(df, sl_counts_in_order, "answered")
        threshold = recorded if recorded is not None else wanted
        columns = {name: measure_arrays(df[name], kind) for name, kind in SL_COUNT_COLUMNS.items()}
        if carries_abandoned_counts(df, answered=True):
            _check_order(df, abandoned_counts_in_order, "abandoned")
            columns.update(
                (name, measure_arrays(df[name], kind))
                for name, kind in SL_ABANDONED_COUNT_COLUMNS.items()
            )
        else:  # a frame of an older version: BW's bounds of each of its rows, summed
            at = float(threshold) if threshold is not None else 1.0  # (no rows: any)
            bounds = within_threshold(FloatColumns(df), at, ABANDONED_WITHIN)
            columns.update(_count_columns(SL_ABANDONED_COUNT_COLUMNS, bounds))
        return SlCounts(threshold, columns)
    if wanted is None:
        return None
    floats = FloatColumns(df)
    return SlCounts(
        wanted,
        {
            **_count_columns(SL_COUNT_COLUMNS, answered_within_threshold(floats, float(wanted))),
            **_count_columns(
                SL_ABANDONED_COUNT_COLUMNS,
                within_threshold(floats, float(wanted), ABANDONED_WITHIN),
            ),
        },
    )


def _check_order(df: pd.DataFrame, in_order: Any, term: str) -> None:
    disorder = ~in_order(df).to_numpy(dtype=bool)
    if disorder.any():
        i = int(np.flatnonzero(disorder)[0])
        raise ValueError(
            f"row {i} breaks {term}_within_sl_low <= {term}_within_sl_estimate <= "
            f"{term}_within_sl_high <= {term}_contacts"
        )


def _count_columns(
    names: Mapping[str, str], bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(values, missing) per count column from (low, estimate, high, unknown)."""
    *values, unknown = bounds
    return {
        name: (
            np.where(unknown, 0, value).astype(np.int64 if kind == "int" else np.float64),
            unknown,
        )
        for (name, kind), value in zip(names.items(), values, strict=True)
    }


def threshold_series(threshold_ms: int | None, size: int) -> pd.Series:
    """The :data:`SL_THRESHOLD_COLUMN` of ``size`` rows (0 ms for a frame without rows)."""
    data = np.full(size, 0 if threshold_ms is None else threshold_ms, dtype=np.int64)
    return pd.Series(data.view("timedelta64[ms]"), dtype="timedelta64[ms]")
