from __future__ import annotations

import logging
from datetime import datetime

import pandas as pd
import pytest

import cvframe
from cvframe._endpoints import CALLVOLUME
from cvframe.emulator import Emulator
from tests.frame.test_schema import NUMPY_NULLABLE, PYARROW

WINDOW = ("2023-01-02T00:00:00Z", "2023-01-09T00:00:00Z")


def test_full_read_against_the_emulator_returns_every_record_once(emulator: Emulator) -> None:
    df = cvframe.read_callvolume(*WINDOW, page_size=500, progress=False, **emulator.settings())
    expected = emulator.records(*WINDOW)
    assert len(df) == len(expected) > 1000
    assert df["id"].is_unique
    assert set(df["id"]) == {r["_id"] for r in expected}
    assert isinstance(df.index, pd.RangeIndex)
    keys = list(zip(df["interval_start"], df["queue_id"], strict=True))
    assert keys == sorted(keys)
    assert int(df["offered_contacts"].sum()) == sum(r["offeredContacts"] for r in expected)
    total_handle_ms = sum(r["conversationHandleTime"] for r in expected)
    assert df["conversation_handle_time"].sum() == pd.Timedelta(milliseconds=total_handle_ms)
    assert df["interval_start"].min() >= pd.Timestamp(WINDOW[0])
    assert df["interval_start"].max() < pd.Timestamp(WINDOW[1])


@pytest.mark.parametrize(
    ("backend", "names"), [("numpy_nullable", NUMPY_NULLABLE), ("pyarrow", PYARROW)]
)
def test_both_dtype_backends_end_to_end(emulator: Emulator, backend: str, names: dict) -> None:
    df = cvframe.read_callvolume(
        *WINDOW, dtype_backend=backend, progress=False, **emulator.settings()
    )
    for column in cvframe.COLUMNS:
        assert str(df[column.name].dtype) == names[column.kind]


def test_initial_sync_reads_from_the_first_record() -> None:
    with Emulator(days=2, queues=2) as emu:
        df = cvframe.read_callvolume(None, "2030-01-01", progress=False, **emu.settings())
        assert "fromTimeStamp" not in emu.requests[0].body
        assert len(df) == len(emu.records())
    assert df["interval_start"].min() == pd.Timestamp("2023-01-02", tz="UTC")


def test_naive_times_are_utc_and_sent_as_iso_z() -> None:
    with Emulator(days=1, queues=1) as emu:
        cvframe.read_callvolume(
            datetime(2023, 1, 2, 6),
            pd.Timestamp("2023-01-02 12:00"),
            progress=False,
            **emu.settings(),
        )
        body = emu.requests[0].body
    assert body["fromTimeStamp"] == "2023-01-02T06:00:00Z"
    assert body["toTimeStamp"] == "2023-01-02T12:00:00Z"


def test_aware_times_are_converted_to_utc() -> None:
    with Emulator(days=1, queues=1) as emu:
        cvframe.read_callvolume(
            "2023-01-02T09:00:00+05:30",
            "2023-01-02T12:00:00-05:00",
            progress=False,
            **emu.settings(),
        )
        body = emu.requests[0].body
    assert (body["fromTimeStamp"], body["toTimeStamp"]) == (
        "2023-01-02T03:30:00Z",
        "2023-01-02T17:00:00Z",
    )


def test_queue_filter_by_name_or_id(emulator: Emulator) -> None:
    all_rows = cvframe.read_callvolume(*WINDOW, progress=False, **emulator.settings())
    billing_id = all_rows.loc[all_rows["queue_name"] == "Billing", "queue_id"].iloc[0]
    by_name = cvframe.read_callvolume(
        *WINDOW, queues="Billing", progress=False, **emulator.settings()
    )
    by_id = cvframe.read_callvolume(
        *WINDOW, queues=[billing_id, "Sales"], progress=False, **emulator.settings()
    )
    assert set(by_name["queue_name"]) == {"Billing"}
    assert len(by_name) == (all_rows["queue_name"] == "Billing").sum()
    assert set(by_id["queue_name"]) == {"Billing", "Sales"}


def test_empty_window_gives_an_empty_frame_with_the_contract(emulator: Emulator) -> None:
    df = cvframe.read_callvolume("2022-01-01", "2022-01-02", progress=False, **emulator.settings())
    assert df.empty
    assert (df.dtypes == cvframe.empty_frame().dtypes).all()


@pytest.mark.parametrize(
    ("start", "end", "kwargs", "match"),
    [
        ("2023-01-02", "2023-01-02", {}, "end .* must be after start"),
        ("2023-01-03", "2023-01-02", {}, "end .* must be after start"),
        ("not a date", "2023-01-02", {}, "start='not a date' is not a time"),
        ("2023-01-01", 12345, {}, "end must be an ISO 8601 string"),
        ("2023-01-01", "2023-01-02", {"page_size": 0}, "page_size"),
        ("2023-01-01", "2023-01-02", {"dtype_backend": "arrow"}, "dtype_backend"),
        ("2023-01-01", "2023-01-02", {"duration_unit": "min"}, "duration_unit"),
        ("2023-01-01", "2023-01-02", {"queues": []}, "queues"),
        # The same rule as read_snapshot's (one queue_list): a lone surrogate cannot
        # match anything the API sends, and used to escape as a pyarrow error.
        ("2023-01-01", "2023-01-02", {"queues": "Bill\ud800ing"}, "not valid Unicode"),
    ],
)
def test_bad_arguments_are_value_errors_before_any_request(
    start: object, end: object, kwargs: dict, match: str
) -> None:
    with Emulator(days=1, queues=1) as emu:
        with pytest.raises(ValueError, match=match):
            cvframe.read_callvolume(start, end, **{**emu.settings(), **kwargs})
        assert emu.requests == []


def test_client_and_settings_together_is_an_error(emulator: Emulator) -> None:
    client = cvframe.CallVolumeClient(**emulator.client_settings())
    with pytest.raises(ValueError, match="either client"):
        cvframe.read_callvolume(*WINDOW, org_id=emulator.org_id, client=client, host="x")


def test_reusing_a_client(emulator: Emulator) -> None:
    with cvframe.CallVolumeClient(**emulator.client_settings()) as client:
        a = cvframe.read_callvolume(*WINDOW, org_id=emulator.org_id, client=client, progress=False)
        b = cvframe.read_callvolume(*WINDOW, org_id=emulator.org_id, client=client, progress=False)
    pd.testing.assert_frame_equal(a, b)


def test_credentials_from_the_environment(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    df = cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False)
    assert len(df) == len(emulator.records("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z"))


def test_wrong_secret_is_an_authentication_error_without_the_secret(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "a-wrong-client-secret-that-is-long-enough-0000"
    settings = {**emulator.settings(), "client_secret": wrong}
    with pytest.raises(cvframe.AuthenticationError, match="HTTP 401") as info:
        cvframe.read_callvolume(*WINDOW, progress=False, **settings)
    assert wrong not in str(info.value) and wrong not in caplog.text


def test_instance_id_is_sent_as_iid_header() -> None:
    with Emulator(days=1, queues=1, require_instance_id=True) as emu:
        df = cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False, **emu.settings())
        assert {r.instance_id for r in emu.requests} == {emu.instance_id}
        settings = {k: v for k, v in emu.settings().items() if k != "instance_id"}
        with pytest.raises(cvframe.APIError, match="iId"):
            cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False, **settings)
    assert len(df) > 0


def test_injected_429_and_503_are_survived(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    emu.inject(429, retry_after="0")
    emu.inject(503, times=1, retry_after="0")
    df = cvframe.read_callvolume(
        "2023-01-02", "2023-01-05", page_size=200, progress=False, **emu.settings()
    )
    statuses = [r.status for r in emu.requests]
    assert statuses[:3] == [429, 503, 200]
    assert len(df) == len(emu.records("2023-01-02T00:00:00Z", "2023-01-05T00:00:00Z"))


def test_emulator_rate_limit_answers_429_with_retry_after(fresh_emulator: Emulator) -> None:
    import requests

    emu = Emulator(days=1, queues=1, requests_per_minute=2).start()
    try:
        client = cvframe.CallVolumeClient(**{**emu.client_settings(), "requests_per_minute": 600})
        url = client.settings.url_for(CALLVOLUME)
        headers = client.transport.credentials.headers()
        body = {"orgId": emu.org_id, "toTimeStamp": "2023-01-03T00:00:00Z"}
        answers = [requests.post(url, json=body, headers=headers, timeout=5) for _ in range(3)]
    finally:
        emu.stop()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
    assert "rate limit" in answers[2].json()["errors"][0]["msg"]


def test_progress_bar_sized_from_total_count(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    cvframe.read_callvolume(
        "2023-01-02", "2023-01-03", page_size=100, progress=True, **emulator.settings()
    )
    err = capsys.readouterr().err
    total = len(emulator.records("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z"))
    assert f"/{total}" in err and "cvframe" in err


def test_validate_false_returns_a_frame_that_breaks_the_contract() -> None:
    with Emulator(days=1, queues=1) as emu:
        first = emu.records()[0]["_id"]
        emu.touch([first], offeredContacts=-4)
        with pytest.raises(cvframe.SchemaError, match="offered_contacts"):
            cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False, **emu.settings())
        df = cvframe.read_callvolume(
            "2023-01-02", "2023-01-03", progress=False, validate=False, **emu.settings()
        )
    assert (df["offered_contacts"] < 0).sum() == 1
    assert df.loc[df["id"] == first, "version"].item() == 1


def test_emulator_touch_twice_bumps_the_version_twice() -> None:
    with Emulator(days=1, queues=1) as emu:
        first = emu.records()[0]["_id"]
        emu.touch([first], offeredContacts=7)
        emu.touch([first], answeredContacts=3)
        record = next(r for r in emu.records() if r["_id"] == first)
    assert record["__v"] == 2
    assert (record["offeredContacts"], record["answeredContacts"]) == (7, 3)
