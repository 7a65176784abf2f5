"""The fault matrix: every misbehaviour of the API ends in a complete frame or a CvframeError.

Each test runs a real read against the emulator on loopback; the client gets a fake
clock, so backoff and Retry-After waits cost no real time.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe.emulator import Emulator
from tests.fakes import FakeClock

WINDOW = ("2023-01-02T00:00:00Z", "2023-01-04T00:00:00Z")
PAGE = 100


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(days=2, queues=2) as emulator:
        yield emulator


def read(emu: Emulator, clock: FakeClock, **extra: Any) -> pd.DataFrame:
    client = cvframe.CallVolumeClient(**{**emu.client_settings(), **extra}, clock=clock)
    return cvframe.read_callvolume(
        *WINDOW, org_id=emu.org_id, page_size=PAGE, progress=False, client=client
    )


def assert_complete(df: pd.DataFrame, emu: Emulator) -> None:
    expected = emu.records(*WINDOW)
    assert len(df) == len(expected)
    assert df["id"].is_unique
    assert set(df["id"]) == {r["_id"] for r in expected}
    assert int(df["offered_contacts"].sum()) == sum(r["offeredContacts"] for r in expected)


def statuses(emu: Emulator) -> list[int]:
    return [r.status for r in emu.requests]


def test_429_storm_with_retry_after_seconds(emu: Emulator, clock: FakeClock) -> None:
    emu.inject(429, times=4, retry_after=2)
    df = read(emu, clock)
    assert_complete(df, emu)
    assert statuses(emu)[:5] == [429, 429, 429, 429, 200]
    assert clock.sleeps == [2.0, 2.0, 2.0, 2.0]


def test_429_with_retry_after_as_http_date(emu: Emulator, clock: FakeClock) -> None:
    emu.inject(429, retry_after=email.utils.formatdate(clock.time() + 30, usegmt=True))
    assert_complete(read(emu, clock), emu)
    assert clock.sleeps == [pytest.approx(30.0, abs=1.0)]


def test_429_without_retry_after_backs_off(emu: Emulator, clock: FakeClock) -> None:
    emu.inject(429, times=3)
    assert_complete(read(emu, clock), emu)
    assert len(clock.sleeps) == 3
    assert all(min(60, 2**n) / 2 <= s <= min(60, 2**n) for n, s in enumerate(clock.sleeps))


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_error_bursts(emu: Emulator, clock: FakeClock, status: int) -> None:
    emu.inject(status, times=3)
    assert_complete(read(emu, clock), emu)
    assert statuses(emu).count(status) == 3


def test_gateway_html_error_page(emu: Emulator, clock: FakeClock) -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    emu.inject(502, body=html, headers={"Content-Type": "text/html"})
    emu.inject(200, body=html, headers={"Content-Type": "text/html"})
    assert_complete(read(emu, clock), emu)
    assert statuses(emu)[:3] == [502, 200, 200]


def test_empty_body_with_200(emu: Emulator, clock: FakeClock) -> None:
    emu.inject(200, body=b"", times=2)
    assert_complete(read(emu, clock), emu)


def test_truncated_json_body(emu: Emulator, clock: FakeClock) -> None:
    emu.inject(200, kind="truncate", times=2)
    assert_complete(read(emu, clock), emu)


def test_connection_reset_mid_body(emu: Emulator, clock: FakeClock) -> None:
    emu.inject(200, kind="reset", times=2)
    assert_complete(read(emu, clock), emu)


def test_read_timeout(emu: Emulator, clock: FakeClock) -> None:
    # The only real wait in the matrix: a 0.3 s socket timeout, once.
    emu.inject(200, kind="timeout", delay=1.5)
    assert_complete(read(emu, clock, timeout=0.3), emu)


def test_faults_that_never_stop_end_in_a_cvframe_error(emu: Emulator, clock: FakeClock) -> None:
    emu.inject(200, kind="truncate", times=4)
    with pytest.raises(cvframe.ResponseError, match="not JSON"):
        read(emu, clock, max_retries=3)
    emu.inject(503, times=4)
    with pytest.raises(cvframe.APIError) as info:
        read(emu, clock, max_retries=3)
    assert info.value.status_code == 503


def test_has_more_true_on_the_last_page(emu: Emulator, clock: FakeClock) -> None:
    emu.lie_has_more = True
    assert_complete(read(emu, clock), emu)
    # The page after the one that reaches totalCount brings nothing new: the read ends.
    total = len(emu.records(*WINDOW))
    skips = [r.body["skip"] for r in emu.requests if r.body]
    assert max(skips) < total
    assert sum(s + PAGE >= total for s in skips) == 2


def test_total_count_that_shrinks_between_pages_is_harmless(
    emu: Emulator, clock: FakeClock
) -> None:
    emu.total_count_drift = -1
    assert_complete(read(emu, clock), emu)


def test_total_count_that_never_adds_up_is_a_response_error(
    emu: Emulator, clock: FakeClock
) -> None:
    emu.total_count_drift = 1  # the count grows with every answer, records do not
    with pytest.raises(cvframe.ResponseError, match=r"totalCount=.*distinct records"):
        read(emu, clock)
    passes = [r for r in emu.requests if r.body and r.body["skip"] == 0]
    assert len(passes) == cvframe._api._read.MAX_READ_PASSES


def test_records_inserted_mid_read_shift_pages_and_are_reread(
    emu: Emulator, clock: FakeClock
) -> None:
    original = emu.records(*WINDOW)
    template = original[0]
    new = [
        {**template, "_id": f"new{i:021d}", "queueId": f"qu-000-new-{i}", "queueName": "New"}
        for i in range(5)
    ]

    def arrive(number: int) -> None:
        if number == 3:  # after two pages: lands before the cursor, shifting every page
            emu.insert(new)

    emu.before_answer = arrive
    df = read(emu, clock)
    ids = set(df["id"])
    assert {r["_id"] for r in original} <= ids  # every record that existed throughout
    assert df["id"].is_unique  # ...exactly once
    passes = [r for r in emu.requests if r.body and r.body["skip"] == 0]
    assert len(passes) == 2


def test_record_updated_mid_read_keeps_the_newest_version(emu: Emulator, clock: FakeClock) -> None:
    first = emu.records(*WINDOW)[0]["_id"]
    emu.before_answer = lambda n: emu.touch([first], offeredContacts=99) if n == 2 else None
    emu.total_count_drift = 0
    df = read(emu, clock)
    # The first page was read before the update; a complete read needs no second pass,
    # so the old version is what this read saw: no mixing of halves, one row.
    assert (df["id"] == first).sum() == 1


def test_token_rejected_mid_read_self_made_jwt_fails_at_once(
    emu: Emulator, clock: FakeClock
) -> None:
    # Signing {"appId": ...} again gives the same JWT: retrying it could not help.
    emu.before_answer = lambda n: emu.inject(401) if n == 2 else None
    with pytest.raises(cvframe.AuthenticationError, match="HTTP 401"):
        read(emu, clock)
    assert statuses(emu).count(401) == 1
    assert len(emu.requests) <= 2 + cvframe._api._client.DEFAULT_CONCURRENCY


def test_token_rejected_mid_read_given_token_fails_at_once(emu: Emulator, clock: FakeClock) -> None:
    import jwt

    token = jwt.encode({"appId": emu.client_id}, emu.client_secret, algorithm="HS256")
    emu.before_answer = lambda n: emu.inject(401) if n == 2 else None
    settings = {k: v for k, v in emu.client_settings().items() if k != "client_secret"}
    client = cvframe.CallVolumeClient(**{**settings, "token": token}, clock=clock)
    with pytest.raises(cvframe.AuthenticationError):
        cvframe.read_callvolume(
            *WINDOW, org_id=emu.org_id, page_size=PAGE, progress=False, client=client
        )
    # One 401 and no retry of it; pages already in flight (concurrency 4) may finish.
    assert statuses(emu).count(401) == 1
    assert len(emu.requests) <= 2 + cvframe._api._client.DEFAULT_CONCURRENCY


def test_connection_refused_is_a_transport_error(clock: FakeClock) -> None:
    emu = Emulator(days=1).start()
    settings = emu.client_settings()
    emu.stop()  # nothing listens on that port any more
    client = cvframe.CallVolumeClient(**settings, max_retries=2, clock=clock)
    with pytest.raises(cvframe.TransportError, match="after 3 attempt"):
        cvframe.read_callvolume(*WINDOW, org_id=emu.org_id, progress=False, client=client)
    assert len(clock.sleeps) == 2
