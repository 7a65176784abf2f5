from __future__ import annotations

import pytest

import cvframe
from cvframe._api._paging import SkipLimitPaginator, overlap_for, parse_page
from cvframe._endpoints import CALLVOLUME
from cvframe.emulator import Emulator
from tests.fakes import FakeClock, FakeTransport, answer, client_kwargs, page


def test_skip_advances_by_records_received_when_server_caps_limit() -> None:
    with Emulator(days=2, queues=2, max_page_size=37) as emu:
        client = cvframe.CallVolumeClient(**emu.client_settings())
        pages = list(client.iter_pages(emu.org_id, "2023-01-02", "2023-01-04", page_size=100))
        expected = emu.records("2023-01-02T00:00:00Z", "2023-01-04T00:00:00Z")
        skips = [r.body["skip"] for r in emu.requests if r.body]
    assert all(len(p.records) <= 37 for p in pages)
    # Each page re-reads the last record(s) of the one before, to prove nothing slipped.
    step = 37 - overlap_for(37)
    assert skips == [step * i for i in range(len(pages))]
    got = [r["_id"] for p in pages for r in p.records]
    assert got == [r["_id"] for r in expected]
    assert len(set(got)) == len(got) == pages[0].total_count


def test_page_with_has_more_but_no_records_stops_the_read(clock: FakeClock) -> None:
    rec = {"_id": "a", "intervalStartTimeStamp": "2023-01-01T00:00:00Z"}
    fake = FakeTransport([answer(200, page([rec], True, 5)), answer(200, page([], True, 5))])
    client = cvframe.CallVolumeClient(**client_kwargs(), transport=fake, clock=clock)
    with pytest.raises(cvframe.ResponseError, match="hasMore=true but sent no records"):
        list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))
    assert len(fake.requests) == 2


def test_initial_sync_omits_from_timestamp(clock: FakeClock) -> None:
    fake = FakeTransport([answer(200, page([], False, 0))])
    client = cvframe.CallVolumeClient(**client_kwargs(), transport=fake, clock=clock)
    list(client.iter_pages("o-1", None, "2023-01-08T10:00:00Z", page_size=2))
    assert fake.bodies[0] == {
        "orgId": "o-1",
        "toTimeStamp": "2023-01-08T10:00:00Z",
        "skip": 0,
        "limit": 2,
    }


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ([], "JSON list"),
        ({"CallVolumeUpdate": [], "totalCount": 0}, "hasMore"),
        ({"hasMore": "no", "CallVolumeUpdate": []}, "hasMore"),
        ({"hasMore": False, "CallVolumeUpdate": {"a": 1}}, "not a list"),
        ({"hasMore": False, "CallVolumeUpdate": [1, 2]}, "not a list of objects"),
        ({"hasMore": False, "CallVolumeUpdate": [], "totalCount": -1}, "totalCount"),
    ],
)
def test_malformed_pages_are_response_errors(body: object, match: str) -> None:
    with pytest.raises(cvframe.ResponseError, match=match):
        parse_page(body, CALLVOLUME, skip=0)


def test_page_without_the_record_list_is_a_response_error_naming_its_keys() -> None:
    with pytest.raises(cvframe.ResponseError, match=r"no 'CallVolumeUpdate' list.*'hasMore'"):
        parse_page({"hasMore": False, "totalCount": 0}, CALLVOLUME, skip=0)
    empty = {"hasMore": False, "totalCount": 0, "CallVolumeUpdate": []}
    assert parse_page(empty, CALLVOLUME, skip=0).records == []


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "10"])
def test_page_size_must_be_a_positive_whole_number(size: object) -> None:
    with pytest.raises(ValueError, match="page_size"):
        SkipLimitPaginator(CALLVOLUME, size)  # type: ignore[arg-type]


def test_server_that_ignores_skip_is_a_response_error(clock: FakeClock) -> None:
    records = [{"_id": f"r{i}", "intervalStartTimeStamp": "2023-01-01T00:00:00Z"} for i in range(2)]
    same = answer(200, page(records, True, 100))
    fake = FakeTransport([same, same, same])
    client = cvframe.CallVolumeClient(**client_kwargs(), transport=fake, clock=clock)
    with pytest.raises(cvframe.ResponseError, match="same page again"):
        list(client.iter_pages("o-1", "2023-01-01", "2023-01-02", page_size=2))
    assert len(fake.requests) == 2
