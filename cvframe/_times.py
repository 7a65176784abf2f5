"""Times as the API takes them: UTC, ISO 8601 with a ``Z``."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeAlias

import pandas as pd

from ._arguments import read_argument

__all__ = ["TimeLike", "format_api_time", "format_day", "resolve_window", "to_utc"]

#: What a ``start`` or ``end`` argument may be.
TimeLike: TypeAlias = str | datetime | date | pd.Timestamp
#: The years an ISO 8601 time writes with four digits, as the API takes them.
MIN_YEAR, MAX_YEAR = 1, 9999


def _parse_time(value: TimeLike) -> pd.Timestamp:
    # Strings must be ISO 8601: "01/02/2023" would be a guess between two days.
    parsed = datetime.fromisoformat(value.strip()) if isinstance(value, str) else value
    return pd.Timestamp(parsed)


def to_utc(value: TimeLike, name: str) -> pd.Timestamp:
    """Parse ``value`` into a UTC Timestamp; a naive one is taken as UTC.

    Strings must be ISO 8601 (``2023-01-07``, ``2023-01-07T09:45:00Z``, with any offset).

    >>> to_utc("2023-01-07T09:45:00Z", "start")
    Timestamp('2023-01-07 09:45:00+0000', tz='UTC')
    >>> to_utc("2023-01-07", "end")
    Timestamp('2023-01-07 00:00:00+0000', tz='UTC')
    """
    if isinstance(value, bool) or not isinstance(value, str | datetime | date | pd.Timestamp):
        raise ValueError(
            f"{name} must be an ISO 8601 string, a datetime or a pandas Timestamp, "
            f"got {type(value).__name__}"
        )
    moment = read_argument(
        value, _parse_time, name=name, noun="a time", examples="'2023-01-07T09:45:00Z' (ISO 8601)"
    )
    utc = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValueError(
            f"{name} is in the year {utc.year}, which the API's ISO 8601 times (four-digit "
            f"years, {MIN_YEAR:04d} to {MAX_YEAR}) cannot write; pass a time in that range"
        )
    return utc


def format_day(moment: pd.Timestamp) -> str:
    """The UTC date of ``moment`` as ``YYYY-MM-DD``, the year always in four digits.

    (``strftime("%Y")`` gives ``999`` for the year 999 on glibc, which sorts after
    ``2023`` as text.)

    >>> format_day(pd.Timestamp("0999-01-07 09:45", tz="UTC"))
    '0999-01-07'
    """
    utc = moment.tz_convert("UTC")
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"


def format_api_time(moment: pd.Timestamp) -> str:
    """``2023-01-07T09:45:00Z`` (milliseconds only when there are some).

    The year always has four digits (``strftime`` writes ``999`` for 0999).

    >>> format_api_time(pd.Timestamp("2023-01-07 09:45:00.250", tz="UTC"))
    '2023-01-07T09:45:00.250Z'
    >>> format_api_time(pd.Timestamp("0999-01-01", tz="UTC"))
    '0999-01-01T00:00:00Z'
    """
    utc = moment.tz_convert("UTC")
    text = f"{format_day(utc)}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
    millis = utc.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def resolve_window(
    start: TimeLike | None, end: TimeLike | None, *, now: pd.Timestamp | None = None
) -> tuple[pd.Timestamp | None, pd.Timestamp]:
    """``(start, end)`` in UTC; ``end=None`` is now; ``start`` must come before ``end``."""
    stop = to_utc(end, "end") if end is not None else (now or pd.Timestamp.now(tz="UTC"))
    begin = to_utc(start, "start") if start is not None else None
    if begin is not None and stop <= begin:
        raise ValueError(
            f"end ({format_api_time(stop)}) must be after start ({format_api_time(begin)})"
        )
    return begin, stop
