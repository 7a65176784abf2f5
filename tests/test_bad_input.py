"""Bad arguments and bad server data: a clear error or a documented coercion, never silence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe.emulator import Emulator

from .test_schema import SAMPLE


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
        TypeError,
        "colour",
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
