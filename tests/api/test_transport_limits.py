"""No read waits, hangs or inflates without limit: Retry-After caps, deadlines, size caps."""

from __future__ import annotations

import json
import threading
import time

import pytest

import cvframe
from cvframe._api import _requests_transport as _wire
from cvframe._api import _transport as _http
from tests.fakes import (
    Answer,
    FakeAPI,
    FakeClock,
    FakeTransport,
    RecordingSession,
    SessionAnswer,
    answer,
    client_kwargs,
    gzip_bomb,
    make_record,
    page,
)

OK = answer(200, page([], False, 0))


def read_with(fake: FakeTransport, clock: FakeClock, **extra: object) -> list:
    client = cvframe.CallVolumeClient(**client_kwargs(**extra), transport=fake, clock=clock)
    return list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))


def too_many(retry_after: str) -> object:
    return answer(429, {"errors": [{"msg": "slow down"}]}, {"Retry-After": retry_after})


def test_retry_after_beyond_max_retry_wait_fails_at_once_saying_what_was_asked(
    clock: FakeClock,
) -> None:
    fake = FakeTransport([too_many("1000000000"), OK])
    with pytest.raises(cvframe.RateLimitError, match="1000000000") as info:
        read_with(fake, clock)
    message = str(info.value)
    assert "max_retry_wait" in message and str(int(_http.DEFAULT_MAX_RETRY_WAIT)) in message
    assert clock.sleeps == []
    assert len(fake.requests) == 1


def test_max_retry_wait_is_a_setting(clock: FakeClock) -> None:
    fake = FakeTransport([too_many("300"), OK])
    assert len(read_with(fake, clock, max_retry_wait=600)) == 1
    assert clock.sleeps == [300.0]
    with pytest.raises(cvframe.RateLimitError, match="Retry-After: 30 s"):
        read_with(FakeTransport([too_many("30"), OK]), clock, max_retry_wait=10)


def test_a_reads_total_retry_waiting_is_capped(clock: FakeClock) -> None:
    # Each wait is allowed, but together they pass max_total_wait: stop before sleeping.
    fake = FakeTransport([too_many("100")] * 20 + [OK])
    with pytest.raises(cvframe.RateLimitError, match="max_total_wait") as info:
        read_with(fake, clock, max_retries=20, max_total_wait=350)
    assert sum(clock.sleeps) <= 350
    assert clock.sleeps == [100.0, 100.0, 100.0]
    assert "350" in str(info.value)


SECONDS_SETTINGS = ["max_retry_wait", "max_total_wait", "deadline"]
BAD_SECONDS: list[object] = [0, -1, -0.5, float("nan"), float("inf"), True, "5", None]


@pytest.mark.parametrize(
    ("setting", "bad"),
    # deadline=None is its default (a multiple of the timeout), not a bad value.
    [(s, b) for s in SECONDS_SETTINGS for b in BAD_SECONDS if (s, b) != ("deadline", None)],
)
def test_seconds_settings_must_be_finite_positive_numbers(setting: str, bad: object) -> None:
    # inf would mean "no cap", the very wait without end these settings exist to stop.
    with pytest.raises(ValueError, match=setting) as info:
        cvframe.CallVolumeClient(**client_kwargs(), **{setting: bad})
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("setting", SECONDS_SETTINGS)
def test_seconds_settings_take_whole_and_fractional_seconds(setting: str) -> None:
    for good in (1, 0.25, 3600):
        client = cvframe.CallVolumeClient(**client_kwargs(), **{setting: good})
        assert getattr(client.transport, setting) == good


@pytest.mark.parametrize(
    "bad", [0, -1, 1.5, 1024.0, float("nan"), float("inf"), True, "1024", None]
)
def test_max_page_bytes_must_be_a_whole_positive_number(bad: object) -> None:
    with pytest.raises(ValueError, match="max_page_bytes") as info:
        cvframe.CallVolumeClient(**client_kwargs(), max_page_bytes=bad)
    assert repr(bad) in str(info.value)


def test_401_with_a_self_made_jwt_is_not_retried_with_the_identical_token(
    clock: FakeClock,
) -> None:
    # HS256 over the same claims signs the same bytes: a second try cannot help.
    fake = FakeTransport([answer(401, {"errors": [{"msg": "Unauthorized"}]}), OK])
    with pytest.raises(cvframe.AuthenticationError, match="HTTP 401"):
        read_with(fake, clock)
    assert len(fake.requests) == 1


def test_a_server_dripping_its_body_hits_the_request_deadline() -> None:
    with FakeAPI(make_record(n) for n in range(5)) as api:

        def drip(number: int, answer: Answer) -> None:
            answer.drip = 0.02  # each byte well inside the timeout, the body never ends

        api.after_answer = drip
        with pytest.raises(cvframe.TransportError, match="deadline") as info:
            cvframe.read_callvolume(
                "2023-01-02",
                "2023-01-03",
                progress=False,
                **api.settings(timeout=0.5, deadline=0.3, max_retries=1),
            )
        assert len(api.bodies) == 2  # the first try and one retry, each cut at 0.3 s
    assert "0.3" in str(info.value)


def test_a_server_dripping_its_headers_hits_the_request_deadline() -> None:
    with FakeAPI(make_record(n) for n in range(5)) as api:

        def drip(number: int, answer: Answer) -> None:
            answer.drip = 0.02
            answer.drip_headers = True

        api.after_answer = drip
        with pytest.raises(cvframe.TransportError, match="deadline"):
            cvframe.read_callvolume(
                "2023-01-02",
                "2023-01-03",
                progress=False,
                **api.settings(timeout=0.5, deadline=0.3, max_retries=0),
            )
        assert len(api.bodies) == 1
        # Cut off while the headers were still dripping, not after them.
        for _ in range(100):
            if api.dripped:
                break
            time.sleep(0.05)  # the fake notices the hang-up on its next write
        written, meant = api.dripped[0]
        assert written < meant


def test_deadline_defaults_to_a_multiple_of_the_timeout() -> None:
    client = cvframe.CallVolumeClient(**client_kwargs(), timeout=5)
    assert client.transport.deadline == 5 * _http.DEADLINE_PER_TIMEOUT
    with pytest.raises(ValueError, match="deadline"):
        cvframe.CallVolumeClient(**client_kwargs(), deadline=0)


def test_a_gzip_bomb_is_a_response_error_not_parsed_whole() -> None:
    bomb = gzip_bomb(128 << 20)
    assert len(bomb) < 200_000
    with FakeAPI(make_record(n) for n in range(5)) as api:

        def explode(number: int, answer: Answer) -> None:
            answer.body = bomb
            answer.headers["Content-Encoding"] = "gzip"

        api.after_answer = explode
        with pytest.raises(cvframe.ResponseError, match="max_page_bytes") as info:
            cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False, **api.settings())
        assert len(api.bodies) == 1  # refused, not retried
    assert str(_http.DEFAULT_MAX_PAGE_BYTES >> 20) in str(info.value)


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    with (
        FakeAPI(make_record(n) for n in range(5)) as api,
        pytest.raises(cvframe.ResponseError, match="max_page_bytes"),
    ):
        cvframe.read_callvolume(
            "2023-01-02", "2023-01-03", progress=False, **api.settings(max_page_bytes=1000)
        )


def test_gzip_pages_within_the_cap_read_normally() -> None:
    import gzip

    with FakeAPI(make_record(n) for n in range(30)) as api:

        def compress(number: int, answer: Answer) -> None:
            answer.body = gzip.compress(answer.body)
            answer.headers["Content-Encoding"] = "gzip"

        api.after_answer = compress
        df = cvframe.read_callvolume(
            "2023-01-02", "2023-01-03", page_size=10, progress=False, **api.settings()
        )
    assert len(df) == 30


def test_error_bodies_are_read_within_the_same_limits() -> None:
    with FakeAPI(make_record(n) for n in range(5)) as api:

        def refuse(number: int, answer: Answer) -> None:
            answer.status = 400
            answer.body = json.dumps({"errors": [{"msg": "bad window"}]}).encode()

        api.after_answer = refuse
        with pytest.raises(cvframe.APIError, match="bad window"):
            cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False, **api.settings())


def test_iter_pages_calls_given_one_wait_budget_share_it(clock: FakeClock) -> None:
    # read_callvolume's passes are several iter_pages calls that make up one read.
    fake = FakeTransport([too_many("100"), OK, too_many("100"), too_many("100"), OK])
    client = cvframe.CallVolumeClient(
        **client_kwargs(max_total_wait=150), transport=fake, clock=clock
    )
    window = ("o-1", "2023-01-01", "2023-01-02")
    budget = client.transport.wait_budget()
    assert len(list(client.iter_pages(*window, waits=budget))) == 1
    with pytest.raises(cvframe.RateLimitError, match="max_total_wait"):
        list(client.iter_pages(*window, waits=budget))
    assert clock.sleeps == [100.0]
    # Without it, each call has a budget of its own.
    assert len(list(client.iter_pages(*window))) == 1
    assert clock.sleeps == [100.0, 100.0]


def test_the_deadline_still_reaches_urllib3s_connection_and_socket() -> None:
    # The deadline leans on two urllib3 internals (the pool's _get_conn, a response's
    # _connection.sock). cvframe falls back safely without them; this test is what fails
    # loudly when a urllib3 release takes them away.
    with FakeAPI(make_record(n) for n in range(3)) as api:
        session = _wire._new_session()
        watch = _wire._watching.watch = _wire._Watch()
        try:
            response = session.post(
                f"{api.host}/agentassist/api/public/analytics/account/acc-fake/callvolume",
                data=json.dumps({"orgId": "o-fake", "skip": 0, "limit": 3}),
                headers={"auth": "x", "Content-Type": "application/json"},
                stream=True,
                timeout=5,
            )
            assert watch.connection is not None and watch.connection.sock is not None
            assert _wire._set_read_timeout(response.raw, 5.0)
            response.close()
        finally:
            _wire._watching.watch = None
            session.close()


def test_a_watch_is_released_under_the_watchdogs_lock() -> None:
    # Otherwise the watchdog, past the deadline, could shut a socket its request had
    # just handed back to the pool (and another request picked up).
    watch = _wire._Watch()
    released: list[bool] = []
    with _wire._WATCHDOG._wake:  # the lock the watchdog holds while it expires watches
        worker = threading.Thread(target=lambda: released.append(_wire._WATCHDOG.release(watch)))
        worker.start()
        worker.join(timeout=0.2)
        assert released == [] and not watch.done  # waits for the lock
    worker.join(timeout=5)
    assert released == [False] and watch.done


def test_a_connection_goes_back_to_the_pool_only_after_its_watch_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import requests

    events: list[str] = []
    release, close = _wire._WATCHDOG.release, requests.Response.close

    def released(watch: _wire._Watch) -> bool:
        events.append("release")
        return release(watch)

    def closed(response: requests.Response) -> None:
        events.append("close")
        close(response)

    monkeypatch.setattr(_wire._WATCHDOG, "release", released)
    monkeypatch.setattr(requests.Response, "close", closed)
    with FakeAPI(make_record(n) for n in range(3)) as api:
        df = cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False, **api.settings())
    assert len(df) == 3
    assert events[:2] == ["release", "close"]


@pytest.mark.parametrize("urllib3_read1", [True, False], ids=["read1", "read (urllib3 1.26)"])
def test_a_gzip_bomb_is_inflated_a_bounded_piece_at_a_time(
    monkeypatch: pytest.MonkeyPatch, urllib3_read1: bool
) -> None:
    # One 64 KiB chunk of this body inflates to about 64 MiB: inflated whole (as urllib3
    # 1.26 does), memory would pass the cap many times over before it is checked.
    import tracemalloc

    import urllib3.response

    if not urllib3_read1:  # as in urllib3 1.26, which has no read1
        monkeypatch.setattr(urllib3.response.HTTPResponse, "read1", None)
    bomb = gzip_bomb(128 << 20)
    cap = 2 << 20
    with FakeAPI(make_record(n) for n in range(5)) as api:

        def explode(number: int, answer: Answer) -> None:
            answer.body = bomb
            answer.headers["Content-Encoding"] = "gzip"

        api.after_answer = explode
        tracemalloc.start()
        try:
            with pytest.raises(cvframe.ResponseError, match="max_page_bytes"):
                cvframe.read_callvolume(
                    "2023-01-02", "2023-01-03", progress=False,
                    **api.settings(max_page_bytes=cap),
                )  # fmt: skip
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < cap + (8 << 20)


def test_requests_accept_only_the_encodings_cvframe_inflates_with_a_bound(
    clock: FakeClock,
) -> None:
    session = RecordingSession([SessionAnswer(200, json.dumps(page([], False, 0)).encode())])
    client = cvframe.CallVolumeClient(**client_kwargs(), session=session, clock=clock)
    list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))
    accepted = session.calls[0]["headers"]["Accept-Encoding"]
    assert accepted == _wire.ACCEPT_ENCODING
    assert set(accepted.split(", ")) <= _wire._INFLATED
