from __future__ import annotations

import json
import logging

import pytest
import requests

import cvframe
from cvframe._api._transport import (
    RATE_WINDOW_MARGIN,
    RateLimiter,
    RetryPolicy,
    parse_retry_after,
)
from tests.fakes import (
    CLIENT_SECRET,
    URL,
    FakeClock,
    FakeTransport,
    RecordingSession,
    SessionAnswer,
    answer,
    client_kwargs,
    page,
)

OK = answer(200, page([], False, 0))


def read_with(fake: FakeTransport, clock: FakeClock, **extra: object) -> list:
    client = cvframe.CallVolumeClient(**client_kwargs(**extra), transport=fake, clock=clock)
    return list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))


def test_retries_429_honouring_retry_after_seconds(clock: FakeClock) -> None:
    fake = FakeTransport([answer(429, {"errors": [{"msg": "slow"}]}, {"Retry-After": "7"}), OK])
    pages = read_with(fake, clock)
    assert len(pages) == 1 and len(fake.requests) == 2
    assert clock.sleeps == [7.0]


def test_retries_429_honouring_retry_after_http_date(clock: FakeClock) -> None:
    # The fake clock's wall time is 1_700_000_000 (2023-11-14 22:13:20 UTC).
    when = "Tue, 14 Nov 2023 22:13:32 GMT"
    fake = FakeTransport([answer(429, b"", {"Retry-After": when}), OK])
    read_with(fake, clock)
    assert clock.sleeps == [pytest.approx(12.0)]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_retries_gateway_errors_with_capped_backoff_and_jitter(
    clock: FakeClock, status: int
) -> None:
    fake = FakeTransport([answer(status, b"busy")] * 3 + [OK])
    read_with(fake, clock)
    assert len(fake.requests) == 4
    # Retry n waits between half and all of min(60, 1 * 2**n) seconds.
    for n, slept in enumerate(clock.sleeps):
        ceiling = min(60.0, 2.0**n)
        assert ceiling / 2 <= slept <= ceiling


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(20, base_delay=1.0, max_delay=60.0)
    assert all(policy.delay(n, None) <= 60.0 for n in range(20))
    assert policy.delay(3, retry_after=1e9) == policy.max_retry_after


def test_rate_limit_error_when_retries_run_out(clock: FakeClock) -> None:
    fake = FakeTransport([answer(429, b"", {"Retry-After": "1"})] * 3)
    with pytest.raises(cvframe.RateLimitError) as info:
        read_with(fake, clock, max_retries=2)
    assert info.value.status_code == 429
    assert len(fake.requests) == 3
    assert "requests_per_minute" in str(info.value)


def test_server_error_becomes_api_error_when_retries_run_out(clock: FakeClock) -> None:
    fake = FakeTransport([answer(503, {"message": "down for maintenance"})] * 2)
    with pytest.raises(cvframe.APIError) as info:
        read_with(fake, clock, max_retries=1)
    assert info.value.status_code == 503
    assert info.value.server_message == "down for maintenance"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_with_a_given_token_is_not_retried(clock: FakeClock, status: int) -> None:
    fake = FakeTransport([answer(status, {"errors": [{"msg": "Unauthorized"}]}), OK])
    client = cvframe.CallVolumeClient(
        "api.example.test", "acc-1", token="given.jwt", transport=fake, clock=clock
    )
    with pytest.raises(cvframe.AuthenticationError, match="Unauthorized") as info:
        list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))
    assert len(fake.requests) == 1
    assert info.value.status_code == status
    assert clock.sleeps == []


def test_401_with_a_self_made_jwt_is_not_retried(clock: FakeClock) -> None:
    # HS256 over {"appId": ...} signs the same bytes every time: a retry cannot help.
    fake = FakeTransport([answer(401, {"errors": [{"msg": "Unauthorized"}]}), OK])
    with pytest.raises(cvframe.AuthenticationError, match="HTTP 401"):
        read_with(fake, clock)
    assert len(fake.requests) == 1
    assert clock.sleeps == []


def test_401_with_a_self_made_jwt_signs_no_second_jwt(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Signing again could only give the same bytes: a 401 ends the read without it.
    import cvframe._api._auth as auth

    signed: list[str] = []
    real = auth.make_jwt
    monkeypatch.setattr(
        auth, "make_jwt", lambda cid, secret: signed.append(cid) or real(cid, secret)
    )
    fake = FakeTransport([answer(401, b"")] * 2 + [OK])
    with pytest.raises(cvframe.AuthenticationError, match="HTTP 401"):
        read_with(fake, clock)
    assert len(fake.requests) == 1
    assert len(signed) == 1  # the client's one JWT, made when it was created


def test_403_is_never_retried_even_with_a_self_made_jwt(clock: FakeClock) -> None:
    fake = FakeTransport([answer(403, b""), OK])
    with pytest.raises(cvframe.AuthenticationError):
        read_with(fake, clock)
    assert len(fake.requests) == 1


def test_client_error_carries_status_message_and_request_id(clock: FakeClock) -> None:
    response = answer(
        400,
        {"errors": [{"msg": "toTimeStamp is required", "code": 400}]},
        {"x-request-id": "req-77"},
    )
    with pytest.raises(cvframe.APIError) as info:
        read_with(FakeTransport([response]), clock)
    err = info.value
    assert (err.status_code, err.server_message, err.request_id) == (
        400,
        "toTimeStamp is required",
        "req-77",
    )
    assert "req-77" in str(err) and "HTTP 400" in str(err)


def read_through(session: RecordingSession, clock: FakeClock, **extra: object) -> list:
    """Read through the default transport, on a session that answers from a script."""
    client = cvframe.CallVolumeClient(**client_kwargs(**extra), session=session, clock=clock)
    return list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))


def test_connection_errors_resets_and_timeouts_are_retried(clock: FakeClock) -> None:
    session = RecordingSession(
        [
            requests.ConnectionError("refused"),
            requests.ReadTimeout("slow"),
            requests.exceptions.ChunkedEncodingError("connection reset mid-body"),
            SessionAnswer(200, json.dumps(page([], False, 0)).encode()),
        ]
    )
    assert len(read_through(session, clock)) == 1
    assert len(session.calls) == 4


def test_unreachable_api_ends_in_transport_error(clock: FakeClock) -> None:
    session = RecordingSession([requests.ConnectionError("refused")] * 2)
    with pytest.raises(cvframe.TransportError, match="could not get an answer") as info:
        read_through(session, clock, max_retries=1)
    assert "last: ConnectionError" in str(info.value)
    # A transport of one's own says "no answer" with cvframe's TransportError.
    fake = FakeTransport([cvframe.TransportError("refused")] * 2)
    with pytest.raises(cvframe.TransportError, match="could not get an answer"):
        read_with(fake, clock, max_retries=1)
    assert len(fake.requests) == 2


def test_every_request_has_a_timeout_and_never_follows_redirects(clock: FakeClock) -> None:
    fake = FakeTransport([OK])
    read_with(fake, clock, timeout=12.5)
    assert fake.requests[0].timeout == 12.5
    session = RecordingSession([SessionAnswer(200, json.dumps(page([], False, 0)).encode())])
    read_through(session, clock, timeout=12.5)
    assert session.calls[0]["timeout"] == 12.5
    assert session.calls[0]["allow_redirects"] is False


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_is_an_error_not_followed_with_the_token(clock: FakeClock, status: int) -> None:
    fake = FakeTransport([answer(status, b"", {"Location": "https://evil.example/x"})])
    with pytest.raises(cvframe.APIError, match="redirect") as info:
        read_with(fake, clock)
    assert len(fake.requests) == 1
    assert info.value.status_code == status


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"", "empty body"),
        (b"<html>502 Bad Gateway</html>", "not JSON"),
        (b'{"hasMore": tr', "not JSON"),
    ],
)
def test_body_that_is_not_json_is_retried_then_a_response_error(
    clock: FakeClock, body: bytes, match: str
) -> None:
    bad = answer(200, body, {"Content-Type": "text/html"})
    fake = FakeTransport([bad, OK])
    assert len(read_with(fake, clock)) == 1
    fake = FakeTransport([bad] * 3)
    with pytest.raises(cvframe.ResponseError, match=match):
        read_with(fake, clock, max_retries=2)
    assert len(fake.requests) == 3


def test_token_echoed_by_server_is_redacted(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeTransport()
    client = cvframe.CallVolumeClient(**client_kwargs(), transport=fake, clock=clock)
    token = client.transport.credentials.headers()["auth"]
    echo = answer(401, {"message": f"bad token {token} for secret {CLIENT_SECRET}"})
    fake.script += [echo, echo]
    caplog.set_level(logging.DEBUG, logger="cvframe")
    with pytest.raises(cvframe.AuthenticationError) as info:
        list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))
    texts = [str(info.value), repr(info.value), str(info.value.server_message), caplog.text]
    for text in texts:
        assert token not in text
        assert CLIENT_SECRET not in text
    assert "**********" in str(info.value)


def test_limiter_keeps_every_minute_at_or_under_the_limit(clock: FakeClock) -> None:
    limiter = RateLimiter(60, clock)
    starts = []
    for _ in range(150):
        limiter.acquire()
        starts.append(clock.now)
    for i, t in enumerate(starts):
        in_window = [s for s in starts[i:] if s < t + 60.0]
        assert len(in_window) <= 60
    # ...and does not wait more than it must: 150 starts need two full windows, each
    # with the margin that keeps the server's window from counting a request twice.
    assert starts[-1] == pytest.approx(2 * (60.0 + RATE_WINDOW_MARGIN))
    assert starts[-1] <= 2 * 60.0 * 1.05  # within the 5% a read at the limit may lose


def test_limiter_with_fractional_rate(clock: FakeClock) -> None:
    limiter = RateLimiter(0.5, clock)  # one request every two minutes (and the margin)
    limiter.acquire()
    waited = limiter.acquire()
    assert waited == pytest.approx(120.0 + RATE_WINDOW_MARGIN)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("12", 12.0), ("-3", 0.0), (None, None), ("", None), ("later", None)],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=0.0) == expected


def test_a_transport_of_ones_own_does_every_exchange_and_stays_open(clock: FakeClock) -> None:
    fake = FakeTransport([OK])
    with cvframe.CallVolumeClient(**client_kwargs(), transport=fake, clock=clock) as client:
        assert client.transport.wire is fake
        assert len(list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))) == 1
    assert (len(fake.requests), fake.closed) == (1, False)
    request = fake.requests[0]
    assert (request.method, request.url) == ("POST", URL)
    assert request.deadline == client.transport.deadline
    assert request.max_body_bytes == client.transport.max_page_bytes
    with pytest.raises(ValueError, match="either session="):
        cvframe.CallVolumeClient(**client_kwargs(), transport=fake, session=RecordingSession([]))
