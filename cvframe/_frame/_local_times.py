"""Zone-less times in an endpoint's own spelling -> UTC instants, in the zone the user names.

Agent activity sends ``EventTime`` as ``MM/DD/YYYY HH:MM:SS`` with no zone, and an
unpadded hour in the documented sample (``10/20/2020 2:13:12``). Such a column declares
its ``strptime`` format (``Column.time_format``); its values are read as wall-clock
times in ``time_zone`` (UTC unless told) and stored as the UTC instant. An ISO 8601
value in the column is accepted too: with an offset it says its own instant, without
one it is read in ``time_zone`` like the others.

Daylight-saving changes (with UTC, the default, there are none):

- a wall-clock time that happens twice (the hour repeated when clocks go back) is
  placed by the order the events arrive in: within each agent's events, as the page
  sends them, a time going back inside the repeated hour starts its second reading
  (pandas' ``tz_localize(ambiguous="infer")``). Where the order cannot tell (one
  event in that hour, or none going back), it is refused with a
  :class:`cvframe.ResponseError` naming the value and saying what to do, never guessed;
- a time that never happens (the hour skipped when clocks go forward) is moved
  forward to the first instant after the change (``nonexistent="shift_forward"``):
  an event sent at 2:30 on the spring-forward night is read as 3:00.
"""

from __future__ import annotations

import functools
import importlib
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
    groups: Sequence[Any] | None = None,
) -> pa_arrow.Array:
    """``values`` (strings in ``column.time_format`` or ISO 8601) as UTC instants in ms.

    ``groups`` (one per value: the agent of each event) says whose times follow each
    other in arrival order, for placing the repeated autumn hour; None: all of them.
    """
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
    utc = _localized(column, sent, naive, time_zone, describe, groups)
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


def _placing_errors() -> tuple[type[Exception], ...]:
    """What ``tz_localize(ambiguous="infer")`` raises when the order cannot tell.

    pandas 3 raises ValueError; pandas 2.2 pytz's AmbiguousTimeError, no ValueError.
    """
    try:
        pytz = importlib.import_module("pytz")
    except ImportError:
        return (ValueError,)
    return (ValueError, pytz.exceptions.InvalidTimeError)


_CANNOT_PLACE = _placing_errors()


def _localized(
    column: Column,
    sent: pd.Series,
    naive: pd.Series,
    time_zone: str,
    describe: Callable[[int], str],
    groups: Sequence[Any] | None,
) -> pd.Series:
    """``naive`` wall-clock times in ``time_zone`` as UTC (see the module's rules)."""
    if time_zone == "UTC":
        return naive.dt.tz_localize("UTC")
    local = naive.dt.tz_localize(time_zone, ambiguous="NaT", nonexistent="shift_forward")
    twice = local.isna() & naive.notna()
    if twice.any():
        local = local.copy()
        # Each agent's times in arrival order (an id that is not text: by its text).
        owners = [None if g is None else str(g) for g in groups] if groups else [None] * len(naive)
        rows: dict[str | None, list[int]] = {}
        for position, owner in enumerate(owners):
            rows.setdefault(owner, []).append(position)
        for owner in dict.fromkeys(owners[p] for p in twice[twice].index):
            own = naive.iloc[rows[owner]].dropna()
            try:
                placed = own.dt.tz_localize(
                    time_zone, ambiguous="infer", nonexistent="shift_forward"
                )
            except _CANNOT_PLACE:
                first = next(p for p in rows[owner] if twice.iloc[p])
                raise _twice(column, sent, time_zone, describe, first) from None
            local[placed.index] = placed
    return local.dt.tz_convert("UTC")


def _twice(
    column: Column, sent: pd.Series, time_zone: str, describe: Callable[[int], str], position: int
) -> ResponseError:
    return ResponseError(
        f"field {column.api_name!r} of {describe(position)} is {sent[position]!r}, a "
        f"wall-clock time that happens twice in {time_zone} (the hour repeated when clocks "
        "go back), and the order of the events sent does not tell which: cvframe does not "
        "guess an instant. Read a window that holds the whole repeated hour (the events "
        "of both readings), pass as time_zone the zone the API writes its times in (UTC, "
        "the default, has no such hours), or ask Kore.ai which zone that is"
    )
