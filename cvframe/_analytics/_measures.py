"""The contract's keys and measures, how each combines, and the columns as numpy arrays.

Every analytics function reads a measure column as ``(values, missing)``: the values
with 0 where missing, and the mask, durations in whole milliseconds. This module does
that conversion, and its inverse, once for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._endpoints import COLUMNS, Column
from .._frame import is_duration_dtype
from ._blocks import none_missing
from ._checks import CHECKED_KINDS

__all__ = [
    "AGGREGATIONS",
    "CSAT_READINGS",
    "DEFAULT_CSAT",
    "KEY_COLUMNS",
    "MEASURE_COLUMNS",
    "CsatReading",
    "FloatColumns",
    "column_tz",
    "csat_reading",
    "instants_ms",
    "instants_view",
    "key_list",
    "measure_arrays",
    "measure_series",
    "measure_views",
    "times_of",
]

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

CsatReading = Literal["average", "sum"]

#: How ``csat_score`` is read, the ``csat`` argument of :func:`cvframe.resample_intervals` and
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


#: The integer behind NaT in a ``datetime64`` or ``timedelta64`` column.
_NOT_A_TIME = np.iinfo(np.int64).min


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


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


def instants_view(series: pd.Series, *, name: str) -> np.ndarray:
    """As :func:`instants_ms`, read-only: the column's own memory when its unit is ms.

    A ``datetime64[ms, tz]`` column holds its UTC instants in ms already, so no copy
    is made (nor a mask of its missing values: NaT is the most negative integer).
    """
    dtype = series.dtype
    if not (isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit == "ms"):
        return _read_only(instants_ms(series, name=name))
    ms = _read_only(np.asarray(series.array.asi8, dtype=np.int64))
    if len(ms) and ms.min() == _NOT_A_TIME:
        raise ValueError(f"{name} has missing values; every record needs its interval")
    return ms


def times_of(ms: np.ndarray, tz: str) -> pd.Series:
    """Instants (UTC ms) as a ``datetime64[ms, tz]`` Series: the inverse of :func:`instants_ms`."""
    index = pd.DatetimeIndex(ms.astype("datetime64[ms]")).tz_localize("UTC").tz_convert(tz)
    return pd.Series(index.as_unit("ms"))


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
        if not is_duration_dtype(dtype):
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


def measure_views(series: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`measure_arrays`, without a copy of a column that misses nothing.

    For the contract's own dtypes (``Int64``, ``Float64``, ``timedelta64[ms]``) the
    values are the column's memory and, where nothing is missing, ``missing`` is a
    broadcast of False that takes no memory: both read-only, so read them, never
    write to them. Any other dtype goes through :func:`measure_arrays`.
    """
    n = len(series)
    dtype = series.dtype
    if kind == "duration" and isinstance(dtype, np.dtype) and dtype == np.dtype("m8[ms]"):
        values = _read_only(series.to_numpy().view(np.int64))
        if not n or values.min() != _NOT_A_TIME:
            return values, none_missing(n)
    elif (kind == "int" and isinstance(dtype, pd.Int64Dtype)) or (
        kind == "float" and isinstance(dtype, pd.Float64Dtype)
    ):
        array = series.array
        data, mask = getattr(array, "_data", None), getattr(array, "_mask", None)
        if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):
            if not mask.any():
                return _read_only(data), none_missing(n)
            return np.where(mask, data.dtype.type(0), data), _read_only(mask)
    return measure_arrays(series, kind)


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


class FloatColumns:
    """A frame's measure columns as (float values with 0 for missing, missing mask).

    Each column is converted once however many KPIs read it (the counts divide
    several). The arrays are shared: read them, never write to them (a mask may be
    the column's own, read-only). ``rows`` limits them to a block of rows
    (:meth:`block`): the columns are then read in place and only the block converted.
    """

    def __init__(
        self,
        df: pd.DataFrame,
        rows: slice | None = None,
        *,
        views: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        self.df = df
        self.rows = slice(0, len(df)) if rows is None else rows
        self._views = {} if views is None else views
        self._done: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(range(*self.rows.indices(len(self.df))))

    def block(self, rows: slice) -> FloatColumns:
        """The same columns, limited to ``rows`` (which share this one's views)."""
        return FloatColumns(self.df, rows, views=self._views)

    def raw(self, name: str, kind: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Column ``name`` in its own dtype (:func:`measure_views`) for these rows."""
        if name not in self._views:
            self._views[name] = measure_views(self.df[name], kind or CHECKED_KINDS[name])
        values, missing = self._views[name]
        return values[self.rows], missing[self.rows]

    def __call__(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._done:
            values, missing = self.raw(name)
            self._done[name] = values.astype(np.float64), missing
        return self._done[name]
