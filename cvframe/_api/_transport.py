"""The client's side of every exchange: rate limit, retries and their waiting, errors.

Nothing here knows about pages or records, nor about sockets: it hands a request to a
:class:`~cvframe._api._wire.Transport` and gets back parsed JSON, or raises an
exception from :mod:`cvframe._errors` (with every secret redacted). The same rules
hold whatever the transport: the default one (:mod:`cvframe._api._requests_transport`)
or a test's fake.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import quote, urlencode

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
from ._wire import (
    BodyTooLargeError,
    DeadlineError,
    HttpRequest,
    HttpResponse,
    NoAnswerError,
    RequestNotSentError,
    Transport,
)

__all__ = [
    "DEADLINE_PER_TIMEOUT",
    "DEFAULT_MAX_PAGE_BYTES",
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_MAX_TOTAL_WAIT",
    "RATE_WINDOW_MARGIN",
    "Clock",
    "PageTooLargeError",
    "RateLimiter",
    "RetryPolicy",
    "RetryingTransport",
    "SystemClock",
    "WaitBudget",
]

log = logging.getLogger("cvframe")

#: Statuses that mean "try again later" rather than "you asked for something wrong".
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: The window the API's rate limit counts requests over, in seconds.
RATE_WINDOW_SECONDS = 60.0
#: Seconds the client's window is longer than the server's. The client counts a request
#: when it sends it, the server when it arrives, and the two disagree by the difference
#: between two requests' travel times: the first request of a connection also pays its
#: TCP (and TLS) handshake, so the request that reopens a window, sent on a warm
#: connection exactly one window later, would arrive inside the server's window and meet
#: a 429. The disagreement is a matter of milliseconds to a few hundred on a slow link,
#: whatever the window, hence a margin in seconds: 1 s covers it with room to spare and
#: costs 1.7% of the API's 60-second window, within the 5% a read at the limit may lose.
RATE_WINDOW_MARGIN = 1.0
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


class PageTooLargeError(ResponseError):
    """An answer above ``max_page_bytes``, refused before it is decoded (never retried).

    ``page_size="auto"`` takes it as the server's page having grown too large: it steps
    back and asks for that page again (see ``CallVolumeClient.iter_pages``).
    """


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
    """At most ``requests_per_minute`` request starts in any 60-second window (and a margin).

    A sliding-window log: the server may count per calendar minute or over any
    60 seconds, and this keeps both happy. The window is ``margin`` seconds longer than
    the server's (:data:`RATE_WINDOW_MARGIN`), so that a request the server counts
    later than the client did still falls outside its window. Thread-safe, so several
    requests in flight share one budget.
    """

    def __init__(
        self,
        requests_per_minute: float,
        clock: Clock,
        *,
        window: float = RATE_WINDOW_SECONDS,
        margin: float = RATE_WINDOW_MARGIN,
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self._clock = clock
        self._capacity = max(1, int(requests_per_minute))
        # Below one request a minute, stretch the window so one request still fits.
        self._window = window * self._capacity / requests_per_minute + margin
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

    :meth:`RetryingTransport.wait_budget` makes one of ``max_total_wait`` seconds; pass
    it as ``waits=`` to several :meth:`cvframe.CallVolumeClient.iter_pages` calls that
    make up one read, so that together they wait no longer.

    Examples
    --------
    >>> from cvframe import WaitBudget
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


def _seconds_text(value: float) -> str:
    """A duration for a message: whole seconds when large, three digits when small."""
    return f"{value:.0f}" if value >= 10 else f"{value:.3g}"


def _size_text(count: int) -> str:
    """A byte count for a message: MiB when whole, else bytes."""
    return f"{count >> 20} MiB" if count % (1 << 20) == 0 else f"{count:,} bytes"


def _positive_seconds(name: str, value: float) -> float:
    """``value`` as seconds, or a ValueError: a cap of inf or NaN would be no cap at all."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
        or not math.isfinite(value)
    ):
        raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    return float(value)


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


def _server_message(response: HttpResponse) -> str | None:
    """The error text of a response: Kore's ``{"errors": [{"msg": ...}]}`` or similar."""
    try:
        body = json.loads(response.content)
    except ValueError:
        text = response.content.decode("utf-8", "replace").strip()
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


def _request_id(response: HttpResponse) -> str | None:
    for name in ("x-request-id", "x-correlation-id", "requestid", "x-amzn-requestid"):
        if name in response.headers:
            return response.headers[name]
    return None


_HINTS = {
    400: "check org_id and the time window",
    404: "check host and account_id",
}


def error_for_response(response: HttpResponse, secrets: Iterable[str]) -> APIError:
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


def _error_ending_retries(failure: CvframeError, why: str) -> CvframeError:
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


def _failure_text(failure: Exception) -> str:
    """What a retry log line says went wrong: the HTTP status, or the transport's failure."""
    status = getattr(failure, "status_code", None)
    if status is not None:
        return f"HTTP {status} ({type(failure).__name__})"
    return f"no answer ({type(failure).__name__})"


def _orjson_loads() -> Callable[[bytes], Any] | None:
    """orjson's ``loads`` when the optional ``fast`` extra is installed, else None."""
    try:
        import orjson
    except ImportError:
        return None
    return orjson.loads


#: Parses a page about twice as fast as the standard library, when installed.
_FAST_LOADS = _orjson_loads()


class RetryingTransport:
    """Sends JSON to one URL through a :class:`Transport`, with auth, a rate limit and retries.

    What :attr:`cvframe.CallVolumeClient.transport` is. Its counters
    :attr:`requests_sent` and :attr:`retries`, :meth:`wait_budget` and :attr:`wire`
    (the :class:`Transport` doing the exchanges) are public.

    Examples
    --------
    >>> import cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=1) as emu, cvframe.CallVolumeClient(**emu.client_settings()) as c:
    ...     pages = list(c.iter_pages(emu.org_id, "2023-01-02", "2023-01-03", page_size=50))
    ...     sent, retried = c.transport.requests_sent, c.transport.retries
    >>> sent == len(pages), retried
    (True, 0)
    >>> isinstance(c.transport, cvframe.RetryingTransport)
    True
    """

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        wire: Transport,
        *,
        requests_per_minute: float,
        max_retries: int,
        timeout: float,
        method: str = "POST",
        close_wire: bool = True,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        max_total_wait: float = DEFAULT_MAX_TOTAL_WAIT,
        deadline: float | None = None,
        max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
    ) -> None:
        self.url = url
        self.method = method
        self.credentials = credentials
        self.timeout = timeout
        self.max_retry_wait = _positive_seconds("max_retry_wait", max_retry_wait)
        self.max_total_wait = _positive_seconds("max_total_wait", max_total_wait)
        self.deadline = (
            DEADLINE_PER_TIMEOUT * timeout
            if deadline is None
            else _positive_seconds("deadline", deadline)
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
        #: The transport that does each exchange.
        self.wire = wire
        self._close_wire = close_wire
        #: Counters a caller may read after a read: requests sent, retries made.
        self.requests_sent = 0
        self.retries = 0

    def close(self) -> None:
        """Close the wire, unless it was handed in (then its owner closes it)."""
        if self._close_wire:
            self.wire.close()

    def wait_budget(self) -> WaitBudget:
        """A fresh :class:`WaitBudget` of ``max_total_wait`` seconds, for one read."""
        return WaitBudget(self.max_total_wait)

    def request_json(
        self,
        body: Mapping[str, Any] | None = None,
        *,
        waits: WaitBudget | None = None,
        url: str | None = None,
        method: str | None = None,
        query: Mapping[str, Any] | None = None,
        too_large_hint: str | None = None,
        timings: list[float] | None = None,
        sizes: list[int] | None = None,
        decoder: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON answer, retrying what may be retried.

        A POST sends ``body`` as JSON; a GET sends no body and ``query`` in the URL
        (each value percent-encoded, so an ISO time's ``:`` and ``+`` survive). ``url``
        and ``method`` default to the transport's own (the call-volume endpoint): every
        endpoint of the account goes through this one transport, hence one rate limit.
        ``too_large_hint`` replaces the advice of the error for an answer above
        ``max_page_bytes`` (an endpoint without paging asks for a smaller window).
        ``timings``, when given, gets the seconds of the exchange that brought the answer
        appended (the rate limiter's wait and earlier attempts not counted), and
        ``sizes`` its body's bytes. ``decoder``, when given, decodes a 2xx body first
        (a page's typed decode, :mod:`cvframe._api._typed`); when it returns None the
        body is decoded as JSON as usual. An answer above ``max_page_bytes`` is a
        :class:`PageTooLargeError` (a :class:`ResponseError`), never retried.

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
        verb = (method or self.method).upper()
        target = url or self.url
        if query:
            target += "?" + urlencode({k: str(v) for k, v in query.items()}, quote_via=quote)
        if verb == "GET" and body is not None:
            raise ValueError("a GET request carries its parameters in query=, not a body")
        params = {**(query or {}), **(body or {})}  # for the debug log
        headers = self.credentials.headers()
        if verb == "GET":
            headers.pop("Content-Type", None)
        request = HttpRequest(
            method=verb,
            url=target,
            headers=headers,
            content=b"" if verb == "GET" else json.dumps(dict(body or {})).encode(),
            timeout=self.timeout,
            deadline=self.deadline,
            max_body_bytes=self.max_page_bytes,
        )
        attempt = 0
        while True:
            self.limiter.acquire()
            self.requests_sent += 1
            started = self.clock.monotonic()
            retry_after: float | None = None
            failure: CvframeError
            try:
                response = self.wire.handle(request)
                if len(response.content) > self.max_page_bytes:
                    raise BodyTooLargeError(f"{len(response.content):,} bytes")
            except DeadlineError:
                failure = TransportError(
                    f"no whole answer from {target} within the deadline of "
                    f"{_seconds_text(self.deadline)} s after {attempt + 1} attempt(s): the server "
                    "sends too slowly or never finishes. Retry later, or pass a larger deadline"
                )
            except RequestNotSentError as exc:
                raise TransportError(
                    f"the request to {target} failed: {redact(str(exc), secrets)}"
                ) from None
            except BodyTooLargeError as exc:
                raise self._too_large(exc.size, too_large_hint) from None
            except TransportError as exc:
                cause = exc.cause if isinstance(exc, NoAnswerError) else type(exc).__name__
                failure = TransportError(
                    f"could not get an answer from {target} after {attempt + 1} attempt(s) "
                    f"(last: {cause}); check host and the network, then retry"
                )
            else:
                status = response.status_code
                log.debug(
                    "%s %s skip=%s limit=%s -> %s in %.3fs",
                    verb,
                    target,
                    params.get("skip", params.get("offset")),
                    params.get("limit"),
                    status,
                    self.clock.monotonic() - started,
                )
                if 200 <= status < 300:
                    if timings is not None:
                        timings.append(self.clock.monotonic() - started)
                    if sizes is not None:
                        sizes.append(len(response.content))
                    if decoder is not None and response.content:
                        with gc_paused():
                            typed = decoder(response.content)
                        if typed is not None:
                            return typed
                    try:
                        return self._decode(response)
                    except ResponseError as exc:
                        failure = exc
                elif 300 <= status < 400:
                    location = redact(response.headers.get("location", "?"), secrets)
                    raise APIError(
                        f"the API answered HTTP {status}, a redirect to {location}; cvframe "
                        "does not follow redirects with your token. Set host to the final "
                        "address if you trust it",
                        status_code=status,
                    )
                elif status in RETRY_STATUSES:
                    failure = error_for_response(response, secrets)
                    retry_after = parse_retry_after(
                        response.headers.get("retry-after"), self.clock.time()
                    )
                else:
                    raise error_for_response(response, secrets)
            if attempt >= self.retry.max_retries:
                raise failure
            if retry_after is not None and retry_after > self.max_retry_wait:
                raise _error_ending_retries(
                    failure,
                    f"the server asked to wait {_seconds_text(retry_after)} s before retrying "
                    f"(Retry-After: {_seconds_text(retry_after)} s), more than max_retry_wait="
                    f"{_seconds_text(self.max_retry_wait)} s. cvframe stops instead of holding the "
                    "read that long: retry after that time, or pass a larger max_retry_wait",
                )
            delay = min(self.retry.delay(attempt, retry_after), self.max_retry_wait)
            if not waits.take(delay):
                raise _error_ending_retries(
                    failure,
                    f"the read has waited {_seconds_text(waits.spent)} s before retries, and "
                    f"{_seconds_text(delay)} s more would pass max_total_wait="
                    f"{_seconds_text(waits.limit)} s. Retry later, or pass a larger max_total_wait",
                )
            attempt += 1
            self.retries += 1
            log.info(
                "%s; retry %d/%d in %.1f s",
                _failure_text(failure),
                attempt,
                self.retry.max_retries,
                delay,
            )
            self.clock.sleep(delay)

    def _too_large(self, size: str, hint: str | None = None) -> PageTooLargeError:
        advice = hint or "for really large pages lower page_size or raise max_page_bytes"
        return PageTooLargeError(
            f"the API's answer is larger than max_page_bytes={_size_text(self.max_page_bytes)} "
            f"({size}); a page is far smaller, so cvframe refuses it rather than inflate it "
            f"whole. Check host; {advice}"
        )

    def _decode(self, response: HttpResponse) -> Any:
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
            kind = response.headers.get("content-type", "unknown content type")
            snippet = content[:80].decode("utf-8", "replace")
            raise ResponseError(
                f"the API answered HTTP {response.status_code} with a body that is not JSON "
                f"({kind}, starting {snippet!r}); a proxy or gateway may be in the way. "
                "Check host, then retry"
            ) from None
