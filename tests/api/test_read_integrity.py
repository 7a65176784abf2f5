"""Every record exactly once, or a loud error: reads against a fake whose records move.

The fake (tests/fake_api.py) is independent of the emulator: its records change between
any two answers, its ``totalCount`` may count an id twice, it may wrap ``skip`` around.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._api import _paging as _pages
from tests.fakes import Answer, FakeAPI, make_record

WINDOW = ("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z")
PAGE = 10


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with FakeAPI(make_record(n) for n in range(95)) as fake:
        yield fake


def read(api: FakeAPI, **extra: Any) -> pd.DataFrame:
    options: dict[str, Any] = {"page_size": PAGE, "progress": False, **extra}
    return cvframe.read_callvolume(*WINDOW, **api.settings(), **options)


def page_requests(api: FakeAPI) -> list[int]:
    return [b["skip"] for b in api.bodies]


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("deleted", [1, 2, 5, 12])
def test_records_deleted_before_the_cursor_mid_read_lose_nothing_else(
    api: FakeAPI, concurrency: int, deleted: int
) -> None:
    before = api.ordered()
    gone = {r["_id"] for r in before[3 : 3 + deleted]}

    def delete(number: int, body: dict[str, Any]) -> None:
        if number == 3:  # two pages read: the deletion shifts every later record left
            api.delete(gone)

    api.before_answer = delete
    df = read(api, concurrency=concurrency)
    throughout = {r["_id"] for r in before} - gone
    assert throughout <= set(df["id"])
    assert df["id"].is_unique


def test_record_moved_out_of_the_window_mid_read_loses_nothing_else(api: FakeAPI) -> None:
    before = api.ordered()
    moved = before[0]["_id"]

    def move(number: int, body: dict[str, Any]) -> None:
        if number == 4:
            api.touch([moved], intervalStartTimeStamp="2023-01-01T00:00:00.000Z")

    api.before_answer = move
    df = read(api, concurrency=1)
    assert {r["_id"] for r in before[1:]} <= set(df["id"])


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize(
    ("page_size", "records"),
    [(40, n) for n in (39, 40, 41, 79, 80, 81, 120, 121, 240, 288)]
    + [(60, n) for n in (120, 121, 180, 240, 241, 288)],
)
def test_quiet_reads_cost_no_request_more_than_pages_without_overlap(
    page_size: int, records: int, concurrency: int
) -> None:
    # Sizes at and around the page boundaries, where pages that advance by only
    # page_size - overlap new records would need one request more (120 records in
    # pages of 60 advancing by 57: 3 requests instead of 2).
    with FakeAPI(make_record(n) for n in range(records)) as quiet:
        df = cvframe.read_callvolume(
            *WINDOW, **quiet.settings(), page_size=page_size, progress=False,
            concurrency=concurrency,
        )  # fmt: skip
        assert len(df) == records and df["id"].is_unique
        assert len(quiet.bodies) == math.ceil(records / page_size)
        # No request asks for more than the page size plus the overlap's records.
        limits = [b["limit"] for b in quiet.bodies]
        assert limits[0] == page_size
        assert max(limits) <= page_size + _pages.overlap_for(page_size)


@pytest.mark.parametrize("records", [120, 121, 288])
def test_a_server_capping_pages_costs_at_most_the_overlap_per_page(records: int) -> None:
    # A server that sends at most 60 records whatever the limit: each page after the
    # first brings 60 - PAGE_OVERLAP new ones, the cost the README states.
    with FakeAPI(make_record(n) for n in range(records)) as capped:
        capped.max_page_size = 60
        df = cvframe.read_callvolume(*WINDOW, **capped.settings(), page_size=60, progress=False)
        assert len(df) == records
        step = 60 - _pages.PAGE_OVERLAP
        assert len(capped.bodies) == 1 + math.ceil((records - 60) / step)


def test_a_server_refusing_a_limit_past_the_page_size_is_asked_for_the_page_size(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # No maximum limit is documented; a sibling endpoint refuses more than 1000. A 400
    # for page_size + overlap must not fail the read: ask for page_size from then on.
    caplog.set_level(logging.INFO, logger="cvframe")
    with FakeAPI(make_record(n) for n in range(120)) as strict:

        def refuse(number: int, answer: Answer) -> None:
            if strict.bodies[number - 1]["limit"] > 60:
                answer.status = 400
                answer.body = json.dumps({"errors": [{"msg": "limit must be <= 60"}]}).encode()

        strict.after_answer = refuse
        settings = strict.settings()
        org = settings.pop("org_id")
        client = cvframe.CallVolumeClient(**settings)
        for concurrency in (1, 4):
            df = cvframe.read_callvolume(
                *WINDOW, org_id=org, client=client, page_size=60, progress=False,
                concurrency=concurrency,
            )  # fmt: skip
            assert len(df) == 120
        limits = [b["limit"] for b in strict.bodies]
    # One refused request for the client, then the overlap's usual cost: 1 + ceil(60/57).
    assert limits.count(63) == 1
    assert len(limits) == 1 + 3 + 3
    assert any("limit" in r.getMessage() and "63" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("page_size", [1, 2])
def test_pages_too_small_to_overlap_still_read_the_window(page_size: int) -> None:
    # A page of one record cannot overlap the next: the read must not keep stepping
    # back for a shared record (it spent its request budget and failed).
    with FakeAPI(make_record(n) for n in range(7)) as tiny:
        df = cvframe.read_callvolume(
            *WINDOW, **tiny.settings(), page_size=page_size, progress=False
        )
        assert len(df) == 7
        assert len(tiny.bodies) <= 7


def test_total_count_counting_an_id_twice_is_complete_after_two_agreeing_passes(
    api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.total_bias = 1
    caplog.set_level(logging.WARNING, logger="cvframe")
    df = read(api)
    assert len(df) == 95
    passes = page_requests(api).count(0)
    assert passes == 2
    agree = [r for r in caplog.records if "agree" in r.getMessage()]
    assert len(agree) == 1
    assert "95" in agree[0].getMessage() and "96" in agree[0].getMessage()


def test_a_page_ending_right_at_a_total_count_that_lags_does_not_end_the_read(
    api: FakeAPI,
) -> None:
    # hasMore is right and totalCount too small: the second page ends exactly at it.
    step = PAGE - _pages.overlap_for(PAGE)
    api.total_bias = (PAGE + step) - 95
    df = read(api)
    assert len(df) == 95


def test_pages_that_keep_contradicting_each_other_are_a_response_error(api: FakeAPI) -> None:
    # Every answer counts one record more than the last: no two passes agree.
    api.before_answer = lambda number, body: setattr(api, "total_bias", number)
    with pytest.raises(cvframe.ResponseError, match="totalCount"):
        read(api)
    assert page_requests(api).count(0) == cvframe._api._read.MAX_READ_PASSES


def test_server_wrapping_skip_to_the_start_ends_the_read(api: FakeAPI) -> None:
    api.wrap = True
    df = read(api)
    assert len(df) == 95 and df["id"].is_unique
    assert len(api.bodies) <= 95 // (PAGE - _pages.PAGE_OVERLAP) + 3


def test_server_inventing_records_forever_hits_the_request_budget(api: FakeAPI) -> None:
    served = iter(range(10_000, 10**6))

    def endless(number: int, answer: Answer) -> None:
        page = json.loads(answer.body)
        page["hasMore"] = True
        page["totalCount"] = 30
        page["CallVolumeUpdate"] = [make_record(next(served) % 96) for _ in range(PAGE)]
        for record in page["CallVolumeUpdate"]:
            record["_id"] = f"{next(served):024x}"
        answer.body = json.dumps(page).encode()

    api.after_answer = endless
    with pytest.raises(cvframe.ResponseError, match="request budget"):
        read(api)
    budget = _pages.REQUEST_BUDGET_FACTOR * -(-30 // (PAGE - _pages.PAGE_OVERLAP))
    assert len(api.bodies) <= budget + _pages.REQUEST_BUDGET_SLACK + 1


def test_records_under_an_unknown_key_are_a_response_error(api: FakeAPI) -> None:
    api.records_key = "callVolumeUpdates"
    with pytest.raises(cvframe.ResponseError, match="callVolumeUpdates") as info:
        read(api)
    assert "CallVolumeUpdate" in str(info.value) and "totalCount" in str(info.value)


def test_an_empty_window_with_the_key_is_an_empty_frame(api: FakeAPI) -> None:
    df = cvframe.read_callvolume("2024-01-01", "2024-01-02", **api.settings(), progress=False)
    assert df.empty


def test_records_without_an_id_are_a_response_error_saying_so(api: FakeAPI) -> None:
    first = api.ordered()[0]["_id"]
    del api.records[first]["_id"]
    api.records["no-id"] = api.records.pop(first)
    with pytest.raises(cvframe.ResponseError, match="_id") as info:
        read(api)
    assert "changing" not in str(info.value)
    assert len(api.bodies) == 1


def test_a_deletion_during_a_sync_does_not_lose_a_record_for_good(
    api: FakeAPI, tmp_path: Path
) -> None:
    # The next run's lookback does not reach back to the start of the day: a record
    # skipped by the first run would never arrive.
    before = api.ordered()
    gone = before[12]["_id"]
    api.before_answer = lambda number, body: api.delete([gone]) if number == 3 else None
    settings = {**api.settings(), "page_size": PAGE}
    cvframe.sync(tmp_path, start=WINDOW[0], end=WINDOW[1], **settings)
    api.before_answer = None
    cvframe.sync(tmp_path, end=WINDOW[1], **settings)
    stored = set(cvframe.read_snapshot(tmp_path)["id"])
    assert {r["_id"] for r in before} - {gone} <= stored
