"""One ``requests.Session`` per client: timeouts, retries with backoff, a rate limiter.

Nothing here knows about pages or records: it POSTs JSON and hands back parsed JSON,
or raises an exception from :mod:`cvframe._errors`.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import requests
import requests.adapters

from ._auth import Credentials
from ._errors import (
    APIError,
    AuthenticationError,
    CvframeError,
    RateLimitError,
    ResponseError,
    TransportError,
)
from ._gc import gc_paused
from ._redact import redact

__all__ = ["Clock", "HttpTransport", "RateLimiter", "RetryPolicy", "SystemClock"]

log = logging.getLogger("cvframe")

#: Statuses that mean "try again later" rather than "you asked for something wrong".
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Failures on the way that a second try may not meet: refused or reset connections,
#: timeouts, and bodies cut short.
_RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
#: The window the API's rate limit counts requests over, in seconds.
RATE_WINDOW_SECONDS = 60.0


class Clock(Protocol):
    """Time as the transport sees it; tests hand in a fake so nothing really sleeps."""

    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...
    def time(self) -> float: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def time(self) -> float:
        return time.time()


class RateLimiter:
    """At most ``requests_per_minute`` request starts in any 60-second window.

    A sliding-window log: the server may count per calendar minute or over any
    60 seconds, and this keeps both happy. Thread-safe, so several requests in
    flight share one budget.
    """

    def __init__(
        self, requests_per_minute: float, clock: Clock, *, window: float = RATE_WINDOW_SECONDS
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self._clock = clock
        self._capacity = max(1, int(requests_per_minute))
        # Below one request a minute, stretch the window so one request still fits.
        self._window = window * self._capacity / requests_per_minute
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until one more request fits in the window; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock.monotonic()
                while self._starts and now - self._starts[0] >= self._window:
                    self._starts.popleft()
                if len(self._starts) < self._capacity:
                    self._starts.append(now)
                    return waited
                delay = self._window - (now - self._starts[0])
            self._clock.sleep(delay)
            waited += delay


class RetryPolicy:
    """Capped exponential backoff with jitter, deferring to the server's ``Retry-After``."""

    def __init__(
        self,
        max_retries: int,
        *,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        max_retry_after: float = 600.0,
        rng: random.Random | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self._rng = rng or random.Random()

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        backoff = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        if retry_after is None:
            return backoff
        return min(max(retry_after, 0.0), self.max_retry_after)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date).

    >>> parse_retry_after("7", now=0.0)
    7.0
    >>> parse_retry_after("Thu, 01 Jan 1970 00:00:30 GMT", now=10.0)
    20.0
    >>> parse_retry_after("soon", now=0.0) is None
    True
    """
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def _server_message(response: requests.Response) -> str | None:
    """The error text of a response: Kore's ``{"errors": [{"msg": ...}]}`` or similar."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] if text else None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0]
            if isinstance(first, dict):
                for key in ("msg", "message"):
                    if first.get(key):
                        return str(first[key])
            return str(first)[:300]
        for key in ("message", "error", "msg", "detail"):
            if body.get(key):
                return str(body[key])[:300]
    return json.dumps(body)[:300]


def _request_id(response: requests.Response) -> str | None:
    for name in ("x-request-id", "x-correlation-id", "requestid", "x-amzn-requestid"):
        if name in response.headers:
            return response.headers[name]
    return None


_HINTS = {
    400: "check org_id and the time window",
    404: "check host and account_id",
}


def error_for_response(response: requests.Response, secrets: Iterable[str]) -> APIError:
    """Map an error response to the matching :class:`APIError` subclass."""
    status = response.status_code
    message = _server_message(response)
    message = redact(message, secrets) if message else None
    request_id = _request_id(response)
    request_id = redact(request_id, secrets) if request_id else None
    said = f": {message}" if message else ""
    rid = f" (request id {request_id})" if request_id else ""
    if status in (401, 403):
        return AuthenticationError(
            f"the API rejected the credentials (HTTP {status}){said}{rid}. Check the client "
            "id and secret (or token), that the app has the WFM Integration scope, and "
            "that account_id belongs to it",
            status_code=status,
            server_message=message,
            request_id=request_id,
        )
    if status == 429:
        return RateLimitError(
            f"the API kept answering 429 (rate limit exceeded){said}{rid}. Wait a minute and "
            "retry, or lower requests_per_minute if other jobs share this account",
            status_code=status,
            server_message=message,
            request_id=request_id,
        )
    hint = _HINTS.get(status, "retry later" if status >= 500 else "check the request")
    return APIError(
        f"the API answered HTTP {status}{said}{rid}; {hint}",
        status_code=status,
        server_message=message,
        request_id=request_id,
    )


def _orjson_loads() -> Callable[[bytes], Any] | None:
    """orjson's ``loads`` when the optional ``fast`` extra is installed, else None."""
    try:
        import orjson
    except ImportError:
        return None
    return orjson.loads


#: Parses a page about twice as fast as the standard library, when installed.
_FAST_LOADS = _orjson_loads()


#: Connections kept per host: as many as requests a client may have in flight.
POOL_SIZE = 16


def _new_session() -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class HttpTransport:
    """POSTs JSON to one URL with auth, rate limiting, timeouts and retries."""

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        requests_per_minute: float,
        max_retries: int,
        timeout: float,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.url = url
        self.credentials = credentials
        self.timeout = timeout
        self.clock: Clock = clock or SystemClock()
        self.limiter = RateLimiter(requests_per_minute, self.clock)
        self.retry = retry or RetryPolicy(max_retries)
        self._own_session = session is None
        self.session = session or _new_session()
        #: Counters a caller may read after a read: requests sent, retries made.
        self.requests_sent = 0
        self.retries = 0

    def close(self) -> None:
        """Close the session if this transport opened it."""
        if self._own_session:
            self.session.close()

    def post_json(self, body: dict[str, Any]) -> Any:
        """POST ``body`` and return the decoded JSON answer, retrying what may be retried.

        Retried: 429, 502, 503, 504, connection errors, resets, read timeouts and 2xx
        bodies that are not JSON (a proxy's page, a truncated body). A 401 is retried
        once with a freshly made JWT when cvframe made the token itself.
        """
        secrets = self.credentials.secrets()
        attempt = 0
        refreshed = False
        while True:
            self.limiter.acquire()
            self.requests_sent += 1
            started = self.clock.monotonic()
            retry_after: float | None = None
            failure: CvframeError
            try:
                response = self.session.post(
                    self.url,
                    data=json.dumps(body),
                    headers=self.credentials.headers(),
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except _RETRYABLE_EXCEPTIONS as exc:
                failure = TransportError(
                    f"could not get an answer from {self.url} after {attempt + 1} attempt(s) "
                    f"(last: {type(exc).__name__}); check host and the network, then retry"
                )
            except requests.RequestException as exc:
                raise TransportError(
                    f"the request to {self.url} failed: {redact(str(exc), secrets)}"
                ) from None
            else:
                status = response.status_code
                log.debug(
                    "POST %s skip=%s limit=%s -> %s in %.3fs",
                    self.url,
                    body.get("skip"),
                    body.get("limit"),
                    status,
                    self.clock.monotonic() - started,
                )
                if 200 <= status < 300:
                    try:
                        return self._decode(response)
                    except ResponseError as exc:
                        failure = exc
                elif 300 <= status < 400:
                    target = redact(response.headers.get("location", "?"), secrets)
                    raise APIError(
                        f"the API answered HTTP {status}, a redirect to {target}; cvframe "
                        "does not follow redirects with your token. Set host to the final "
                        "address if you trust it",
                        status_code=status,
                    )
                elif status == 401 and not refreshed and self.credentials.can_refresh:
                    # The server may have stopped accepting the JWT (a key rotation, a
                    # cache): one fresh signature is worth a try; a given token is not.
                    refreshed = True
                    self.credentials.refresh()
                    secrets = self.credentials.secrets()
                    log.info("cvframe: HTTP 401; signing a fresh JWT and trying once more")
                    continue
                elif status in RETRY_STATUSES:
                    failure = error_for_response(response, secrets)
                    retry_after = parse_retry_after(
                        response.headers.get("Retry-After"), self.clock.time()
                    )
                else:
                    raise error_for_response(response, secrets)
            if attempt >= self.retry.max_retries:
                raise failure
            delay = self.retry.delay(attempt, retry_after)
            attempt += 1
            self.retries += 1
            log.info(
                "cvframe: %s; retry %d/%d in %.1fs",
                type(failure).__name__,
                attempt,
                self.retry.max_retries,
                delay,
            )
            self.clock.sleep(delay)

    def _decode(self, response: requests.Response) -> Any:
        content = response.content
        if _FAST_LOADS is not None and content:
            # orjson is stricter (no NaN, no integer beyond 64 bits, no lone surrogate):
            # what it refuses goes to the standard library, which has the last word.
            try:
                with gc_paused():
                    return _FAST_LOADS(content)
            except ValueError:
                pass
        if not content:
            raise ResponseError(
                f"the API answered HTTP {response.status_code} with an empty body; expected "
                "the documented JSON page. Retry later; if it persists, report it to Kore.ai"
            )
        try:
            with gc_paused():
                return json.loads(content)
        except ValueError:
            kind = response.headers.get("Content-Type", "unknown content type")
            snippet = content[:80].decode("utf-8", "replace")
            raise ResponseError(
                f"the API answered HTTP {response.status_code} with a body that is not JSON "
                f"({kind}, starting {snippet!r}); a proxy or gateway may be in the way. "
                "Check host, then retry"
            ) from None
