"""The typed decode (msgspec) is a faster road to the same frame, never a second set of rules.

Every page either decodes typed into the table the dict road makes of it, or goes the
dict road whole, so warnings, coercions and errors stay the dict road's.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cvframe
from cvframe._api import _typed

pytest.importorskip("msgspec", reason="the typed decode needs the fast extra's msgspec")

from cvframe._api import HttpResponse, RetryingTransport
from cvframe._api._paging import parse_page
from cvframe._endpoints import CALLVOLUME, SKILL_VOLUME
from cvframe._frame import records_to_table, typed_records_to_table
from cvframe.emulator import Emulator
from tests._api_sample import SAMPLE_RECORD
from tests.fakes import Answer, FakeAPI, make_record

WINDOW = ("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the pages the typed decode took ("typed") and gave back ("dicts")."""
    seen = {"typed": 0, "dicts": 0}
    call = _typed.PageDecoder.__call__

    def counting(self: _typed.PageDecoder, content: bytes) -> Any:
        body = call(self, content)
        seen["typed" if body is not None else "dicts"] += 1
        return body

    monkeypatch.setattr(_typed.PageDecoder, "__call__", counting)
    return seen


@pytest.fixture
def dicts_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(_typed, "ENABLED", False)
    yield


def _read(emu: Any, **options: Any) -> pd.DataFrame:
    return cvframe.read_callvolume(
        "2023-01-02", "2023-01-05", progress=False, **emu.settings(), **options
    )


def test_the_emulators_pages_all_decode_typed(emulator: Emulator, counted: dict[str, int]) -> None:
    """The emulator serves what the API's page shows: every page takes the fast road."""
    df = _read(emulator, page_size=200)
    assert len(df) > 600 and df["id"].is_unique
    assert counted["typed"] == -(-len(df) // 197) and counted["dicts"] == 0


@pytest.mark.parametrize("page_size", [97, 500, "auto"])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_both_roads_give_the_same_frame(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, page_size: Any, concurrency: int
) -> None:
    typed = _read(emulator, page_size=page_size, concurrency=concurrency)
    monkeypatch.setattr(_typed, "ENABLED", False)
    plain = _read(emulator, page_size=page_size, concurrency=concurrency)
    pd.testing.assert_frame_equal(typed, plain)
    assert typed.attrs == plain.attrs


def test_typed_decode_only_for_endpoints_whose_items_are_rows() -> None:
    assert _typed.page_decoder(CALLVOLUME, "ms") is not None
    # Skills nest a list in each record: the dict road flattens them.
    assert _typed.page_decoder(SKILL_VOLUME, "ms") is None


def test_without_msgspec_there_is_no_typed_decoder(dicts_only: None) -> None:
    assert not _typed.typed_decode_available()
    assert _typed.page_decoder(CALLVOLUME, "ms") is None


# ----------------------------------------------------------------- page by page, both roads


def _outcome(make: Any) -> tuple[str, Any]:
    """("table", the table, drift) or ("error", the message), warnings recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = make()
        except cvframe.CvframeError as exc:
            return "error", f"{type(exc).__name__}: {exc}"
    return "table", (table, sorted(str(w.message) for w in caught))


def _typed_road(content: bytes, unit: Any) -> Any:
    decoder = _typed.page_decoder(CALLVOLUME, unit)
    assert decoder is not None
    body = decoder(content)
    if body is None:  # the transport parses it as JSON instead
        return None
    page = parse_page(body, CALLVOLUME, skip=0)
    assert page.typed and page.ids is not None
    return typed_records_to_table(page.records, ids=page.ids, duration_unit=unit)


def _dict_road(content: bytes, unit: Any) -> pa.Table:
    # As the transport decodes a body the typed decode gave back: orjson, then json.
    body = RetryingTransport._decode(None, HttpResponse(200, {}, content))  # type: ignore[arg-type]
    page = parse_page(body, CALLVOLUME, skip=0)
    unknown: set[str] = set()
    table = records_to_table(page.records, duration_unit=unit, unknown_fields=unknown)
    cvframe._frame.warn_drift(unknown)
    return table


def _same_outcome(content: bytes, unit: str = "ms") -> bool:
    """Assert both roads agree on ``content``; return whether the typed one took it."""
    plain = _outcome(lambda: _dict_road(content, unit))
    taken = _outcome(lambda: _typed_road(content, unit))
    if taken[0] == "table" and taken[1][0] is None:
        return False  # given back: the dict road's outcome is the outcome
    assert taken[0] == plain[0], (taken, plain)
    if plain[0] == "error":
        assert taken[1] == plain[1]
    else:
        assert taken[1][0].equals(plain[1][0]), (taken[1][0], plain[1][0])
        assert taken[1][1] == plain[1][1]
    return True


def _page(*records: dict[str, Any], **page: Any) -> bytes:
    body = {"hasMore": False, "totalCount": len(records), "CallVolumeUpdate": list(records)}
    return json.dumps({**body, **page}).encode()


def test_a_page_like_the_apis_sample_decodes_typed_to_the_same_table() -> None:
    assert _same_outcome(_page(SAMPLE_RECORD, make_record(1), make_record(2)))
    assert _same_outcome(_page())  # an empty window


@pytest.mark.parametrize(
    ("changes", "typed"),
    [
        ({"csatScore": 4}, True),  # an integer where a float belongs: a float on both roads
        ({"csatScore": None, "holdDuration": None}, True),  # nulls
        # Integers a float cannot hold exactly are the nearest float on both roads (the
        # dict road raised a raw ArrowInvalid for 2**53 + 1, found by the property below).
        ({"csatScore": 2**53 + 1}, True),
        ({"csatScore": 2**63}, True),
        ({"offeredContacts": 2**64}, False),  # past 64 bits: orjson reads a float
        ({"offeredContacts": 2**63}, False),  # past int64: refused on the dict road
        ({"acwDuration": 2**62}, True),  # beyond a Timedelta: refused by the conversion
        ({"acwDuration": 2**63 - 1}, True),
        ({"acwDuration": -5}, True),  # a negative duration is data; the contract flags it
        ({"intervalStartTimeStamp": "2023-06-01T09:45:00.123456Z"}, True),  # pandas' parser
        ({"intervalStartTimeStamp": "June"}, True),  # not a time: the usual message
        ({"offeredContacts": 3.0}, False),  # a whole float where a count belongs: coerced
        ({"queueId": 12}, False),  # an id sent as a number: its text
        ({"offeredContacts": True}, False),
        ({"newField": 1}, False),  # drift: the dict road names it
        ({"_id": ""}, False),  # an empty id: the dict road's error
        ({"_id": None}, False),
        ({"queueName": "\ud800"}, False),  # a lone surrogate
    ],
)
def test_what_the_typed_decode_takes_it_converts_as_the_dict_road_does(
    changes: dict[str, Any], typed: bool
) -> None:
    record = {**SAMPLE_RECORD, **changes}
    assert _same_outcome(_page(make_record(0), record)) is typed


@pytest.mark.parametrize("order", ["reversed", "sorted", "contract"])
def test_records_whose_fields_come_in_another_order_decode_typed_to_the_same_table(
    order: str,
) -> None:
    # The typed records are declared in the API's order (Endpoint.wire_order), which
    # only makes the decode faster: another order is the same page.
    contract = [c.api_name for c in cvframe.COLUMNS]
    keys = {
        "reversed": list(reversed(SAMPLE_RECORD)),
        "sorted": sorted(SAMPLE_RECORD),
        "contract": contract,
    }[order]
    records = [{k: r[k] for k in keys} for r in (SAMPLE_RECORD, make_record(1), make_record(2))]
    assert [list(r) for r in records] != [list(SAMPLE_RECORD)] * 3
    assert _same_outcome(_page(*records))


def test_typed_records_must_have_a_field_per_column_by_name() -> None:
    import msgspec

    named = [(c.name, Any) for c in CALLVOLUME.columns]
    other = msgspec.defstruct("Other", [*named[:-1], ("something_else", Any)])
    record = other(*([None] * len(named)))
    with pytest.raises(TypeError, match="a field per column"):
        typed_records_to_table([record], ids=["r1"])


def test_a_record_without_an_id_or_a_page_without_hasmore_goes_the_dict_road() -> None:
    no_id = {k: v for k, v in SAMPLE_RECORD.items() if k != "_id"}
    assert not _same_outcome(_page(no_id))
    body = json.loads(_page(SAMPLE_RECORD))
    del body["hasMore"]
    assert not _same_outcome(json.dumps(body).encode())
    assert not _same_outcome(_page(SAMPLE_RECORD, totalCount=-1))
    assert not _same_outcome(b'{"hasMore": false, "CallVolumeUpdate": [{"acwDuration": NaN}]}')


_EMPTY_WITH_A_HUGE_TOTAL = (
    b'{"hasMore": false, "totalCount": 1' + b"0" * 23 + b', "CallVolumeUpdate": []}'
)


def _raw(*records: bytes) -> bytes:
    return b'{"hasMore": false, "CallVolumeUpdate": [' + b", ".join(records) + b"]}"


@pytest.mark.parametrize(
    "content",
    [
        # Integers past 64 bits: orjson reads them as floats, so the dict road decides
        # (a totalCount of 10**23 is not a count; the typed road took it, then re-read).
        _EMPTY_WITH_A_HUGE_TOTAL,
        _raw(b'{"_id": "a", "offeredContacts": 18446744073709551616}'),
        _raw(b'{"_id": "a", "__v": -9223372036854775809}'),
        _raw(b'{"_id": "a", "acwDuration": 99999999999999999999999}'),
        # Bytes json.dumps never writes: duplicate keys (the last wins on both roads),
        # escaped key names, raw UTF-8, a byte-order mark, invalid UTF-8, another case.
        _raw(b'{"_id": "a", "_id": "b", "queueName": "x"}'),
        _raw(b'{"\\u005fid": "a", "queue\\u004eame": "x"}'),
        _raw('{"_id": "é", "queueName": "Übersee"}'.encode()),
        b"\xef\xbb\xbf" + _raw(),
        _raw(b'{"_id": "\xff"}'),
        _raw(b'{"_id": "a", "QueueName": "x"}'),
    ],
)
def test_bytes_only_a_server_writes_give_one_outcome_on_both_roads(content: bytes) -> None:
    _same_outcome(content)  # asserts that both roads agree


def test_integers_past_64_bits_go_the_dict_road() -> None:
    assert not _same_outcome(_EMPTY_WITH_A_HUGE_TOTAL)
    assert _outcome(lambda: _dict_road(_EMPTY_WITH_A_HUGE_TOTAL, "ms"))[0] == "error"
    assert not _same_outcome(_raw(b'{"_id": "a", "offeredContacts": 18446744073709551616}'))
    assert _same_outcome(_raw(b'{"_id": "a", "offeredContacts": 9223372036854775807}'))


def test_missing_fields_are_null_on_both_roads() -> None:
    record = {k: v for k, v in SAMPLE_RECORD.items() if k not in ("csatScore", "holdDuration")}
    assert _same_outcome(_page(record, make_record(3)))


def test_durations_in_seconds_take_the_typed_road_too() -> None:
    record = {**SAMPLE_RECORD, "acwDuration": 1.5, "holdDuration": 2}
    assert _same_outcome(_page(record), unit="s")


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.integers(min_value=0, max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.sampled_from(["2023-06-01T09:45:00.000Z", "2023-06-01T09:45:00Z", "2023-06-01", "x"]),
)
_fields = st.sampled_from([*cvframe.API_FIELDS, "extra"])


def _shuffled(record: dict[str, Any], order: Any) -> dict[str, Any]:
    keys = list(record)
    order.shuffle(keys)
    return {k: record[k] for k in keys}


_records = st.builds(
    lambda changes, dropped, order, shuffle: (_shuffled if shuffle else lambda r, _: r)(
        {k: v for k, v in {**SAMPLE_RECORD, **changes}.items() if k not in dropped}, order
    ),
    st.dictionaries(_fields, _values, max_size=3),
    st.sets(_fields, max_size=2),
    st.randoms(use_true_random=False),
    st.booleans(),  # the API's order, or any other
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(_records, max_size=4), unit=st.sampled_from(["ms", "s"]))
def test_any_page_gives_one_outcome_whichever_road_it_takes(
    records: list[dict[str, Any]], unit: str
) -> None:
    _same_outcome(_page(*records), unit)


# ----------------------------------------------------------------- reads that mix the roads


def test_a_read_whose_pages_mix_the_roads_keeps_each_record_once(
    counted: dict[str, int],
) -> None:
    """Pages 2 and 4 carry a new field (dict road); the others decode typed. The
    overlap between a typed page and a dict page compares their versions all the same."""
    records = [make_record(n) for n in range(60)]

    def drift(number: int, answer: Answer) -> None:
        if number in (2, 4):
            body = json.loads(answer.body)
            for record in body["CallVolumeUpdate"]:
                record["newField"] = 1
            answer.body = json.dumps(body).encode()

    with FakeAPI(records) as api:
        api.after_answer = drift
        with pytest.warns(cvframe.SchemaDriftWarning, match="newField"):
            df = cvframe.read_callvolume(*WINDOW, **api.settings(), page_size=10, progress=False)
    assert sorted(df["id"]) == sorted(r["_id"] for r in records)
    assert counted["typed"] >= 3 and counted["dicts"] == 2


def test_a_server_that_never_fits_stops_being_tried(counted: dict[str, int]) -> None:
    """After MISFITS_BEFORE_GIVING_UP pages in a row that do not fit, a read decodes
    every later page as JSON straight away instead of twice."""
    records = [{**make_record(n), "newField": n} for n in range(60)]
    with FakeAPI(records) as api:
        with pytest.warns(cvframe.SchemaDriftWarning):
            df = cvframe.read_callvolume(*WINDOW, **api.settings(), page_size=5, progress=False)
        assert len(df) == 60 and len(api.bodies) >= 12
    assert counted["typed"] == 0
    # Every page still asked the decoder, which gave up after three tries.
    assert counted["dicts"] == len(api.bodies)


def test_the_decoder_gives_up_after_misfits_in_a_row_only() -> None:
    decoder = _typed.page_decoder(CALLVOLUME, "ms")
    assert decoder is not None
    good, bad = _page(SAMPLE_RECORD), _page({**SAMPLE_RECORD, "x": 1})
    for _ in range(_typed.MISFITS_BEFORE_GIVING_UP - 1):
        assert decoder(bad) is None
    assert decoder(good) is not None  # a fit resets the count
    for _ in range(_typed.MISFITS_BEFORE_GIVING_UP):
        assert decoder(bad) is None
    assert decoder(good) is None  # given up for the rest of this read
    assert decoder.misfits == 2 * _typed.MISFITS_BEFORE_GIVING_UP - 1
    assert _typed.page_decoder(CALLVOLUME, "ms")(good) is not None  # type: ignore[misc]
