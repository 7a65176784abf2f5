"""Bad arguments and bad server data: a clear error or a documented coercion, never silence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe.emulator import Emulator
from tests.frame.test_schema import SAMPLE


def rec(**changes: Any) -> dict[str, Any]:
    return {**SAMPLE, **changes}


# Nothing listens on the discard port of loopback: should a call get past its argument
# checks, it fails at once and locally, never reaching any other host.
SETTINGS = {
    "host": "http://127.0.0.1:9",
    "account_id": "a",
    "token": "t",
    "org_id": "o",
    "max_retries": 0,
}
FRAME = cvframe.records_to_frame([SAMPLE])

BAD_CALLS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    (
        "reversed window",
        lambda: cvframe.read_callvolume("2023-02-01", "2023-01-01", **SETTINGS),
        ValueError,
        "must be after start",
    ),
    (
        "empty window",
        lambda: cvframe.read_callvolume("2023-01-01", "2023-01-01", **SETTINGS),
        ValueError,
        "must be after start",
    ),
    (
        "unparseable time",
        lambda: cvframe.read_callvolume("31/12/2023", None, **SETTINGS),
        ValueError,
        "not a time",
    ),
    (
        "time of wrong type",
        lambda: cvframe.read_callvolume(3.5, None, **SETTINGS),
        ValueError,
        "ISO 8601",
    ),
    (
        "zero page size",
        lambda: cvframe.read_callvolume(None, None, page_size=0, **SETTINGS),
        ValueError,
        "page_size",
    ),
    (
        "negative page size",
        lambda: cvframe.read_callvolume(None, None, page_size=-5, **SETTINGS),
        ValueError,
        "page_size",
    ),
    (
        "unknown backend",
        lambda: cvframe.read_callvolume(None, None, dtype_backend="numpy", **SETTINGS),
        ValueError,
        "dtype_backend",
    ),
    (
        "unknown duration unit",
        lambda: cvframe.read_callvolume(None, None, duration_unit="us", **SETTINGS),
        ValueError,
        "duration_unit",
    ),
    (
        "unknown client setting",
        lambda: cvframe.read_callvolume(None, None, colour="red", **SETTINGS),
        ValueError,  # a bad argument, named with the reader's own options (00ea1cc)
        "takes no keyword 'colour'",
    ),
    (
        "non-positive rate",
        lambda: cvframe.CallVolumeClient("h.example", "a", token="t", requests_per_minute=-1),
        ValueError,
        "requests_per_minute",
    ),
    (
        "non-positive timeout",
        lambda: cvframe.CallVolumeClient("h.example", "a", token="t", timeout=0),
        ValueError,
        "timeout",
    ),
    (
        "insecure host",
        lambda: cvframe.CallVolumeClient("http://h.example", "a", token="t"),
        cvframe.ConfigurationError,
        "allow_insecure_http",
    ),
    (
        "frame missing columns",
        lambda: cvframe.validate(FRAME.drop(columns=["queue_id"])),
        cvframe.SchemaError,
        "missing columns \\['queue_id'\\]",
    ),
    (
        "frame with wrong dtypes",
        lambda: cvframe.validate(FRAME.astype({"offered_contacts": "float64"})),
        cvframe.SchemaError,
        "offered_contacts is float64",
    ),
    (
        "records with bad unit",
        lambda: cvframe.records_to_frame([SAMPLE], duration_unit="min"),
        ValueError,
        "duration_unit",
    ),
    ("empty frame, bad backend", lambda: cvframe.empty_frame("arrow"), ValueError, "dtype_backend"),
    ("emulator with no queues", lambda: Emulator(queues=0), ValueError, "queues"),
    (
        "emulator, bad fault",
        lambda: Emulator().inject(500, kind="meteor"),
        ValueError,
        "fault kind",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [pytest.param(c, e, m, id=name) for name, c, e, m in BAD_CALLS],
)
def test_bad_arguments_get_a_clear_error(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


BAD_DATA: list[tuple[str, list[dict[str, Any]], type[Exception], str]] = [
    ("negative count", [rec(abandonedContacts=-2)], cvframe.SchemaError, "abandoned_contacts"),
    ("negative duration", [rec(holdDuration=-1)], cvframe.SchemaError, "hold_duration"),
    ("string for a number", [rec(offeredContacts="12")], cvframe.ResponseError, "offeredContacts"),
    (
        "fraction for a count",
        [rec(answeredContacts=1.5)],
        cvframe.ResponseError,
        "answeredContacts",
    ),
    (
        "bad timestamp",
        [rec(intervalEndTimeStamp="soon")],
        cvframe.ResponseError,
        "intervalEndTimeStamp",
    ),
    (
        "end before start",
        [rec(intervalEndTimeStamp="2023-06-01T09:30:00Z")],
        cvframe.SchemaError,
        "interval_end > interval_start",
    ),
    ("missing id", [rec(_id=None)], cvframe.SchemaError, "id"),
    (
        "missing interval start",
        [rec(intervalStartTimeStamp=None)],
        cvframe.SchemaError,
        "interval_start",
    ),
]


@pytest.mark.parametrize(
    ("records", "error", "match"),
    [pytest.param(r, e, m, id=name) for name, r, e, m in BAD_DATA],
)
def test_bad_server_data_gets_a_clear_error(
    records: list[dict[str, Any]], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        cvframe.validate(cvframe.records_to_frame(records))


def test_unknown_source_is_kept_as_sent() -> None:
    # The docs name only "rtm"; other values are data, not errors (README, Reliability).
    df = cvframe.validate(cvframe.records_to_frame([rec(source="batch")]))
    assert df.loc[0, "source"] == "batch"


def test_duplicate_ids_with_equal_versions_keep_the_last_received() -> None:
    df = cvframe.records_to_frame([rec(offeredContacts=1), rec(offeredContacts=2)])
    assert len(df) == 1 and df.loc[0, "offered_contacts"] == 2


def test_out_of_order_intervals_are_sorted() -> None:
    late = rec(
        _id="late",
        intervalStartTimeStamp="2023-06-01T11:00:00Z",
        intervalEndTimeStamp="2023-06-01T11:15:00Z",
    )
    early = rec(_id="early")
    df = cvframe.records_to_frame([late, early])
    assert df["id"].tolist() == ["early", "late"]
    assert df["interval_start"].is_monotonic_increasing
    assert isinstance(df.index, pd.RangeIndex)


# --------------------------------------------------------------------------- issue 10:
# values that escaped as raw exceptions (or passed silently) are ResponseErrors that
# name the field, the record and the value the API sent.

INT64_MIN = -9223372036854775808

UNREADABLE: list[tuple[str, dict[str, Any], str, str]] = [
    ("lone surrogate in a name", {"queueName": "Bill\ud800ing"}, "ms", "queueName"),
    ("lone surrogate in the id", {"_id": "\udfff-1"}, "ms", "_id"),
    ("lone surrogate in a timestamp", {"intervalEndTimeStamp": "2023\ud800"}, "ms", "intervalEnd"),
    ("NaN seconds", {"acwDuration": float("nan")}, "s", "acwDuration"),
    ("1e300 seconds", {"acwDuration": 1e300}, "s", "acwDuration"),
    ("1e16 seconds", {"holdDuration": 1e16}, "s", "holdDuration"),
    ("infinite seconds", {"holdDuration": float("inf")}, "s", "holdDuration"),
    ("1e19 ms", {"conversationTalkTime": 1e19}, "ms", "conversationTalkTime"),
    ("1e300 ms", {"conversationTalkTime": 1e300}, "ms", "conversationTalkTime"),
    ("int64 minimum ms (NaT)", {"acwDuration": INT64_MIN}, "ms", "acwDuration"),
    ("int64 maximum ms", {"acwDuration": 2**63 - 1}, "ms", "acwDuration"),
    ("csatScore 1e400 (inf)", {"csatScore": float("inf")}, "ms", "csatScore"),
    ("csatScore NaN", {"csatScore": float("nan")}, "ms", "csatScore"),
    ("csatScore beyond a float", {"csatScore": 10**400}, "ms", "csatScore"),
    ("count 1e19", {"offeredContacts": 1e19}, "ms", "offeredContacts"),
    ("count 2**63", {"offeredContacts": 2**63}, "ms", "offeredContacts"),
    ("count -2**63 - 1", {"answeredContacts": -(2**63) - 1}, "ms", "answeredContacts"),
    ("version 1e19", {"__v": 1e19}, "ms", "__v"),
]


@pytest.mark.parametrize(
    ("changes", "unit", "field"),
    [pytest.param(c, u, f, id=name) for name, c, u, f in UNREADABLE],
)
def test_values_cvframe_cannot_hold_are_response_errors_naming_field_record_and_value(
    changes: dict[str, Any], unit: str, field: str
) -> None:
    with pytest.raises(cvframe.ResponseError) as info:
        cvframe.records_to_frame([rec(**changes)], duration_unit=unit)  # type: ignore[arg-type]
    message = str(info.value)
    assert field in message
    assert "record" in message
    sent = next(iter(changes.values()))
    assert repr(sent)[:12] in message  # the value as sent, never a wrapped cast
    assert str(INT64_MIN) not in message or sent == INT64_MIN
    message.encode("utf-8")  # printable: a surrogate is shown escaped


def test_durations_up_to_the_documented_maximum_are_kept() -> None:
    from cvframe._frame._records_to_arrow import MAX_DURATION_MS

    df = cvframe.records_to_frame([rec(acwDuration=MAX_DURATION_MS)])
    assert df.loc[0, "acw_duration"] == pd.Timedelta(milliseconds=MAX_DURATION_MS)
    seconds = cvframe.records_to_frame([rec(acwDuration=1.5)], duration_unit="s")
    assert seconds.loc[0, "acw_duration"] == pd.Timedelta(milliseconds=1500)


def test_a_read_of_a_record_with_a_lone_surrogate_is_a_response_error(
    fresh_emulator: Emulator,
) -> None:
    emu = fresh_emulator
    bad = dict(emu.records("2023-01-02T00:00:00Z", "2023-01-02T00:15:00Z")[0])
    emu.touch([bad["_id"]], queueName="Sales\ud800")
    with pytest.raises(cvframe.ResponseError, match="queueName"):
        cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False, **emu.settings())


def test_an_unknown_field_name_with_a_surrogate_is_named_escaped() -> None:
    with pytest.warns(cvframe.SchemaDriftWarning) as caught:
        cvframe.records_to_frame([rec(**{"new\ud800Field": 1})])
    text = str(caught[0].message)
    text.encode("utf-8")
    assert "new\\ud800Field" in text


@pytest.mark.parametrize(
    ("start", "sent"),
    [("0999-01-01", "0999-01-01T00:00:00Z"), ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z")],
)
def test_years_before_1000_are_sent_with_four_digits(
    fresh_emulator: Emulator, start: str, sent: str
) -> None:
    emu = fresh_emulator
    df = cvframe.read_callvolume(start, "2023-01-03", progress=False, **emu.settings())
    assert len(df) == len(emu.records("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z"))
    assert emu.requests[0].body is not None
    assert emu.requests[0].body["fromTimeStamp"] == sent


def test_a_time_past_the_year_9999_is_a_value_error_before_any_request() -> None:
    import numpy as np

    far = pd.Timestamp(np.datetime64("10000-01-01", "s"))
    with pytest.raises(ValueError, match="9999"):
        cvframe.read_callvolume("2023-01-01", far, **SETTINGS)
