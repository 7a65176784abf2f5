"""Measured occupancy and shrinkage: :func:`agent_occupancy`.

Two sources meet here: the handle time each agent booked (agent performance, per
agent x interval x queue) and the time each agent spent in each state (agent
activity, through :func:`cvframe.agent_state_intervals`). Both are added up per
agent and bucket first, where they can be compared, then per output row.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._endpoints import AGENT_PERFORMANCE
from .._errors import OccupancyWarning
from .._frame import contract_dtypes
from ._buckets import bucket_grid, check_multiple, instant_text, parse_freq
from ._checks import check_input, check_strings
from ._measures import column_tz, instants_ms, measure_arrays, measure_series, times_of
from ._states import STATE_CATEGORIES

__all__ = ["OCCUPANCY_COLUMNS", "agent_occupancy"]

#: The measures of :func:`agent_occupancy`' result, in order (after the keys and bounds).
OCCUPANCY_COLUMNS: tuple[str, ...] = (
    "handle_time",
    "handling_time",
    "idle_time",
    "not_ready_time",
    "logged_out_time",
    "logged_in_time",
    "available_time",
    "occupancy",
    "shrinkage",
)

#: The columns a frame of states needs (those of :func:`cvframe.agent_state_intervals`).
_STATE_NEEDED = ("agent_id", "interval_start", "interval_end", "state", "duration")
_PERF_NEEDED = ("agent_id", "interval_start", "interval_end", "conversation_handle_time")
#: How many (agent, bucket) pairs a warning names.
_SHOWN = 3


def _check_states(states: Any, what: str) -> None:
    if not isinstance(states, pd.DataFrame):
        raise ValueError(f"{what}: states must be a pandas DataFrame, got {type(states).__name__}")
    missing = [c for c in _STATE_NEEDED if c not in states.columns]
    if missing:
        raise ValueError(
            f"{what}: states lacks the columns {missing}; build it with "
            "cvframe.agent_state_intervals(events, freq)"
        )
    check_input(
        states,
        ["interval_start", "interval_end", "duration"],
        what=f"{what} (states)",
        kinds={"duration": "duration"},
    )
    check_strings(states, ("agent_id", "state"), what=f"{what} (states)")
    unknown = ~states["state"].isin(STATE_CATEGORIES).to_numpy(dtype=bool)
    if unknown.any():
        names = sorted(set(states["state"][unknown].astype(str)))
        raise ValueError(
            f"{what}: states holds the state(s) {names}, not among {list(STATE_CATEGORIES)}; "
            "map activities to these categories with agent_state_intervals(..., states=...)"
        )


def _locate(
    start_ms: np.ndarray, end_ms: np.ndarray, grid: Any, spec: Any, zone: str, source: str
) -> np.ndarray:
    """The bucket of each row, or ValueError if a row straddles two buckets."""
    where, i = grid.locate_spans(start_ms, end_ms)
    if i is not None:
        raise ValueError(
            f"agent_occupancy: the {source} row for [{instant_text(int(start_ms[i]), zone)}, "
            f"{instant_text(int(end_ms[i]), zone)}) straddles two {spec.text!r} buckets in "
            f"{zone}; freq must be a whole multiple of the {source}' intervals (compute the "
            "states with a freq that divides it)"
        )
    return np.asarray(where, dtype=np.int64)


def agent_occupancy(
    performance: pd.DataFrame,
    states: pd.DataFrame,
    freq: str | pd.DateOffset | pd.Timedelta = "30min",
    *,
    by: Literal["agent_id"] | None = None,
    groups: Mapping[str, str] | None = None,
    tz: str | None = None,
) -> pd.DataFrame:
    """Measured occupancy and shrinkage per bucket: handle time over available time.

    Handle time comes from agent performance (what agents booked on contacts), the
    time in each state from agent activity (:func:`cvframe.agent_state_intervals`):

    =================== ===================================================
    column              definition
    =================== ===================================================
    ``handle_time``     sum of ``conversation_handle_time`` (performance)
    ``handling_time``   time in ``handling`` (activity: busy, acw)
    ``idle_time``       time in ``idle`` (activity: available)
    ``not_ready_time``  time in ``not_ready`` (activity: notready, away)
    ``logged_out_time`` time in ``logged_out``
    ``logged_in_time``  handling + idle + not_ready
    ``available_time``  handling + idle (logged in and not "not ready")
    ``occupancy``       handle_time / available_time
    ``shrinkage``       not_ready_time / logged_in_time
    =================== ===================================================

    A ratio is NA where its denominator is 0 (no agent available, or none logged
    in) or its numerator is NA, never ``inf``. Which activity counts as which state,
    and so what is "available", is the mapping of
    :func:`cvframe.agent_state_intervals` (``states=`` there,
    :data:`cvframe.DEFAULT_STATE_CATEGORIES` by default). Shrinkage here is the
    in-shift kind (breaks, meetings, training while logged in); absence from a
    scheduled shift does not show in activity data.

    Every total is a sum over agents, so each ratio is a ratio of sums. State time
    belongs to agents, not queues (an idle agent waits for any of its queues), so
    rows are grouped by agent: all agents together, each agent (``by="agent_id"``),
    or a group per agent (``groups=``, e.g. the team or queue group each one is
    staffed for); no split of one agent's idle time between queues is invented.

    The two sources are compared per agent and bucket, within the span the states
    cover: where an agent's handle time exceeds its available time (it booked
    handle time in a bucket where activity shows it not ready, logged out, or no
    event at all), an :class:`cvframe.OccupancyWarning` names the first pairs. The values
    are kept, not clipped: an occupancy above 1 says that the sources disagree.
    Handle time outside the span of the states has no available time to compare
    with: its rows have NA occupancy and no warning.

    Parameters
    ----------
    performance : pandas.DataFrame
        Agent performance (the contract of :func:`cvframe.read_agent_performance`):
        ``agent_id``, ``interval_start``, ``interval_end``,
        ``conversation_handle_time``; one row per agent, interval and queue.
    states : pandas.DataFrame
        The result of :func:`cvframe.agent_state_intervals`, with buckets that nest
        in ``freq`` (e.g. 15-minute states for 30-minute occupancy).
    freq : str, DateOffset or Timedelta, default "30min"
        The bucket length, as for :func:`cvframe.resample_intervals`; a whole
        multiple of the performance intervals and of the states' buckets.
    by : {"agent_id"}, optional
        One row per agent and bucket instead of one per bucket.
    groups : mapping of str to str, optional
        Agent id -> group; adds a ``group`` column and one row per group (and
        agent, with ``by="agent_id"``) and bucket. Every agent of either frame must
        have a group.
    tz : str, optional
        The clock the buckets follow; by default the zone of
        ``states["interval_start"]``.

    Returns
    -------
    pandas.DataFrame
        ``group`` (with ``groups``), ``agent_id`` (with ``by``), ``interval_start``,
        ``interval_end`` and the columns of the table above: times as
        ``timedelta64[ms]``, ratios as ``Float64``. One row per bucket (and key)
        with time in either frame, sorted by ``interval_start`` then the keys.

    Raises
    ------
    ValueError
        If a column is missing or breaks its contract (named), a performance row
        repeats an (agent, interval, queue), a state is not one of ``handling``,
        ``idle``, ``not_ready`` and ``logged_out``, a row straddles two buckets of
        ``freq``, or an agent has no group in ``groups``.

    Warns
    -----
    OccupancyWarning
        Where an agent's handle time exceeds its available time (see above).

    Examples
    --------
    >>> import pandas as pd
    >>> import cvframe
    >>> t = lambda s: pd.Timestamp(f"2024-03-04 {s}", tz="UTC")
    >>> events = pd.DataFrame({
    ...     "agent_id": ["a1", "a1", "a1", "a1"],
    ...     "event_time": [t("09:00"), t("09:05"), t("09:20"), t("09:25")],
    ...     "activity": ["available", "busy", "available", "notready"],
    ...     "reason_code": [None, None, None, "1"]}).astype(
    ...     {"agent_id": "string", "activity": "string", "reason_code": "string"})
    >>> states = cvframe.agent_state_intervals(events, "15min", end=t("09:30"))
    >>> perf = pd.DataFrame({
    ...     "agent_id": pd.array(["a1", "a1"], dtype="string"),
    ...     "interval_start": [t("09:00"), t("09:15")],
    ...     "interval_end": [t("09:15"), t("09:30")],
    ...     "queue_id": pd.array(["q1", "q1"], dtype="string"),
    ...     "conversation_handle_time": pd.to_timedelta([600_000, 300_000], unit="ms")})
    >>> out = cvframe.agent_occupancy(perf, states, "30min")
    >>> out[["handle_time", "available_time", "not_ready_time", "occupancy", "shrinkage"]]
          handle_time  available_time  not_ready_time  occupancy  shrinkage
    0 0 days 00:15:00 0 days 00:25:00 0 days 00:05:00        0.6   0.166667
    """
    what = "agent_occupancy"
    _check_states(states, what)
    check_input(
        performance,
        _PERF_NEEDED,
        what=f"{what} (performance)",
        endpoint=AGENT_PERFORMANCE,
        keys=[k for k in AGENT_PERFORMANCE.key_columns if k in performance.columns],
    )
    check_strings(performance, ("agent_id",), what=f"{what} (performance)")
    if by not in (None, "agent_id"):
        raise ValueError(f"{what}: by must be None or 'agent_id', got {by!r}")
    keys: list[str] = []
    if groups is not None:
        if not isinstance(groups, Mapping):
            raise ValueError(
                f"{what}: groups must map agent id -> group, got {type(groups).__name__}"
            )
        keys.append("group")
    if by == "agent_id":
        keys.append("agent_id")
    spec = parse_freq(freq)
    zone = column_tz(states["interval_start"]) if tz is None else str(tz)

    s_start = instants_ms(states["interval_start"], name="interval_start")
    s_end = instants_ms(states["interval_end"], name="interval_end")
    p_start = instants_ms(performance["interval_start"], name="interval_start")
    p_end = instants_ms(performance["interval_end"], name="interval_end")
    check_multiple(spec, p_end - p_start)
    starts = np.concatenate([s_start, p_start])
    if not len(starts):
        nothing = pd.DataFrame({key: pd.Series([], dtype=object) for key in keys})
        return _assemble(nothing, keys, zone, np.zeros(0, np.int64), np.zeros(0, np.int64))
    grid = bucket_grid(int(starts.min()), int(np.concatenate([s_end, p_end]).max()), spec, zone)
    s_bucket = _locate(s_start, s_end, grid, spec, zone, "states")
    p_bucket = _locate(p_start, p_end, grid, spec, zone, "performance")

    # Per agent and bucket: the time in each state, and the handle time booked.
    text = contract_dtypes()["queue_id"]
    duration, _ = measure_arrays(states["duration"], "duration")
    state_time = (
        pd.DataFrame(
            {
                "agent_id": states["agent_id"].astype(text).to_numpy(dtype=object),
                "bucket": s_bucket,
                "state": states["state"].astype(text).to_numpy(dtype=object),
                "ms": duration,
            }
        )
        .groupby(["agent_id", "bucket", "state"], sort=False)["ms"]
        .sum()
        .unstack("state", fill_value=0)
        .reindex(columns=list(STATE_CATEGORIES), fill_value=0)
    )
    handle, handle_missing = measure_arrays(performance["conversation_handle_time"], "duration")
    booked = (
        pd.DataFrame(
            {
                "agent_id": performance["agent_id"].astype(text).to_numpy(dtype=object),
                "bucket": p_bucket,
                "handle": handle,
                "handle_missing": handle_missing,
            }
        )
        .groupby(["agent_id", "bucket"], sort=False)
        .agg(handle=("handle", "sum"), handle_missing=("handle_missing", "any"))
    )
    pairs = state_time.join(booked, how="outer")
    pairs[list(STATE_CATEGORIES)] = pairs[list(STATE_CATEGORIES)].fillna(0).astype(np.int64)
    pairs["handle"] = pairs["handle"].fillna(0).astype(np.int64)
    # (an outer join leaves the flag NA, as object, where an agent booked nothing)
    pairs["handle_missing"] = pairs["handle_missing"].astype("boolean").fillna(False).astype(bool)
    pairs = pairs.reset_index()

    if len(s_bucket):  # else no span to compare within
        covered = (pairs["bucket"] >= s_bucket.min()) & (pairs["bucket"] <= s_bucket.max())
        _warn_disagreement(pairs[covered.to_numpy()], grid, zone)

    if groups is not None:
        pairs["group"] = _group_of(pairs["agent_id"], groups, what)
    totals = (
        pairs.groupby(["bucket", *keys], sort=True)
        .agg(
            handle=("handle", "sum"),
            handle_missing=("handle_missing", "any"),
            **{name: (name, "sum") for name in STATE_CATEGORIES},
        )
        .reset_index()
    )
    buckets = totals["bucket"].to_numpy(dtype=np.int64)
    return _assemble(totals, keys, zone, grid.start[buckets], grid.end[buckets])


def _group_of(agents: pd.Series, groups: Mapping[str, str], what: str) -> pd.Series:
    """Each agent's group, or ValueError naming the agents ``groups`` lacks."""
    group = agents.map(dict(groups))
    lacking = sorted(set(agents[group.isna().to_numpy(dtype=bool)]))
    if lacking:
        shown = ", ".join(repr(a) for a in lacking[:5]) + (", ..." if len(lacking) > 5 else "")
        raise ValueError(
            f"{what}: groups has no group for the agent(s) {shown} ({len(lacking)} in all), "
            "whose time would be dropped; give every agent a group (e.g. 'other')"
        )
    return group.astype(str)


def _warn_disagreement(pairs: pd.DataFrame, grid: Any, zone: str) -> None:
    """OccupancyWarning naming the (agent, bucket) pairs with more handle than available time."""
    available = pairs["handling"].to_numpy() + pairs["idle"].to_numpy()
    handle = pairs["handle"].to_numpy()
    over = (handle > available) & ~pairs["handle_missing"].to_numpy(dtype=bool)
    if not over.any():
        return
    rows = np.flatnonzero(over)
    order = np.lexsort(
        (pairs["agent_id"].to_numpy(dtype=object)[rows], pairs["bucket"].to_numpy()[rows])
    )
    shown = []
    for i in rows[order][:_SHOWN]:
        row = pairs.iloc[int(i)]
        shown.append(
            f"{row['agent_id']} at {instant_text(int(grid.start[int(row['bucket'])]), zone)}: "
            f"handle {pd.Timedelta(milliseconds=int(row['handle']))} > available "
            f"{pd.Timedelta(milliseconds=int(available[i]))}"
        )
    more = ", ..." if len(rows) > _SHOWN else ""
    warnings.warn(
        f"agent_occupancy: in {len(rows)} (agent, bucket) pair(s) the handle time of agent "
        f"performance exceeds the available time (handling + idle) of agent activity "
        f"{{{'; '.join(shown)}{more}}}: the sources disagree (handle time booked while "
        "activity shows the agent not ready or logged out, or activity events missing: "
        "read activity from before the span, so each agent's first state is known). "
        "Occupancy is not clipped, so it can exceed 1 there",
        OccupancyWarning,
        stacklevel=3,
    )


def _assemble(
    totals: pd.DataFrame, keys: list[str], zone: str, start_ms: np.ndarray, end_ms: np.ndarray
) -> pd.DataFrame:
    """The result: keys, bounds, times and ratios with their dtypes."""
    text = contract_dtypes()["queue_id"]
    n = len(start_ms)

    def column(name: str) -> np.ndarray:
        if name in totals.columns:
            return totals[name].to_numpy(dtype=np.int64)
        return np.zeros(n, dtype=np.int64)

    handling, idle = column("handling"), column("idle")
    not_ready, logged_out = column("not_ready"), column("logged_out")
    handle = column("handle")
    handle_missing = (
        totals["handle_missing"].to_numpy(dtype=bool)
        if "handle_missing" in totals.columns
        else np.zeros(n, dtype=bool)
    )
    available = handling + idle
    logged_in = available + not_ready
    no_time = np.zeros(n, dtype=bool)
    out: dict[str, Any] = {}
    for key in keys:
        out[key] = pd.array(totals[key].to_numpy(dtype=object), dtype=text)
    out["interval_start"] = times_of(start_ms, zone)
    out["interval_end"] = times_of(end_ms, zone)
    out["handle_time"] = measure_series(handle, handle_missing, "duration")
    for name, values in (
        ("handling_time", handling),
        ("idle_time", idle),
        ("not_ready_time", not_ready),
        ("logged_out_time", logged_out),
        ("logged_in_time", logged_in),
        ("available_time", available),
    ):
        out[name] = measure_series(values, no_time, "duration")
    out["occupancy"] = _ratio(handle, available, handle_missing)
    out["shrinkage"] = _ratio(not_ready, logged_in, no_time)
    return pd.DataFrame({k: (v.array if isinstance(v, pd.Series) else v) for k, v in out.items()})


def _ratio(numerator: np.ndarray, denominator: np.ndarray, missing: np.ndarray) -> pd.Series:
    """numerator / denominator as Float64, NA where missing or the denominator is 0."""
    na = missing | (denominator == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(na, 0.0, numerator / np.where(na, 1, denominator))
    return measure_series(value, na, "float")
