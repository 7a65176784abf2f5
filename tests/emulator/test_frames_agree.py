"""The emulator's consistency, read through cvframe's own readers and frames: the
agents' handled contacts add up to the call volume per queue and interval, and the
state time per agent and interval fills the interval and holds the handle time."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

import cvframe
from cvframe.emulator import Emulator

START, END = "2023-01-02", "2023-01-03"
#: One second past the day: the shifts that end at midnight log out at 00:00:00.
ACTIVITY_END = "2023-01-03T00:00:01Z"
SPLIT = [
    "answered_contacts",
    "completed_contacts",
    "conversation_handle_time",
    "conversation_talk_time",
    "hold_duration",
    "acw_duration",
]


@pytest.fixture(scope="module")
def frames() -> Iterator[dict[str, pd.DataFrame]]:
    with Emulator(days=1, queues=2) as emu:
        settings = {"progress": False, **emu.settings()}
        yield {
            "callvolume": cvframe.read_callvolume(START, END, **settings),
            "performance": cvframe.read_agent_performance(START, END, **settings),
            "activity": cvframe.read_agent_activity(START, ACTIVITY_END, **settings),
            "agents": cvframe.read_agents(**settings),
        }


def test_agent_performance_adds_up_to_the_call_volume_of_each_queue_and_interval(
    frames: dict[str, pd.DataFrame],
) -> None:
    keys = ["interval_start", "queue_id"]
    by_agents = frames["performance"].groupby(keys)[SPLIT].sum()
    queues = frames["callvolume"].set_index(keys)[SPLIT]
    answered = queues[queues["answered_contacts"] > 0]
    pd.testing.assert_frame_equal(by_agents.sort_index(), answered.sort_index())
    assert set(frames["performance"]["agent_id"]) <= set(frames["agents"]["agent_id"])


def test_state_time_per_agent_and_interval_fills_it_and_holds_the_handle_time(
    frames: dict[str, pd.DataFrame],
) -> None:
    states = cvframe.agent_state_intervals(frames["activity"], "15min", end=ACTIVITY_END)
    states = states[states["interval_start"] < pd.Timestamp(END, tz="UTC")]
    per_bucket = states.groupby(["agent_id", "interval_start"])["duration"].sum()
    assert len(per_bucket) > 300
    assert set(per_bucket) == {pd.Timedelta(minutes=15)}
    time_in = states.pivot_table(
        index=["agent_id", "interval_start"], columns="activity", values="duration", aggfunc="sum"
    )
    perf = (
        frames["performance"]
        .groupby(["agent_id", "interval_start"])[
            ["conversation_talk_time", "hold_duration", "acw_duration"]
        ]
        .sum()
    )
    busy = (perf["conversation_talk_time"] + perf["hold_duration"]).dt.floor("s")
    joined = time_in.reindex(perf.index).fillna(pd.Timedelta(0))
    pd.testing.assert_series_equal(joined["busy"], busy, check_names=False)
    pd.testing.assert_series_equal(
        joined["acw"], perf["acw_duration"].dt.floor("s"), check_names=False
    )
