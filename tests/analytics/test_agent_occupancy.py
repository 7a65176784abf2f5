"""agent_occupancy: handle time over available time, not-ready time over logged-in time."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from cvframe import OccupancyWarning
from cvframe._analytics import agent_occupancy, agent_state_intervals
from tests._analytics_helpers import BACKENDS, events, performance

MINUTE = pd.Timedelta(minutes=1)


def _t(clock: str) -> pd.Timestamp:
    return pd.Timestamp(f"2024-03-04 {clock}", tz="UTC")


def _quiet(
    perf: pd.DataFrame, states: pd.DataFrame, *args: object, **kwargs: object
) -> pd.DataFrame:
    """agent_occupancy, failing on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return agent_occupancy(perf, states, *args, **kwargs)  # type: ignore[arg-type]


def _day(backend: str = "numpy_nullable") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two agents, 09:00-10:00: a1 handles 30 minutes, takes a 10-minute break; a2 idles."""
    ev = events(
        [
            ("a1", "09:00", "available"),
            ("a1", "09:05", "busy"),
            ("a1", "09:25", "acw"),
            ("a1", "09:35", "available"),
            ("a1", "09:40", "notready", "1"),
            ("a1", "09:50", "available"),
            ("a2", "09:00", "available"),
        ],
        backend=backend,
    )
    states = agent_state_intervals(ev, "15min", end=_t("10:00"))
    perf = performance(
        [
            {"agent": "a1", "start": "09:00", "handle": 10, "completed_contacts": 1},
            {"agent": "a1", "start": "09:15", "handle": 15, "completed_contacts": 1},
            {"agent": "a1", "start": "09:30", "handle": 5},
        ],
        backend=backend,
    )
    return perf, states


@pytest.mark.parametrize("backend", BACKENDS)
def test_occupancy_and_shrinkage_by_hand(backend: str) -> None:
    perf, states = _day(backend)
    out = _quiet(perf, states, "30min")
    assert list(out["interval_start"]) == [_t("09:00"), _t("09:30")]
    first, second = out.iloc[0], out.iloc[1]
    # 09:00-09:30: a1 idle 5, handling 25; a2 idle 30. Handle booked: 25 minutes.
    assert first["handle_time"] == 25 * MINUTE
    assert first["handling_time"] == 25 * MINUTE
    assert first["available_time"] == 60 * MINUTE
    assert first["occupancy"] == pytest.approx(25 / 60)
    assert first["shrinkage"] == 0
    # 09:30-10:00: a1 acw 5, idle 5 + 10, break 10; a2 idle 30. Handle booked: 5.
    assert second["not_ready_time"] == 10 * MINUTE
    assert second["logged_in_time"] == 60 * MINUTE
    assert second["available_time"] == 50 * MINUTE
    assert second["occupancy"] == pytest.approx(5 / 50)
    assert second["shrinkage"] == pytest.approx(10 / 60)
    assert str(out["occupancy"].dtype) == "Float64"
    assert str(out["available_time"].dtype) == "timedelta64[ms]"


def test_occupancy_is_a_ratio_of_sums_over_agents() -> None:
    perf, states = _day()
    each = _quiet(perf, states, "30min", by="agent_id")
    assert list(each["agent_id"]) == ["a1", "a2", "a1", "a2"]
    first = each[each["interval_start"] == _t("09:00")].set_index("agent_id")
    assert first.loc["a1", "occupancy"] == pytest.approx(25 / 30)
    assert first.loc["a2", "occupancy"] == 0
    # 09:30: a1 5 of 20 available minutes (0.25), a2 0 of 30: the total is 5 / 50,
    # not the mean of the two occupancies (0.125).
    second = each[each["interval_start"] == _t("09:30")].set_index("agent_id")
    assert second.loc["a1", "occupancy"] == pytest.approx(0.25)
    total = _quiet(perf, states, "30min").iloc[1]
    assert total["occupancy"] == pytest.approx(0.1)
    assert total["available_time"] == second["available_time"].sum()


def test_a_zero_denominator_gives_na_never_inf() -> None:
    ev = events(
        [("a1", "09:00", "notready", "2"), ("a2", "09:00", "logout"), ("a2", "09:10", "logout")]
    )
    states = agent_state_intervals(ev, "15min", end=_t("09:15"))
    perf = performance([{"agent": "a1", "start": "09:00", "handle": 0}])
    out = _quiet(perf, states, "15min", by="agent_id").set_index("agent_id")
    assert out.loc["a1", "available_time"] == pd.Timedelta(0)
    assert out.loc["a1", "occupancy"] is pd.NA  # nobody available: no occupancy
    assert out.loc["a1", "shrinkage"] == 1
    assert out.loc["a2", "logged_in_time"] == pd.Timedelta(0)
    assert out.loc["a2", "shrinkage"] is pd.NA  # nobody logged in
    assert out.loc["a2", "logged_out_time"] == 15 * MINUTE


def test_a_missing_handle_time_makes_its_bucket_na() -> None:
    perf, states = _day()
    perf.loc[1, "conversation_handle_time"] = pd.NaT
    out = _quiet(perf, states, "30min")
    assert out.loc[0, "handle_time"] is pd.NaT
    assert out.loc[0, "occupancy"] is pd.NA
    assert out.loc[1, "occupancy"] == pytest.approx(5 / 50)


def test_more_handle_time_than_available_time_warns_naming_the_bucket_and_keeps_it() -> None:
    ev = events([("a1", "09:00", "available"), ("a1", "09:10", "notready", "1")])
    states = agent_state_intervals(ev, "15min", end=_t("09:15"))
    perf = performance([{"agent": "a1", "start": "09:00", "handle": 15}])
    with pytest.warns(OccupancyWarning, match=r"a1 at 2024-03-04 09:00:00\+00:00: handle") as seen:
        out = agent_occupancy(perf, states, "15min")
    assert "0 days 00:15:00 > available 0 days 00:10:00" in str(seen[0].message)
    assert out.loc[0, "occupancy"] == pytest.approx(1.5)  # not clipped


def test_handle_time_of_an_agent_without_events_warns() -> None:
    perf, states = _day()
    extra = performance([{"agent": "a9", "start": "09:00", "handle": 3}])
    with pytest.warns(OccupancyWarning, match=r"1 \(agent, bucket\) pair.*a9 at"):
        agent_occupancy(pd.concat([perf, extra], ignore_index=True), states, "30min")


def test_handle_time_outside_the_states_span_is_na_without_a_warning() -> None:
    perf, states = _day()
    later = performance([{"agent": "a1", "start": "11:00", "handle": 5}])
    out = _quiet(pd.concat([perf, later], ignore_index=True), states, "30min")
    row = out[out["interval_start"] == _t("11:00")].iloc[0]
    assert row["handle_time"] == 5 * MINUTE
    assert row["occupancy"] is pd.NA


def test_groups_of_agents_and_an_agent_without_a_group() -> None:
    perf, states = _day()
    out = _quiet(perf, states, "30min", groups={"a1": "sales", "a2": "care"})
    assert list(out["group"]) == ["care", "sales", "care", "sales"]
    sales = out[out["group"] == "sales"].iloc[0]
    assert sales["occupancy"] == pytest.approx(25 / 30)
    both = _quiet(perf, states, "1h", groups={"a1": "sales", "a2": "care"}, by="agent_id")
    assert list(both[["group", "agent_id"]].itertuples(index=False, name=None)) == [
        ("care", "a2"),
        ("sales", "a1"),
    ]
    with pytest.raises(ValueError, match=r"no group for the agent\(s\) 'a2'"):
        agent_occupancy(perf, states, "30min", groups={"a1": "sales"})


def test_which_activity_is_available_follows_the_state_mapping() -> None:
    ev = events([("a1", "09:00", "busy"), ("a1", "09:10", "acw")])
    perf = performance([{"agent": "a1", "start": "09:00", "handle": 10}])
    default = agent_state_intervals(ev, "15min", end=_t("09:15"))
    assert _quiet(perf, default, "15min").loc[0, "shrinkage"] == 0
    moved = agent_state_intervals(ev, "15min", end=_t("09:15"), states={"acw": "not_ready"})
    out = _quiet(perf, moved, "15min")
    assert out.loc[0, "available_time"] == 10 * MINUTE
    assert out.loc[0, "shrinkage"] == pytest.approx(5 / 15)
    assert out.loc[0, "occupancy"] == 1


def test_a_local_day_on_a_dst_change_is_25_hours() -> None:
    zone = "Europe/Berlin"
    begin = pd.Timestamp("2024-10-27", tz=zone)
    ev = events([("a1", begin, "available")])
    states = agent_state_intervals(ev, "1h", tz=zone, end=pd.Timestamp("2024-10-28", tz=zone))
    out = _quiet(performance([]), states, "D")
    assert len(out) == 1
    assert out.loc[0, "available_time"] == pd.Timedelta(hours=25)
    assert out.loc[0, "interval_start"] == begin


def test_states_that_do_not_nest_in_freq_are_refused() -> None:
    perf, _ = _day()
    coarse = agent_state_intervals(events([("a1", "09:00", "available")]), "30min", end=_t("10:30"))
    with pytest.raises(ValueError, match=r"states row .* straddles two '45min' buckets"):
        agent_occupancy(perf.iloc[:0], coarse, "45min")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p, s: (p.drop(columns="conversation_handle_time"), s), "conversation_handle_time"),
        (lambda p, s: (pd.concat([p, p.iloc[[0]]]), s), r"repeat a \(agent_id, interval_start"),
        (lambda p, s: (p, s.drop(columns="state")), r"states lacks the columns \['state'\]"),
        (lambda p, s: (p, s.assign(state="busy")), r"state\(s\) \['busy'\], not among"),
        (
            lambda p, s: (p.assign(conversation_handle_time=p["conversation_handle_time"] * -1), s),
            "conversation_handle_time is negative",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_column(change: object, message: str) -> None:
    perf, states = _day()
    bad_perf, bad_states = change(perf, states)  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        agent_occupancy(bad_perf, bad_states, "30min")


def test_performance_without_any_states_is_na_without_a_warning() -> None:
    empty = agent_state_intervals(events([]), "15min")
    perf = performance([{"agent": "a1", "start": "09:00", "handle": 5}])
    out = _quiet(perf, empty, "30min", by="agent_id")
    assert out["agent_id"].tolist() == ["a1"]
    assert out.loc[0, "handle_time"] == 5 * MINUTE
    assert out.loc[0, "occupancy"] is pd.NA


def test_no_rows_at_all_keep_the_key_columns() -> None:
    empty = agent_state_intervals(events([]), "15min")
    out = _quiet(performance([]), empty, "30min", by="agent_id", groups={})
    assert len(out) == 0
    assert list(out.columns[:4]) == ["group", "agent_id", "interval_start", "interval_end"]


def test_a_negative_state_duration_is_refused() -> None:
    perf, states = _day()
    states.loc[0, "duration"] = -states.loc[0, "duration"]
    with pytest.raises(ValueError, match=r"duration is negative in 1 row"):
        agent_occupancy(perf, states, "30min")
