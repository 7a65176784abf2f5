"""Zone-less times in an endpoint's own spelling -> UTC instants, in the zone the user names.

Agent activity sends ``EventTime`` as ``MM/DD/YYYY HH:MM:SS`` with no zone, and an
unpadded hour in the documented sample (``10/20/2020 2:13:12``). Such a column declares
its ``strptime`` format (``Column.time_format``); its values are read as wall-clock
times in ``time_zone`` (UTC unless told) and stored as the UTC instant. An ISO 8601
value in the column is accepted too: with an offset it says its own instant, without
one it is read in ``time_zone`` like the others.

Daylight-saving changes (with UTC, the default, there are none):

- a wall-clock time that happens twice (the hour repeated when clocks go back) has
  two candidate instants, its first (daylight-saving) and its second (standard)
  reading. It is placed, in this order:

  1. by the window of the request that brought it (``window=(lo, hi)``, UTC, when
     given): the one candidate inside it. A request that ends, or starts, at the
     change holds only one reading (:func:`cvframe.read_agent_activity` cuts its
     pieces there). The window is taken as ``[lo, hi]``: a server may send an event
     at ``hi`` too, so a candidate exactly at ``hi`` leaves the choice to rule 2, and
     only if that cannot tell is the candidate inside ``[lo, hi)`` taken (the window
     asked for);
  2. by the order the events arrive in: within each agent's events, as the page
     sends them, a time going back inside the repeated hour starts its second reading
     (pandas' ``tz_localize(ambiguous="infer")``);
  3. otherwise (no window, or both or neither candidate inside it, and one event in
     that hour or none going back) it is refused with a :class:`cvframe.ResponseError`
     naming the value and saying what to do, never guessed;
- a time that never happens (the hour skipped when clocks go forward) is moved
  forward to the first instant after the change (``nonexistent="shift_forward"``):
  an event sent at 2:30 on the spring-forward night is read as 3:00.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa_arrow

from .._endpoints import Column
from .._errors import ResponseError

__all__ = ["Window", "check_time_zone", "check_window", "local_times_to_utc", "spelled"]

#: A request's window as UTC instants ``(lo, hi)``, ``lo < hi``.
Window = tuple[pd.Timestamp, pd.Timestamp]


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


def check_window(window: Any) -> Window | None:
    """``window`` as two UTC Timestamps ``(lo, hi)`` with ``lo < hi``, else a ValueError.

    Each end is what :class:`pandas.Timestamp` takes (text, a datetime); naive is UTC.
    None stays None.

    >>> check_window(("2024-11-03 06:00", "2024-11-03T12:00:00Z"))
    (Timestamp('2024-11-03 06:00:00+0000', tz='UTC'), Timestamp('2024-11-03 12:00:00+0000', tz='UTC'))
    >>> check_window(("2024-11-03", "2024-11-02"))
    Traceback (most recent call last):
    ...
    ValueError: window must be two instants (lo, hi) with lo before hi, UTC when naive, such as ('2024-11-03T06:00Z', '2024-11-03T12:00Z'); got ('2024-11-03', '2024-11-02')
    """  # noqa: E501
    if window is None:
        return None
    ends: list[pd.Timestamp] = []
    if isinstance(window, tuple | list) and len(window) == 2:
        for end in window:
            try:
                stamp = pd.Timestamp(end)
            except (ValueError, TypeError, OverflowError):
                break
            if pd.isna(stamp):
                break
            ends.append(
                stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
            )
    if len(ends) != 2 or not ends[0] < ends[1]:
        raise ValueError(
            "window must be two instants (lo, hi) with lo before hi, UTC when naive, such as "
            f"('2024-11-03T06:00Z', '2024-11-03T12:00Z'); got {window!r}"
        )
    return ends[0], ends[1]


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
    window: Window | None = None,
) -> pa_arrow.Array:
    """``values`` (strings in ``column.time_format`` or ISO 8601) as UTC instants in ms.

    ``groups`` (one per value: the agent of each event) says whose times follow each
    other in arrival order, for placing the repeated autumn hour; None: all of them.
    ``window`` (from :func:`check_window`): the request's, which places that hour first.
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
    utc = _localized(column, sent, naive, time_zone, describe, groups, window)
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
    window: Window | None,
) -> pd.Series:
    """``naive`` wall-clock times in ``time_zone`` as UTC (see the module's rules)."""
    if time_zone == "UTC":
        return naive.dt.tz_localize("UTC")
    local = naive.dt.tz_localize(time_zone, ambiguous="NaT", nonexistent="shift_forward")
    twice = local.isna() & naive.notna()
    if not twice.any():
        return local.dt.tz_convert("UTC")
    local = local.copy()
    # Rule 1: the candidate inside the request's window.
    undecided = list(twice[twice].index)
    at_end: dict[int, pd.Timestamp] = {}
    if window is not None:
        undecided, at_end = _by_window(naive, undecided, time_zone, window, local)
    if not undecided:
        return local.dt.tz_convert("UTC")
    # Rule 2: each agent's times in arrival order (an id that is not text: by its text).
    owners = [None if g is None else str(g) for g in groups] if groups else [None] * len(naive)
    rows: dict[str | None, list[int]] = {}
    for position, owner in enumerate(owners):
        rows.setdefault(owner, []).append(position)
    for owner in dict.fromkeys(owners[p] for p in undecided):
        own = naive.iloc[rows[owner]].dropna()
        mine = [p for p in undecided if owners[p] == owner]
        try:
            placed = own.dt.tz_localize(time_zone, ambiguous="infer", nonexistent="shift_forward")
        except _CANNOT_PLACE:
            # Rule 1's fallback, then rule 3: refused.
            left = [p for p in mine if p not in at_end]
            if left:
                raise _twice(column, sent, time_zone, describe, left[0], window) from None
            for position in mine:
                local[position] = at_end[position]
            continue
        local[mine] = placed[mine]
    return local.dt.tz_convert("UTC")


def _by_window(
    naive: pd.Series, positions: list[int], time_zone: str, window: Window, local: pd.Series
) -> tuple[list[int], dict[int, pd.Timestamp]]:
    """Rule 1 on the repeated-hour ``positions``: sets ``local`` where one candidate is inside.

    Returns the positions left to the order, and of those, the ones with a candidate
    exactly at the window's end: the candidate inside ``[lo, hi)`` of each, for when
    the order cannot tell.
    """
    lo, hi = window
    twice = naive[positions]
    first = twice.dt.tz_localize(time_zone, ambiguous=np.ones(len(twice), dtype=bool))
    second = twice.dt.tz_localize(time_zone, ambiguous=np.zeros(len(twice), dtype=bool))
    first_in = (first >= lo) & (first <= hi)
    second_in = (second >= lo) & (second <= hi)
    for candidate, only in ((first, first_in & ~second_in), (second, second_in & ~first_in)):
        local[twice.index[only]] = candidate[only]
    left = list(twice.index[first_in == second_in])
    at_end = {p: first[p] for p in left if first_in[p] and second[p] == hi}
    return left, at_end


def _twice(
    column: Column,
    sent: pd.Series,
    time_zone: str,
    describe: Callable[[int], str],
    position: int,
    window: Window | None,
) -> ResponseError:
    told = "the order of the events sent does not tell which"
    if window is None:
        what = (
            "Pass the window the items were asked for (window=(lo, hi)), read a window that "
            "holds the whole repeated hour (the events of both readings)"
        )
    else:
        lo, hi = (f"{t:%Y-%m-%dT%H:%M:%SZ}" for t in window)
        told = (
            f"both or neither of its readings are in the window asked for ({lo} to {hi}) and {told}"
        )
        what = "Ask for a window that ends or starts at the change (as read_agent_activity does)"
    return ResponseError(
        f"field {column.api_name!r} of {describe(position)} is {sent[position]!r}, a "
        f"wall-clock time that happens twice in {time_zone} (the hour repeated when clocks "
        f"go back), and {told}: cvframe does not guess an instant. {what}, pass as "
        "time_zone the zone the API writes its times in (UTC, the default, has no such "
        "hours), or ask Kore.ai which zone that is"
    )
