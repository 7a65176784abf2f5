"""agent_state_intervals: each agent's time per state and bucket, from activity events."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cvframe._analytics import DEFAULT_STATE_CATEGORIES, agent_state_intervals
from cvframe._analytics._states import STATE_CATEGORIES
from tests._analytics_helpers import BACKENDS, events

MINUTE = pd.Timedelta(minutes=1)


def _t(clock: str, day: str = "2024-03-04") -> pd.Timestamp:
    return pd.Timestamp(f"{day} {clock}", tz="UTC")


def _by_bucket_and_state(out: pd.DataFrame) -> dict[tuple[str, str, str], pd.Timedelta]:
    """(agent, bucket start HH:MM UTC, state) -> time, for hand-computed expectations."""
    return {
        (row.agent_id, row.interval_start.tz_convert("UTC").strftime("%H:%M"), row.state): (
            row.duration
        )
        for row in out.groupby(["agent_id", "interval_start", "state"], as_index=False)["duration"]
        .sum()
        .itertuples()
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_agent_by_hand(backend: str) -> None:
    # available 09:00, busy 09:10, acw 09:18, notready (break) 09:20, available 09:25
    df = events(
        [
            ("a1", "09:00", "available"),
            ("a1", "09:10", "busy"),
            ("a1", "09:18", "acw"),
            ("a1", "09:20", "notready", "1"),
            ("a1", "09:25", "available"),
        ],
        backend=backend,
    )
    out = agent_state_intervals(df, "15min", end=_t("09:30"))
    assert _by_bucket_and_state(out) == {
        ("a1", "09:00", "idle"): 10 * MINUTE,
        ("a1", "09:00", "handling"): 5 * MINUTE,
        ("a1", "09:15", "handling"): 5 * MINUTE,  # 3 busy + 2 acw
        ("a1", "09:15", "not_ready"): 5 * MINUTE,
        ("a1", "09:15", "idle"): 5 * MINUTE,
    }
    # The two handling activities stay apart in their own rows.
    quarter = out[out["interval_start"] == _t("09:15")]
    assert dict(zip(quarter["activity"], quarter["duration"], strict=True)) == {
        "busy": 3 * MINUTE,
        "acw": 2 * MINUTE,
        "notready": 5 * MINUTE,
        "available": 5 * MINUTE,
    }
    assert list(out.columns) == [
        "agent_id",
        "interval_start",
        "interval_end",
        "state",
        "activity",
        "reason_code",
        "duration",
        "open_end",
    ]
    assert str(out["duration"].dtype) == "timedelta64[ms]"
    assert str(out["interval_start"].dtype) == "datetime64[ms, UTC]"
    assert out["open_end"].dtype == bool


def test_a_break_across_a_bucket_edge_is_split_at_the_edge_with_its_reason() -> None:
    df = events(
        [("a1", "09:00", "available"), ("a1", "09:10", "notready", "2"), ("a1", "09:40", "busy")]
    )
    out = agent_state_intervals(df, "15min", end=_t("10:00"))
    lunch = out[out["state"] == "not_ready"]
    assert list(lunch["interval_start"]) == [_t("09:00"), _t("09:15"), _t("09:30")]
    assert list(lunch["duration"]) == [5 * MINUTE, 15 * MINUTE, 10 * MINUTE]
    assert set(lunch["reason_code"]) == {"2"}
    # 30 minutes of buckets: the break's 30 minutes add up again.
    assert lunch["duration"].sum() == 30 * MINUTE


def test_the_last_state_is_cut_at_end_and_flagged_open() -> None:
    df = events([("a1", "09:00", "available"), ("a1", "09:05", "busy")])
    out = agent_state_intervals(df, "15min", end=_t("09:20"))
    assert _by_bucket_and_state(out) == {
        ("a1", "09:00", "idle"): 5 * MINUTE,
        ("a1", "09:00", "handling"): 10 * MINUTE,
        ("a1", "09:15", "handling"): 5 * MINUTE,
    }
    assert out.set_index(["interval_start", "state"])["open_end"].to_dict() == {
        (_t("09:00"), "idle"): False,
        (_t("09:00"), "handling"): False,  # the cut is in the next bucket
        (_t("09:15"), "handling"): True,
    }


def test_by_default_time_is_counted_up_to_the_latest_event_and_no_further() -> None:
    df = events(
        [
            ("a1", "09:00", "available"),
            ("a2", "09:00", "available"),
            ("a2", "09:12", "logout"),
        ]
    )
    out = agent_state_intervals(df, "15min")
    totals = out.groupby("agent_id")["duration"].sum()
    # Nobody's state is known after 09:12, the latest event: a1 is available until then.
    assert totals.to_dict() == {"a1": 12 * MINUTE, "a2": 12 * MINUTE}
    assert out.loc[out["agent_id"] == "a1", "open_end"].tolist() == [True]
    # a2's last event (logout at 09:12) starts no time: nothing of it is open.
    assert not out.loc[out["agent_id"] == "a2", "open_end"].any()


def test_time_before_an_agents_first_event_is_not_counted() -> None:
    df = events([("a1", "09:00", "available"), ("a2", "09:20", "busy")])
    out = agent_state_intervals(df, "15min", end=_t("09:30"))
    a2 = out[out["agent_id"] == "a2"]
    assert list(a2["interval_start"]) == [_t("09:15")]
    assert list(a2["duration"]) == [10 * MINUTE]  # from 09:20, not 09:15


def test_an_event_before_start_gives_the_state_at_start() -> None:
    df = events([("a1", "08:50", "notready", "3"), ("a1", "09:20", "available")])
    out = agent_state_intervals(df, "15min", start=_t("09:00"), end=_t("09:30"))
    assert _by_bucket_and_state(out) == {
        ("a1", "09:00", "not_ready"): 15 * MINUTE,
        ("a1", "09:15", "not_ready"): 5 * MINUTE,
        ("a1", "09:15", "idle"): 10 * MINUTE,
    }


def test_events_after_end_add_no_time_but_say_the_state_was_in_progress() -> None:
    df = events([("a1", "09:00", "available"), ("a1", "09:40", "busy")])
    out = agent_state_intervals(df, "15min", end=_t("09:30"))
    assert set(out["state"]) == {"idle"}
    assert out["duration"].sum() == 30 * MINUTE
    assert list(out["open_end"]) == [False, True]  # idle goes on past 09:30


def test_a_state_that_ends_at_end_is_not_open() -> None:
    df = events([("a1", "09:00", "available"), ("a1", "09:30", "busy")])
    out = agent_state_intervals(df, "15min", end=_t("09:30"))
    assert out["duration"].sum() == 30 * MINUTE
    assert not out["open_end"].any()


def test_events_out_of_order_or_repeated_give_the_same_result() -> None:
    rows = [
        ("a1", "09:00", "available"),
        ("a2", "09:03", "busy"),
        ("a1", "09:07", "busy"),
        ("a2", "09:20", "notready", "1"),
        ("a1", "09:22", "acw"),
    ]
    ordered = agent_state_intervals(events(rows), "15min", end=_t("09:30"))
    shuffled = [rows[3], rows[0], rows[4], rows[2], rows[1], rows[0], rows[3]]
    messy = agent_state_intervals(events(shuffled), "15min", end=_t("09:30"))
    pd.testing.assert_frame_equal(messy, ordered)


def test_of_two_events_at_one_instant_the_later_row_lasts() -> None:
    df = events([("a1", "09:00", "available"), ("a1", "09:00", "busy")])
    out = agent_state_intervals(df, "15min", end=_t("09:15"))
    assert list(out["activity"]) == ["busy"]


def test_a_local_day_on_a_dst_change_is_23_or_25_hours_of_state() -> None:
    zone = "Europe/Berlin"
    for day, after, hours in (("2024-03-31", "2024-04-01", 23), ("2024-10-27", "2024-10-28", 25)):
        begin = pd.Timestamp(day, tz=zone)
        df = events([("a1", begin, "available"), ("a1", begin + pd.Timedelta(hours=5), "busy")])
        out = agent_state_intervals(df, "D", tz=zone, end=pd.Timestamp(after, tz=zone))
        assert list(out["interval_start"]) == [begin, begin]
        assert out["duration"].sum() == pd.Timedelta(hours=hours)
        hourly = agent_state_intervals(df, "1h", tz=zone, end=pd.Timestamp(after, tz=zone))
        assert hourly["interval_start"].nunique() == hours
        assert (hourly.groupby("interval_start")["duration"].sum() == pd.Timedelta(hours=1)).all()
        assert str(hourly["interval_start"].dtype) == f"datetime64[ms, {zone}]"


def test_an_unknown_activity_is_refused_naming_it_and_the_mapping_that_fixes_it() -> None:
    df = events([("a1", "09:00", "available"), ("a1", "09:05", "training")])
    with pytest.raises(ValueError, match=r"activity 'training' in 1 event\(s\).*states=\{"):
        agent_state_intervals(df)
    out = agent_state_intervals(df, states={"training": "not_ready"}, end=_t("09:15"))
    assert out.set_index("activity")["state"].to_dict() == {
        "available": "idle",
        "training": "not_ready",
    }


def test_the_mapping_overrides_a_default_and_refuses_an_unknown_category() -> None:
    df = events([("a1", "09:00", "busy"), ("a1", "09:05", "acw")])
    out = agent_state_intervals(df, states={"acw": "not_ready"}, end=_t("09:15"))
    assert out.set_index("activity")["state"].to_dict() == {
        "busy": "handling",
        "acw": "not_ready",
    }
    with pytest.raises(ValueError, match=r"one of \['handling', 'idle', 'not_ready'"):
        agent_state_intervals(df, states={"acw": "wrapup"})
    # The defaults are not changed by an override.
    assert DEFAULT_STATE_CATEGORIES["acw"] == "handling"


def test_activities_are_compared_without_case() -> None:
    df = events([("a1", "09:00", "NotReady", "1"), ("a1", "09:05", " Available ")])
    out = agent_state_intervals(df, end=_t("09:15"))
    assert list(out["state"]) == ["idle", "not_ready"]


def test_the_default_mapping_covers_every_activity_the_emulator_sends() -> None:
    for activity in ("available", "busy", "acw", "notready", "logout"):
        assert DEFAULT_STATE_CATEGORIES[activity] in STATE_CATEGORIES


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns="activity"), r"columns \['activity'\]"),
        (
            lambda df: df.assign(event_time=df["event_time"].dt.tz_localize(None)),
            "event_time is timezone-naive",
        ),
        (lambda df: df.assign(activity=pd.array([None, "busy"], dtype="string")), "activity is"),
        (lambda df: df.assign(agent_id=pd.array(["a1", None], dtype="string")), "agent_id is"),
        (lambda df: df.assign(event_time=["09:00", "09:05"]), "event_time has dtype"),
    ],
)
def test_bad_input_is_refused_naming_the_column(change: object, message: str) -> None:
    df = events([("a1", "09:00", "available"), ("a1", "09:05", "busy")])
    with pytest.raises(ValueError, match=message):
        agent_state_intervals(change(df))  # type: ignore[operator]


def test_bad_arguments_are_refused() -> None:
    df = events([("a1", "09:00", "available")])
    with pytest.raises(ValueError, match="must be after start"):
        agent_state_intervals(df, start=_t("10:00"), end=_t("09:00"))
    with pytest.raises(ValueError, match="freq 'ME' is not supported"):
        agent_state_intervals(df, "ME")


def test_no_events_give_an_empty_frame_with_the_columns() -> None:
    out = agent_state_intervals(events([]), "15min")
    assert len(out) == 0
    assert str(out["duration"].dtype) == "timedelta64[ms]"
    assert "open_end" in out.columns


# --------------------------------------------------------------------------- the invariant

_ACTIVITIES = ("available", "busy", "acw", "notready", "logout")
_DAY = pd.Timestamp("2024-10-26 22:00", tz="UTC")  # local midnight before Berlin's fall-back


@st.composite
def _event_rows(draw: st.DrawFn) -> list[tuple[str, pd.Timestamp, str, str | None]]:
    rows = []
    for agent in draw(st.lists(st.sampled_from(["a1", "a2", "a3"]), min_size=1, unique=True)):
        count = draw(st.integers(1, 12))
        for _ in range(count):
            second = draw(st.integers(0, 26 * 3600 - 1))
            activity = draw(st.sampled_from(_ACTIVITIES))
            reason = draw(st.sampled_from(["1", "2", "3"])) if activity == "notready" else None
            rows.append((agent, _DAY + pd.Timedelta(seconds=second), activity, reason))
    # Repeats, to be counted once.
    return rows + draw(st.lists(st.sampled_from(rows), max_size=3))


@settings(max_examples=60, deadline=None)
@given(
    rows=_event_rows(),
    freq=st.sampled_from(["15min", "30min", "1h", "D"]),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata"]),
    extra_seconds=st.integers(0, 4 * 3600),
)
def test_an_agents_states_fill_every_bucket_it_is_known_in_exactly(
    rows: list[tuple[str, pd.Timestamp, str, str | None]],
    freq: str,
    zone: str,
    extra_seconds: int,
) -> None:
    df = events(rows)
    end = max(r[1] for r in rows) + pd.Timedelta(seconds=extra_seconds)
    out = agent_state_intervals(df, freq, tz=zone, end=end)
    assert (out["duration"] > pd.Timedelta(0)).all()
    assert set(out["state"]) <= set(STATE_CATEGORIES)
    for agent, mine in out.groupby("agent_id"):
        first = min(r[1] for r in rows if r[0] == agent)
        # All of the agent's known time, and nothing else, is counted.
        assert mine["duration"].sum() == end - first
        per_bucket = mine.groupby(["interval_start", "interval_end"])["duration"].sum()
        for (begin, finish), total in per_bucket.items():
            assert total <= finish - begin
            if begin >= first and finish <= end:
                assert total == finish - begin, (agent, begin)
        # The time of the last state is flagged open where there is any.
        last = max(r[1] for r in rows if r[0] == agent)
        assert mine["open_end"].any() == (end > last)
        assert (mine.loc[mine["open_end"], "interval_end"] > last).all()
