"""One ``requests.Session`` per client: timeouts, retries with backoff, a rate limiter.

Nothing here knows about pages or records: it POSTs JSON and hands back parsed JSON,
or raises an exception from :mod:`cvframe._errors`.
"""

from __future__ import annotations

import contextlib
import email.utils
import heapq
import json
import logging
import math
import random
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import requests
import requests.adapters
import urllib3.exceptions
import urllib3.response

from .._errors import (
    APIError,
    AuthenticationError,
    CvframeError,
    RateLimitError,
    ResponseError,
    TransportError,
)
from .._gc import gc_paused
from .._redact import redact
from ._auth import Credentials

__all__ = [
    "DEADLINE_PER_TIMEOUT",
    "DEFAULT_MAX_PAGE_BYTES",
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_MAX_TOTAL_WAIT",
    "Clock",
    "HttpTransport",
    "RateLimiter",
    "RetryPolicy",
    "SystemClock",
    "WaitBudget",
]

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
#: The longest single wait before a retry (a ``Retry-After`` or a backoff), in seconds.
#: The API's limit counts requests per minute, so a server asking for more than two
#: minutes asks for something no retry can outwait: fail instead of holding the read
#: (and a sync's lock) for it.
DEFAULT_MAX_RETRY_WAIT = 120.0
#: The most one read waits before retries altogether, in seconds (the rate limiter's
#: pacing of requests is not counted: it is the read's normal speed).
DEFAULT_MAX_TOTAL_WAIT = 600.0
#: Each request's total deadline (connect, headers and the whole body) is this many times
#: the timeout, which bounds only the wait for each next byte.
DEADLINE_PER_TIMEOUT = 4
#: The largest page body accepted, decoded (after gzip), in bytes: a page of 1000
#: records is about 1 MB, so 64 MiB leaves room for very large pages but not for a
#: body that inflates without end.
DEFAULT_MAX_PAGE_BYTES = 64 << 20
#: Bytes read at a time while watching the deadline and the size cap.
_READ_CHUNK = 1 << 16
#: urllib3's response class (2.x names a base class; 1.26 only has HTTPResponse, and
#: no ``read1``: its bodies are read through requests instead).
_URLLIB3_RESPONSE = getattr(urllib3.response, "BaseHTTPResponse", urllib3.response.HTTPResponse)


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


class WaitBudget:
    """The waiting before retries that one read may still do; shared by its threads.

    >>> budget = WaitBudget(10.0)
    >>> budget.take(6.0), budget.take(6.0), budget.spent
    (True, False, 6.0)
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.spent = 0.0
        self._lock = threading.Lock()

    def take(self, seconds: float) -> bool:
        """Book ``seconds`` of waiting; False (booking nothing) when it would pass the limit."""
        with self._lock:
            if self.spent + seconds > self.limit:
                return False
            self.spent += seconds
            return True


def _seconds(value: float) -> str:
    """A duration for a message: whole seconds when large, three digits when small."""
    return f"{value:.0f}" if value >= 10 else f"{value:.3g}"


def _size(count: int) -> str:
    """A byte count for a message: MiB when whole, else bytes."""
    return f"{count >> 20} MiB" if count % (1 << 20) == 0 else f"{count:,} bytes"


def _positive(name: str, value: float) -> float:
    """``value`` as seconds, or a ValueError: a cap of inf or NaN would be no cap at all."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
        or not math.isfinite(value)
    ):
        raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    return float(value)


#: The content codings cvframe inflates itself, a bounded piece at a time.
_INFLATED = frozenset({"gzip", "x-gzip", "deflate"})
#: What each request says it accepts: only what cvframe inflates with a bound.
ACCEPT_ENCODING = "gzip, deflate"


class _Inflater:
    """Inflates a gzip (any number of members) or deflate body, at most 64 KiB at a time.

    >>> import gzip
    >>> body = gzip.compress(b"a" * 200_000) + gzip.compress(b"b")
    >>> inflater = _Inflater("gzip")
    >>> pieces = list(inflater.feed(body))
    >>> max(map(len, pieces)) <= _READ_CHUNK, b"".join(pieces) == b"a" * 200_000 + b"b"
    (True, True)
    """

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding != "deflate"
        self._started = False
        self._inflate = self._new()

    def _new(self) -> Any:
        return zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next ``data``, none longer than ``_READ_CHUNK``."""
        while data:
            try:
                piece = self._inflate.decompress(data, _READ_CHUNK)
            except zlib.error as exc:
                if not self._gzip and not self._started:
                    # "deflate" without the zlib wrapper, as some servers send it.
                    self._started = True
                    self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise requests.exceptions.ContentDecodingError(
                    f"the body is not valid {'gzip' if self._gzip else 'deflate'} ({exc})"
                ) from None
            self._started = True
            if piece:
                yield piece
            if self._inflate.eof:
                data = self._inflate.unused_data
                if not self._gzip:
                    return  # nothing follows a deflate stream
                if data:
                    self._inflate = self._new()  # the next gzip member
            else:
                data = self._inflate.unconsumed_tail

    def flush(self) -> bytes:
        """What is left once the body has ended (little: the input is all consumed)."""
        return self._inflate.flush()


class _DeadlineError(Exception):
    """The whole answer did not arrive within the request's deadline."""


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


def _gave_up(failure: CvframeError, why: str) -> CvframeError:
    """The error that ends the retries of ``failure``, saying why they end early."""
    if isinstance(failure, APIError):
        said = f": {failure.server_message}" if failure.server_message else ""
        kind = RateLimitError if failure.status_code == 429 else APIError
        return kind(
            f"the API answered HTTP {failure.status_code}{said}; {why}",
            status_code=failure.status_code,
            server_message=failure.server_message,
            request_id=failure.request_id,
        )
    return type(failure)(f"{failure}; {why}")


def _set_read_timeout(raw: Any, seconds: float) -> bool:
    """Lower the socket timeout of a streaming urllib3 response; False where it cannot.

    ``raw._connection.sock`` is urllib3's, not public: where it is missing the timeout
    stays the request's own and the watchdog still ends the request at its deadline
    (``test_transport_limits.py`` fails if the attribute goes away).
    """
    connection = getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        return False
    with contextlib.suppress(OSError):
        sock.settimeout(max(seconds, 0.001))
    return True


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


class _Watch:
    """One request's connection, for the watchdog that cuts it off at the deadline."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.expired = False
        self.done = False

    def expire(self) -> None:
        """Shut the request's socket: whatever read is blocked on it ends at once."""
        self.expired = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


#: The watch of the request the current thread is sending, if any.
_watching = threading.local()


class _Watchdog:
    """One thread that shuts each watched request's socket when its deadline passes.

    One for the process, started on first use: a timer thread per request would cost
    more than a small page's parsing.
    """

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Watch]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._count = 0

    def release(self, watch: _Watch) -> bool:
        """Stop watching ``watch``; True if it expired first (its socket was shut).

        Under the watchdog's lock, so the watchdog can never shut a socket after its
        request is done with it (and the connection is back in the pool, maybe in
        another request's hands).
        """
        with self._wake:
            watch.done = True
            return watch.expired

    def watch(self, deadline_at: float, watch: _Watch) -> None:
        """Expire ``watch`` at ``deadline_at`` (``time.monotonic``) unless it is done by then."""
        with self._wake:
            while self._due and self._due[0][2].done:
                heapq.heappop(self._due)  # finished requests: forget them
            self._count += 1
            heapq.heappush(self._due, (deadline_at, self._count, watch))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="cvframe-deadlines", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                if not self._due:
                    self._wake.wait()
                    continue
                at, _, watch = self._due[0]
                left = at - time.monotonic()
                if watch.done or left <= 0:
                    heapq.heappop(self._due)
                    if not watch.done:
                        watch.expire()
                    continue
                self._wake.wait(left)


_WATCHDOG = _Watchdog()


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """An adapter that tells the current request's :class:`_Watch` which connection it got.

    The socket timeout bounds only the wait for each next byte; this lets a timer
    shut the connection when the request's whole deadline has passed, even while the
    status line and headers are still dripping in.
    """

    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> Any:
        return _watched(super().get_connection_with_tls_context(*args, **kwargs))

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:  # requests < 2.32.2
        return _watched(super().get_connection(*args, **kwargs))


def _watched(pool: Any) -> Any:
    """``pool``, made to tell the current request's :class:`_Watch` its connection.

    ``_get_conn`` is urllib3's, not public, and has been there since urllib3 1.x.
    Where it is missing, the pool is used as it is: the deadline then bounds the body
    (checked between chunks), not headers that drip in. The header-drip test in
    ``test_transport_limits.py`` fails if that ever happens.
    """
    if getattr(pool, "_cvframe_watched", False):
        return pool
    take = getattr(pool, "_get_conn", None)
    if not callable(take):
        log.debug("cvframe: urllib3's pool has no _get_conn; the deadline covers bodies only")
        return pool

    def get_conn(*args: Any, **kwargs: Any) -> Any:
        connection = take(*args, **kwargs)
        watch = getattr(_watching, "watch", None)
        if watch is not None:
            watch.connection = connection
        return connection

    pool._get_conn = get_conn
    pool._cvframe_watched = True
    return pool


def _new_session() -> requests.Session:
    session = requests.Session()
    adapter = _DeadlineAdapter(pool_connections=1, pool_maxsize=POOL_SIZE)
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
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        max_total_wait: float = DEFAULT_MAX_TOTAL_WAIT,
        deadline: float | None = None,
        max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
    ) -> None:
        self.url = url
        self.credentials = credentials
        self.timeout = timeout
        self.max_retry_wait = _positive("max_retry_wait", max_retry_wait)
        self.max_total_wait = _positive("max_total_wait", max_total_wait)
        self.deadline = (
            DEADLINE_PER_TIMEOUT * timeout if deadline is None else _positive("deadline", deadline)
        )
        if isinstance(max_page_bytes, bool) or not isinstance(max_page_bytes, int):
            raise ValueError(
                f"max_page_bytes must be a whole number of bytes, got {max_page_bytes!r}"
            )
        if max_page_bytes < 1:
            raise ValueError(f"max_page_bytes must be >= 1, got {max_page_bytes!r}")
        self.max_page_bytes = max_page_bytes
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

    def wait_budget(self) -> WaitBudget:
        """A fresh :class:`WaitBudget` of ``max_total_wait`` seconds, for one read."""
        return WaitBudget(self.max_total_wait)

    def post_json(self, body: dict[str, Any], *, waits: WaitBudget | None = None) -> Any:
        """POST ``body`` and return the decoded JSON answer, retrying what may be retried.

        Retried: 429, 502, 503, 504, connection errors, resets, read timeouts, answers
        that miss the deadline and 2xx bodies that are not JSON (a proxy's page, a
        truncated body). A 401 or 403 is an :class:`AuthenticationError` at once: a
        given token cannot change, and cvframe's own HS256 JWT over ``{"appId": ...}``
        is the same bytes every time it is signed, so no retry could be accepted.

        Every attempt has a total deadline (``deadline`` seconds for connecting,
        the headers and the whole body) and a cap on the decoded body
        (``max_page_bytes``). A wait before a retry longer than ``max_retry_wait``,
        or one that would take the read's waiting (``waits``, by default this call's
        own) past ``max_total_wait``, ends the retries with the error at hand.
        """
        secrets = self.credentials.secrets()
        waits = waits if waits is not None else self.wait_budget()
        attempt = 0
        while True:
            self.limiter.acquire()
            self.requests_sent += 1
            started = self.clock.monotonic()
            retry_after: float | None = None
            failure: CvframeError
            try:
                response = self._exchange(body)
            except _DeadlineError:
                failure = TransportError(
                    f"no whole answer from {self.url} within the deadline of "
                    f"{_seconds(self.deadline)} s after {attempt + 1} attempt(s): the server "
                    "sends too slowly or never finishes. Retry later, or pass a larger deadline"
                )
            except (*_RETRYABLE_EXCEPTIONS, urllib3.exceptions.HTTPError) as exc:
                failure = TransportError(
                    f"could not get an answer from {self.url} after {attempt + 1} attempt(s) "
                    f"(last: {type(exc).__name__}); check host and the network, then retry"
                )
            except requests.RequestException as exc:
                raise TransportError(
                    f"the request to {self.url} failed: {redact(str(exc), secrets)}"
                ) from None
            except OSError as exc:  # a socket error while streaming the body
                failure = TransportError(
                    f"could not get an answer from {self.url} after {attempt + 1} attempt(s) "
                    f"(last: {type(exc).__name__}); check host and the network, then retry"
                )
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
                elif status in RETRY_STATUSES:
                    failure = error_for_response(response, secrets)
                    retry_after = parse_retry_after(
                        response.headers.get("Retry-After"), self.clock.time()
                    )
                else:
                    raise error_for_response(response, secrets)
            if attempt >= self.retry.max_retries:
                raise failure
            if retry_after is not None and retry_after > self.max_retry_wait:
                raise _gave_up(
                    failure,
                    f"the server asked to wait {_seconds(retry_after)} s before retrying "
                    f"(Retry-After: {_seconds(retry_after)} s), more than max_retry_wait="
                    f"{_seconds(self.max_retry_wait)} s. cvframe stops instead of holding the "
                    "read that long: retry after that time, or pass a larger max_retry_wait",
                )
            delay = min(self.retry.delay(attempt, retry_after), self.max_retry_wait)
            if not waits.take(delay):
                raise _gave_up(
                    failure,
                    f"the read has waited {_seconds(waits.spent)} s before retries, and "
                    f"{_seconds(delay)} s more would pass max_total_wait="
                    f"{_seconds(waits.limit)} s. Retry later, or pass a larger max_total_wait",
                )
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

    def _exchange(self, body: dict[str, Any]) -> requests.Response:
        """One POST and its whole answer, within the deadline (real time, not ``clock``)."""
        deadline_at = time.monotonic() + self.deadline
        watch = _watching.watch = _Watch()
        _WATCHDOG.watch(deadline_at, watch)
        try:
            response = self.session.post(
                self.url,
                data=json.dumps(body),
                headers={**self.credentials.headers(), "Accept-Encoding": ACCEPT_ENCODING},
                timeout=min(self.timeout, self.deadline),
                allow_redirects=False,
                stream=True,
            )
            self._read_body(response, deadline_at)
        except (OSError, urllib3.exceptions.HTTPError):
            if _WATCHDOG.release(watch):  # the watchdog shut the socket under a drip
                raise _DeadlineError from None
            raise
        finally:
            _WATCHDOG.release(watch)
            _watching.watch = None
        raw = getattr(response, "raw", None)
        if watch.expired:
            # The socket was shut as the body ended: what looked like its end may be the
            # shutdown, and the connection must not go back to the pool.
            if raw is not None:
                with contextlib.suppress(Exception):
                    raw.close()
            raise _DeadlineError
        if raw is not None:
            response.close()  # the body was read to its end: the connection goes back
        return response

    def _too_large(self, size: str) -> ResponseError:
        return ResponseError(
            f"the API's answer is larger than max_page_bytes={_size(self.max_page_bytes)} "
            f"({size}); a page is far smaller, so cvframe refuses it rather than inflate it "
            "whole. Check host; for really large pages lower page_size or raise max_page_bytes"
        )

    def _read_body(self, response: requests.Response, deadline_at: float) -> bytes:
        """Read the whole body within the deadline and the size cap; keep it on ``response``.

        The body is streamed in chunks, decoded (gzip) as it comes, and counted; the
        socket's timeout is lowered to what is left of the deadline before each chunk.
        The caller releases the connection once the watchdog no longer watches it.
        """
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_page_bytes:
            response.close()
            raise self._too_large(f"it declares {int(declared):,} bytes")
        raw = getattr(response, "raw", None)
        if raw is None or response._content is not False:
            # A session that hands over its body whole (a test double): only the cap
            # can be checked.
            content = response.content or b""
            if len(content) > self.max_page_bytes:
                raise self._too_large(f"{len(content):,} bytes")
            return content
        streaming = isinstance(raw, _URLLIB3_RESPONSE)
        # Anything else (a recording library's stand-in) is read through requests.
        pieces = None if streaming else response.iter_content(_READ_CHUNK)
        # urllib3 1.26 (and 2.x before 2.6) inflates each compressed chunk whole (64 KiB
        # of gzip can be 64 MiB): gzip and deflate are inflated here, a chunk at a time.
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        inflater = _Inflater(encoding) if encoding in _INFLATED else None
        urllib3_decodes = inflater is None and encoding not in ("", "identity")
        read = getattr(raw, "read1", None) or raw.read  # urllib3 1.26 has no read1
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                left = deadline_at - time.monotonic()
                if left <= 0:
                    raise _DeadlineError
                if pieces is not None:
                    chunk = next(pieces, b"")
                else:
                    _set_read_timeout(raw, min(self.timeout, left))
                    try:
                        chunk = read(_READ_CHUNK, decode_content=urllib3_decodes)
                    except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
                        if left < self.timeout:  # the socket waited out the deadline's rest
                            raise _DeadlineError from None
                        raise
                if pieces is None and inflater is not None:
                    decoded = inflater.feed(chunk) if chunk else iter((inflater.flush(),))
                else:
                    decoded = iter((chunk,))
                for piece in decoded:
                    size += len(piece)
                    if size > self.max_page_bytes:
                        raise self._too_large(f"more than {size:,} bytes decoded so far")
                    chunks.append(piece)
                if not chunk:
                    break
        except BaseException:
            response.close()  # the connection is in an unknown state: do not reuse it
            raise
        content = b"".join(chunks)
        response._content = content
        response._content_consumed = True
        return content

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
