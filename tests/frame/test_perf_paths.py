"""The fast conversion paths give exactly what the forgiving ones give."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import cvframe
from cvframe._api._transport import _FAST_LOADS
from cvframe._frame import frame_from_tables, records_to_table
from cvframe._frame._arrow_to_pandas import rows_in_order
from tests.fakes import CLIENT_ID, CLIENT_SECRET, URL, FakeTransport, answer, page
from tests.frame.test_schema import SAMPLE


def _record(i: int, **changes: Any) -> dict[str, Any]:
    minute = 15 * (i % 4)
    return {
        **SAMPLE,
        "_id": f"id-{i:04d}",
        "intervalStartTimeStamp": f"2023-06-01T{9 + i // 4:02d}:{minute:02d}:00.000Z",
        "intervalEndTimeStamp": f"2023-06-01T{9 + i // 4:02d}:{minute + 14:02d}:59.000Z",
        "offeredContacts": i,
        **changes,
    }


def test_a_record_missing_a_field_reads_as_null_like_the_others() -> None:
    records = [_record(0), _record(1), _record(2)]
    del records[1]["csatScore"]
    table = records_to_table(records)
    assert table["csat_score"].to_pylist() == [1.0, None, 1.0]
    assert table["offered_contacts"].to_pylist() == [0, 1, 2]


def test_unknown_fields_are_found_whether_or_not_every_field_is_there() -> None:
    complete = [_record(0), _record(1, newField=1)]
    unknown: set[str] = set()
    records_to_table(complete, unknown_fields=unknown)
    assert unknown == {"newField"}

    # One field missing and one unknown: the counts agree, the names do not.
    swapped = [_record(0), _record(1, otherField="x")]
    del swapped[1]["holdDuration"]
    unknown = set()
    records_to_table(swapped, unknown_fields=unknown)
    assert unknown == {"otherField"}

    unknown = set()
    records_to_table([_record(0), _record(1)], unknown_fields=unknown)
    assert unknown == set()


def test_whole_floats_still_read_as_integers_and_fractions_are_refused() -> None:
    assert records_to_table([_record(0, offeredContacts=3.0)])["offered_contacts"].to_pylist() == [
        3
    ]
    with pytest.raises(cvframe.ResponseError, match="offeredContacts"):
        records_to_table([_record(0, offeredContacts=1.5)])
    with pytest.raises(cvframe.ResponseError, match="offeredContacts"):
        records_to_table([_record(0, offeredContacts=True)])


def test_frames_in_api_order_skip_the_sort_and_match_a_sorted_frame() -> None:
    records = [_record(i) for i in range(12)]
    tables = [records_to_table(records[:5]), records_to_table(records[5:])]
    assert rows_in_order(pa.concat_tables(tables))
    shuffled = [records_to_table(records[5:]), records_to_table(records[:5])]
    assert not rows_in_order(pa.concat_tables(shuffled))
    pd.testing.assert_frame_equal(frame_from_tables(tables), frame_from_tables(shuffled))


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([("2023-06-01T09:45:00Z", "q1", "a"), ("2023-06-01T09:45:00Z", "q1", "b")], True),
        ([("2023-06-01T09:45:00Z", "q1", "b"), ("2023-06-01T09:45:00Z", "q1", "a")], False),
        ([("2023-06-01T09:45:00Z", "q2", "a"), ("2023-06-01T09:45:00Z", "q1", "b")], False),
        ([("2023-06-01T09:45:00Z", "q2", "a"), ("2023-06-01T10:00:00Z", "q1", "b")], True),
        ([("2023-06-01T10:00:00Z", "q1", "a"), ("2023-06-01T09:45:00Z", "q2", "b")], False),
        # A repeated id is not "sorted": the frame must be deduplicated and sorted.
        ([("2023-06-01T09:45:00Z", "q1", "a"), ("2023-06-01T09:45:00Z", "q1", "a")], False),
        ([("2023-06-01T09:45:00Z", None, "a"), ("2023-06-01T10:00:00Z", "q1", "b")], False),
    ],
)
def test_the_order_check_compares_every_sort_key(
    keys: list[tuple[str, str | None, str]], expected: bool
) -> None:
    table = pa.table(
        {
            "interval_start": pa.array(
                [pd.Timestamp(k[0]) for k in keys], pa.timestamp("ms", tz="UTC")
            ),
            "queue_id": [k[1] for k in keys],
            "id": [k[2] for k in keys],
        }
    )
    assert rows_in_order(table) is expected


def _client(body: bytes) -> cvframe.CallVolumeClient:
    client = cvframe.CallVolumeClient(
        host="api.example.test",
        account_id="acc-1",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        transport=FakeTransport([answer(200, body)]),
    )
    assert _FAST_LOADS is not None  # orjson is in the dev extras: the fast path runs
    assert client.transport.url == URL
    return client


def test_bodies_the_fast_parser_refuses_are_read_as_the_standard_library_reads_them() -> None:
    # NaN and a 70-bit integer are not JSON orjson accepts; json.loads takes both.
    body = json.dumps(page([_record(0, csatScore=float("nan"), __v=2**70)], False, 1)).encode()
    with _client(body) as client:
        pages = list(client.iter_pages("o-1", "2023-06-01", "2023-06-02"))
    record = pages[0].records[0]
    assert record["__v"] == 2**70
    assert record["csatScore"] != record["csatScore"]  # NaN


def test_a_read_through_the_fast_parser_matches_the_records() -> None:
    records = [_record(i) for i in range(8)]
    body = json.dumps(page(records, False, len(records)), separators=(",", ":")).encode()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = cvframe.read_callvolume(
            "2023-06-01", "2023-06-02", org_id="o-1", client=_client(body), progress=False
        )
    pd.testing.assert_frame_equal(df, cvframe.validate(cvframe.records_to_frame(records)))


def test_gc_paused_restores_the_collector_as_it_found_it() -> None:
    import gc

    from cvframe._gc import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a collector the user turned off stays off
    finally:
        gc.enable()


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_a_frame_made_column_by_column_is_the_frame_to_pandas_makes(
    backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large tables become frames a column at a time (memory handed back between
    columns): the same frame, nulls, chunks and all, on either backend."""
    from cvframe._frame import _arrow_to_pandas

    records = [
        _record(i, csatScore=None if i % 5 == 0 else 4.5, holdDuration=None if i % 3 else 7)
        for i in range(40)
    ]
    tables = [records_to_table(records[i : i + 7]) for i in range(0, 40, 7)]
    monkeypatch.setattr(_arrow_to_pandas, "_COLUMN_BY_COLUMN_BYTES", 10**12)
    at_once = frame_from_tables(tables, dtype_backend=backend)
    monkeypatch.setattr(_arrow_to_pandas, "_COLUMN_BY_COLUMN_BYTES", 0)
    monkeypatch.setattr(_arrow_to_pandas, "RELEASE_ROWS", 0)
    monkeypatch.setattr(_arrow_to_pandas, "_RELEASE_BYTES", 1)  # hand back after each column
    by_column = frame_from_tables(tables, dtype_backend=backend)
    pd.testing.assert_frame_equal(by_column, at_once)
    assert by_column._mgr.nblocks == at_once._mgr.nblocks  # one block per column, no copy
    assert cvframe.validate(by_column, dtype_backend=backend) is by_column


def test_keys_unique_is_only_a_promise_the_reader_has_checked() -> None:
    """A reader that saw every id once says so and the frame skips the second count;
    when ids came twice (a totalCount that counts one record twice makes the reader
    read the window again) it does not, and the frame keeps one row per id."""
    from cvframe._api._read import WindowReader
    from tests.fakes import FakeAPI, make_record

    window = (pd.Timestamp("2023-01-02", tz="UTC"), pd.Timestamp("2023-01-03", tz="UTC"))
    with FakeAPI(make_record(n) for n in range(30)) as api:
        client = cvframe.CallVolumeClient(**api.client_settings())

        def reader() -> WindowReader:
            return WindowReader(
                client, "o-fake", *window, page_size=10, duration_unit="ms", queues=None,
                progress=False, concurrency=1,
            )  # fmt: skip

        quiet = reader()
        tables = quiet.read()
        assert quiet.keys_unique and sum(t.num_rows for t in tables) == 30

        api.total_bias = 1
        twice = reader()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables = twice.read()
        ids = [i for t in tables for i in t["id"].to_pylist()]
        assert len(ids) > len(set(ids)) == 30 and not twice.keys_unique
        df = frame_from_tables(tables, keys_unique=twice.keys_unique)
        assert df["id"].is_unique and len(df) == 30


@pytest.mark.parametrize("by_column", [False, True])
@pytest.mark.parametrize("pieces", [1, 6])
def test_the_frames_time_and_duration_columns_can_be_written_to(
    by_column: bool, pieces: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow hands one-chunk time and duration columns to pandas in place, read-only:
    an assignment then raised (pandas 3) or quietly made the column object (2.2). Every
    frame's columns are pandas' own, whatever the read's size or its chunks."""
    from cvframe._frame import _arrow_to_pandas

    if by_column:
        monkeypatch.setattr(_arrow_to_pandas, "_COLUMN_BY_COLUMN_BYTES", 0)
    records = [_record(i) for i in range(36)]
    size = -(-len(records) // pieces)
    tables = [records_to_table(records[i : i + size]) for i in range(0, len(records), size)]
    df = frame_from_tables(tables)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas 2.2 warned as it changed the dtype
        df.loc[0, "interval_start"] = pd.Timestamp("2024-01-01", tz="UTC")
        df.loc[1, "acw_duration"] = pd.Timedelta(1, "s")
    assert df.loc[0, "interval_start"] == pd.Timestamp("2024-01-01", tz="UTC")
    assert df.loc[1, "acw_duration"] == pd.Timedelta(1, "s")
    assert str(df["interval_start"].dtype) == "datetime64[ms, UTC]"
    assert str(df["acw_duration"].dtype) == "timedelta64[ms]"
