"""staffing and required_agents take a measured shrinkage: one value per row."""

from __future__ import annotations

import pandas as pd
import pytest

from cvframe._analytics import (
    agent_occupancy,
    agent_state_intervals,
    required_agents,
    staffing,
)
from tests._analytics_helpers import events, frame, performance, record


def _two_half_hours() -> pd.DataFrame:
    """100 contacts of 3 minutes in each of two half hours (14 productive agents each)."""
    return frame(
        record(
            f"2024-01-01T09:{minute}:00Z",
            length=pd.Timedelta(minutes=30),
            offered_contacts=100,
            completed_contacts=100,
            conversation_handle_time=100 * 180_000,
        )
        for minute in ("00", "30")
    )


def _with(df: pd.DataFrame, shrinkage: list[float | None]) -> pd.DataFrame:
    out = df.copy()
    out["shrinkage"] = pd.array(shrinkage, dtype="Float64")
    return out


def test_a_column_of_shrinkage_applies_row_by_row() -> None:
    df = _with(_two_half_hours(), [0.0, 0.3])
    out = staffing(df, shrinkage="shrinkage")
    assert out["productive_agents"].tolist() == [14, 14]
    assert out["required_agents"].tolist() == [14, 20]  # ceil(14 / 0.7)
    # The same as the scalar for each row.
    assert staffing(df, shrinkage=0.3)["required_agents"].tolist() == [20, 20]


def test_a_row_without_a_measured_shrinkage_gets_na() -> None:
    out = staffing(_with(_two_half_hours(), [None, 0.3]), shrinkage="shrinkage")
    assert out["required_agents"].tolist() == [pd.NA, 20]
    assert out["productive_agents"].tolist() == [14, 14]  # known without it


def test_a_series_is_aligned_by_the_frames_index() -> None:
    df = _two_half_hours().set_axis(["x", "y"])
    reversed_labels = pd.Series([0.3, 0.0], index=["y", "x"])
    assert staffing(df, shrinkage=reversed_labels)["required_agents"].tolist() == [14, 20]
    with pytest.raises(ValueError, match="index is not the frame's rows"):
        staffing(df, shrinkage=pd.Series([0.3, 0.0]))


def test_a_measured_shrinkage_of_1_gives_na_where_agents_are_needed() -> None:
    # agent_occupancy measures 1.0 when everyone logged in was not ready (a meeting):
    # no number of agents makes up for it, so that row gets NA, not a refusal of all.
    df = _with(_two_half_hours(), [1.0, 0.3])
    out = staffing(df, shrinkage="shrinkage")
    assert out["productive_agents"].tolist() == [14, 14]
    assert out["required_agents"].tolist() == [pd.NA, 20]
    assert str(out["required_agents"].dtype) == "Int64"
    # A row needing no agents needs none whatever the shrinkage.
    quiet = df.assign(offered_contacts=pd.array([0, 100], dtype="Int64"))
    assert staffing(quiet, shrinkage="shrinkage")["required_agents"].tolist() == [0, 20]
    series = pd.Series([1.0, 0.3, 1.0])
    volume = pd.Series([100, 100, 0])
    assert required_agents(volume, "3min", "30min", shrinkage=series).tolist() == [pd.NA, 20, 0]
    # Unmeasured stays unknown, with or without volume.
    unmeasured = pd.Series([None, None], dtype="Float64")
    assert required_agents(pd.Series([0, 100]), "3min", "30min", shrinkage=unmeasured).tolist() == [
        pd.NA,
        pd.NA,
    ]


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("inf")])
def test_a_value_outside_0_1_is_refused_naming_its_row(bad: float) -> None:
    df = _with(_two_half_hours(), [0.1, bad]).set_axis(["morning", "noon"])
    with pytest.raises(
        ValueError, match=rf"1 row\(s\) are not \(index: value\) \{{'noon': {bad}\}}"
    ):
        staffing(df, shrinkage="shrinkage")


def test_one_shrinkage_for_every_row_is_below_1() -> None:
    # A plan of 100% shrinkage staffs nothing: refused (a measured row at 1 is not).
    for bad in (1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"shrinkage must be in \[0, 1\)"):
            staffing(_two_half_hours(), shrinkage=bad)


def test_a_column_that_is_not_there_or_not_numbers_is_refused() -> None:
    df = _two_half_hours()
    with pytest.raises(ValueError, match="names the column 'shrink', which the frame lacks"):
        staffing(df, shrinkage="shrink")
    df["shrinkage"] = ["a", "b"]
    with pytest.raises(ValueError, match="shrinkage must hold numbers"):
        staffing(df, shrinkage="shrinkage")


def test_required_agents_takes_a_series_of_shrinkage() -> None:
    out = required_agents(
        pd.Series([100, 100, 100], index=[5, 6, 7]),
        "3min",
        "30min",
        shrinkage=pd.Series([0.0, 0.3, None], index=[5, 6, 7]),
    )
    assert out.tolist() == [14, 20, pd.NA]
    assert list(out.index) == [5, 6, 7]
    assert required_agents(100, "3min", "30min", shrinkage=[0.0, 0.3]).tolist() == [14, 20]
    with pytest.raises(ValueError, match=r"shrinkage must be in \[0, 1\] in every row"):
        required_agents(100, "3min", "30min", shrinkage=pd.Series([0.2, 1.5]))
    with pytest.raises(ValueError, match="shrinkage must be in"):
        required_agents(100, "3min", "30min", shrinkage=1.0)


def test_the_measured_shrinkage_of_agent_occupancy_feeds_staffing() -> None:
    day = "2024-01-01"
    ev = events(
        [("a1", "09:00", "available"), ("a1", "09:21", "notready", "1"), ("a2", "09:00", "busy")],
        day=day,
    )
    states = agent_state_intervals(ev, "30min", end=pd.Timestamp(f"{day} 10:00", tz="UTC"))
    perf = performance([{"agent": "a2", "start": "09:00", "handle": 30}], day=day)
    measured = agent_occupancy(perf, states, "30min")[["interval_start", "shrinkage"]]
    # 09:00: a1 9 of 30 minutes not ready, a2 none: 9 / 60; 09:30: 30 / 60.
    assert measured["shrinkage"].tolist() == pytest.approx([0.15, 0.5])
    plan = _two_half_hours().merge(measured, on="interval_start")
    assert staffing(plan, shrinkage="shrinkage")["required_agents"].tolist() == [17, 28]
