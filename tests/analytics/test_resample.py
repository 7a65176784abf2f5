"""resample_intervals: totals kept exactly, local-clock buckets, gaps as zeros, clear errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cvframe
from cvframe import IntervalSchema, resample_intervals
from tests._analytics_helpers import (
    COUNTS,
    DURATIONS,
    MEASURES,
    QUARTER,
    frame,
    quarter_hours,
    record,
    synthetic,
    totals,
)

ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Asia/Kathmandu"]


def ms(value: int) -> pd.Timedelta:
    return pd.Timedelta(milliseconds=value)


# --------------------------------------------------------------------------- aggregation


def test_sums_counts_and_durations_and_takes_the_max_of_max_fields() -> None:
    df = frame(
        [
            record(
                "2024-01-01 09:00",
                offered_contacts=3,
                queue_hold_time_answered=30_000,
                max_queue_hold_time_answered=20_000,
                csat_score=4.5,
                csat_responses=2,
            ),
            record(
                "2024-01-01 09:15",
                offered_contacts=2,
                queue_hold_time_answered=50_000,
                max_queue_hold_time_answered=45_000,
                csat_score=4.0,
                csat_responses=1,
            ),
        ]
    )
    out = resample_intervals(df, "30min")
    assert len(out) == 1
    row = out.iloc[0]
    assert row["offered_contacts"] == 5
    assert row["queue_hold_time_answered"] == ms(80_000)
    assert row["max_queue_hold_time_answered"] == ms(45_000)
    assert row["csat_score"] == pytest.approx((4.5 * 2 + 4.0) / 3)  # weighted by responses
    assert row["csat_responses"] == 3
    assert resample_intervals(df, "30min", csat="sum").loc[0, "csat_score"] == 8.5
    assert row["interval_start"] == pd.Timestamp("2024-01-01 09:00", tz="UTC")
    assert row["interval_end"] == pd.Timestamp("2024-01-01 09:30", tz="UTC")


def test_output_columns_dtypes_and_order_follow_interval_schema() -> None:
    out = resample_intervals(synthetic(np.random.default_rng(0), days=1), "1h")
    IntervalSchema.validate(out)
    assert list(out.columns) == [
        "queue_id",
        "queue_name",
        "interval_start",
        "interval_end",
        *MEASURES,
    ]
    assert str(out["interval_start"].dtype) == "datetime64[ms, UTC]"
    assert all(str(out[c].dtype) == "Int64" for c in COUNTS)
    assert all(str(out[c].dtype) == "timedelta64[ms]" for c in DURATIONS)
    assert str(out["csat_score"].dtype) == "Float64"
    assert isinstance(out.index, pd.RangeIndex)
    # Sorted by bucket, then queue.
    keys = list(zip(out["interval_start"], out["queue_id"], strict=True))
    assert keys == sorted(keys)


def test_queue_name_follows_queue_id_taking_its_latest_name() -> None:
    df = frame(
        [
            record("2024-01-01 09:00", queue="q1", name="Old name", offered_contacts=1),
            record("2024-01-01 10:00", queue="q1", name="New name", offered_contacts=1),
            record("2024-01-01 09:00", queue="q2", name="Billing", offered_contacts=1),
        ]
    )
    out = resample_intervals(df, "1h")
    names = out.groupby("queue_id")["queue_name"].unique()
    assert names.to_dict() == {"q1": ["New name"], "q2": ["Billing"]}


def test_by_none_adds_every_queue_together_and_by_list_keeps_each_key() -> None:
    df = synthetic(np.random.default_rng(1), days=1)
    together = resample_intervals(df, "D", by=None)
    assert list(together.columns[:2]) == ["interval_start", "interval_end"]
    assert together["offered_contacts"].tolist() == [df["offered_contacts"].sum()]
    per_queue = resample_intervals(df, "D", by=["queue_id", "source"])
    assert {"queue_id", "queue_name", "source"} <= set(per_queue.columns)
    assert per_queue["offered_contacts"].sum() == df["offered_contacts"].sum()


def test_missing_value_makes_its_bucket_total_missing() -> None:
    df = frame(
        [
            record("2024-01-01 09:00", offered_contacts=3, hold_duration=1000),
            record("2024-01-01 09:15", offered_contacts=None, hold_duration=None),
            record("2024-01-01 09:30", offered_contacts=2, hold_duration=500),
        ]
    )
    out = resample_intervals(df, "30min")
    assert out["offered_contacts"].isna().tolist() == [True, False]
    assert out["hold_duration"].isna().tolist() == [True, False]
    assert out.loc[1, "offered_contacts"] == 2


def test_pyarrow_backed_frame_gives_the_same_buckets() -> None:
    rows = [
        record("2024-01-01 09:00", offered_contacts=3, acw_duration=700),
        record("2024-01-01 09:45", offered_contacts=4, acw_duration=300),
    ]
    arrow = cvframe.records_to_frame(rows, dtype_backend="pyarrow")
    expected = resample_intervals(frame(rows), "1h")
    pd.testing.assert_frame_equal(resample_intervals(arrow, "1h"), expected)


def test_a_filtered_frame_keeps_every_row_whatever_its_index() -> None:
    df = synthetic(np.random.default_rng(6), days=1)
    subset = df[df["queue_id"] != "q1"]  # index with holes
    out = resample_intervals(subset, "1h")
    pd.testing.assert_frame_equal(out, resample_intervals(subset.reset_index(drop=True), "1h"))
    assert out["offered_contacts"].sum() == subset["offered_contacts"].sum()


def test_resampled_frame_can_be_resampled_again_and_fed_to_kpis() -> None:
    hourly = resample_intervals(synthetic(np.random.default_rng(2), days=2), "1h")
    daily = resample_intervals(hourly, "D")
    IntervalSchema.validate(daily)
    assert daily["offered_contacts"].sum() == hourly["offered_contacts"].sum()
    assert "aht" in cvframe.kpis(daily).columns


def test_empty_frame_gives_an_empty_frame_of_the_schema() -> None:
    out = resample_intervals(cvframe.empty_frame(), "30min")
    IntervalSchema.validate(out)
    assert len(out) == 0
    assert list(out.columns[:4]) == ["queue_id", "queue_name", "interval_start", "interval_end"]


def test_weeks_run_monday_to_sunday_and_months_are_calendar_months() -> None:
    df = frame(
        [
            record("2024-01-07 23:45", offered_contacts=1),  # a Sunday
            record("2024-01-08 00:00", offered_contacts=2),  # the next Monday
            record("2024-02-29 23:45", offered_contacts=4),
        ]
    )
    weeks = resample_intervals(df, "W", fill_gaps=False)
    assert weeks["interval_start"].dt.day_name().unique().tolist() == ["Monday"]
    assert weeks["offered_contacts"].tolist() == [1, 2, 4]
    months = resample_intervals(df, "MS")
    assert months["interval_start"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-02-01"]
    assert months["interval_end"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-01", "2024-03-01"]
    assert months["offered_contacts"].tolist() == [3, 4]


# --------------------------------------------------------------------------- DST


def one_per_quarter(day: str, tz: str) -> pd.DataFrame:
    return frame(record(t, offered_contacts=1, hold_duration=1000) for t in quarter_hours(day, tz))


@pytest.mark.parametrize(
    ("tz", "day", "quarters"),
    [
        ("America/New_York", "2024-03-10", 92),  # spring forward: 02:00 -> 03:00
        ("America/New_York", "2024-11-03", 100),  # fall back: 02:00 -> 01:00
        ("Europe/London", "2024-03-31", 92),  # 01:00 GMT -> 02:00 BST
        ("Europe/London", "2024-10-27", 100),  # 02:00 BST -> 01:00 GMT
    ],
)
def test_local_day_on_a_dst_change_holds_every_quarter_hour_once(
    tz: str, day: str, quarters: int
) -> None:
    df = one_per_quarter(day, tz)
    assert len(df) == quarters
    daily = resample_intervals(df, "D", tz=tz)
    assert len(daily) == 1
    assert daily.loc[0, "offered_contacts"] == quarters
    assert daily.loc[0, "hold_duration"] == ms(1000 * quarters)
    assert daily.loc[0, "interval_start"] == pd.Timestamp(day, tz=tz)
    assert daily.loc[0, "interval_end"] - daily.loc[0, "interval_start"] == quarters * QUARTER
    assert str(daily["interval_start"].dtype) == f"datetime64[ms, {tz}]"

    hourly = resample_intervals(df, "1h", tz=tz)
    assert len(hourly) == quarters // 4
    assert (hourly["offered_contacts"] == 4).all()
    assert ((hourly["interval_end"] - hourly["interval_start"]) == pd.Timedelta("1h")).all()
    assert (
        hourly["interval_start"].iloc[1:].to_numpy() == hourly["interval_end"].iloc[:-1].to_numpy()
    ).all()


def test_fall_back_splits_the_repeated_hour_by_its_utc_offset() -> None:
    hourly = resample_intervals(
        one_per_quarter("2024-11-03", "America/New_York"), "1h", tz="America/New_York"
    )
    wall = hourly["interval_start"].dt.strftime("%H:%M%z").tolist()
    assert wall[:4] == ["00:00-0400", "01:00-0400", "01:00-0500", "02:00-0500"]


def test_local_daily_buckets_over_a_week_with_a_dst_change() -> None:
    df = frame(
        record(t, offered_contacts=1)
        for t in pd.date_range(
            "2024-03-07", "2024-03-14", freq=QUARTER, tz="America/New_York", inclusive="left"
        ).tz_convert("UTC")
    )
    daily = resample_intervals(df, "D", tz="America/New_York")
    assert daily["offered_contacts"].tolist() == [96, 96, 96, 92, 96, 96, 96]
    assert daily["interval_start"].dt.hour.unique().tolist() == [0]


# --------------------------------------------------------------------------- gaps


def test_fill_gaps_adds_zero_rows_for_every_queue_over_the_data_span() -> None:
    df = frame(
        [
            record("2024-01-01 09:00", queue="q1", offered_contacts=3, hold_duration=10),
            record("2024-01-01 10:30", queue="q2", offered_contacts=1),
        ]
    )
    out = resample_intervals(df, "30min")
    assert len(out) == 2 * 4  # two queues, 09:00 to 11:00
    gaps = out[
        ~(
            (out["queue_id"] == "q1")
            & (out["interval_start"].dt.hour == 9)
            & (out["interval_start"].dt.minute == 0)
        )
        & ~(
            (out["queue_id"] == "q2")
            & (out["interval_start"].dt.minute == 30)
            & (out["interval_start"].dt.hour == 10)
        )
    ]
    assert len(gaps) == 6
    assert (gaps[COUNTS] == 0).all().all()
    assert (gaps[DURATIONS] == pd.Timedelta(0)).all().all()
    assert gaps["csat_score"].isna().all()  # no responses: no average score
    assert gaps["queue_name"].notna().all()


def test_fill_gaps_false_keeps_only_buckets_with_records() -> None:
    df = frame(
        [
            record("2024-01-01 09:00", offered_contacts=3),
            record("2024-01-01 12:00", offered_contacts=1),
        ]
    )
    out = resample_intervals(df, "1h", fill_gaps=False)
    assert out["interval_start"].dt.hour.tolist() == [9, 12]


def test_start_and_end_bound_the_buckets_and_fill_them() -> None:
    df = frame(
        [
            record("2024-01-01 09:00", offered_contacts=3),
            record("2024-01-01 23:00", offered_contacts=5),
        ]
    )
    out = resample_intervals(df, "1h", start="2024-01-01 08:00", end="2024-01-01T12:00Z")
    assert out["interval_start"].dt.hour.tolist() == [8, 9, 10, 11]
    assert out["offered_contacts"].tolist() == [0, 3, 0, 0]


def test_start_and_end_in_local_time_with_no_data_give_zero_rows_when_by_is_none() -> None:
    out = resample_intervals(
        cvframe.empty_frame(),
        "D",
        by=None,
        tz="Europe/London",
        start="2024-03-30",
        end="2024-04-01",
    )
    assert out["offered_contacts"].tolist() == [0, 0]
    lengths = (out["interval_end"] - out["interval_start"]).tolist()
    assert lengths == [pd.Timedelta("24h"), pd.Timedelta("23h")]


def test_start_off_a_bucket_boundary_is_refused() -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=3)])
    with pytest.raises(ValueError, match="not a boundary"):
        resample_intervals(df, "1h", start="2024-01-01 08:30")


# --------------------------------------------------------------------------- errors


def test_missing_contract_columns_are_named() -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=1)])
    with pytest.raises(ValueError, match=r"\['abandoned_contacts', 'acw_duration'\]"):
        resample_intervals(df.drop(columns=["abandoned_contacts", "acw_duration"]), "1h")


@pytest.mark.parametrize("freq", ["20min", "7min", "50s"])
def test_freq_that_is_not_a_multiple_of_the_interval_length_is_refused(freq: str) -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=1)])
    with pytest.raises(ValueError, match="not a whole multiple of the data's interval length"):
        resample_intervals(df, freq)


def test_freq_must_be_a_multiple_of_a_resampled_frames_own_intervals() -> None:
    half_hours = resample_intervals(synthetic(np.random.default_rng(3), days=1), "30min")
    with pytest.raises(ValueError, match=r"interval length \(30 minutes\)"):
        resample_intervals(half_hours, "45min")


def test_records_that_straddle_local_buckets_are_refused() -> None:
    hourly = resample_intervals(synthetic(np.random.default_rng(4), days=2), "1h")
    with pytest.raises(ValueError, match="straddles"):
        resample_intervals(hourly, "D", tz="Asia/Kathmandu")  # midnight is 18:15 UTC


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"freq": "BME"}, "not supported"),
        ({"freq": "banana"}, "not supported"),
        ({"by": "agent_id"}, "by must name key columns"),
        ({"start": "2024-01-02", "end": "2024-01-01"}, "must be after start"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs: dict[str, Any], message: str) -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=1)])
    with pytest.raises(ValueError, match=message):
        resample_intervals(df, **kwargs)


# The frequencies cvframe accepts, the same on pandas 2.2 and 3.x.
ACCEPTED_FREQUENCIES = [
    ("15min", 1),
    ("30min", 1),
    ("1h", 1),
    ("h", 1),
    ("90min", 1),
    ("3600s", 1),
    ("D", 1),
    ("7D", 1),
    ("W", 1),
    ("W-SAT", 1),
    ("MS", 1),
    (pd.Timedelta(hours=1), 1),
    (dt.timedelta(minutes=30), 1),
    (pd.offsets.Hour(2), 1),
    (pd.offsets.Day(), 1),
    (pd.offsets.Week(weekday=6), 1),
    (pd.offsets.MonthBegin(), 1),
]


@pytest.mark.parametrize(("freq", "buckets"), ACCEPTED_FREQUENCIES)
def test_every_documented_frequency_is_accepted(freq: Any, buckets: int) -> None:
    df = frame([record("2024-01-10 09:00", offered_contacts=3)])
    out = resample_intervals(df, freq)
    assert len(out) == buckets
    assert out["offered_contacts"].tolist() == [3]


@pytest.mark.parametrize(
    ("freq", "hint"),
    [
        ("ME", "'MS'"),  # month end: silently taken as month start before
        ("M", "'MS'"),  # month end on pandas 2.2, refused by 3.x
        (pd.offsets.MonthEnd(), "'MS'"),
        ("BMS", "'MS'"),
        ("SMS", "'MS'"),
        ("2MS", "'MS'"),
        ("H", "'h'"),  # deprecated on 2.2, refused by 3.x
        ("1H", "'h'"),
        ("T", "'min'"),
        ("15T", "'min'"),
        ("S", "'s'"),
        ("2W", "'W'"),
        ("QS", "'MS'"),
        ("YS", "'MS'"),
        ("B", "'D'"),
        ("banana", "'30min'"),
        (42, "'30min'"),
    ],
)
def test_a_frequency_outside_the_documented_set_is_refused_naming_the_set(
    freq: Any, hint: str
) -> None:
    df = frame([record("2024-01-10 09:00", offered_contacts=3)])
    with pytest.raises(ValueError, match="not supported") as info:
        resample_intervals(df, freq)
    message = str(info.value)
    assert hint in message
    for accepted in ("'30min'", "'1h'", "'D'", "'W'", "'W-SAT'", "'MS'"):
        assert accepted in message


def test_not_a_dataframe_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a pandas DataFrame"):
        resample_intervals([{"offered_contacts": 1}], "1h")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties


@st.composite
def interval_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Random quarter-hour records of up to 3 queues over up to 3 days around a DST change."""
    base = draw(st.sampled_from(["2024-03-09", "2024-03-30", "2024-10-26", "2024-11-02"]))
    cells = draw(
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3 * 96 - 1)), unique=True, max_size=40)
    )
    value = st.integers(0, 10**9)
    rows = []
    for queue, slot in cells:
        start = pd.Timestamp(base, tz="UTC") + slot * QUARTER
        fields = {name: draw(value) for name in COUNTS + DURATIONS}
        fields["csat_score"] = float(draw(st.integers(0, 10**6)))
        rows.append(record(start, queue=f"q{queue}", **fields))
    return frame(rows)


def assert_same_totals(before: pd.DataFrame, after: pd.DataFrame) -> None:
    expected, actual = totals(before), totals(after)
    for name in MEASURES:
        if len(before) == 0:
            continue
        if name == "csat_score":  # an average: its total, score x responses, in floats
            assert actual[name] == pytest.approx(expected[name], rel=1e-9), name
        else:
            assert actual[name] == expected[name], name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    df=interval_frames(),
    freq=st.sampled_from(["15min", "30min", "45min", "1h", "2h", "D", "W", "MS"]),
    tz=st.sampled_from(ZONES),
    fill_gaps=st.booleans(),
)
def test_totals_are_conserved_exactly(
    df: pd.DataFrame, freq: str, tz: str, fill_gaps: bool
) -> None:
    out = resample_intervals(df, freq, tz=tz, fill_gaps=fill_gaps)
    IntervalSchema.validate(out)
    assert_same_totals(df, out)
    # Buckets of one queue never overlap and each holds whole records.
    for _, group in out.groupby("queue_id"):
        starts, ends = group["interval_start"].to_numpy(), group["interval_end"].to_numpy()
        assert (starts[1:] >= ends[:-1]).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=interval_frames(), tz=st.sampled_from(ZONES), fill_gaps=st.booleans())
def test_15_to_30_to_60_minutes_equals_15_to_60(df: pd.DataFrame, tz: str, fill_gaps: bool) -> None:
    direct = resample_intervals(df, "1h", tz=tz, fill_gaps=fill_gaps)
    stepwise = resample_intervals(
        resample_intervals(df, "30min", tz=tz, fill_gaps=fill_gaps), "1h", fill_gaps=fill_gaps
    )
    pd.testing.assert_frame_equal(stepwise, direct)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=interval_frames(), tz=st.sampled_from(ZONES))
def test_quarter_hours_to_hours_to_local_days_equals_quarter_hours_to_local_days(
    df: pd.DataFrame, tz: str
) -> None:
    direct = resample_intervals(df, "D", tz=tz)
    stepwise = resample_intervals(resample_intervals(df, "1h", tz=tz), "D")
    pd.testing.assert_frame_equal(stepwise, direct)


@pytest.mark.parametrize(
    ("tz", "around"),
    [
        ("America/New_York", "2024-03-10"),
        ("America/New_York", "2024-11-03"),
        ("Europe/London", "2024-10-27"),
        ("Australia/Lord_Howe", "2024-04-07"),  # a 30-minute DST shift
        ("Australia/Lord_Howe", "2024-10-06"),
        ("Asia/Kathmandu", "2024-01-01"),  # UTC+05:45
    ],
)
@pytest.mark.parametrize("freq", ["30min", "45min", "1h", "90min", "2h", "3h", "D", "W", "MS"])
def test_every_quarter_hour_lands_in_exactly_one_contiguous_bucket(
    tz: str, around: str, freq: str
) -> None:
    starts = pd.date_range(
        pd.Timestamp(around, tz="UTC") - pd.Timedelta("2D"), periods=4 * 96, freq=QUARTER
    )
    df = frame(record(t, offered_contacts=1) for t in starts)
    out = resample_intervals(df, freq, tz=tz)
    assert out["offered_contacts"].sum() == len(starts)
    assert (
        out["interval_start"].iloc[1:].to_numpy() == out["interval_end"].iloc[:-1].to_numpy()
    ).all()
    inner = out.iloc[1:-1]  # the first and last buckets hold only part of the data
    lengths = (inner["interval_end"] - inner["interval_start"]) / QUARTER
    assert (inner["offered_contacts"].astype(float) == lengths).all()
