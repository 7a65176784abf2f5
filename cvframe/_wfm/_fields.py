"""The source fields an export is built from, the units each kind takes, the conversion.

Every export is built from *source fields*: the contract's columns plus a few
derived ones (``aht``, ``asa``, ...), each of a kind that fixes which units it
may be written in. :data:`SOURCE_FIELDS` lists them; :data:`UNITS` the units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import pandas as pd

from .._analytics import (
    AVERAGES,
    DEFAULT_SL_DENOMINATOR,
    DEFAULT_SL_THRESHOLD,
    RATIOS,
    SlDenominator,
    checked,
    kpis,
)
from .._frame import COLUMNS

__all__ = [
    "ISO_SECONDS",
    "SOURCE_FIELDS",
    "UNITS",
    "Kind",
    "ServiceLevelOptions",
    "check_unit",
    "convert",
    "count_values",
    "milliseconds",
]

Kind = Literal["text", "count", "number", "time", "duration", "ratio"]

#: The "iso" time unit: ISO 8601 UTC to the second.
ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"

#: Unit name -> milliseconds per unit, for durations.
_DURATION_UNITS = {"ms": 1.0, "s": 1_000.0, "min": 60_000.0, "h": 3_600_000.0}
#: Decimals kept per duration unit: millisecond precision.
_DURATION_DECIMALS = {"ms": 0, "s": 3, "min": 5, "h": 7}
_RATIO_UNITS = {"fraction": 1.0, "percent": 100.0}
_TIME_UNITS = ("iso", "epoch_s", "epoch_ms")

#: The units each kind of source field can be written in; the first is the default.
#: A time also takes a strftime pattern (anything with a ``%``), e.g. ``"%Y-%m-%d %H:%M"``.
UNITS: Mapping[Kind, tuple[str, ...]] = {
    "text": (),
    "count": (),
    "number": (),
    "time": (*_TIME_UNITS, "<strftime pattern>"),
    "duration": ("s", "ms", "min", "h"),
    "ratio": ("fraction", "percent"),
}


@dataclass(frozen=True)
class ServiceLevelOptions:
    """How the ``service_level`` field is defined (see :func:`cvframe.kpis`)."""

    sl_threshold: str | pd.Timedelta | timedelta = DEFAULT_SL_THRESHOLD
    sl_denominator: SlDenominator = DEFAULT_SL_DENOMINATOR


@dataclass(frozen=True)
class _SourceField:
    kind: Kind
    needs: tuple[str, ...]
    compute: Callable[[pd.DataFrame, ServiceLevelOptions], pd.Series]
    description: str


def count_values(df: pd.DataFrame, column: str) -> pd.Series:
    """A count column as nullable integers."""
    return df[column].astype("Int64")


def milliseconds(df: pd.DataFrame, column: str) -> pd.Series:
    """A duration column as float milliseconds (NA where missing)."""
    td = df[column].astype("timedelta64[ms]")
    return (td / pd.Timedelta(milliseconds=1)).astype("Float64")


def _ratio(total: pd.Series, count: pd.Series) -> pd.Series:
    """``total / count``, NA where count is 0 or missing."""
    count = count.astype("Float64")
    return (total.astype("Float64") / count.where(count > 0)).astype("Float64")


def _service_level(df: pd.DataFrame, options: ServiceLevelOptions) -> pd.Series:
    """The service-level estimate of :func:`cvframe.kpis`, whose definition it is."""
    # to_wfm checked the frame; kpis need not check it again.
    with checked():
        level = kpis(df, sl_threshold=options.sl_threshold, sl_denominator=options.sl_denominator)
    return level["service_level"].astype("Float64")


def _column_field(column: str, kind: Kind, description: str) -> _SourceField:
    if kind == "duration":
        return _SourceField(kind, (column,), lambda df, _: milliseconds(df, column), description)
    if kind == "count":
        return _SourceField(kind, (column,), lambda df, _: count_values(df, column), description)
    return _SourceField(kind, (column,), lambda df, _: df[column], description)


def _average(kpi: str, description: str) -> _SourceField:
    """The duration :func:`cvframe.kpis` calls ``kpi``: a total duration / a count."""
    total, count = AVERAGES[kpi]
    return _SourceField(
        "duration",
        (total, count),
        lambda df, _: _ratio(milliseconds(df, total), df[count]),
        description,
    )


def _rate(kpi: str, description: str) -> _SourceField:
    """The ratio :func:`cvframe.kpis` calls ``kpi``: a count / a count."""
    numerator, denominator = RATIOS[kpi]
    return _SourceField(
        "ratio",
        (numerator, denominator),
        lambda df, _: _ratio(df[numerator], df[denominator]),
        description,
    )


_CONTRACT_KINDS: Mapping[str, Kind] = {
    "string": "text",
    "int": "count",
    "float": "number",
    "datetime": "time",
    "duration": "duration",
}

#: Every field an export can take, contract columns first, then derived ones.
SOURCE_FIELDS: Mapping[str, _SourceField] = {
    **{c.name: _column_field(c.name, _CONTRACT_KINDS[c.kind], c.description) for c in COLUMNS},
    "offered": _column_field("offered_contacts", "count", "contacts offered"),
    "answered": _column_field("answered_contacts", "count", "contacts answered"),
    "abandoned": _column_field("abandoned_contacts", "count", "contacts abandoned"),
    "handled": _column_field("completed_contacts", "count", "contacts handled (completed)"),
    "handle_time": _column_field(
        "conversation_handle_time", "duration", "total handle time (talk + hold + ACW)"
    ),
    "aht": _average("aht", "average handle time: handle time / handled contacts"),
    "asa": _average(
        "asa", "average speed of answer: queue wait of answered contacts / answered contacts"
    ),
    "abandon_rate": _rate("abandon_rate", "abandoned / offered"),
    "service_level": _SourceField(
        "ratio",
        ("answered_contacts", "queue_hold_time_answered", "max_queue_hold_time_answered"),
        _service_level,
        "service level within sl_threshold, as sl_denominator defines it (cvframe.kpis)",
    ),
}


def check_unit(out: str, field: str, unit: str | None) -> None:
    """ValueError unless ``unit`` (None: the default) is one ``field``'s kind takes."""
    kind = SOURCE_FIELDS[field].kind
    allowed = UNITS[kind]
    if unit is None:
        return
    if not allowed:
        raise ValueError(
            f"output column {out!r}: {field!r} is a {kind} and takes no unit, got {unit!r}"
        )
    if kind == "time" and (unit in _TIME_UNITS or "%" in unit):
        return
    if kind != "time" and unit in allowed:
        return
    raise ValueError(
        f"output column {out!r}: unknown unit {unit!r} for {field!r} (a {kind}); "
        f"use one of {', '.join(allowed)}"
    )


def _format_time(values: pd.Series, unit: str) -> pd.Series:
    utc = values.astype("datetime64[ms, UTC]")
    if unit == "epoch_ms" or unit == "epoch_s":
        millis = (utc - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
        millis = millis.astype("Int64")
        return millis if unit == "epoch_ms" else millis // 1000
    pattern = ISO_SECONDS if unit == "iso" else unit
    text = utc.dt.strftime(pattern)
    return text.astype("string").where(utc.notna())


def convert(values: pd.Series, kind: Kind, unit: str | None) -> pd.Series:
    """A source field's values in ``unit`` (None: its kind's default), as written."""
    if kind == "time":
        return _format_time(values, unit or "iso")
    if kind == "duration":
        unit = unit or "s"
        scaled = values.astype("Float64") / _DURATION_UNITS[unit]
        return scaled.round(_DURATION_DECIMALS[unit])
    if kind == "ratio":
        return (values.astype("Float64") * _RATIO_UNITS[unit or "fraction"]).round(6)
    if kind == "text":
        return values.astype("string")
    return values
