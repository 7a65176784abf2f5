"""The contract of a frame of buckets, as :func:`cvframe.resample_intervals` returns it.

:data:`RESAMPLED_SCHEMA` is a pandera schema *instance* (a ``DataFrameSchema`` built
from the call-volume contract table), published as ``cvframe.IntervalSchema``; unlike
``cvframe.CallVolumeSchema``, a ``DataFrameModel`` class, it is used as it is:
``cvframe.IntervalSchema.validate(df)``. :func:`validated` applies it to a freshly
aggregated frame, cheaply when the frame plainly follows it.

The schema is built (and pandera imported) on first use, not with ``import cvframe``:
``RESAMPLED_SCHEMA`` is resolved by the module's ``__getattr__``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._errors import SchemaError
from .._frame import contract_dtypes, is_contract_string
from ._measures import KEY_COLUMNS, MEASURE_COLUMNS
from ._service_level import (
    SL_ABANDONED_COUNT_COLUMNS,
    SL_CARRIED_COUNTS,
    SL_COLUMNS,
    SL_THRESHOLD_COLUMN,
    abandoned_counts_in_order,
    sl_counts_in_order,
)

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["RESAMPLED_SCHEMA", "resampled_schema", "validated"]


def _is_ms_datetime_tz(series: pd.Series) -> bool:
    dtype = series.dtype
    return isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit == "ms"


def _has_dtype(expected: Any) -> Any:
    """A check that a column has ``expected`` (any contract string dtype for a string)."""

    def check(series: pd.Series) -> bool:
        if isinstance(expected, pd.StringDtype):
            return is_contract_string(series.dtype)
        return bool(series.dtype == expected)

    return check


def _one_row_per_series_and_bucket(df: pd.DataFrame) -> bool:
    keys = [k for k in KEY_COLUMNS if k in df.columns and k != "queue_name"]
    if "queue_name" in df.columns and "queue_id" not in df.columns:
        keys.append("queue_name")
    return not df.duplicated([*keys, "interval_start"]).any()


def _sl_columns_together(df: pd.DataFrame) -> bool:
    present = [name for name in SL_COLUMNS if name in df.columns]
    abandoned = [name for name in SL_ABANDONED_COUNT_COLUMNS if name in df.columns]
    if abandoned and (
        len(abandoned) < len(SL_ABANDONED_COUNT_COLUMNS) or len(present) < len(SL_COLUMNS)
    ):
        return False
    return not present or len(present) == len(SL_COLUMNS)


def _one_sl_threshold(df: pd.DataFrame) -> bool:
    if SL_THRESHOLD_COLUMN not in df.columns:
        return True
    return bool(df[SL_THRESHOLD_COLUMN].nunique(dropna=False) <= 1)


@functools.cache
def resampled_schema() -> pa.DataFrameSchema:
    """The pandera schema of a resampled frame, built from the contract table on first use."""
    import pandera.pandas as pa

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
    for name, kind in SL_CARRIED_COUNTS.items():
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
                name=(
                    f"{', '.join(SL_COLUMNS)} together or not at all; "
                    f"{', '.join(SL_ABANDONED_COUNT_COLUMNS)} all or none, only with them"
                ),
            ),
            pa.Check(_one_sl_threshold, element_wise=False, name="one sl_threshold"),
            pa.Check(
                sl_counts_in_order,
                element_wise=False,
                name="answered_within_sl_low <= _estimate <= _high <= answered_contacts",
            ),
            pa.Check(
                abandoned_counts_in_order,
                element_wise=False,
                name="abandoned_within_sl_low <= _estimate <= _high <= abandoned_contacts",
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
        description=(
            "A frame of buckets as cvframe.resample_intervals returns it. This is a "
            "DataFrameSchema instance (not a class): cvframe.IntervalSchema.validate(df)."
        ),
    )


#: The pandera schema of a frame of buckets, as :func:`cvframe.resample_intervals`
#: returns it: a ``DataFrameSchema`` instance, published as ``cvframe.IntervalSchema``.
#:
#: Columns, in this order: the ``by`` key columns that are present (any of
#: :data:`KEY_COLUMNS`, ``queue_name`` following ``queue_id``), ``interval_start`` and
#: ``interval_end`` (``datetime64[ms, tz]`` in the bucketing time zone), then every
#: measure of the call-volume contract with its contract dtype (``Int64``,
#: ``Float64``, ``timedelta64[ms]``), non-negative. One row per series and bucket.
#: Optionally, all together, the service-level counts of :data:`SL_COUNT_COLUMNS`
#: (non-negative, ``low <= estimate <= high <= answered_contacts``) and
#: :data:`SL_THRESHOLD_COLUMN` (positive, one value per frame); with them, optionally,
#: those of :data:`SL_ABANDONED_COUNT_COLUMNS` (all three, ``<= abandoned_contacts``).
#: Validate with ``cvframe.IntervalSchema.validate(df)``. Built on first access
#: (:func:`resampled_schema`), so that ``import cvframe`` does not import pandera.
RESAMPLED_SCHEMA: pa.DataFrameSchema


def __getattr__(name: str) -> Any:
    if name == "RESAMPLED_SCHEMA":
        return resampled_schema()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _plainly_valid(out: pd.DataFrame) -> bool:
    """Whether ``out``, as :mod:`._resample` builds it, plainly follows the schema.

    The schema's checks, each one vectorised pass over a column, for a frame whose
    rows are one per series and bucket by construction (one per slot code). True
    implies that ``RESAMPLED_SCHEMA.validate`` passes; False only sends the frame to
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
        elif name in measures or name in SL_CARRIED_COUNTS or name == SL_THRESHOLD_COLUMN:
            if name in measures:
                expected: Any = dtypes[name]
            elif name in SL_CARRIED_COUNTS:
                expected = "Float64" if SL_CARRIED_COUNTS[name] == "float" else "Int64"
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
    return (
        bool(np.all(end > start))
        and bool(sl_counts_in_order(out).all())
        and bool(abandoned_counts_in_order(out).all())
    )


def validated(out: pd.DataFrame) -> pd.DataFrame:
    """``out`` if it follows the schema; a broken input (e.g. negative counts) fails here."""
    if _plainly_valid(out):
        return out
    import pandera.pandas as pa

    try:
        return resampled_schema().validate(out, lazy=False)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as exc:
        raise SchemaError(
            f"the resampled frame breaks IntervalSchema ({exc}); check the input with "
            "cvframe.validate",
            failure_cases=getattr(exc, "failure_cases", None),
        ) from None
