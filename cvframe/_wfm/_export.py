"""Exports for workforce-management (WFM) tools: Genesys Cloud, a generic CSV, your own.

Every export is built from *source fields*: the contract's columns plus a few
derived ones (``aht``, ``asa``, ...), each of a kind that fixes which units it
may be written in. :data:`SOURCE_FIELDS` lists them; :data:`UNITS` the units.
The Genesys Cloud layout follows "Prepare the historical data import .csv file"
(help.mypurecloud.com); change :data:`GENESYS_COLUMNS` with that page.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from .._analytics import check_input, checked
from .._durations import parse_duration
from .._frame import COLUMNS

__all__ = [
    "GENERIC_COLUMNS",
    "GENESYS_COLUMNS",
    "GENESYS_INTERVAL",
    "GENESYS_MEDIA_TYPES",
    "SOURCE_FIELDS",
    "UNITS",
    "WfmTarget",
    "to_wfm",
    "write_wfm",
]

Kind = Literal["text", "count", "number", "time", "duration", "ratio"]
#: As :func:`cvframe.kpis` takes it.
SlDenominator = Literal["offered", "answered", "answered+abandoned"]
#: An output column -> a source field, or (source field, unit).
WfmMapping: TypeAlias = Mapping[str, "str | tuple[str, str]"]
WfmTarget: TypeAlias = 'Literal["genesys", "generic"] | WfmMapping'
#: One value for every queue, or queue id / queue name -> value.
PerQueue: TypeAlias = "str | Mapping[str, str | Sequence[str]] | None"

#: The Genesys Cloud WFM historical import columns, in the importer's order.
GENESYS_COLUMNS = (
    "Interval Start UTC Date",
    "Queue",
    "Media Type",
    "Skill Set",
    "Language",
    "Offered",
    "Interactions Handled",
    "Total Handle Time (Seconds)",
)
#: The media types the Genesys importer accepts.
GENESYS_MEDIA_TYPES = ("voice", "chat", "email", "callback", "message")
#: Genesys takes intervals starting on :00, :15, :30 and :45 only.
GENESYS_INTERVAL = pd.Timedelta(minutes=15)
#: Genesys separates the skills of one row with three pipes.
_GENESYS_SKILL_SEPARATOR = "|||"
_ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"

#: The "generic" export: interval, queue, counts, AHT and ASA in seconds, service level.
GENERIC_COLUMNS: Mapping[str, str | tuple[str, str]] = {
    "interval_start": "interval_start",
    "interval_end": "interval_end",
    "queue_id": "queue_id",
    "queue_name": "queue_name",
    "offered": "offered",
    "answered": "answered",
    "abandoned": "abandoned",
    "handled": "handled",
    "aht_seconds": ("aht", "s"),
    "asa_seconds": ("asa", "s"),
    "service_level": ("service_level", "fraction"),
}

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
class _KpiOptions:
    """How the service level is defined (see :func:`cvframe.kpis`)."""

    sl_threshold: str | pd.Timedelta | timedelta = "20s"
    sl_denominator: SlDenominator = "offered"


@dataclass(frozen=True)
class _Source:
    kind: Kind
    needs: tuple[str, ...]
    compute: Callable[[pd.DataFrame, _KpiOptions], pd.Series]
    description: str


def _count(df: pd.DataFrame, column: str) -> pd.Series:
    return df[column].astype("Int64")


def _millis(df: pd.DataFrame, column: str) -> pd.Series:
    """A duration column as float milliseconds (NA where missing)."""
    td = df[column].astype("timedelta64[ms]")
    return (td / pd.Timedelta(milliseconds=1)).astype("Float64")


def _per(total: pd.Series, count: pd.Series) -> pd.Series:
    """``total / count``, NA where count is 0 or missing."""
    count = count.astype("Float64")
    return (total.astype("Float64") / count.where(count > 0)).astype("Float64")


def _service_level(df: pd.DataFrame, options: _KpiOptions) -> pd.Series:
    """The service-level estimate of :func:`cvframe.kpis`, whose definition it is."""
    try:
        from .._analytics import kpis
    except ImportError:  # pragma: no cover - only while the analytics helpers are absent
        return pd.Series(pd.NA, index=df.index, dtype="Float64")
    # to_wfm checked the frame; kpis need not check it again.
    with checked():
        level = kpis(df, sl_threshold=options.sl_threshold, sl_denominator=options.sl_denominator)
    return level["service_level"].astype("Float64")


def _column_source(column: str, kind: Kind, description: str) -> _Source:
    if kind == "duration":
        return _Source(kind, (column,), lambda df, _: _millis(df, column), description)
    if kind == "count":
        return _Source(kind, (column,), lambda df, _: _count(df, column), description)
    return _Source(kind, (column,), lambda df, _: df[column], description)


_CONTRACT_KINDS: Mapping[str, Kind] = {
    "string": "text",
    "int": "count",
    "float": "number",
    "datetime": "time",
    "duration": "duration",
}

#: Every field an export can take, contract columns first, then derived ones.
SOURCE_FIELDS: Mapping[str, _Source] = {
    **{c.name: _column_source(c.name, _CONTRACT_KINDS[c.kind], c.description) for c in COLUMNS},
    "offered": _column_source("offered_contacts", "count", "contacts offered"),
    "answered": _column_source("answered_contacts", "count", "contacts answered"),
    "abandoned": _column_source("abandoned_contacts", "count", "contacts abandoned"),
    "handled": _column_source("completed_contacts", "count", "contacts handled (completed)"),
    "handle_time": _column_source(
        "conversation_handle_time", "duration", "total handle time (talk + hold + ACW)"
    ),
    "aht": _Source(
        "duration",
        ("conversation_handle_time", "completed_contacts"),
        lambda df, _: _per(_millis(df, "conversation_handle_time"), df["completed_contacts"]),
        "average handle time: handle time / handled contacts",
    ),
    "asa": _Source(
        "duration",
        ("queue_hold_time_answered", "answered_contacts"),
        lambda df, _: _per(_millis(df, "queue_hold_time_answered"), df["answered_contacts"]),
        "average speed of answer: queue wait of answered contacts / answered contacts",
    ),
    "abandon_rate": _Source(
        "ratio",
        ("abandoned_contacts", "offered_contacts"),
        lambda df, _: _per(df["abandoned_contacts"], df["offered_contacts"]),
        "abandoned / offered",
    ),
    "service_level": _Source(
        "ratio",
        ("answered_contacts", "queue_hold_time_answered", "max_queue_hold_time_answered"),
        _service_level,
        "service level: answered within sl_threshold / sl_denominator (cvframe.kpis)",
    ),
}


# --------------------------------------------------------------------------- mapping


def _parse_mapping(target: object) -> list[tuple[str, str, str | None]]:
    """``[(output column, source field, unit or None)]``, or ValueError saying what is wrong."""
    if not isinstance(target, Mapping) or not target:
        raise ValueError(
            "target must be 'genesys', 'generic' or a non-empty mapping of output column "
            f"-> source field (or (source field, unit)), got {target!r}"
        )
    spec: list[tuple[str, str, str | None]] = []
    for out, source in target.items():
        if not isinstance(out, str):
            raise ValueError(f"output column names must be strings, got {out!r}")
        if isinstance(source, str):
            field, unit = source, None
        elif (
            isinstance(source, tuple)
            and len(source) == 2
            and all(isinstance(part, str) for part in source)
        ):
            field, unit = source
        else:
            raise ValueError(
                f"output column {out!r}: give a source field name or a (field, unit) "
                f"pair, got {source!r}"
            )
        if field not in SOURCE_FIELDS:
            close = difflib.get_close_matches(field, list(SOURCE_FIELDS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"output column {out!r}: unknown source field {field!r}{hint}; "
                f"known fields: {', '.join(SOURCE_FIELDS)}"
            )
        _check_unit(out, field, unit)
        spec.append((out, field, unit))
    return spec


def _check_unit(out: str, field: str, unit: str | None) -> None:
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


def _check_columns(df: pd.DataFrame, needed: set[str], what: str) -> None:
    missing = sorted(needed - set(df.columns))
    if missing:
        raise ValueError(
            f"the {what} export needs the columns {missing}, which the frame lacks; "
            "pass a frame from cvframe.read_callvolume or cvframe.read_snapshot"
        )


def _format_time(values: pd.Series, unit: str) -> pd.Series:
    utc = values.astype("datetime64[ms, UTC]")
    if unit == "epoch_ms" or unit == "epoch_s":
        millis = (utc - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
        millis = millis.astype("Int64")
        return millis if unit == "epoch_ms" else millis // 1000
    pattern = _ISO_SECONDS if unit == "iso" else unit
    text = utc.dt.strftime(pattern)
    return text.astype("string").where(utc.notna())


def _convert(values: pd.Series, kind: Kind, unit: str | None) -> pd.Series:
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


def _from_mapping(
    df: pd.DataFrame, target: object, what: str, options: _KpiOptions
) -> pd.DataFrame:
    spec = _parse_mapping(target)
    needed = {c for _, f, _ in spec for c in SOURCE_FIELDS[f].needs}
    if any(f == "service_level" for _, f, _ in spec):
        # kpis divides by these and, handed the checked frame, does not check them itself.
        from .._analytics import SL_DENOMINATORS

        needed |= set(SL_DENOMINATORS.get(options.sl_denominator, ()))
    _check_columns(df, needed, what)
    check_input(df, sorted(needed), what="to_wfm")
    # Output rows follow input rows by position, whatever index a filter left behind.
    df = df.reset_index(drop=True)
    out = {
        name: _convert(SOURCE_FIELDS[field].compute(df, options), SOURCE_FIELDS[field].kind, unit)
        for name, field, unit in spec
    }
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


# --------------------------------------------------------------------------- genesys


def _per_queue(df: pd.DataFrame, value: PerQueue, name: str, *, join: bool = False) -> pd.Series:
    """One value per row from a single value or a mapping keyed by queue id or name."""
    if value is None:
        return pd.Series("", index=df.index, dtype="string")
    if isinstance(value, str):
        return pd.Series(value, index=df.index, dtype="string")
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a string or a mapping of queue id or name -> value")

    def text(item: str | Sequence[str]) -> str:
        if isinstance(item, str):
            return item
        if join:
            return _GENESYS_SKILL_SEPARATOR.join(item)
        raise ValueError(f"{name} values must be strings, got {item!r}")

    table = {str(k): text(v) for k, v in value.items()}
    by_id = df["queue_id"].astype("string").map(table)
    by_name = df["queue_name"].astype("string").map(table)
    found = by_id.fillna(by_name).astype("string")
    if name == "media_type":
        unmapped = found.isna()
        if unmapped.any():
            missing = sorted(
                set(df.loc[unmapped, "queue_name"].fillna(df.loc[unmapped, "queue_id"]))
            )
            raise ValueError(
                f"media_type has no entry for the queue(s) {missing}; key it by queue id "
                "or queue name, one entry per queue"
            )
    return found.fillna("")


#: The Genesys columns cvframe fills from a measure, which the importer needs as numbers.
_GENESYS_MEASURES = ("offered_contacts", "completed_contacts", "conversation_handle_time")


def _intervals(df: pd.DataFrame, bad: np.ndarray) -> str:
    """The first few bad records as 'queue at start', for a message."""
    rows = np.flatnonzero(bad)[:3]
    queue = df["queue_name"].astype("string").fillna(df["queue_id"].astype("string"))
    starts = df["interval_start"].astype("datetime64[ms, UTC]")
    shown = [f"{queue.iloc[i]} at {starts.iloc[i].strftime(_ISO_SECONDS)}" for i in rows]
    return ", ".join(shown) + (", ..." if bad.sum() > len(rows) else "")


def _refuse_straddling(df: pd.DataFrame, slots: pd.Series, ends: pd.Series) -> None:
    """ValueError if a record does not nest in one quarter hour (resample_intervals' rule)."""
    straddling = (ends > slots + GENESYS_INTERVAL).to_numpy(dtype=bool, na_value=False)
    if straddling.any():
        raise ValueError(
            f"{int(straddling.sum())} record(s) straddle two Genesys quarter hours "
            f"({_intervals(df, straddling)}), so no :00/:15/:30/:45 interval holds their "
            "contacts; the importer needs records that nest in 15-minute UTC intervals, as "
            "cvframe.resample_intervals(df, '15min') does"
        )


def _refuse_missing(df: pd.DataFrame, starts: pd.Series) -> None:
    """ValueError naming the intervals where a measure Genesys needs is missing."""
    for name in _GENESYS_MEASURES:
        missing = df[name].isna().to_numpy(dtype=bool)
        if missing.any():
            raise ValueError(
                f"{name} is missing in {int(missing.sum())} record(s) ({_intervals(df, missing)}) "
                "and the Genesys import has no way to say unknown: writing 0 would train the "
                "forecast on invented zeros. Drop those records, or fill them yourself if 0 is "
                f"true: df.fillna({{{name!r}: 0}})"
            )


def _genesys(
    df: pd.DataFrame, *, media_type: PerQueue, skill_set: PerQueue, language: PerQueue
) -> pd.DataFrame:
    needed = {
        "interval_start",
        "interval_end",
        "queue_id",
        "queue_name",
        "offered_contacts",
        "completed_contacts",
        "conversation_handle_time",
    }
    _check_columns(df, needed, "genesys")
    check_input(df, sorted(needed), what="to_wfm")
    starts = df["interval_start"].astype("datetime64[ms, UTC]")
    ends = df["interval_end"].astype("datetime64[ms, UTC]")
    too_long = (ends - starts) > GENESYS_INTERVAL
    if too_long.any():
        raise ValueError(
            f"{int(too_long.sum())} record(s) span more than 15 minutes; the Genesys "
            "importer takes 15-minute intervals and cvframe does not split longer ones"
        )
    slots = starts.dt.floor(GENESYS_INTERVAL)
    _refuse_straddling(df, slots, ends)
    _refuse_missing(df, starts)
    media = _per_queue(df, media_type if media_type is not None else "voice", "media_type")
    media = media.str.lower()
    bad = sorted(set(media) - set(GENESYS_MEDIA_TYPES))
    if bad:
        raise ValueError(
            f"media_type {bad} is not a Genesys media type; use one of "
            + ", ".join(GENESYS_MEDIA_TYPES)
        )
    rows = pd.DataFrame(
        {
            # Shorter intervals (e.g. 5 minutes) add up into the 15-minute slot they nest in.
            "start": slots,
            "queue": df["queue_name"].astype("string").fillna(df["queue_id"].astype("string")),
            "media": media,
            "skills": _per_queue(df, skill_set, "skill_set", join=True),
            "language": _per_queue(df, language, "language"),
            "offered": _count(df, "offered_contacts"),
            "handled": _count(df, "completed_contacts"),
            "handle_ms": _millis(df, "conversation_handle_time"),
        }
    )
    keys = ["queue", "media", "start", "skills", "language"]
    summed = rows.groupby(keys, sort=True, dropna=False)[["offered", "handled", "handle_ms"]]
    grouped = summed.sum().reset_index()
    out = pd.DataFrame(
        {
            "Interval Start UTC Date": grouped["start"].dt.strftime(_ISO_SECONDS).astype("string"),
            "Queue": grouped["queue"].astype("string"),
            "Media Type": grouped["media"].astype("string"),
            "Skill Set": grouped["skills"].astype("string"),
            "Language": grouped["language"].astype("string"),
            "Offered": grouped["offered"].astype("Int64"),
            "Interactions Handled": grouped["handled"].astype("Int64"),
            "Total Handle Time (Seconds)": (grouped["handle_ms"].astype("Float64") / 1000).round(3),
        },
        columns=list(GENESYS_COLUMNS),
    )
    out.index = pd.RangeIndex(len(out))
    return out


# --------------------------------------------------------------------------- public


def to_wfm(
    df: pd.DataFrame,
    target: WfmTarget = "genesys",
    *,
    media_type: PerQueue = "voice",
    skill_set: PerQueue = None,
    language: PerQueue = None,
    sl_threshold: str | pd.Timedelta | timedelta = "20s",
    sl_denominator: SlDenominator = "offered",
) -> pd.DataFrame:
    """Shape a call-volume frame as a WFM tool's interval import table.

    Parameters
    ----------
    df : pandas.DataFrame
        A call-volume frame (:func:`cvframe.read_callvolume`,
        :func:`cvframe.read_snapshot`); only the columns the target uses are needed.
    target : {"genesys", "generic"} or mapping, default "genesys"
        ``"genesys"``: the Genesys Cloud WFM historical import (:data:`GENESYS_COLUMNS`):
        interval starts in UTC ISO 8601 on :00/:15/:30/:45 (shorter intervals are
        summed into their 15-minute slot), the queue name, media type, optional
        skill set and language, offered, handled (completed) contacts and the total
        handle time in seconds; one row per queue, media type and interval.

        ``"generic"``: one row per record with ``interval_start``, ``interval_end``
        (ISO 8601 UTC), ``queue_id``, ``queue_name``, ``offered``, ``answered``,
        ``abandoned``, ``handled``, ``aht_seconds``, ``asa_seconds`` and
        ``service_level``.

        A mapping of output column -> source field, or -> ``(source field, unit)``,
        for any other tool: the source fields are the contract's columns plus
        ``offered``, ``answered``, ``abandoned``, ``handled``, ``handle_time``,
        ``aht``, ``asa``, ``abandon_rate`` and ``service_level``. Durations take
        ``"s"`` (default), ``"ms"``, ``"min"`` or ``"h"``; times ``"iso"``
        (default), ``"epoch_s"``, ``"epoch_ms"`` or a strftime pattern; ratios
        ``"fraction"`` (default) or ``"percent"``.
    media_type : str or mapping, default "voice"
        Genesys only: the media type of every queue, or queue id or name -> media
        type (voice, chat, email, callback, message); the API does not say it.
    skill_set, language : str or mapping, optional
        Genesys only: the optional Skill Set and Language columns, for every queue
        or per queue id or name (a list of skills is joined with ``|||``).
    sl_threshold : str or timedelta, default "20s"
        The ``service_level`` field's threshold: answered within this wait.
    sl_denominator : {"offered", "answered", "answered+abandoned"}, default "offered"
        What the ``service_level`` field divides by (see :func:`cvframe.kpis`).

    Returns
    -------
    pandas.DataFrame
        The table, with the cells as they will be written (times as text).

    Raises
    ------
    ValueError
        For an unknown target, source field or unit, a missing column, a media
        type Genesys does not take, an ``sl_threshold`` without a unit; input that
        breaks the input contract (:mod:`cvframe._analytics._checks`: a repeated ``id``, a
        negative, fractional, infinite or non-numeric count, a negative duration,
        naive timestamps, ``interval_end <= interval_start``) in the columns the
        target reads; and for Genesys, records longer than 15 minutes or not
        nested in one UTC quarter hour, or a missing offered count, handled count
        or handle time (Genesys cannot say "unknown", and a 0 would be invented).

    Notes
    -----
    The records hold total and longest waits, not each contact's wait, so the
    ``service_level`` field is :func:`cvframe.kpis`' estimate (exact when the
    longest wait is within the threshold; ``kpis`` also gives its bounds).

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a1", "queueId": "qu-1", "queueName": "Billing", "__v": 0,
    ...     "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
    ...     "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
    ...     "offeredContacts": 3, "answeredContacts": 2, "completedContacts": 2,
    ...     "conversationHandleTime": 68043, "queueHoldTimeAnswered": 34035}])
    >>> genesys = cvframe.to_wfm(df, "genesys")
    >>> list(genesys.columns[:3])
    ['Interval Start UTC Date', 'Queue', 'Media Type']
    >>> print(genesys.to_csv(index=False, header=False), end="")
    2023-06-01T09:45:00Z,Billing,voice,,,3,2,68.043
    >>> cvframe.to_wfm(df, {"Start": ("interval_start", "%Y-%m-%d %H:%M"),
    ...                     "Calls": "offered", "AHT (min)": ("aht", "min")})
                  Start  Calls  AHT (min)
    0  2023-06-01 09:45      3    0.56702
    """
    # Read at once, whether or not the target has a service level, so that a bad one
    # (a bare "20") is refused rather than silently unused.
    parse_duration(sl_threshold, name="sl_threshold")
    options = _KpiOptions(sl_threshold, sl_denominator)
    if isinstance(target, str):
        if target == "genesys":
            return _genesys(df, media_type=media_type, skill_set=skill_set, language=language)
        if target == "generic":
            return _from_mapping(df, GENERIC_COLUMNS, "generic", options)
        raise ValueError(
            f"target must be 'genesys', 'generic' or a mapping of output column -> source "
            f"field, got {target!r}"
        )
    return _from_mapping(df, target, "mapped", options)


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _file_stem(queue: str, media: str) -> str:
    """A file name Genesys accepts: no whitespace, none of {^}%`]">/:[~<#|."""
    stem = _UNSAFE_NAME.sub("-", f"{queue}_{media}").strip("-.")
    return stem or "queue"


def _write_csv(table: pd.DataFrame, final: Path) -> None:
    """Write a CSV atomically: a temporary file beside ``final``, then a rename."""
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            table.to_csv(fh, index=False, lineterminator="\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(name, final)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def write_wfm(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    target: WfmTarget = "genesys",
    *,
    media_type: PerQueue = "voice",
    skill_set: PerQueue = None,
    language: PerQueue = None,
    sl_threshold: str | pd.Timedelta | timedelta = "20s",
    sl_denominator: SlDenominator = "offered",
) -> list[Path]:
    """Write a WFM import: for Genesys a directory of files, otherwise one CSV file.

    The Genesys importer takes one queue and media type per file, so for
    ``target="genesys"`` ``path`` is a directory (created if missing) that gets one
    ``<queue>_<media type>.csv`` per combination, named without whitespace or the
    characters Genesys refuses. For any other target ``path`` is the CSV file.
    Each file is written atomically.

    Parameters
    ----------
    df : pandas.DataFrame
        A call-volume frame.
    path : str or os.PathLike
        The directory (Genesys) or the file (other targets).
    target, media_type, skill_set, language, sl_threshold, sl_denominator
        As for :func:`to_wfm`.

    Returns
    -------
    list of pathlib.Path
        The files written, sorted.

    Raises
    ------
    ValueError
        As for :func:`to_wfm` (nothing is written then), or if ``path`` is a file
        where a directory is needed, or the other way round.

    Examples
    --------
    >>> import tempfile, cvframe
    >>> df = cvframe.records_to_frame([
    ...     {"_id": f"r{i}", "queueId": f"qu-{i}", "queueName": name, "__v": 0,
    ...      "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
    ...      "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
    ...      "offeredContacts": 3, "completedContacts": 2, "conversationHandleTime": 68043}
    ...     for i, name in enumerate(["Billing", "Chat Care"])])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = cvframe.write_wfm(df, tmp, "genesys",
    ...                               media_type={"Billing": "voice", "Chat Care": "chat"})
    ...     names = [f.name for f in files]
    ...     header, row = files[1].read_text().splitlines()
    >>> names
    ['Billing_voice.csv', 'Chat-Care_chat.csv']
    >>> header.split(",")[-1], row
    ('Total Handle Time (Seconds)', '2023-06-01T09:45:00Z,Chat Care,chat,,,3,2,68.043')
    """
    table = to_wfm(
        df,
        target,
        media_type=media_type,
        skill_set=skill_set,
        language=language,
        sl_threshold=sl_threshold,
        sl_denominator=sl_denominator,
    )
    out = Path(path)
    if not (isinstance(target, str) and target == "genesys"):
        if out.is_dir():
            raise ValueError(f"{out} is a directory; the {target!r} export is one CSV file")
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_csv(table, out)
        return [out]
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; the Genesys export is a directory of CSV files")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    used: set[str] = set()
    for (queue, media), part in table.groupby(["Queue", "Media Type"], sort=True):
        stem = _file_stem(str(queue), str(media))
        name, n = stem, 1
        while name.lower() in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name.lower())
        final = out / f"{name}.csv"
        _write_csv(part, final)
        written.append(final)
    return sorted(written)
