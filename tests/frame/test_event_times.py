"""Agent activity's zone-less ``EventTime`` (``MM/DD/YYYY HH:MM:SS``) read in an explicit zone."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._frame import records_to_table


def times(*sent: Any, time_zone: str = "UTC") -> list[pd.Timestamp]:
    events = [
        {"agentId": f"a-{i}", "eventTime": value, "activity": "available"}
        for i, value in enumerate(sent)
    ]
    table = records_to_table(events, endpoint="agentactivity", time_zone=time_zone)
    assert str(table.schema.field("event_time").type) == "timestamp[ms, tz=UTC]"
    return [pd.Timestamp(v) for v in table["event_time"].to_pylist()]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_the_documented_spelling_and_the_samples_unpadded_hour_read_alike() -> None:
    assert times("10/20/2020 02:13:12", "10/20/2020 2:13:12", "1/2/2021 14:03:09") == [
        utc("2020-10-20 02:13:12"),
        utc("2020-10-20 02:13:12"),
        utc("2021-01-02 14:03:09"),
    ]


def test_the_zone_is_a_setting_and_the_frame_holds_the_utc_instant() -> None:
    # Summer and winter in New York: 4 and 5 hours behind UTC.
    assert times("07/01/2024 9:00:00", "01/15/2024 9:00:00", time_zone="America/New_York") == [
        utc("2024-07-01 13:00"),
        utc("2024-01-15 14:00"),
    ]
    assert times("03/04/2024 09:00:00", time_zone="Asia/Kolkata") == [utc("2024-03-04 03:30")]


def test_iso_8601_values_are_accepted_too_with_or_without_an_offset() -> None:
    got = times(
        "2024-07-01T09:00:00Z",  # its own instant
        "2024-07-01T09:00:00+02:00",
        "2024-07-01T09:00:00",  # zone-less: read in time_zone, like the rest
        "07/01/2024 9:00:00",
        time_zone="Europe/Berlin",
    )
    assert got == [
        utc("2024-07-01 09:00"),
        utc("2024-07-01 07:00"),
        utc("2024-07-01 07:00"),
        utc("2024-07-01 07:00"),
    ]


def test_a_missing_time_is_null_for_the_schema_to_flag() -> None:
    assert pd.isna(times(None, "10/20/2020 2:13:12")[0])


def test_the_repeated_autumn_hour_is_read_from_the_order_each_agents_events_arrive_in() -> None:
    # Clocks go back at 2:00 on 11/03/2024 in New York: 1:00-2:00 happens twice. The page
    # interleaves two agents; each agent's own times going back tell the second reading.
    sent = [
        ("a1", "1:10:00"), ("a2", "1:30:00"), ("a1", "1:40:00"),
        ("a1", "1:20:00"), ("a2", "1:15:00"), ("a1", "2:10:00"),
    ]  # fmt: skip
    events = [
        {"agentId": agent, "eventTime": f"11/3/2024 {clock}", "activity": "available"}
        for agent, clock in sent
    ]
    table = records_to_table(events, endpoint="agentactivity", time_zone="America/New_York")
    got = [pd.Timestamp(v) for v in table["event_time"].to_pylist()]
    assert got == [
        utc("2024-11-03 05:10"), utc("2024-11-03 05:30"), utc("2024-11-03 05:40"),
        utc("2024-11-03 06:20"), utc("2024-11-03 06:15"), utc("2024-11-03 07:10"),
    ]  # fmt: skip


def test_a_repeated_hour_time_the_order_cannot_place_is_refused_saying_what_to_do() -> None:
    with pytest.raises(cvframe.ResponseError) as info:
        times("11/03/2024 0:59:59", "11/03/2024 1:30:00", time_zone="America/New_York")
    message = str(info.value)
    assert "is '11/03/2024 1:30:00'" in message
    assert "happens twice in America/New_York" in message
    assert "'eventTime'" in message and "agentId 'a-1'" in message
    assert "time_zone" in message  # says what to do


@pytest.mark.parametrize("sent", ["03/10/2024 2:30:00", "2024-03-10T02:30:00"])
def test_a_time_in_the_skipped_spring_hour_moves_forward_to_the_change(sent: str) -> None:
    # Clocks skip 2:00-3:00 on 03/10/2024 in New York: 2:30 is read as 3:00 EDT.
    assert times(sent, time_zone="America/New_York") == [utc("2024-03-10 07:00")]


def test_the_same_wall_clock_times_are_fine_in_utc() -> None:
    assert times("11/03/2024 1:30:00", "03/10/2024 2:30:00") == [
        utc("2024-11-03 01:30"),
        utc("2024-03-10 02:30"),
    ]


@pytest.mark.parametrize("sent", ["13/20/2020 2:13:12", "10/20/2020", "yesterday", "", 1603160000])
def test_a_time_in_neither_spelling_is_a_response_error_naming_both(sent: Any) -> None:
    with pytest.raises(cvframe.ResponseError) as info:
        times("10/20/2020 2:13:12", sent)
    message = str(info.value)
    assert f"is {sent!r}, not a time spelled MM/DD/YYYY HH:MM:SS (or ISO 8601)" in message
    assert "agentId 'a-1'" in message


@pytest.mark.parametrize("zone", ["Mars/Olympus", "CEST", "", "../etc/passwd", None, 5])
def test_a_time_zone_that_is_not_an_iana_name_is_a_value_error(zone: Any) -> None:
    with pytest.raises(ValueError, match="time_zone must be an IANA time zone name"):
        records_to_table([], endpoint="agentactivity", time_zone=zone)
    with pytest.raises(ValueError, match="time_zone must be an IANA time zone name"):
        cvframe.records_to_frame([], endpoint="agentactivity", time_zone=zone)


def test_a_fixed_offset_is_a_zone_too() -> None:
    assert times("10/20/2020 2:13:12", time_zone="+05:30") == [utc("2020-10-19 20:43:12")]


def test_records_to_frame_reads_the_time_zone_setting() -> None:
    sample = {"AgentId": "a-1", "EventTime": "10/20/2020 2:13:12", "Activity": "notready"}
    df = cvframe.records_to_frame([sample], endpoint="agentactivity", time_zone="Asia/Tokyo")
    assert df.loc[0, "event_time"] == utc("2020-10-19 17:13:12")


def _placed(sent: list[tuple[str, str]], window: tuple[Any, Any] | None) -> list[pd.Timestamp]:
    events = [
        {"agentId": agent, "eventTime": f"11/3/2024 {clock}", "activity": "available"}
        for agent, clock in sent
    ]
    table = records_to_table(
        events, endpoint="agentactivity", time_zone="America/New_York", window=window
    )
    return [pd.Timestamp(v) for v in table["event_time"].to_pylist()]


# New York's repeated 1:00-2:00 of 11/03/2024: 05:00-06:00 UTC (EDT), then 06:00-07:00 (EST).
BEFORE = (utc("2024-11-03 00:00"), utc("2024-11-03 06:00"))
AFTER = (utc("2024-11-03 06:00"), utc("2024-11-03 12:00"))


def test_a_repeated_hour_time_is_the_reading_inside_the_requests_window() -> None:
    # One event each, which the order cannot place: the window the page was asked for can.
    sent = [("a1", "1:30:00"), ("a2", "1:00:00"), ("a3", "0:59:59")]
    assert _placed(sent, BEFORE) == [
        utc("2024-11-03 05:30"), utc("2024-11-03 05:00"), utc("2024-11-03 04:59:59"),
    ]  # fmt: skip
    assert _placed(sent[:2], AFTER) == [utc("2024-11-03 06:30"), utc("2024-11-03 06:00")]


def test_the_window_may_be_naive_utc_or_text() -> None:
    naive = ("2024-11-03 06:00", pd.Timestamp("2024-11-03 12:00").to_pydatetime())
    assert _placed([("a1", "1:30:00")], naive) == [utc("2024-11-03 06:30")]


def test_a_window_holding_both_readings_falls_back_to_the_order() -> None:
    whole = (utc("2024-11-03 00:00"), utc("2024-11-03 12:00"))
    sent = [("a1", "1:40:00"), ("a1", "1:20:00")]
    assert _placed(sent, whole) == [utc("2024-11-03 05:40"), utc("2024-11-03 06:20")]
    with pytest.raises(cvframe.ResponseError, match="happens twice in America/New_York"):
        _placed([("a1", "1:30:00")], whole)


def test_a_repeated_hour_time_outside_the_window_is_placed_by_the_order_or_refused() -> None:
    later = (utc("2024-11-03 12:00"), utc("2024-11-03 18:00"))
    sent = [("a1", "1:40:00"), ("a1", "1:20:00")]
    assert _placed(sent, later) == [utc("2024-11-03 05:40"), utc("2024-11-03 06:20")]
    with pytest.raises(cvframe.ResponseError) as info:
        _placed([("a1", "1:30:00")], later)
    assert "window" in str(info.value) and "'11/3/2024 1:30:00'" in str(info.value)


def test_a_reading_at_the_windows_end_is_the_orders_when_it_tells() -> None:
    # A server that includes the window's end sends 06:00 UTC (1:00 EST) in the piece
    # ending there: its going back says so. Alone, it is the reading inside [lo, hi).
    sent = [("a1", "1:00:00"), ("a1", "1:45:00"), ("a1", "1:00:00")]
    assert _placed(sent, BEFORE) == [
        utc("2024-11-03 05:00"), utc("2024-11-03 05:45"), utc("2024-11-03 06:00"),
    ]  # fmt: skip
    assert _placed(sent[:2], BEFORE) == [utc("2024-11-03 05:00"), utc("2024-11-03 05:45")]


def test_the_window_changes_nothing_outside_the_repeated_hour() -> None:
    sent = [("a1", "0:30:00"), ("a1", "2:30:00"), ("a1", "23:00:00")]
    assert _placed(sent, BEFORE) == _placed(sent, None) == [
        utc("2024-11-03 04:30"), utc("2024-11-03 07:30"), utc("2024-11-04 04:00"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "window",
    [
        (utc("2024-11-03 06:00"), utc("2024-11-03 06:00")),
        (utc("2024-11-03 06:00"), utc("2024-11-03 00:00")),
        ("not a time", "2024-11-03"),
        (utc("2024-11-03 06:00"),),
        "2024-11-03",
    ],
)
def test_a_window_that_is_not_two_increasing_instants_is_a_value_error(window: Any) -> None:
    with pytest.raises(ValueError, match="window"):
        _placed([("a1", "1:30:00")], window)


def test_records_to_frame_takes_the_window_too() -> None:
    events = [{"agentId": "a1", "eventTime": "11/3/2024 1:30:00", "activity": "available"}]
    df = cvframe.records_to_frame(
        events, endpoint="agentactivity", time_zone="America/New_York", window=AFTER
    )
    assert df.loc[0, "event_time"] == utc("2024-11-03 06:30")
    with pytest.raises(cvframe.ResponseError, match=r"window=\(lo, hi\)"):
        cvframe.records_to_frame(events, endpoint="agentactivity", time_zone="America/New_York")
