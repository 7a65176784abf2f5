"""Contact-centre KPIs from the totals of each row: :func:`kpis`.

Every KPI is a ratio of two totals of the same row (never an average of averages),
so it is right for a 15-minute record and for any bucket of
:func:`cvframe.resample_intervals` alike. Definitions: ``shared/reference/NOTES.md``
(Genesys glossary for AHT and ASA; Genesys, Amazon Connect and Cisco UCCE for the
service-level denominators). The service-level bounds are those of
:mod:`._service_level`, which derives them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._durations import duration_ms
from ._blocks import each_block
from ._checks import check_input
from ._measures import DEFAULT_CSAT, CsatReading, FloatColumns, csat_reading, measure_series
from ._service_level import (
    ABANDONED_WITHIN,
    ANSWERED_WITHIN,
    DEFAULT_SL_DENOMINATOR,
    DEFAULT_SL_THRESHOLD,
    SL_CARRIED_COUNTS,
    WITHIN_COLUMNS,
    SlDenominator,
    answered_within_threshold,
    carried_abandoned_within,
    carried_answered_within,
    carries_abandoned_counts,
    carries_sl_counts,
    check_carried_threshold,
    sl_definition,
    sl_ratio,
    within_threshold,
)

__all__ = ["AVERAGES", "KPI_COLUMNS", "RATIOS", "kpis"]


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


_REQUIRED: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *(name for pair in AVERAGES.values() for name in pair),
            *(name for pair in RATIOS.values() for name in pair),
            "max_queue_hold_time_answered",
        ]
    )
)


def _ratio(
    columns: FloatColumns, numerator: str, denominator: str
) -> tuple[np.ndarray, np.ndarray]:
    """numerator / denominator as floats, and where it is NA (missing input or 0 count)."""
    num, num_missing = columns(numerator)
    den, den_missing = columns(denominator)
    na = num_missing | den_missing | (den == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(na, 0.0, num / np.where(na, 1.0, den))
    return value, na


def kpis(
    df: pd.DataFrame,
    *,
    sl_threshold: str | pd.Timedelta | dt.timedelta = DEFAULT_SL_THRESHOLD,
    sl_denominator: SlDenominator = DEFAULT_SL_DENOMINATOR,
    csat: CsatReading = DEFAULT_CSAT,
) -> pd.DataFrame:
    """Add KPI columns computed from the totals of each row.

    Works on call-volume records and on the buckets of
    :func:`cvframe.resample_intervals` alike; resample first, then compute KPIs, so
    that every KPI is a ratio of totals. A zero (or missing) denominator gives NA,
    never ``inf`` or an error.

    ======================= =====================================================
    column                  definition
    ======================= =====================================================
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
    ======================= =====================================================

    Averages are ``timedelta64[ms]`` (rounded to the millisecond); rates are
    ``Float64``; ``service_level_exact`` is ``bool``.

    "Answered within T" means a queue wait of at most T. A row carries only the
    total wait S and the longest wait M of its A answered contacts, so that count is
    bounded: the fewest and the most that can have waited at most T whatever the
    single waits were (allowing for their rounding to whole milliseconds), with
    ``service_level_exact`` where the two meet (e.g. M + 1 ms ≤ T: all A made it).
    The estimate lies within the bounds: half their midpoint, half a model of the
    waits (the longest one miss when M > T, the other A - 1 exponential cut at M
    with their mean ``(S - M) / (A - 1)``), the blend that had the lowest error of
    the estimators compared on simulated waits (``benchmarks/sl_estimators.py``).
    The README's "Service level, honestly" section gives the formulas, why they
    hold, and the comparison.

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
    sl_denominator : str, default "offered"
        The definition of service level, with AW the contacts answered within T and
        BW those abandoned within T (bounded from the abandoned contacts' total and
        longest wait, as AW is from the answered ones'), O, A, B offered, answered,
        abandoned: ``"offered"`` (AW / O: abandons count as misses),
        ``"answered"`` (AW / A: abandons ignored), ``"answered+abandoned"``
        (AW / (A + B)), or a vendor's: ``"genesys"`` (AW / (A + B)),
        ``"amazon_connect"`` ((AW + BW) / O), ``"cisco_negative"`` (AW / O),
        ``"cisco_ignore_abandons"`` (AW / (O − BW)), ``"cisco_positive"``
        ((AW + BW) / O). The README's table gives each one's source and what the
        records cannot give (short abandons, flow-outs: none is excluded). The low
        and high columns combine the counts' ends (the ratio grows with AW and BW),
        and ``service_level_exact`` needs both counts exact. On a resampled frame
        BW comes from each bucket's own abandoned totals: right, but wide for long
        buckets, unless the frame carries BW's counts too (a resample with
        ``sl_threshold`` does: ``abandoned_within_sl_low``, ``_estimate``, ``_high``),
        which it then divides, as tight as the records allow.
    csat : {"average", "sum"}, default "average"
        How ``csat_score`` is read:
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
        If ``df`` lacks contract columns (they are named; a definition with BW reads
        ``queue_hold_time_abandoned`` and ``max_queue_hold_time_abandoned`` too),
        ``sl_denominator`` is unknown (the message lists every name), ``csat`` is
        not ``"average"`` or ``"sum"``, ``sl_threshold`` is not a positive duration,
        or it differs from the one that the service-level counts ``df`` carries
        were counted for (resample
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
    0.568 False

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
    threshold = duration_ms(sl_threshold, name="sl_threshold")
    reading = csat_reading(csat)
    definition = sl_definition(sl_denominator)
    check_input(df, [*_REQUIRED, *definition.columns], what="kpis")

    out = df.drop(columns=[c for c in KPI_COLUMNS if c in df.columns])
    carried = carries_sl_counts(df)
    abandoned_carried = (
        ABANDONED_WITHIN in definition.bounded
        and carried
        and carries_abandoned_counts(df, answered=True)
    )
    if carried:
        check_carried_threshold(df, threshold, sl_threshold)
    n = len(df)
    averages = {name: (np.empty(n, dtype=np.int64), np.empty(n, dtype=bool)) for name in AVERAGES}
    ratios = {name: (np.empty(n), np.empty(n, dtype=bool)) for name in RATIOS}
    levels = tuple(np.empty(n) for _ in range(3))
    sl_na, sl_exact = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    frame = FloatColumns(df)
    # Every column read in place here, before any block (and thread) reads it.
    for name in dict.fromkeys([*_REQUIRED, *definition.columns, *WITHIN_COLUMNS[ANSWERED_WITHIN]]):
        frame.raw(name)
    if ABANDONED_WITHIN in definition.bounded:
        for name in WITHIN_COLUMNS[ABANDONED_WITHIN]:
            frame.raw(name)
    for name, kind in SL_CARRIED_COUNTS.items() if carried else ():
        if name in df.columns:
            frame.raw(name, kind)

    def block(rows: slice) -> None:
        # Every KPI is elementwise: made a block of rows at a time (small temporaries,
        # the same floats), each block writing only its own rows.
        columns = frame.block(rows)
        for name, (total, count) in AVERAGES.items():
            value, na = _ratio(columns, total, count)
            averages[name][0][rows] = np.rint(value)
            averages[name][1][rows] = na
        for name, (numerator, denominator) in RATIOS.items():
            if name == "csat_average" and reading == "average":
                value, na = columns(numerator)
                responses, responses_missing = columns(denominator)
                na = na | responses_missing | (responses == 0)
            else:
                value, na = _ratio(columns, numerator, denominator)
            ratios[name][0][rows] = value
            ratios[name][1][rows] = na
        within = {
            ANSWERED_WITHIN: carried_answered_within(columns, threshold, sl_threshold, check=False)
            if carried
            else answered_within_threshold(columns, threshold)
        }
        if ABANDONED_WITHIN in definition.bounded:
            # From the counts carried, else each row's own abandoned totals (an older
            # version's buckets too: right, but wide where they are long).
            within[ABANDONED_WITHIN] = (
                carried_abandoned_within(columns)
                if abandoned_carried
                else within_threshold(columns, threshold, ABANDONED_WITHIN)
            )
        block_levels, na, exact = sl_ratio(definition, columns, within)
        for level, value in zip(levels, block_levels, strict=True):
            level[rows] = value
        sl_na[rows], sl_exact[rows] = na, exact

    each_block(block, n)
    for name, (whole_ms, na) in averages.items():
        out[name] = measure_series(whole_ms, na, "duration").set_axis(df.index)
    for name, (value, na) in ratios.items():
        out[name] = measure_series(value, na, "float").set_axis(df.index)
    for column, level in zip(
        ("service_level_low", "service_level", "service_level_high"), levels, strict=True
    ):
        out[column] = measure_series(level, sl_na, "float").set_axis(df.index)
    out["service_level_exact"] = pd.Series(sl_exact, index=df.index)
    return out
