"""The agent analytics end to end: frames read from the emulator over loopback, both backends."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pandas as pd
import pytest

import cvframe
from cvframe.emulator import Emulator
from tests._analytics_helpers import BACKENDS

START, END = "2023-01-02", "2023-01-03"
#: One second past the day: the shifts that end at midnight log out at 00:00:00.
ACTIVITY_END = "2023-01-03T00:00:01Z"


@pytest.fixture(scope="module", params=BACKENDS)
def read(request: pytest.FixtureRequest) -> Iterator[dict[str, pd.DataFrame]]:
    with Emulator(days=1, queues=2) as emu:
        settings = {"dtype_backend": request.param, **emu.settings()}
        yield {
            "callvolume": cvframe.read_callvolume(START, END, progress=False, **settings),
            "performance": cvframe.read_agent_performance(START, END, progress=False, **settings),
            "activity": cvframe.read_agent_activity(
                START, ACTIVITY_END, progress=False, **settings
            ),
            "queues": cvframe.read_queues(**settings),
        }


def test_measured_occupancy_and_shrinkage_of_consistent_sources(
    read: dict[str, pd.DataFrame],
) -> None:
    states = cvframe.agent_state_intervals(read["activity"], "15min", end=ACTIVITY_END)
    with warnings.catch_warnings():
        warnings.simplefilter("error", cvframe.OccupancyWarning)  # the sources agree
        out = cvframe.agent_occupancy(read["performance"], states, "30min")
    assert len(out) >= 40
    assert out["handle_time"].sum() == read["performance"]["conversation_handle_time"].sum()
    assert (out["handling_time"] <= out["available_time"]).all()
    assert (
        out["logged_in_time"].tolist() == (out["available_time"] + out["not_ready_time"]).tolist()
    )
    occupancy = out["occupancy"].dropna()
    assert len(occupancy) >= 30
    assert ((occupancy > 0) & (occupancy <= 1)).all()
    shrinkage = out["shrinkage"].dropna()
    assert ((shrinkage >= 0) & (shrinkage < 1)).all()
    assert shrinkage.max() > 0  # the emulator's agents take breaks


def test_per_agent_and_per_queue_kpis_add_up_and_name_every_queue(
    read: dict[str, pd.DataFrame],
) -> None:
    perf = read["performance"]
    agents = cvframe.agent_kpis(perf)
    assert set(agents["agent_id"]) == set(perf["agent_id"])
    assert agents["completed_contacts"].sum() == perf["completed_contacts"].sum()
    assert (agents["aht"].dropna() > pd.Timedelta(0)).all()
    queues = cvframe.agent_kpis(perf, by="queue_id", queues=read["queues"])
    assert queues["queue_description"].notna().all()
    assert queues["queue_description"].tolist() == queues["queue_name"].tolist()
    rates = queues["transfer_rate"]
    assert ((rates >= 0) & (rates <= 1)).all()


def test_staffing_with_the_measured_shrinkage_of_each_half_hour(
    read: dict[str, pd.DataFrame],
) -> None:
    states = cvframe.agent_state_intervals(read["activity"], "15min", end=ACTIVITY_END)
    measured = cvframe.agent_occupancy(read["performance"], states, "30min")
    half_hours = cvframe.resample_intervals(read["callvolume"], "30min", by=None)
    plan = half_hours.merge(measured[["interval_start", "shrinkage"]], on="interval_start")
    assert len(plan) >= 30
    out = cvframe.staffing(plan, shrinkage="shrinkage")
    known = out["required_agents"].notna() & out["productive_agents"].notna()
    assert known.sum() >= 30
    assert (out.loc[known, "required_agents"] >= out.loc[known, "productive_agents"]).all()
    shrunk = known & (out["shrinkage"] > 0.1).fillna(False)
    assert (out.loc[shrunk, "required_agents"] > out.loc[shrunk, "productive_agents"]).any()
