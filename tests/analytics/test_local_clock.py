"""Local-clock buckets at every kind of UTC-offset change, against a brute-force oracle.

The oracle reads each quarter hour's wall clock with :mod:`zoneinfo` (not pandas) and
applies the documented rule one instant at a time: a quarter hour's bucket is labelled
by its floored wall time with its own UTC offset, if the clock shows that time with
that offset; else by the first instant from which the clock shows that time or later
up to the quarter hour (found by walking back minute by minute); a label earlier than
the previous quarter hour's is replaced by it. Consecutive quarter hours with the same
label form a bucket.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from cvframe import IntervalSchema, resample_intervals
from tests._analytics_helpers import QUARTER, frame, record

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)


def _wall(instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _floor(wall: dt.datetime, freq: str) -> dt.datetime:
    if freq == "D":
        return wall.replace(hour=0, minute=0, second=0, microsecond=0)
    step = pd.Timedelta(freq).to_pytimedelta()
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + ((wall - midnight) // step) * step  # steps divide a day here


def oracle(starts: list[dt.datetime], freq: str, tz: str) -> list[tuple[str, str, int]]:
    """(start, end, quarter hours) of each bucket, as ISO strings in ``tz``."""
    zone = ZoneInfo(tz)
    labels: list[dt.datetime] = []
    for instant in starts:
        wall = _wall(instant, zone)
        offset = instant.astimezone(zone).utcoffset()
        assert offset is not None
        floor = _floor(wall, freq)
        label = floor - offset
        if _wall(label.replace(tzinfo=UTC), zone) != floor:
            label = instant.replace(tzinfo=None)
            while _wall((label - MINUTE).replace(tzinfo=UTC), zone) >= floor:
                label -= MINUTE
        labels.append(max(label, labels[-1]) if labels else label)
    buckets: list[tuple[str, str, int]] = []
    i = 0
    while i < len(starts):
        j = i
        while j + 1 < len(starts) and labels[j + 1] == labels[i]:
            j += 1
        begin = starts[i].astimezone(zone).isoformat()
        end = (starts[j] + QUARTER.to_pytimedelta()).astimezone(zone).isoformat()
        buckets.append((begin, end, j - i + 1))
        i = j + 1
    return buckets


def resampled(starts: list[dt.datetime], freq: str, tz: str) -> list[tuple[str, str, int]]:
    df = frame(record(pd.Timestamp(t), offered_contacts=1) for t in starts)
    out = IntervalSchema.validate(resample_intervals(df, freq, tz=tz))
    return [
        (row.interval_start.isoformat(), row.interval_end.isoformat(), int(row.offered_contacts))
        for row in out.itertuples()
    ]


def quarters_around(day: str) -> list[dt.datetime]:
    """The quarter hours (UTC) of the three UTC days around ``day``: its local day and more."""
    first = pd.Timestamp(day, tz="UTC") - pd.Timedelta(days=1)
    return [t.to_pydatetime() for t in pd.date_range(first, periods=3 * 96, freq=QUARTER)]


CHANGES = [
    ("Australia/Lord_Howe", "2024-10-06"),  # 02:00 +10:30 -> 02:30 +11:00 (30 minutes)
    ("Australia/Lord_Howe", "2024-04-07"),  # 02:00 +11:00 -> 01:30 +10:30
    ("Pacific/Chatham", "2024-09-29"),  # 02:45 +12:45 -> 03:45 +13:45 (at a :45)
    ("Pacific/Chatham", "2024-04-07"),  # 03:45 +13:45 -> 02:45 +12:45
    ("America/New_York", "2024-03-10"),
    ("America/New_York", "2024-11-03"),
    ("Europe/Dublin", "2024-10-27"),  # a "negative DST" zone: winter is the DST side
    ("America/Santiago", "2024-09-08"),  # midnight is skipped: the day starts at 01:00
    ("America/Havana", "2024-03-10"),  # 00:00 -> 01:00
    ("Asia/Kathmandu", "2024-01-01"),  # no change, a UTC+05:45 clock
]


@pytest.mark.parametrize("freq", ["30min", "1h", "2h", "D"])
@pytest.mark.parametrize(("tz", "day"), CHANGES)
def test_buckets_follow_the_local_clock_at_every_kind_of_offset_change(
    tz: str, day: str, freq: str
) -> None:
    starts = quarters_around(day)
    got, expected = resampled(starts, freq, tz), oracle(starts, freq, tz)
    # The first and last buckets hold only part of the data: the rest must be equal.
    assert got[1:-1] == expected[1:-1]
    assert [b[2] for b in got] == [b[2] for b in expected]


def test_lord_howe_spring_forward_hour_after_the_gap_holds_two_quarter_hours() -> None:
    starts = quarters_around("2024-10-06")
    got = [b for b in resampled(starts, "1h", "Australia/Lord_Howe") if "2024-10-06T0" in b[0]]
    assert got[:5] == [
        ("2024-10-06T00:00:00+10:30", "2024-10-06T01:00:00+10:30", 4),
        ("2024-10-06T01:00:00+10:30", "2024-10-06T02:30:00+11:00", 4),
        ("2024-10-06T02:30:00+11:00", "2024-10-06T03:00:00+11:00", 2),
        ("2024-10-06T03:00:00+11:00", "2024-10-06T04:00:00+11:00", 4),
        ("2024-10-06T04:00:00+11:00", "2024-10-06T05:00:00+11:00", 4),
    ]


def test_lord_howe_fall_back_repeated_half_hour_stays_in_the_hour_it_repeats() -> None:
    # 01:30-02:00 is shown twice; 01:00 only once (at +11:00), so that hour holds both.
    starts = quarters_around("2024-04-07")
    got = [b for b in resampled(starts, "1h", "Australia/Lord_Howe") if "2024-04-07T0" in b[0]]
    assert got[1:4] == [
        ("2024-04-07T01:00:00+11:00", "2024-04-07T02:00:00+10:30", 6),
        ("2024-04-07T02:00:00+10:30", "2024-04-07T03:00:00+10:30", 4),
        ("2024-04-07T03:00:00+10:30", "2024-04-07T04:00:00+10:30", 4),
    ]


def test_chatham_spring_forward_hour_after_the_gap_holds_one_quarter_hour() -> None:
    starts = quarters_around("2024-09-29")
    got = [b for b in resampled(starts, "1h", "Pacific/Chatham") if "2024-09-29T0" in b[0]]
    assert ("2024-09-29T03:45:00+13:45", "2024-09-29T04:00:00+13:45", 1) in got
    assert ("2024-09-29T04:00:00+13:45", "2024-09-29T05:00:00+13:45", 4) in got


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2024-10-06 02:00", r"Australia/Lord_Howe skips.*02:30:00\+11:00"),  # in the 30-minute gap
        ("2024-04-07 01:45", r"Australia/Lord_Howe shows twice.*\+11:00.*\+10:30"),
    ],
)
def test_a_naive_start_the_local_clock_skips_or_repeats_is_refused_saying_what_to_pass(
    start: str, message: str
) -> None:
    df = frame([record("2024-10-05 15:00", offered_contacts=1)])
    with pytest.raises(ValueError, match=message):
        resample_intervals(df, "1h", tz="Australia/Lord_Howe", start=start)
    # With its UTC offset the same wall time is an instant, and a boundary here.
    out = resample_intervals(
        frame([record("2024-04-06 14:45", offered_contacts=1)]),
        "15min",
        tz="Australia/Lord_Howe",
        start="2024-04-07 01:45+11:00",
    )
    assert out.loc[0, "interval_start"] == pd.Timestamp("2024-04-07 01:45+11:00")
