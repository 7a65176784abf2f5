"""Rolling interval records up into coarser buckets, and the contract of the result.

The API sends one record per queue per 15-minute interval. :func:`resample_intervals`
sums the counts and total durations of the records that fall in each bucket
(``max_*`` fields take the maximum), in UTC or on a local clock, and can fill the
buckets that have no record with explicit zeros. Its output follows
:data:`IntervalSchema`, so it can be resampled again or fed to :func:`cvframe.kpis`.

How buckets are found: every 15-minute slot (UTC) around the data is

1. read on the wall clock of ``tz``;
2. floored to ``freq`` there (a multiple of minutes or days from the Unix epoch, a
   week or a calendar month);
3. mapped back to an instant, keeping the slot's own UTC offset when the floored
   wall time exists with it (so at a fall-back the repeated hour is a bucket of its
   own), else the first instant the wall clock shows it;
4. and, if that instant is earlier than the previous slot's (the wall clock went back
   into a bucket that has ended), given the previous slot's bucket instead.

Consecutive slots with the same result form a bucket, from its first slot to the end
of its last, which is what makes a local day 23 or 25 hours long on a DST day without
a special case. A record belongs to the bucket that holds its start and must end in it.

Service-level counts: a bucket keeps one longest wait, so the bounds :func:`cvframe.kpis`
derives from a row's total and longest wait grow wide with the bucket. Given
``sl_threshold``, the fewest and most answered contacts within it (and kpis' estimate)
are worked out for each input record, where the data pin them down best, and summed:
the true count of a bucket is the sum of its records' true counts, each within its own
bounds, so the sums bound it. They travel in :data:`SL_COUNT_COLUMNS`, the threshold in
:data:`SL_THRESHOLD_COLUMN`; a frame that carries them is summed again when resampled.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
from pandas.tseries.frequencies import to_offset

from .._errors import SchemaError
from .._frame import COLUMNS, Column, contract_dtypes
from ._checks import check_input

__all__ = [
    "AGGREGATIONS",
    "CSAT_READINGS",
    "INTERVAL_LENGTH",
    "KEY_COLUMNS",
    "MEASURE_COLUMNS",
    "SL_COUNT_COLUMNS",
    "SL_THRESHOLD_COLUMN",
    "IntervalSchema",
    "resample_intervals",
]

#: The length of one API record's interval. A fixed ``freq`` must be a whole multiple
#: of it (and of the intervals of the frame being resampled).
INTERVAL_LENGTH = pd.Timedelta(minutes=15)

#: Contract columns that identify a series; ``by`` takes any of them. (``id`` names a
#: record, not a series, so it is not one.)
KEY_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in COLUMNS if c.kind == "string" and c.name != "id"
)

#: Contract columns that hold a count, a score or a duration: what a bucket adds up.
MEASURE_COLUMNS: tuple[Column, ...] = tuple(
    c for c in COLUMNS if c.kind in ("int", "float", "duration") and c.name != "version"
)

#: How each measure combines over a bucket: the ``max_*`` fields are maxima, the
#: rest are totals. Kept as data: the README's resampling section lists the same rule.
AGGREGATIONS: Mapping[str, Literal["sum", "max"]] = {
    c.name: "max" if c.name.startswith("max_") else "sum" for c in MEASURE_COLUMNS
}

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

_SL_COLUMNS = (*SL_COUNT_COLUMNS, SL_THRESHOLD_COLUMN)

CsatReading = Literal["average", "sum"]

#: How ``csat_score`` is read, the ``csat`` argument of :func:`resample_intervals` and
#: :func:`cvframe.kpis`. The call-volume page calls it only a "CSAT score from customer
#: feedback" (its sample, 1 response and score 1, fits both readings); the newer API
#: pages (agent performance, skill breakdown) call the same field the *average* CSAT
#: score, and their samples (3 responses, score 4) read only so. Kept as data: the
#: README's KPI section states the same choice.
CSAT_READINGS: Mapping[str, str] = {
    "average": "the average score of the row's csat_responses: a bucket takes the "
    "response-weighted mean, sum(csat_score * csat_responses) / sum(csat_responses), "
    "NA without responses; kpis reports it as csat_average",
    "sum": "the sum of the scores of the row's csat_responses: a bucket sums it; kpis "
    "divides it by csat_responses",
}

#: The reading used unless ``csat`` says otherwise: what the newer API pages document.
DEFAULT_CSAT: CsatReading = "average"


def csat_reading(value: Any) -> CsatReading:
    """``value`` if it is one of :data:`CSAT_READINGS`, else ValueError naming them."""
    if not isinstance(value, str) or value not in CSAT_READINGS:
        raise ValueError(
            f"csat must be one of {list(CSAT_READINGS)}, got {value!r}: 'average' if the "
            "API's csatScore is the average score of csatResponses (the default, as the "
            "newer API pages say), 'sum' if it is their total"
        )
    return "average" if value == "average" else "sum"


_MS_PER_DAY = 86_400_000
_EPOCH = pd.Timestamp(0, tz="UTC")
#: More than any DST shift (the largest in tzdata is 2 hours), for margins around data.
_DST_SLACK_MS = 3 * 3_600_000
_SLOT_MS = int(INTERVAL_LENGTH / pd.Timedelta(milliseconds=1))


# --------------------------------------------------------------------------- the contract


def _is_ms_datetime_tz(series: pd.Series) -> bool:
    dtype = series.dtype
    return isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit == "ms"


def _has_dtype(expected: Any) -> Any:
    def check(series: pd.Series) -> bool:
        if isinstance(expected, pd.StringDtype):
            return isinstance(series.dtype, pd.StringDtype) and series.dtype.na_value is pd.NA
        return bool(series.dtype == expected)

    return check


def _one_row_per_series_and_bucket(df: pd.DataFrame) -> bool:
    keys = [k for k in KEY_COLUMNS if k in df.columns and k != "queue_name"]
    if "queue_name" in df.columns and "queue_id" not in df.columns:
        keys.append("queue_name")
    return not df.duplicated([*keys, "interval_start"]).any()


def _sl_columns_together(df: pd.DataFrame) -> bool:
    present = [name for name in _SL_COLUMNS if name in df.columns]
    return not present or len(present) == len(_SL_COLUMNS)


def _one_sl_threshold(df: pd.DataFrame) -> bool:
    if SL_THRESHOLD_COLUMN not in df.columns:
        return True
    return bool(df[SL_THRESHOLD_COLUMN].nunique(dropna=False) <= 1)


def sl_counts_in_order(df: pd.DataFrame) -> pd.Series:
    """Per row: low <= estimate <= high <= answered_contacts (True where any is NA)."""
    if not set(SL_COUNT_COLUMNS) <= set(df.columns) or "answered_contacts" not in df.columns:
        return pd.Series(True, index=df.index)
    low, estimate, high = (df[name].astype("Float64") for name in SL_COUNT_COLUMNS)
    answered = df["answered_contacts"].astype("Float64")
    ok = (low <= estimate) & (estimate <= high) & (high <= answered)
    return ok.fillna(True).astype(bool)


def _interval_schema() -> pa.DataFrameSchema:
    """Build the pandera schema of a resampled frame from the contract table."""
    dtypes = contract_dtypes()
    columns: dict[str, pa.Column] = {}
    for name in KEY_COLUMNS:
        columns[name] = pa.Column(
            checks=pa.Check(_has_dtype(dtypes[name]), element_wise=False, name="dtype string"),
            nullable=True,
            required=False,
        )
    for name in ("interval_start", "interval_end"):
        columns[name] = pa.Column(
            checks=pa.Check(
                _is_ms_datetime_tz, element_wise=False, name="dtype datetime64[ms, <tz>]"
            ),
            nullable=False,
        )
    for column in MEASURE_COLUMNS:
        zero = pd.Timedelta(0) if column.kind == "duration" else 0
        columns[column.name] = pa.Column(
            checks=[
                pa.Check(
                    _has_dtype(dtypes[column.name]),
                    element_wise=False,
                    name=f"dtype {dtypes[column.name]}",
                ),
                pa.Check.ge(zero),
            ],
            nullable=True,
        )
    for name, kind in SL_COUNT_COLUMNS.items():
        dtype = "Float64" if kind == "float" else "Int64"
        columns[name] = pa.Column(
            checks=[
                pa.Check(_has_dtype(dtype), element_wise=False, name=f"dtype {dtype}"),
                pa.Check.ge(0),
            ],
            nullable=True,
            required=False,
        )
    columns[SL_THRESHOLD_COLUMN] = pa.Column(
        checks=[
            pa.Check(
                _has_dtype(np.dtype("timedelta64[ms]")),
                element_wise=False,
                name="dtype timedelta64[ms]",
            ),
            pa.Check.gt(pd.Timedelta(0)),
        ],
        nullable=False,
        required=False,
    )
    return pa.DataFrameSchema(
        columns,
        checks=[
            pa.Check(
                lambda df: df["interval_end"] > df["interval_start"],
                name="interval_end > interval_start",
            ),
            pa.Check(
                _sl_columns_together,
                element_wise=False,
                name=f"{', '.join(_SL_COLUMNS)} together or not at all",
            ),
            pa.Check(_one_sl_threshold, element_wise=False, name="one sl_threshold"),
            pa.Check(
                sl_counts_in_order,
                element_wise=False,
                name="answered_within_sl_low <= _estimate <= _high <= answered_contacts",
            ),
            pa.Check(
                _one_row_per_series_and_bucket,
                element_wise=False,
                name="one row per series and bucket",
            ),
        ],
        strict=True,
        coerce=False,
        name="IntervalSchema",
    )


#: The pandera schema of a frame of buckets, as :func:`resample_intervals` returns it.
#:
#: Columns, in this order: the ``by`` key columns that are present (any of
#: :data:`KEY_COLUMNS`, ``queue_name`` following ``queue_id``), ``interval_start`` and
#: ``interval_end`` (``datetime64[ms, tz]`` in the bucketing time zone), then every
#: measure of the call-volume contract with its contract dtype (``Int64``,
#: ``Float64``, ``timedelta64[ms]``), non-negative. One row per series and bucket.
#: Optionally, all together, the service-level counts of :data:`SL_COUNT_COLUMNS`
#: (non-negative, ``low <= estimate <= high <= answered_contacts``) and
#: :data:`SL_THRESHOLD_COLUMN` (positive, one value per frame).
#: Validate with ``cvframe.IntervalSchema.validate(df)``.
IntervalSchema: pa.DataFrameSchema = _interval_schema()


# --------------------------------------------------------------------------- arguments


def key_list(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of key columns, or ValueError if it names anything else."""
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    unknown = [k for k in keys if k not in KEY_COLUMNS]
    if unknown:
        raise ValueError(
            f"by must name key columns among {list(KEY_COLUMNS)} (or be None), got {unknown}"
        )
    if len(set(keys)) != len(keys):
        raise ValueError(f"by names a column twice: {keys}")
    return keys


def instants_ms(series: pd.Series, *, name: str) -> np.ndarray:
    """Milliseconds since the epoch (UTC) of a tz-aware datetime column."""
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype):
        series = series.astype(f"datetime64[ms, {dtype.pyarrow_dtype.tz or 'UTC'}]")
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        raise ValueError(
            f"{name} must be a timezone-aware datetime column (the contract's "
            f"datetime64[ms, UTC]), got {series.dtype}"
        )
    if series.isna().any():
        raise ValueError(f"{name} has missing values; every record needs its interval")
    index = pd.DatetimeIndex(series).tz_convert("UTC").as_unit("ms")
    return np.asarray(index.asi8, dtype=np.int64)


def column_tz(series: pd.Series) -> str:
    """The time zone name of a tz-aware datetime column."""
    dtype = series.dtype
    tz = dtype.pyarrow_dtype.tz if isinstance(dtype, pd.ArrowDtype) else getattr(dtype, "tz", None)
    return "UTC" if tz is None else str(tz)


def measure_arrays(series: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A measure column as (values with 0 for missing, missing mask); durations in ms."""
    missing = series.isna().to_numpy(dtype=bool)
    if kind == "duration":
        dtype = series.dtype
        if not (
            pd.api.types.is_timedelta64_dtype(dtype)
            or (isinstance(dtype, pd.ArrowDtype) and str(dtype).startswith("duration"))
        ):
            raise ValueError(
                f"{series.name} must hold durations (the contract's timedelta64[ms]), got "
                f"{dtype}; convert milliseconds with pd.to_timedelta(values, unit='ms')"
            )
        values = series.astype("timedelta64[ms]").to_numpy().view(np.int64)
        if missing.any():  # else the column's own memory, read only by the callers
            values = np.where(missing, 0, values)
        return values, missing
    if kind == "float":
        return series.astype("Float64").to_numpy(dtype=np.float64, na_value=0.0), missing
    return series.astype("Int64").to_numpy(dtype=np.int64, na_value=0), missing


def measure_series(values: np.ndarray, missing: np.ndarray, kind: str) -> pd.Series:
    """The inverse of :func:`measure_arrays`: a Series with the contract dtype."""
    # The masked arrays are built from (values, mask) directly, a copy of each: going
    # through pd.array and Series.mask costs several passes over a large column.
    # ``values`` is a fresh array that the Series takes over (not copied); the mask is
    # copied, as callers share one between columns.
    mask = np.array(missing, dtype=bool)
    if kind == "duration":
        data = values.astype(np.int64, copy=False).view("timedelta64[ms]")
        if mask.any():
            data = np.where(mask, np.timedelta64("NaT", "ms"), data)
        return pd.Series(data, dtype="timedelta64[ms]", copy=False)
    if kind == "float":
        array: Any = pd.arrays.FloatingArray(values.astype(np.float64, copy=False), mask)
    else:
        array = pd.arrays.IntegerArray(values.astype(np.int64, copy=False), mask)
    return pd.Series(array, copy=False)


# --------------------------------------------------------------------------- buckets


@dataclass(frozen=True)
class Frequency:
    """A bucket length as cvframe understands it: fixed, days, a week or a month."""

    kind: Literal["fixed", "day", "week", "month"]
    text: str
    step_ms: int = 0
    #: First day of the week, Monday = 0 (weeks only).
    week_start: int = 0

    def floor_wall(self, wall_ms: np.ndarray) -> np.ndarray:
        """Floor wall-clock times (ms since the epoch, read as naive) to bucket starts."""
        if self.kind in ("fixed", "day"):
            return (wall_ms // self.step_ms) * self.step_ms
        if self.kind == "week":
            days = wall_ms // _MS_PER_DAY
            weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
            return (days - (weekday - self.week_start) % 7) * _MS_PER_DAY
        months = wall_ms.astype("datetime64[ms]").astype("datetime64[M]")
        return months.astype("datetime64[ms]").astype(np.int64)

    def longest_ms(self) -> int:
        """An upper bound on the length of one bucket, DST days included."""
        if self.kind == "week":
            return 7 * _MS_PER_DAY + _DST_SLACK_MS
        if self.kind == "month":
            return 31 * _MS_PER_DAY + _DST_SLACK_MS
        return self.step_ms + _DST_SLACK_MS

    def index_offset(self) -> pd.DateOffset:
        """The pandas offset that steps from one bucket start to the next."""
        if self.kind == "week":
            return to_offset(f"W-{_WEEKDAYS[self.week_start]}")
        if self.kind == "month":
            return to_offset("MS")
        if self.kind == "day":
            return to_offset(f"{self.step_ms // _MS_PER_DAY}D")
        return to_offset(pd.Timedelta(milliseconds=self.step_ms))


_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


#: The frequency strings cvframe accepts, the same on pandas 2.2 and 3.x (whose aliases
#: differ: "M" and "H" mean month end and hour on 2.2 and are refused by 3.x, and "ME"
#: is a month *end*, not the month-start buckets cvframe makes): an optional whole
#: number, then ``min``, ``h``, ``s`` or ``ms`` (a fixed length), ``D`` (days); or one
#: ``W`` / ``W-MON`` ... ``W-SUN`` (a week) or ``MS`` (a calendar month). Timedeltas and
#: pandas offsets of those kinds are accepted too. The README's resampling section
#: lists the same set.
FREQUENCY_PATTERN = re.compile(
    r"(?P<n>[0-9]*)(?P<unit>min|h|s|ms|D|W(?:-(?:MON|TUE|WED|THU|FRI|SAT|SUN))?|MS)"
)

_ACCEPTED_TEXT = (
    "cvframe accepts a fixed length that is a whole multiple of the data's interval "
    "length ('15min', '30min', '45min', '1h', '90min', '2h'; units 'min', 'h', 's', "
    "'ms'), days ('D', '7D'), a week ('W', Monday to Sunday, or 'W-SAT', 'W-MON' ... "
    "'W-SUN' for the week ending that day) or a calendar month ('MS'), or a Timedelta "
    "or pandas offset of those kinds"
)

#: Alias letters users may try -> what to use instead.
_FREQ_HINTS: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "M",
            "ME",
            "BM",
            "BME",
            "CBME",
            "SM",
            "SME",
            "BMS",
            "SMS",
            "CBMS",
            "Q",
            "QE",
            "QS",
            "BQ",
            "BQE",
            "BQS",
            "Y",
            "YE",
            "YS",
            "A",
            "AS",
            "BY",
            "BYE",
            "BYS",
        ),
        "for calendar buckets use 'MS' (one calendar month, labelled by its first day); "
        "month-end, quarter and year buckets are not supported",
    ),
    "W": "a week bucket is one week: use 'W', 'W-SAT' ..., or '7D' for seven days",
    "MS": "a calendar-month bucket is one month: use 'MS'",
    **dict.fromkeys(
        ("B", "C", "BH", "CBH"),
        "business-day buckets are not supported: use 'D' (local calendar days)",
    ),
    "H": "use 'h' for hours",
    "T": "use 'min' for minutes",
    "MIN": "use 'min' for minutes",
    "S": "use 's' for seconds",
    "L": "use 'ms' for milliseconds",
}


def _freq_refused(freq: Any, text: str = "") -> ValueError:
    """The ValueError for an unsupported ``freq``: what was given, a hint, the accepted set."""
    letters = text.lstrip("0123456789").split("-")[0]
    hint = _FREQ_HINTS.get(letters) or _FREQ_HINTS.get(letters.upper(), "")
    shown = freq.freqstr if isinstance(freq, pd.offsets.BaseOffset) else freq
    return ValueError(
        f"freq {shown!r} is not supported{'; ' + hint if hint else ''}. {_ACCEPTED_TEXT}"
    )


def parse_freq(freq: Any) -> Frequency:
    """Read ``freq`` (an accepted alias, a DateOffset or a Timedelta) as a Frequency."""
    if isinstance(freq, str):
        text = freq.strip()
        match = FREQUENCY_PATTERN.fullmatch(text)
        one_only = match is not None and match["unit"][0] in "WM"
        if match is None or (one_only and match["n"] not in ("", "1")):
            raise _freq_refused(freq, text)
        offset = to_offset(text)
    elif isinstance(freq, pd.Timedelta | dt.timedelta | np.timedelta64):
        delta = pd.Timedelta(freq)
        if delta is pd.NaT:
            raise _freq_refused(freq)
        offset = to_offset(delta)
    elif isinstance(freq, pd.offsets.BaseOffset):
        offset = freq
    else:
        raise _freq_refused(freq)
    text = offset.freqstr
    if isinstance(offset, pd.offsets.Day):  # a Tick in pandas 2, a calendar day in 3
        if offset.n < 1:
            raise ValueError(f"freq must be positive, got {text!r}")
        return Frequency("day", text, step_ms=offset.n * _MS_PER_DAY)
    if isinstance(offset, pd.offsets.Tick):
        step = pd.Timedelta(offset)
        if step <= pd.Timedelta(0):
            raise ValueError(f"freq must be positive, got {text!r}")
        return Frequency("fixed", text, step_ms=int(step / pd.Timedelta(milliseconds=1)))
    if type(offset) is pd.offsets.Week and offset.n == 1 and offset.weekday is not None:
        # "W-SUN" (pandas' "W") is the week that ends on Sunday: it starts on Monday.
        return Frequency("week", text, week_start=(offset.weekday + 1) % 7)
    if type(offset) is pd.offsets.MonthBegin and offset.n == 1:
        return Frequency("month", text)
    raise _freq_refused(offset, text)


def duration_words(ms: int) -> str:
    """A length in words: '15 minutes', '1 hour', '90 seconds'."""
    for unit, size in (
        ("day", _MS_PER_DAY),
        ("hour", 3_600_000),
        ("minute", 60_000),
        ("second", 1000),
    ):
        if ms % size == 0:
            n = ms // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{ms} ms"


def _wall_ms(utc_ms: np.ndarray, tz: str) -> np.ndarray:
    if tz == "UTC":
        return utc_ms
    index = pd.DatetimeIndex(utc_ms.astype("datetime64[ms]")).tz_localize("UTC")
    return np.asarray(index.tz_convert(tz).tz_localize(None).as_unit("ms").asi8, dtype=np.int64)


def bucket_labels(utc_ms: np.ndarray, freq: Frequency, tz: str) -> np.ndarray:
    """The instant (UTC ms) that labels the bucket of each instant in ``utc_ms``."""
    wall = _wall_ms(utc_ms, tz)
    floor = freq.floor_wall(wall)
    if tz == "UTC":
        return floor
    # Keep the instant's own UTC offset where the floored wall time exists with it.
    labels = floor - (wall - utc_ms)
    other = np.flatnonzero(_wall_ms(labels, tz) != floor)
    if len(other):
        labels[other] = _first_showing(floor[other], labels[other], utc_ms[other], tz)
    return labels


def _first_showing(floor: np.ndarray, before: np.ndarray, after: np.ndarray, tz: str) -> np.ndarray:
    """The first instant from which the wall clock of ``tz`` shows ``floor`` or later.

    ``floor`` is a wall time (ms, naive) that the clock does not show with the offset
    of ``after``, an instant that shows it or later; ``before`` is ``floor`` read with
    that offset. A wall time shown twice (a fall-back) gives its first instant; one
    never shown (a spring-forward gap, 30 or 45 minutes long in some zones) gives the
    end of the gap. pandas' ``nonexistent="shift_forward"`` is not used: it moves a
    time in a 30-minute gap a whole hour on.
    """
    naive = pd.DatetimeIndex(floor.astype("datetime64[ms]"))
    candidates = []
    for ambiguous in (True, False):  # which side is "DST" varies by zone: take the earlier
        local = naive.tz_localize(
            tz, ambiguous=np.full(len(naive), ambiguous), nonexistent="NaT"
        ).as_unit("ms")
        candidates.append(np.where(local.isna(), np.iinfo(np.int64).max, local.asi8))
    first = np.minimum(*candidates)
    gap = first == np.iinfo(np.int64).max
    if gap.any():
        # In a gap the clock jumps past ``floor`` at the transition, which lies after
        # ``before`` (whose clock is still short of it) and no later than ``after``:
        # bisect to the millisecond where it first shows ``floor`` or later.
        lo, hi = np.minimum(before[gap], after[gap]), after[gap].copy()
        target = floor[gap]
        while (hi - lo > 1).any():
            mid = lo + (hi - lo) // 2
            reached = _wall_ms(mid, tz) >= target
            hi = np.where(reached, mid, hi)
            lo = np.where(reached, lo, mid)
        first[gap] = hi
    return first


@dataclass(frozen=True)
class Buckets:
    """Consecutive buckets: each one's start and end (UTC ms), sorted, end = next start."""

    start: np.ndarray
    end: np.ndarray

    def locate(self, instants: np.ndarray) -> np.ndarray:
        """Position of the bucket that holds each instant (-1 before the first)."""
        if len(self.start) > 1 and len(instants) > len(self.start):
            step = int(self.start[1] - self.start[0])
            if np.all(np.diff(self.start) == step) and np.all(self.end - self.start == step):
                # Buckets of one length (UTC, or hours of most zones): arithmetic,
                # the same answer as the binary search without its log factor.
                where = (instants - self.start[0]) // step
                return np.clip(where, -1, len(self.start) - 1)
        return np.searchsorted(self.start, instants, side="right") - 1


def bucket_grid(lo_ms: int, hi_ms: int, freq: Frequency, tz: str) -> Buckets:
    """Every bucket that meets ``[lo_ms, hi_ms)``, read off a grid of slots around it."""
    slot = math.gcd(_SLOT_MS, freq.step_ms) if freq.kind == "fixed" else _SLOT_MS
    margin = freq.longest_ms() + _MS_PER_DAY
    begin = lo_ms - margin
    begin -= begin % slot
    slots = np.arange(begin, hi_ms + margin, slot, dtype=np.int64)
    # Where the wall clock goes back (a fall-back), a slot may floor to a bucket that
    # already ended; it joins the bucket in progress instead, so buckets never go back.
    labels = np.maximum.accumulate(bucket_labels(slots, freq, tz))
    change = np.flatnonzero(np.diff(labels)) + 1
    first_slot = np.concatenate([[0], change])
    after_last = np.concatenate([change, [len(slots)]])
    start = slots[first_slot]
    end = slots[after_last - 1] + slot
    # The first and last buckets of the grid may be cut short by it: never keep them.
    keep = (end > lo_ms) & (start < hi_ms) & (first_slot > 0) & (after_last < len(slots))
    return Buckets(start[keep], end[keep])


def _to_utc_ms(value: Any, tz: str, *, name: str) -> int:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be a timestamp, got {value!r}") from None
    if stamp is pd.NaT:
        raise ValueError(f"{name} must be a timestamp, got {value!r}")
    if stamp.tzinfo is None:
        return _local_ms(stamp, tz, name=name, value=value)
    return int((stamp.tz_convert("UTC") - _EPOCH) // pd.Timedelta(milliseconds=1))


#: More than any UTC offset (they range from -12:00 to +14:00): a search window.
_OFFSET_SLACK_MS = 15 * 3_600_000


def _local_ms(stamp: pd.Timestamp, tz: str, *, name: str, value: Any) -> int:
    """A naive wall time read on the clock of ``tz``, or ValueError if it is skipped or repeated."""
    naive = pd.DatetimeIndex([stamp]).as_unit("ms")
    instants = [
        naive.tz_localize(tz, ambiguous=np.array([side]), nonexistent="NaT")
        for side in (True, False)
    ]
    if instants[0].isna().all():
        wall = np.asarray(naive.asi8, dtype=np.int64)
        after = _first_showing(wall, wall - _OFFSET_SLACK_MS, wall + _OFFSET_SLACK_MS, tz)
        raise ValueError(
            f"{name} ({value!r}) is a wall time that the clock of {tz} skips (it jumps forward "
            f"there); pass a timezone-aware timestamp, e.g. {_stamp(int(after[0]), tz)}, the "
            "first instant after the gap"
        )
    first, second = sorted(int(i.asi8[0]) for i in instants)
    if first != second:
        raise ValueError(
            f"{name} ({value!r}) is a wall time that the clock of {tz} shows twice (it goes "
            f"back there); pass it with its UTC offset: {_stamp(first, tz)} (the first time) "
            f"or {_stamp(second, tz)} (the second)"
        )
    return first


def _check_multiple(freq: Frequency, lengths_ms: np.ndarray) -> None:
    if freq.kind != "fixed":
        return
    if not len(lengths_ms):
        lengths_ms = np.array([_SLOT_MS])
    shortest, longest = int(lengths_ms.min()), int(lengths_ms.max())
    if shortest == longest:  # the usual case: every record is one interval long
        lengths_ms = lengths_ms[:1]
    # One pass over the rows; only the lengths that fail are sorted (for the message).
    misfit = freq.step_ms % np.maximum(lengths_ms, 1) != 0
    for length in np.unique(lengths_ms[misfit]):
        if freq.step_ms % int(length):
            raise ValueError(
                f"freq {freq.text!r} is not a whole multiple of the data's interval length "
                f"({duration_words(int(length))}); pass a multiple of it"
            )


# --------------------------------------------------------------------------- service level


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
    present = [name for name in _SL_COLUMNS if name in df.columns]
    if present and len(present) < len(_SL_COLUMNS):
        missing = [name for name in _SL_COLUMNS if name not in df.columns]
        raise ValueError(
            f"the frame has {present} but not {missing}: the service-level counts and their "
            "threshold go together; drop them all, or resample the records with sl_threshold"
        )
    return bool(present)


def recorded_sl_threshold(df: pd.DataFrame) -> int | None:
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


def _sl_counts(df: pd.DataFrame, sl_threshold: Any) -> SlCounts | None:
    """The counts to sum: those ``df`` carries, else its records' for ``sl_threshold``."""
    # _kpis builds on this module's helpers, so it is imported when it is needed.
    from ._kpis import answered_within_threshold, threshold_ms

    wanted: int | None = None
    if sl_threshold is not None:
        value = threshold_ms(sl_threshold)
        if value != math.floor(value):
            raise ValueError(
                f"sl_threshold must be a whole number of milliseconds (the contract's "
                f"resolution, in which it is recorded), got {sl_threshold!r}"
            )
        wanted = int(value)
    if carries_sl_counts(df):
        recorded = recorded_sl_threshold(df)
        if wanted is not None and recorded is not None and wanted != recorded:
            raise ValueError(
                f"sl_threshold {sl_threshold!r} ({duration_words(wanted)}) differs from the "
                f"{duration_words(recorded)} that the frame's answered_within_sl_* columns "
                "count, and buckets cannot be recounted: resample the 15-minute records with "
                f"sl_threshold={sl_threshold!r}, or drop those columns first"
            )
        disorder = ~sl_counts_in_order(df).to_numpy(dtype=bool)
        if disorder.any():
            i = int(np.flatnonzero(disorder)[0])
            raise ValueError(
                f"row {i} breaks answered_within_sl_low <= answered_within_sl_estimate <= "
                "answered_within_sl_high <= answered_contacts"
            )
        columns = {name: measure_arrays(df[name], kind) for name, kind in SL_COUNT_COLUMNS.items()}
        return SlCounts(recorded if recorded is not None else wanted, columns)
    if wanted is None:
        return None
    low, estimate, high, unknown = answered_within_threshold(df, float(wanted))
    counts = zip(SL_COUNT_COLUMNS.items(), (low, estimate, high), strict=True)
    return SlCounts(
        wanted,
        {
            name: (
                np.where(unknown, 0, values).astype(np.int64 if kind == "int" else np.float64),
                unknown,
            )
            for (name, kind), values in counts
        },
    )


def _threshold_series(threshold_ms: int | None, size: int) -> pd.Series:
    data = np.full(size, 0 if threshold_ms is None else threshold_ms, dtype=np.int64)
    return pd.Series(data.view("timedelta64[ms]"), dtype="timedelta64[ms]")


# --------------------------------------------------------------------------- resampling


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
        (``Int64``), with T in ``sl_threshold`` (``timedelta64[ms]``, the same in
        every row). :func:`cvframe.kpis` then takes its service level from them, as
        tight as the records allow, instead of from the bucket's single longest wait.
        A frame that already carries these columns has them summed whether or not
        ``sl_threshold`` is given (it must then equal the recorded one).
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
    check_input(df, required, what="resample_intervals")  # names missing columns too
    spec = parse_freq(freq)
    reading = csat_reading(csat)
    zone = column_tz(df["interval_start"]) if tz is None else str(tz)
    row_start = instants_ms(df["interval_start"], name="interval_start")
    row_end = instants_ms(df["interval_end"], name="interval_end")
    if np.any(row_end <= row_start):
        raise ValueError("every record needs interval_end after interval_start")
    _check_multiple(spec, row_end - row_start)
    sl_all = _sl_counts(df, sl_threshold)

    lo = _to_utc_ms(start, zone, name="start") if start is not None else None
    hi = _to_utc_ms(end, zone, name="end") if end is not None else None
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"end ({end}) must be after start ({start})")
    keep = np.ones(len(row_start), dtype=bool)
    if lo is not None:
        keep &= row_end > lo
    if hi is not None:
        keep &= row_start < hi
    everything = bool(keep.all())  # the usual case: no copy of the frame
    frame = df if everything else df.loc[keep]
    if not everything:
        row_start, row_end = row_start[keep], row_end[keep]
    sl = sl_all.subset(keep) if sl_all is not None and not everything else sl_all

    no_rows = len(row_start) == 0
    if no_rows and (keys or lo is None or hi is None or not fill_gaps):
        return _validated(_empty(df, keys, zone, sl))
    if sl is not None and sl.threshold_ms is None:
        raise ValueError(
            "the frame carries answered_within_sl_* columns but no row to tell their "
            "threshold; pass sl_threshold to fill the empty buckets"
        )
    edges = [v for v in (lo, hi) if v is not None]
    lows = [int(row_start.min())] if len(row_start) else []
    highs = [int(row_end.max())] if len(row_end) else []
    grid = bucket_grid(min([*lows, *edges]), max([*highs, *edges]), spec, zone)
    _check_edge(grid, lo, spec, zone, name="start", at_end=False)
    _check_edge(grid, hi, spec, zone, name="end", at_end=True)

    where = grid.locate(row_start)
    bad = (row_start < grid.start[where]) | (row_end > grid.end[where])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"the record for [{_stamp(row_start[i], zone)}, {_stamp(row_end[i], zone)}) "
            f"straddles two {spec.text!r} buckets in {zone}: the data's intervals do not "
            "nest in freq (is freq a whole multiple of them?)"
        )
    first = int(grid.locate(np.array([lo]))[0]) if lo is not None else int(where.min())
    last = int(grid.locate(np.array([hi - 1]))[0]) if hi is not None else int(where.max())
    return _validated(
        _aggregate(frame, keys, where, grid, first, last, zone, fill_gaps, sl, reading, row_start)
    )


def _plainly_valid(out: pd.DataFrame) -> bool:
    """Whether ``out``, as :func:`_aggregate` builds it, plainly follows IntervalSchema.

    The schema's checks, each one vectorised pass over a column, for a frame whose
    rows are one per series and bucket by construction (one per slot code). True
    implies that ``IntervalSchema.validate`` passes; False only sends the frame to
    pandera, which then gives the full report (or passes after all).
    """
    dtypes = contract_dtypes()
    measures = {c.name for c in MEASURE_COLUMNS}
    if not {"interval_start", "interval_end", *measures} <= set(out.columns):
        return False
    if not _sl_columns_together(out) or not _one_sl_threshold(out):
        return False
    not_a_time = np.iinfo(np.int64).min  # NaT's integer
    for name in out.columns:
        series = out[name]
        if name in KEY_COLUMNS:
            if not _has_dtype(dtypes[name])(series):
                return False
        elif name in ("interval_start", "interval_end"):
            if not _is_ms_datetime_tz(series) or series.isna().any():
                return False
        elif name in measures or name in SL_COUNT_COLUMNS or name == SL_THRESHOLD_COLUMN:
            if name in measures:
                expected: Any = dtypes[name]
            elif name in SL_COUNT_COLUMNS:
                expected = "Float64" if SL_COUNT_COLUMNS[name] == "float" else "Int64"
            else:
                expected = np.dtype("timedelta64[ms]")
            if not _has_dtype(expected)(series):
                return False
            if not len(series):
                continue
            if isinstance(series.dtype, np.dtype):  # timedelta64[ms]
                values = series.to_numpy().view(np.int64)
                if name == SL_THRESHOLD_COLUMN:
                    if not values.min() > 0:
                        return False
                elif values.min() < 0 and not np.all((values >= 0) | (values == not_a_time)):
                    return False
            else:  # no copy where nothing is missing; NaN fails (pandera's ge does too)
                kind = np.float64 if series.dtype == "Float64" else np.int64
                if not series.array.to_numpy(dtype=kind, na_value=kind(0)).min() >= 0:
                    return False
        else:
            return False  # a column the strict schema does not know
    start = pd.DatetimeIndex(out["interval_start"]).asi8
    end = pd.DatetimeIndex(out["interval_end"]).asi8
    return bool(np.all(end > start)) and bool(sl_counts_in_order(out).all())


def _validated(out: pd.DataFrame) -> pd.DataFrame:
    """``out`` if it follows IntervalSchema; a broken input (e.g. negative counts) fails here."""
    if _plainly_valid(out):
        return out
    try:
        return IntervalSchema.validate(out, lazy=False)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as exc:
        raise SchemaError(
            f"the resampled frame breaks IntervalSchema ({exc}); check the input with "
            "cvframe.validate",
            failure_cases=getattr(exc, "failure_cases", None),
        ) from None


def _stamp(ms: int, tz: str) -> str:
    return str(pd.Timestamp(int(ms), unit="ms", tz="UTC").tz_convert(tz))


def _check_edge(
    grid: Buckets, edge: int | None, freq: Frequency, tz: str, *, name: str, at_end: bool
) -> None:
    if edge is None:
        return
    i = int(grid.locate(np.array([edge - 1 if at_end else edge]))[0])
    bound = grid.end[i] if at_end else grid.start[i]
    if bound != edge:
        raise ValueError(
            f"{name} ({_stamp(edge, tz)}) is not a boundary of the {freq.text!r} buckets in "
            f"{tz}; the nearest one before it is {_stamp(grid.start[i], tz)}"
        )


#: The most (bucket, series) slots a frame without filled gaps is counted into directly;
#: beyond this many per input row the occupied slots are found by sorting instead.
_DENSE_SLOTS_PER_ROW = 8


def _arrow_codes(chunks: pa_arrow.ChunkedArray) -> tuple[np.ndarray, pa_arrow.Array]:
    """Dictionary codes of an Arrow column (-1 for null), and the distinct values."""
    encoded = pc.dictionary_encode(chunks)
    if encoded.num_chunks > 1:  # one dictionary for all chunks
        encoded = pa_arrow.table({"key": encoded}).unify_dictionaries()["key"]
    dictionary = encoded.chunk(0).dictionary
    parts = []
    for chunk in encoded.chunks:
        indices = chunk.indices
        if indices.null_count:
            parts.append(np.asarray(indices.fill_null(-1), dtype=np.int64))
        else:
            parts.append(np.asarray(indices, dtype=np.int64))
    return np.concatenate(parts), dictionary


def _key_codes(series: pd.Series) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """Codes of a key column in sorted order of its values, NA last; and those values."""
    arrow = getattr(series.array, "__arrow_array__", None)
    if arrow is not None and isinstance(series.dtype, pd.StringDtype) and len(series):
        # Arrow's dictionary encoding hashes the strings once, faster than pandas'
        # factorize; the (few) distinct values are then sorted (UTF-8 bytes sort as
        # code points, the order of Python's str).
        codes, dictionary = _arrow_codes(pa_arrow.chunked_array(arrow()))
        order = np.asarray(pc.array_sort_indices(dictionary), dtype=np.int64)
        rank = np.empty(len(dictionary) + 1, dtype=np.int64)
        rank[order] = np.arange(len(dictionary))
        rank[-1] = -1  # a null's code, -1, reads the last entry
        codes = rank[codes]
        uniques: Any = pc.take(dictionary, pa_arrow.array(order))
    else:
        codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    values = pd.array(uniques, dtype=series.dtype)
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, len(values), codes)
        values = pd.array([*values, pd.NA], dtype=series.dtype)
    return np.asarray(codes, dtype=np.int64), values


def _group_ids(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """A group id per row, and the key values of each group (sorted, NA last).

    The groups and their order are those of ``groupby(keys, sort=True, dropna=False)``;
    the ids come from one hash pass per key column (pandas' factorize) rather than a
    groupby, and several keys are combined as digits of one integer.
    """
    dtypes = contract_dtypes()
    key_frame = frame[keys].reset_index(drop=True).astype({k: dtypes[k] for k in keys})
    if not keys:
        return np.zeros(len(frame), dtype=np.int64), key_frame.iloc[:1]
    coded = [_key_codes(key_frame[k]) for k in keys]
    sizes = [len(values) for _, values in coded]
    if math.prod(sizes) >= 2**62:  # the digits would overflow: let pandas group them
        ids = key_frame.groupby(keys, dropna=False, sort=True).ngroup().to_numpy(dtype=np.int64)
        first_rows = pd.Series(np.arange(len(frame))).groupby(ids).first().to_numpy()
        return ids, key_frame.iloc[first_rows].reset_index(drop=True)
    if len(keys) == 1:
        codes, values = coded[0]
        present = np.zeros(len(values), dtype=bool)
        present[codes] = True
        if present.all():
            return codes, pd.DataFrame({keys[0]: values})
        # A value that only rows dropped before (by start/end) had: renumber without it.
        rank = np.cumsum(present) - 1
        return rank[codes], pd.DataFrame({keys[0]: values[np.flatnonzero(present)]})
    combined = np.zeros(len(frame), dtype=np.int64)
    for (codes, _), size in zip(coded, sizes, strict=True):
        combined = combined * size + codes
    ids, uniques = pd.factorize(combined, sort=True)
    digits = np.asarray(uniques, dtype=np.int64)
    columns: dict[str, Any] = {}
    for key, (_, values), size in reversed(list(zip(keys, coded, sizes, strict=True))):
        digits, digit = np.divmod(digits, size)
        columns[key] = values[digit]
    return np.asarray(ids, dtype=np.int64), pd.DataFrame({k: columns[k] for k in keys})


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
    ids, groups = _group_ids(frame, keys)
    n_groups = len(groups) if keys else 1
    n_buckets = max(last - first + 1, 0)
    # One integer per (bucket, group), bucket-major: the output's sort order.
    codes = (where - first) * n_groups + ids
    out_codes, positions = _slots(codes, n_buckets * n_groups, fill_gaps)
    size = len(out_codes)

    dtypes = contract_dtypes()
    columns: dict[str, Any] = {}
    out_groups = out_codes % n_groups
    for key in keys:
        columns[key] = pd.Series(groups[key].array.take(out_groups), copy=False)
        if key == "queue_id" and "queue_name" not in keys and "queue_name" in frame.columns:
            names = _latest_names(frame, ids, n_groups, row_start)
            columns["queue_name"] = pd.Series(names.take(out_groups), copy=False)
    out_buckets = out_codes // n_groups + first
    columns["interval_start"] = _datetimes(grid.start[out_buckets], tz)
    columns["interval_end"] = _datetimes(grid.end[out_buckets], tz)

    for column in MEASURE_COLUMNS:
        values, missing = measure_arrays(frame[column.name], column.kind)
        if column.name == "csat_score" and csat == "average":
            weights = measure_arrays(frame["csat_responses"], "int")
            columns[column.name] = _weighted_mean(values, missing, weights, positions, size)
            continue
        columns[column.name] = _reduce(
            values, missing, positions, size, AGGREGATIONS[column.name], column.kind
        )
    if sl is not None:
        for name, (values, missing) in sl.columns.items():
            kind = SL_COUNT_COLUMNS[name]
            columns[name] = _reduce(values, missing, positions, size, "sum", kind)
        columns[SL_THRESHOLD_COLUMN] = _threshold_series(sl.threshold_ms, size)

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
    kind: str,
) -> pd.Series:
    """Sum or max ``values`` into ``size`` slots; a slot with any missing input is missing."""
    out = np.zeros(size, dtype=values.dtype)
    if how == "sum":
        np.add.at(out, positions, values)
    else:
        np.maximum.at(out, positions, values)
    out_missing = np.zeros(size, dtype=bool)
    out_missing[positions[missing]] = True  # (missing values are usually none at all)
    return measure_series(out, out_missing, kind)


def _weighted_mean(
    values: np.ndarray,
    missing: np.ndarray,
    weights: tuple[np.ndarray, np.ndarray],
    positions: np.ndarray,
    size: int,
) -> pd.Series:
    """Average ``values`` into ``size`` slots, each weighted by its count (``Float64``).

    A slot is missing where its counts add up to 0 (no average to take), where a
    count is missing, or where a value with a positive count is; a value whose count
    is 0 does not weigh in, missing or not.
    """
    counts, counts_missing = weights
    counts = counts.astype(np.float64)
    weighed = counts > 0
    total = np.zeros(size)
    np.add.at(total, positions, np.where(weighed & ~missing, values * counts, 0.0))
    count = np.zeros(size)
    np.add.at(count, positions, counts)
    out_missing = np.zeros(size, dtype=bool)
    out_missing[positions[counts_missing | (missing & weighed)]] = True
    out_missing |= count == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(out_missing, 0.0, total / np.where(count == 0, 1.0, count))
    return measure_series(mean, out_missing, "float")


def _latest_names(
    frame: pd.DataFrame, ids: np.ndarray, n_groups: int, row_start: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """Each group's queue_name from its latest record that has one (of those, the last row).

    Found with two maxima per group (the latest start among rows with a name, then the
    last such row) instead of sorting the rows by time: the names are only read for the
    few rows chosen.
    """
    names = frame["queue_name"].astype(contract_dtypes()["queue_name"]).array
    has_name = ~np.asarray(names.isna(), dtype=bool)
    every = bool(has_name.all())
    named = np.arange(len(names)) if every else np.flatnonzero(has_name)
    named_ids = ids if every else ids[named]
    row = np.full(n_groups, -1, dtype=np.int64)
    if len(row_start) < 2 or bool(np.all(row_start[1:] >= row_start[:-1])):
        # Rows in time order (as read): the latest named row is the last one.
        np.maximum.at(row, named_ids, named)
        return names.take(row, allow_fill=True)
    starts = row_start if every else row_start[named]
    latest = np.full(n_groups, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, named_ids, starts)
    chosen = np.flatnonzero(starts == latest[named_ids])
    np.maximum.at(row, named_ids[chosen], named[chosen])
    return names.take(row, allow_fill=True)


def _empty(df: pd.DataFrame, keys: list[str], tz: str, sl: SlCounts | None) -> pd.DataFrame:
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
        for name, kind in SL_COUNT_COLUMNS.items():
            columns[name] = pd.Series([], dtype="Float64" if kind == "float" else "Int64")
        columns[SL_THRESHOLD_COLUMN] = _threshold_series(sl.threshold_ms, 0)
    out = pd.DataFrame(columns)
    order = [k for k in KEY_COLUMNS if k in out.columns]
    return out[order + [c for c in out.columns if c not in order]]
