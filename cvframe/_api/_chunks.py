"""Agent activity's answers, and the window cut into the pieces its requests ask for.

``GET .../agentactivity?fromTimeStamp=...&toTimeStamp=...`` does not page: one answer
holds every state change of its window (the API page's sample)::

    {"accountId": "636f...",
     "AgentUpdates": [{"AgentId": "a-1", "EventTime": "10/20/2020 2:13:12",
                       "Activity": "notready", "ReasonCode": "1"}]}

so a long window is cut into :attr:`~cvframe._endpoints.Endpoint.chunk`-long pieces
(six hours; why, in :mod:`cvframe._endpoints._agent_activity`), one request each. The
field table spells the list ``agentUpdates``: both keys are accepted.

The event times are wall-clock times in the zone the user names, and where clocks go
back an hour of them happens twice. A piece that ends or starts at that change holds
one reading of the hour only, so its window tells which instant each such time is
(the rules of ``records_to_table(..., window=)``): :func:`clock_changes_back` finds those
changes, and the reader cuts its pieces there as well.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from .._endpoints import Endpoint
from .._errors import ResponseError

__all__ = [
    "MIN_CHUNK",
    "check_chunk",
    "clock_changes_back",
    "parse_updates",
    "split_at",
    "split_window",
]

#: The shortest piece a window may be cut into: shorter ones only spend requests.
MIN_CHUNK = timedelta(minutes=1)


def check_chunk(chunk: timedelta | str | None, endpoint: Endpoint) -> pd.Timedelta:
    """``chunk`` as a Timedelta (``endpoint.chunk`` when None), or a ValueError.

    >>> from cvframe._endpoints import AGENT_ACTIVITY
    >>> check_chunk("2h", AGENT_ACTIVITY), check_chunk(None, AGENT_ACTIVITY)
    (Timedelta('0 days 02:00:00'), Timedelta('0 days 06:00:00'))
    >>> check_chunk("0s", AGENT_ACTIVITY)
    Traceback (most recent call last):
    ...
    ValueError: chunk must be at least 1 minute (e.g. '6h' or timedelta(hours=6)), got '0s'
    """
    if chunk is None:
        assert endpoint.chunk is not None  # the declaration's check: a chunked endpoint has one
        return pd.Timedelta(endpoint.chunk)
    if isinstance(chunk, bool) or not isinstance(chunk, timedelta | str):
        raise ValueError(
            "chunk must be a timedelta or a string like '6h', got " + type(chunk).__name__
        )
    try:
        length = pd.Timedelta(chunk)
    except ValueError:
        length = pd.NaT
    if length is pd.NaT or not length >= MIN_CHUNK:
        raise ValueError(
            f"chunk must be at least 1 minute (e.g. '6h' or timedelta(hours=6)), got {chunk!r}"
        )
    return length


def split_window(
    start: pd.Timestamp, end: pd.Timestamp, chunk: pd.Timedelta
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``[start, end)`` cut into consecutive pieces of ``chunk`` (the last one shorter).

    The pieces tile the window exactly: each starts where the one before ends.

    >>> day = pd.Timestamp("2024-03-04", tz="UTC")
    >>> [(a.hour, b.hour) for a, b in split_window(day, day + pd.Timedelta("15h"), pd.Timedelta("6h"))]
    [(0, 6), (6, 12), (12, 15)]
    """  # noqa: E501
    pieces = []
    begin = start
    while begin < end:
        stop = min(begin + chunk, end)
        pieces.append((begin, stop))
        begin = stop
    return pieces


def clock_changes_back(
    start: pd.Timestamp, end: pd.Timestamp, time_zone: str
) -> list[pd.Timestamp]:
    """The instants in ``(start, end)`` (UTC) where clocks in ``time_zone`` go back.

    At each, the wall-clock times just before it happen again: New York's 1:00-2:00
    of 11/03/2024 is 05:00-06:00 UTC, then, from 06:00 UTC, 06:00-07:00.

    >>> day = pd.Timestamp("2024-11-01", tz="UTC")
    >>> clock_changes_back(day, day + pd.Timedelta("5D"), "America/New_York")
    [Timestamp('2024-11-03 06:00:00+0000', tz='UTC')]
    >>> clock_changes_back(day, day + pd.Timedelta("5D"), "UTC")
    []
    """
    if time_zone == "UTC" or not start < end:
        return []
    # Hourly offsets find the hours holding a change; seconds find its instant.
    hours = pd.date_range(start.floor("h"), end.ceil("h"), freq="h")
    changes = []
    for i in np.flatnonzero(np.diff(_offsets(hours, time_zone)) < 0):
        seconds = pd.date_range(hours[i], hours[i + 1], freq="s")
        offsets = _offsets(seconds, time_zone)
        instant = seconds[int(np.argmax(offsets == offsets[-1]))]
        if start < instant < end:
            changes.append(instant)
    return changes


def _offsets(instants: pd.DatetimeIndex, time_zone: str) -> np.ndarray:
    """Each UTC instant's offset in ``time_zone``, in nanoseconds."""
    local = instants.tz_convert(time_zone).tz_localize(None)
    return np.asarray((local - instants.tz_localize(None)).asi8)


def split_at(
    start: pd.Timestamp, end: pd.Timestamp, cuts: list[pd.Timestamp]
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``[start, end)`` cut at ``cuts`` (instants inside it, in order).

    >>> day = pd.Timestamp("2024-11-03", tz="UTC")
    >>> [(a.hour, b.hour) for a, b in split_at(day, day + pd.Timedelta("12h"), [day + pd.Timedelta("6h")])]
    [(0, 6), (6, 12)]
    """  # noqa: E501
    ends = [start, *cuts, end]
    return list(pairwise(ends))


def parse_updates(body: Any, endpoint: Endpoint, *, where: str) -> list[dict[str, Any]]:
    """The state changes of one agent-activity answer (``AgentUpdates`` or ``agentUpdates``).

    >>> from cvframe._endpoints import AGENT_ACTIVITY
    >>> parse_updates({"accountId": "a", "AgentUpdates": []}, AGENT_ACTIVITY, where="here")
    []
    >>> parse_updates({"accountId": "a"}, AGENT_ACTIVITY, where="the answer for 2024-03-04")
    Traceback (most recent call last):
    ...
    cvframe._errors.ResponseError: the answer for 2024-03-04 has no 'agentUpdates' (or 'AgentUpdates') list (its keys: 'accountId'); ...
    """  # noqa: E501
    assert endpoint.records_key is not None
    spellings = [endpoint.records_key] + [
        alias for alias, name in endpoint.aliases.items() if name == endpoint.records_key
    ]
    if not isinstance(body, dict):
        kind = "null" if body is None else f"a JSON {type(body).__name__}"
        raise ResponseError(
            f"expected a JSON object with an {spellings[0]!r} list, got {kind} in {where}; "
            "the endpoint may have changed"
        )
    found = next((key for key in spellings if key in body), None)
    if found is None:
        keys = ", ".join(repr(str(k)[:40]) for k in list(body)[:10]) or "none"
        also = " or ".join(repr(s) for s in spellings[1:])
        raise ResponseError(
            f"{where} has no {spellings[0]!r}{f' (or {also})' if also else ''} list (its "
            f"keys: {keys}); the endpoint may have changed or host points at another API. "
            "Check host and account_id; if they are right, report it to Kore.ai"
        )
    updates = body[found]
    if not isinstance(updates, list) or not set(map(type, updates)) <= {dict}:
        raise ResponseError(
            f"{found!r} is not a list of objects in {where}; the endpoint may have changed"
        )
    return updates
