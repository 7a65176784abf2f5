"""The agent analytics x every kind of bad input: an error naming the column, never a number.

Each agent-analytics function reads frames of the agent endpoints (performance,
activity) and of its own outputs (states); a frame built or edited by hand can break
their contract in the ways a call-volume frame can. Every pair below must be a
``ValueError`` whose message names the column (or the key), on both backends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cvframe._analytics import agent_kpis, agent_occupancy, agent_state_intervals
from tests._analytics_helpers import BACKENDS, events, performance

Change = Callable[[pd.DataFrame], pd.DataFrame]


def _perf(backend: str) -> pd.DataFrame:
    return performance(
        [
            {"agent": "a1", "start": "09:00", "completed_contacts": 2, "handle": 6},
            {"agent": "a1", "start": "09:15", "completed_contacts": 1, "handle": 4},
        ],
        backend=backend,
    )


def _events(backend: str) -> pd.DataFrame:
    return events(
        [("a1", "09:00", "available"), ("a1", "09:05", "busy"), ("a1", "09:25", "available")],
        backend=backend,
    )


def _states(backend: str) -> pd.DataFrame:
    return agent_state_intervals(_events(backend), "15min", end="2024-03-04 09:30")


def _set(column: str, values: list[Any], dtype: Any = None) -> Change:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        out[column] = pd.Series(values, index=out.index, dtype=dtype)
        return out

    return change


def _nan(column: str) -> Change:
    """A Float64 column holding a NaN apart from NA (pandas 2.2 makes one of 0/0)."""

    def change(df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        values = np.array([np.nan, *([1.0] * (len(out) - 1))])
        out[column] = pd.Series(
            pd.arrays.FloatingArray(values, np.zeros(len(out), dtype=bool)), index=out.index
        )
        assert not out[column].isna().iloc[0]
        return out

    return change


def _naive(column: str) -> Change:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        out[column] = pd.to_datetime(out[column].astype(str)).dt.tz_localize(None)
        return out

    return change


def _repeat_first(df: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([df, df.iloc[[0]]], ignore_index=True)


def _backwards(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["interval_end"] = out["interval_start"]
    return out


#: (what, change to the performance frame, message) refused by agent_kpis.
KPI_INPUTS: list[tuple[str, Change, str]] = [
    ("count as text", _set("completed_contacts", ["2", "1"]), "completed_contacts has dtype"),
    ("fractional count", _set("completed_contacts", [2.5, 1.0]), "not a whole number"),
    ("negative count", _set("offered_contacts", [-1, 0], "Int64"), "offered_contacts is negative"),
    ("NaN count", _nan("answered_contacts"), "answered_contacts is NaN"),
    ("duration as ms", _set("acw_duration", [60_000, 0]), "acw_duration must hold durations"),
    (
        "negative duration",
        _set("hold_duration", [pd.Timedelta(-1, "s"), pd.Timedelta(0)]),
        "hold_duration is negative",
    ),
    ("NaN score", _nan("csat_score"), "csat_score is NaN"),
    ("infinite score", _set("csat_score", [np.inf, 4.0]), "csat_score is infinite"),
    ("repeated key", _repeat_first, r"repeat a \(agent_id, interval_start, queue_id\)"),
    ("end before start", _backwards, "interval_end is not after interval_start"),
    ("missing column", lambda df: df.drop(columns="answered_contacts"), "answered_contacts"),
]

#: (what, change to the performance frame, message) refused by agent_occupancy.
OCCUPANCY_PERFORMANCE: list[tuple[str, Change, str]] = [
    (
        "handle as ms",
        _set("conversation_handle_time", [60_000, 0]),
        "conversation_handle_time must hold durations",
    ),
    (
        "negative handle",
        _set("conversation_handle_time", [pd.Timedelta(-1, "s"), pd.Timedelta(0)]),
        "conversation_handle_time is negative",
    ),
    ("naive start", _naive("interval_start"), "interval_start is timezone-naive"),
    ("repeated key", _repeat_first, r"repeat a \(agent_id, interval_start, queue_id\)"),
    ("end before start", _backwards, "interval_end is not after interval_start"),
    ("no agent", _set("agent_id", [None, "a1"], "string"), "agent_id is missing"),
    ("missing column", lambda df: df.drop(columns="agent_id"), r"\['agent_id'\]"),
]

#: (what, change to the states frame, message) refused by agent_occupancy.
OCCUPANCY_STATES: list[tuple[str, Change, str]] = [
    ("unknown state", lambda df: df.assign(state="wrapup"), r"\['wrapup'\], not among"),
    ("no state", lambda df: df.assign(state=pd.NA).astype({"state": "string"}), "state is"),
    ("naive bucket", _naive("interval_start"), "interval_start is timezone-naive"),
    ("missing column", lambda df: df.drop(columns="duration"), r"\['duration'\]"),
    (
        "duration as ms",
        lambda df: df.assign(duration=df["duration"].astype("int64")),
        "duration must hold durations",
    ),
]

#: (what, change to the events, message) refused by agent_state_intervals.
EVENTS: list[tuple[str, Change, str]] = [
    ("naive time", _naive("event_time"), "event_time is timezone-naive"),
    ("time as text", lambda df: df.assign(event_time=df["event_time"].astype(str)), "event_time"),
    ("missing time", _set("event_time", [pd.NaT] * 3, "datetime64[ms, UTC]"), "event_time is"),
    ("no activity", _set("activity", [None, "busy", "busy"], "string"), "activity is missing"),
    ("no agent", _set("agent_id", [None, "a1", "a1"], "string"), "agent_id is missing"),
    ("agent as number", _set("agent_id", [1.5, 2.5, 3.5]), "agent_id has dtype float64"),
    ("missing column", lambda df: df.drop(columns="agent_id"), r"\['agent_id'\]"),
]


def _ids(table: list[tuple[str, Change, str]]) -> list[str]:
    return [what for what, _, _ in table]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("what", "change", "message"), KPI_INPUTS, ids=_ids(KPI_INPUTS))
def test_agent_kpis_refuses_bad_performance(
    backend: str, what: str, change: Change, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        agent_kpis(change(_perf(backend)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("what", "change", "message"), OCCUPANCY_PERFORMANCE, ids=_ids(OCCUPANCY_PERFORMANCE)
)
def test_agent_occupancy_refuses_bad_performance(
    backend: str, what: str, change: Change, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        agent_occupancy(change(_perf(backend)), _states(backend), "30min")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("what", "change", "message"), OCCUPANCY_STATES, ids=_ids(OCCUPANCY_STATES)
)
def test_agent_occupancy_refuses_bad_states(
    backend: str, what: str, change: Change, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        agent_occupancy(_perf(backend), change(_states(backend)), "30min")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("what", "change", "message"), EVENTS, ids=_ids(EVENTS))
def test_agent_state_intervals_refuses_bad_events(
    backend: str, what: str, change: Change, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        agent_state_intervals(change(_events(backend)), "15min")


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_good_frames_give_the_same_numbers_on_both_backends(backend: str) -> None:
    kpis = agent_kpis(_perf(backend))
    assert kpis.loc[0, "aht"] == pd.Timedelta(minutes=10 / 3)
    occupancy = agent_occupancy(_perf(backend), _states(backend), "30min")
    assert occupancy.loc[0, "occupancy"] == pytest.approx(10 / 30)
    reference = agent_occupancy(_perf("numpy_nullable"), _states("numpy_nullable"), "30min")
    pd.testing.assert_frame_equal(occupancy, reference)
    pd.testing.assert_frame_equal(kpis, agent_kpis(_perf("numpy_nullable")))
