"""Agent state time per bucket, from agent-activity events: :func:`agent_state_intervals`.

An event says that an agent entered a state at an instant; the state lasts until that
agent's next event. The time between two events is cut at the edges of the buckets
(``freq`` on the clock of ``tz``, the calendar of :mod:`._buckets`, so a local day on a
DST change is 23 or 25 hours) and added up per agent, bucket, state and activity.

Each activity the API sends belongs to one of four state categories
(:data:`STATE_CATEGORIES`) through :data:`DEFAULT_STATE_CATEGORIES`, which a caller
extends or overrides with ``states=``: what counts as handling, idle, not ready or
logged out is data, not code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._endpoints import AGENT_ACTIVITY
from .._frame import contract_dtypes
from ._buckets import bucket_grid, parse_freq, to_utc_ms
from ._checks import check_input, check_strings
from ._measures import column_tz, instants_ms, times_of

__all__ = [
    "DEFAULT_STATE_CATEGORIES",
    "STATE_CATEGORIES",
    "STATE_COLUMNS",
    "agent_state_intervals",
    "state_mapping",
]

#: The state categories, in the order the output lists them: ``handling`` (on a
#: contact or its after-contact work), ``idle`` (ready, waiting for a contact),
#: ``not_ready`` (logged in, unavailable: breaks, lunch, meetings), ``logged_out``.
#: "Logged in" is every category but ``logged_out``; "available" is ``handling`` and
#: ``idle`` (what :func:`cvframe.agent_occupancy` divides by).
STATE_CATEGORIES: tuple[str, ...] = ("handling", "idle", "not_ready", "logged_out")

#: Activity (as the API sends it, compared without case) -> state category. ``busy``
#: is talk and hold, ``acw`` after-contact work; ``notready`` comes with a reason code
#: ("1" break, "2" lunch, "3" meeting or training), kept in the output's
#: ``reason_code``. Kept as data: the README's agent-state table lists the same.
DEFAULT_STATE_CATEGORIES: Mapping[str, str] = {
    "busy": "handling",
    "acw": "handling",
    "available": "idle",
    "notready": "not_ready",
    "away": "not_ready",
    "logout": "logged_out",
    "offline": "logged_out",
}

#: The columns of :func:`agent_state_intervals`' result, in order.
STATE_COLUMNS: tuple[str, ...] = (
    "agent_id",
    "interval_start",
    "interval_end",
    "state",
    "activity",
    "reason_code",
    "duration",
    "open_end",
)

_NEEDED = ("agent_id", "event_time", "activity")


def state_mapping(states: Mapping[str, str] | None) -> dict[str, str]:
    """The default mapping with ``states`` over it, keys case-folded; ValueError if bad."""
    mapping = dict(DEFAULT_STATE_CATEGORIES)
    if states is None:
        return mapping
    if not isinstance(states, Mapping):
        raise ValueError(
            f"states must be a mapping of activity -> state category, got {type(states).__name__}"
        )
    for activity, category in states.items():
        if not isinstance(activity, str) or category not in STATE_CATEGORIES:
            raise ValueError(
                f"states maps {activity!r} to {category!r}; each activity (a string) must map "
                f"to one of {list(STATE_CATEGORIES)}"
            )
        mapping[activity.strip().casefold()] = category
    return mapping


def _categories(activity: pd.Series, mapping: Mapping[str, str], what: str) -> np.ndarray:
    """Each event's state category, as positions in :data:`STATE_CATEGORIES`."""
    folded = activity.astype("string").str.strip().str.casefold()
    codes = folded.map({k: STATE_CATEGORIES.index(v) for k, v in mapping.items()})
    unknown = codes.isna().to_numpy(dtype=bool)
    if unknown.any():
        names = sorted(set(activity[unknown].astype(str)))
        shown = ", ".join(repr(n) for n in names[:5]) + (", ..." if len(names) > 5 else "")
        raise ValueError(
            f"{what}: activity {shown} in {int(unknown.sum())} event(s) has no state "
            f"category; map it with states={{{names[0]!r}: 'not_ready'}} (one of "
            f"{list(STATE_CATEGORIES)}; the defaults are cvframe.DEFAULT_STATE_CATEGORIES)"
        )
    return codes.to_numpy(dtype=np.int64)


def agent_state_intervals(
    events: pd.DataFrame,
    freq: str | pd.DateOffset | pd.Timedelta = "15min",
    *,
    start: Any = None,
    end: Any = None,
    tz: str | None = None,
    states: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Time each agent spent in each state, per bucket of ``freq``, from activity events.

    An event's state lasts from its ``event_time`` until the same agent's next event.
    That time is cut at the bucket edges and summed per agent, bucket, state,
    activity and reason code. The rules for the edges of what is known:

    - **Before an agent's first event** its state is unknown and nothing is counted
      (read activity from a little before the span you want, and pass ``start``).
    - **After an agent's last event** its state lasts until ``end``: by default the
      latest event in ``events`` (no event from anyone after it, so nothing is
      invented); pass the end of the window you read to count up to it. Time is
      counted up to ``end`` and no further, and the cut is flagged: ``open_end`` is
      True on the row (in the bucket holding ``end``) where a state still in
      progress at ``end`` is cut (an agent's last state, or one whose next event
      comes after ``end``): its real end lies beyond what is counted.
    - Events are sorted by agent and time; an exact repeat (same agent, time,
      activity and reason code) is one event. Of several events of one agent at the
      same instant, the one last in ``events`` is the state that lasts.

    So for every agent and every bucket lying wholly between that agent's first
    event (or ``start``) and ``end``, the durations add up to exactly the bucket's
    length (``logged_out`` is a state like the others: it is counted, so the sum
    holds; "logged in" time is all but ``logged_out``). The first and last buckets
    may be covered in part.

    Parameters
    ----------
    events : pandas.DataFrame
        Agent-activity events (the contract of :func:`cvframe.read_agent_activity`):
        ``agent_id``, ``event_time`` (timezone-aware), ``activity`` and, when
        present, ``reason_code``. Either dtype backend.
    freq : str, DateOffset or Timedelta, default "15min"
        The bucket length, as for :func:`cvframe.resample_intervals` (any fixed
        length, days, a week or a calendar month).
    start, end : timestamp-like, optional
        Count only the time in ``[start, end)``; a naive timestamp is read in ``tz``.
        An event before ``start`` still gives the state the agent is in at
        ``start``; an event at or after ``end`` adds no time (it only tells whether
        the state before it was still in progress at ``end``). Neither needs to be a
        bucket edge (the bucket holding it is then covered in part).
    tz : str, optional
        The time zone whose clock the buckets follow (a ``"D"`` bucket is then a
        local day); by default the zone of ``event_time`` (UTC as read). The output's
        bounds are in this zone.
    states : mapping of str to str, optional
        Activity -> state category (``"handling"``, ``"idle"``, ``"not_ready"`` or
        ``"logged_out"``), over :data:`cvframe.DEFAULT_STATE_CATEGORIES`: add an
        activity the defaults do not know, or move one (``{"acw": "not_ready"}``).
        Activities are compared without case.

    Returns
    -------
    pandas.DataFrame
        Long, one row per agent, bucket, state, activity and reason code with time
        in it: ``agent_id``, ``interval_start``, ``interval_end`` (the bucket),
        ``state`` (the category), ``activity`` (as sent), ``reason_code``,
        ``duration`` (``timedelta64[ms]``) and ``open_end`` (``bool``). Sorted by
        ``interval_start``, ``agent_id``, the state (in the order handling, idle,
        not_ready, logged_out), ``activity`` and ``reason_code``; the
        numpy-nullable dtypes whatever the input's backend. For one column per
        state: ``out.pivot_table(index=["agent_id", "interval_start"],
        columns="state", values="duration", aggfunc="sum")``.

    Raises
    ------
    ValueError
        If a column is missing or breaks the contract (``event_time`` naive or
        missing, ``agent_id`` or ``activity`` missing), an activity has no state
        category (it is named, with the ``states=`` that maps it), ``freq`` is not
        supported, or ``end`` is not after ``start``.

    Examples
    --------
    >>> import pandas as pd
    >>> import cvframe
    >>> events = pd.DataFrame({
    ...     "agent_id": ["a1"] * 4,
    ...     "event_time": pd.to_datetime(["2024-03-04 09:00", "2024-03-04 09:10",
    ...         "2024-03-04 09:20", "2024-03-04 09:25"], utc=True),
    ...     "activity": ["available", "busy", "notready", "available"],
    ...     "reason_code": [None, None, "1", None]}).astype(
    ...     {"agent_id": "string", "activity": "string", "reason_code": "string"})
    >>> out = cvframe.agent_state_intervals(events, "15min", end="2024-03-04 09:30")
    >>> out[["interval_start", "state", "reason_code", "duration", "open_end"]]
                 interval_start      state reason_code        duration  open_end
    0 2024-03-04 09:00:00+00:00   handling        <NA> 0 days 00:05:00     False
    1 2024-03-04 09:00:00+00:00       idle        <NA> 0 days 00:10:00     False
    2 2024-03-04 09:15:00+00:00   handling        <NA> 0 days 00:05:00     False
    3 2024-03-04 09:15:00+00:00       idle        <NA> 0 days 00:05:00      True
    4 2024-03-04 09:15:00+00:00  not_ready           1 0 days 00:05:00     False

    An activity the defaults do not know is refused until it is mapped:

    >>> events.loc[3, "activity"] = "training"
    >>> cvframe.agent_state_intervals(events)
    Traceback (most recent call last):
    ...
    ValueError: agent_state_intervals: activity 'training' in 1 event(s) has no state ...
    >>> cvframe.agent_state_intervals(events, states={"training": "not_ready"}).shape
    (4, 8)
    """
    what = "agent_state_intervals"
    check_input(events, _NEEDED, what=what, endpoint=AGENT_ACTIVITY)
    check_strings(events, ("agent_id", "activity"), what=what)
    mapping = state_mapping(states)
    spec = parse_freq(freq)
    zone = column_tz(events["event_time"]) if tz is None else str(tz)
    lo = to_utc_ms(start, zone, name="start") if start is not None else None
    hi = to_utc_ms(end, zone, name="end") if end is not None else None
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"{what}: end ({end}) must be after start ({start})")

    dtypes = contract_dtypes()
    text = dtypes["queue_id"]  # the contract's string dtype
    category = _categories(events["activity"], mapping, what)
    table = pd.DataFrame(
        {
            "agent_id": events["agent_id"].astype(text).to_numpy(dtype=object),
            "time": instants_ms(events["event_time"], name="event_time"),
            "activity": events["activity"].astype(text).to_numpy(dtype=object),
            "reason_code": (
                events["reason_code"].astype(text).to_numpy(dtype=object, na_value=None)
                if "reason_code" in events.columns
                else np.full(len(events), None, dtype=object)
            ),
            "category": category,
        }
    )
    table = table.drop_duplicates(["agent_id", "time", "activity", "reason_code"], keep="last")
    table = table.sort_values(["agent_id", "time"], kind="stable").reset_index(drop=True)
    if not len(table):
        return _empty(zone)

    agents = table["agent_id"].to_numpy(dtype=object)
    begin = table["time"].to_numpy(dtype=np.int64)
    last_of_agent = np.ones(len(table), dtype=bool)
    last_of_agent[:-1] = agents[1:] != agents[:-1]
    cut = int(begin.max()) if hi is None else hi
    finish = np.empty_like(begin)
    finish[:-1] = begin[1:]
    finish[last_of_agent] = cut
    # A state still in progress at the cut: the agent's last one, or one whose next
    # event comes after the cut.
    open_end = last_of_agent | (finish > cut)
    finish = np.minimum(finish, cut)
    if lo is not None:
        begin = np.maximum(begin, lo)
    keep = finish > begin
    if not keep.any():
        return _empty(zone)
    begin, finish, open_end = begin[keep], finish[keep], open_end[keep]
    table = table.loc[keep]

    grid = bucket_grid(int(begin.min()), int(finish.max()), spec, zone)
    first = grid.locate(begin)
    last = grid.locate(finish - 1)
    pieces = last - first + 1
    segment = np.repeat(np.arange(len(begin)), pieces)
    offset = np.arange(len(segment)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    bucket = first[segment] + offset
    piece_start = np.maximum(begin[segment], grid.start[bucket])
    piece_end = np.minimum(finish[segment], grid.end[bucket])

    parts = pd.DataFrame(
        {
            "bucket": bucket,
            "agent_id": table["agent_id"].to_numpy(dtype=object)[segment],
            "category": table["category"].to_numpy()[segment],
            "activity": table["activity"].to_numpy(dtype=object)[segment],
            "reason_code": table["reason_code"].to_numpy(dtype=object)[segment],
            "duration": piece_end - piece_start,
            "open_end": open_end[segment] & (piece_end == cut),
        }
    )
    keys = ["bucket", "agent_id", "category", "activity", "reason_code"]
    summed = (
        parts.groupby(keys, sort=True, dropna=False)
        .agg(duration=("duration", "sum"), open_end=("open_end", "any"))
        .reset_index()
    )
    where = summed["bucket"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "agent_id": pd.array(summed["agent_id"], dtype=text),
            "interval_start": times_of(grid.start[where], zone),
            "interval_end": times_of(grid.end[where], zone),
            "state": pd.array(
                np.asarray(STATE_CATEGORIES, dtype=object)[summed["category"].to_numpy()],
                dtype=text,
            ),
            "activity": pd.array(summed["activity"], dtype=text),
            "reason_code": pd.array(summed["reason_code"], dtype=text),
            "duration": summed["duration"].to_numpy(dtype=np.int64).view("timedelta64[ms]"),
            "open_end": summed["open_end"].to_numpy(dtype=bool),
        }
    )


def _empty(zone: str) -> pd.DataFrame:
    """The result without rows: its columns and dtypes."""
    text = contract_dtypes()["queue_id"]
    return pd.DataFrame(
        {
            "agent_id": pd.Series([], dtype=text),
            "interval_start": pd.Series([], dtype=f"datetime64[ms, {zone}]"),
            "interval_end": pd.Series([], dtype=f"datetime64[ms, {zone}]"),
            "state": pd.Series([], dtype=text),
            "activity": pd.Series([], dtype=text),
            "reason_code": pd.Series([], dtype=text),
            "duration": pd.Series([], dtype="timedelta64[ms]"),
            "open_end": pd.Series([], dtype=bool),
        }
    )
