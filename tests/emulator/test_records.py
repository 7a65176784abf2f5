"""What an emulated account serves: windows, later versions, inserted records, new days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cvframe.emulator._data import SyntheticData, default_queues
from cvframe.emulator._rate_limit import RateLimit
from cvframe.emulator._records import ServedRecords, as_day, parse_time

DAY = date(2023, 1, 2)


def served(days: int = 2) -> ServedRecords:
    data = SyntheticData(seed=0, queues=default_queues(2, 0), org_id="o-1", instance_id="st-1")
    return ServedRecords(data, DAY, date(2023, 1, 2 + days))


def test_a_window_is_the_records_starting_in_it_in_api_order() -> None:
    records = served()
    every = records.window(None, None)
    assert [r["intervalStartTimeStamp"][:10] for r in (every[0], every[-1])] == [
        "2023-01-02",
        "2023-01-03",
    ]
    order = [(r["intervalStartTimeStamp"], r["queueId"]) for r in every]
    assert order == sorted(order)
    noon = datetime(2023, 1, 2, 12, tzinfo=UTC)
    morning = records.window(None, noon)
    assert morning == [r for r in every if r["intervalStartTimeStamp"] < "2023-01-02T12"]


def test_touch_bumps_the_version_each_time_and_refuses_unknown_ids() -> None:
    records = served(days=1)
    first = records.window(None, None)[0]
    records.touch([first["_id"]], offeredContacts=7)
    records.touch([first["_id"]], answeredContacts=1)
    now = records.window(None, None)[0]
    assert (now["offeredContacts"], now["answeredContacts"], now["__v"]) == (7, 1, 2)
    with pytest.raises(KeyError, match="no-such-id"):
        records.touch(["no-such-id"])


def test_inserted_records_take_their_sorted_place_and_advance_adds_days() -> None:
    records = served(days=1)
    before = len(records.window(None, None))
    extra = {"_id": "x", "intervalStartTimeStamp": "2023-01-02T00:00:00.000Z", "queueId": "0"}
    records.insert([extra])
    assert records.window(None, None)[0] == extra
    records.advance(date(2023, 1, 4))
    assert len(records.window(None, None)) > before + 1


def test_times_and_days_are_read_as_utc() -> None:
    assert parse_time("2023-01-02T09:00:00+02:00", "t") == datetime(2023, 1, 2, 7, tzinfo=UTC)
    assert parse_time("2023-01-02T09:00:00", "t").tzinfo is UTC
    with pytest.raises(ValueError, match="must be an ISO 8601 string"):
        parse_time(3, "t")
    assert as_day("2023-01-02") == as_day(datetime(2023, 1, 2, 23, 59)) == DAY


def test_a_fractional_rate_limit_still_lets_one_request_through() -> None:
    limit = RateLimit(0.5)  # one request per two minutes
    assert (limit.capacity, limit.window) == (1, 120.0)
    assert limit.refusal() is None
    wait = limit.refusal()
    assert wait is not None and 119 < wait <= 120
