"""Zone-less times in an endpoint's own spelling -> UTC instants, in the zone the user names.

Agent activity sends ``EventTime`` as ``MM/DD/YYYY HH:MM:SS`` with no zone, and an
unpadded hour in the documented sample (``10/20/2020 2:13:12``). Such a column declares
its ``strptime`` format (``Column.time_format``); its values are read as wall-clock
times in ``time_zone`` (UTC unless told) and stored as the UTC instant. An ISO 8601
value in the column is accepted too: with an offset it says its own instant, without
one it is read in ``time_zone`` like the others.

A wall-clock time that happens twice (the hour repeated when clocks go back) or never
(the hour skipped when they go forward) names no instant: it is refused with a
:class:`cvframe.ResponseError` naming the value, never guessed. With UTC, the default,
neither can happen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa_arrow

from .._endpoints import Column
from .._errors import ResponseError

__all__ = ["check_time_zone", "local_times_to_utc", "spelled"]


def check_time_zone(time_zone: str) -> str:
    """Return ``time_zone`` if pandas can read times in it, else raise ValueError.

    An IANA name (``"America/New_York"``, ``"UTC"``) or a fixed offset (``"+05:30"``):
    what ``tz_localize`` takes, as :func:`cvframe.resample_intervals`' ``tz`` does.

    >>> check_time_zone("Europe/Berlin")
    'Europe/Berlin'
    >>> check_time_zone("CEST")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: time_zone must be an IANA time zone name such as 'UTC' ...; got 'CEST'
    """
    if isinstance(time_zone, str) and time_zone and _is_zone(time_zone):
        return time_zone
    raise ValueError(
        "time_zone must be an IANA time zone name such as 'UTC' or 'America/New_York' "
        f"(or a fixed offset such as '+05:30'); got {time_zone!r}"
    )


@functools.lru_cache(maxsize=64)
def _is_zone(name: str) -> bool:
    try:
        pd.Timestamp("2000-01-01").tz_localize(name)
    except (LookupError, ValueError, TypeError):  # pytz and zoneinfo: KeyError subclasses
        return False
    return True


_SPELLING = {"%m": "MM", "%d": "DD", "%Y": "YYYY", "%H": "HH", "%M": "MM", "%S": "SS"}


def spelled(time_format: str) -> str:
    """A ``strptime`` format as the API's documentation spells it.

    >>> spelled("%m/%d/%Y %H:%M:%S")
    'MM/DD/YYYY HH:MM:SS'
    """
    for directive, text in _SPELLING.items():
        time_format = time_format.replace(directive, text)
    return time_format


#: Builds the error naming the first value that fails ``ok``, described as ``what``.
BadValue = Callable[[Callable[[Any], bool], str], ResponseError]


def local_times_to_utc(
    column: Column,
    values: Sequence[Any],
    time_zone: str,
    bad_value: BadValue,
    describe: Callable[[int], str],
) -> pa_arrow.Array:
    """``values`` (strings in ``column.time_format`` or ISO 8601) as UTC instants in ms."""
    assert column.time_format is not None
    what = f"a time spelled {spelled(column.time_format)} (or ISO 8601)"
    if not all(v is None or isinstance(v, str) for v in values):
        raise bad_value(lambda v: isinstance(v, str), what)
    sent = pd.Series(values, dtype=object)
    naive = pd.to_datetime(sent, format=column.time_format, errors="coerce")
    others = naive.isna() & sent.notna()
    instants: dict[int, pd.Timestamp] = {}
    if others.any():
        naive = naive.astype("datetime64[ns]")
        for position in others[others].index:
            stamp = _iso(sent[position])
            if stamp is None:
                raise bad_value(lambda v: _iso(v) is not None or _formatted(v, column), what)
            if stamp.tzinfo is None:
                naive[position] = stamp
            else:
                instants[position] = stamp.tz_convert("UTC")
    utc = _localized(column, sent, naive, time_zone, describe)
    if instants:
        # A copy of its own: pandas 2.2 flags a .dt result as a view it may discard.
        utc = utc.copy()
        for position, stamp in instants.items():
            utc[position] = stamp
    return pa_arrow.array(
        utc.dt.floor("ms").astype("datetime64[ms, UTC]"), pa_arrow.timestamp("ms", tz="UTC")
    )


def _iso(value: str) -> pd.Timestamp | None:
    try:
        stamp = pd.to_datetime(value, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp


def _formatted(value: str, column: Column) -> bool:
    return not pd.isna(pd.to_datetime(value, format=column.time_format, errors="coerce"))


def _localized(
    column: Column,
    sent: pd.Series,
    naive: pd.Series,
    time_zone: str,
    describe: Callable[[int], str],
) -> pd.Series:
    """``naive`` wall-clock times in ``time_zone`` as UTC; a time naming no instant raises."""
    if time_zone == "UTC":
        return naive.dt.tz_localize("UTC")
    local = naive.dt.tz_localize(time_zone, ambiguous="NaT", nonexistent="NaT")
    lost = local.isna() & naive.notna()
    if lost.any():
        position = int(lost.idxmax())
        # Shifting the skipped hour forward keeps it: NaT there too means "happens twice".
        shifted = naive[[position]].dt.tz_localize(
            time_zone, ambiguous="NaT", nonexistent="shift_forward"
        )
        happens = (
            f"happens twice in {time_zone} (the hour repeated when clocks go back), so it "
            "names two instants"
            if shifted.isna().all()
            else f"never happens in {time_zone} (the hour skipped when clocks go forward)"
        )
        raise ResponseError(
            f"field {column.api_name!r} of {describe(position)} is {sent[position]!r}, "
            f"a wall-clock time that {happens}; cvframe does not guess an instant. "
            "Pass as time_zone the zone the API writes its times in (UTC, the default, has "
            "no such hours), or ask Kore.ai which zone that is"
        )
    return local.dt.tz_convert("UTC")
