"""The default transport: one ``requests.Session``, each answer whole within its limits.

What it adds to a plain ``session.post``: every request's total ``deadline``
(connecting, the status line and headers, and the whole body; a watchdog thread shuts
the socket of a request that passes it, even while its headers drip in), and a cap on
the decoded body, with gzip and deflate inflated here a bounded piece at a time.
Retries, the rate limit and what a status means are the client's
(:mod:`cvframe._api._transport`), not this module's.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from functools import partial
from typing import Any

import requests
import requests.adapters
import urllib3.exceptions
import urllib3.response

from ._wire import (
    BodyTooLargeError,
    DeadlineError,
    HttpRequest,
    HttpResponse,
    NoAnswerError,
    RequestNotSentError,
)

__all__ = ["ACCEPT_ENCODING", "POOL_SIZE", "RequestsTransport"]

log = logging.getLogger("cvframe")

#: Failures on the way that a second try may not meet: refused or reset connections,
#: timeouts, and bodies cut short.
_RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
#: Bytes read at a time while watching the deadline and the size cap.
_READ_CHUNK = 1 << 16
#: urllib3's response class (2.x names a base class; 1.26 only has HTTPResponse, and
#: no ``read1``: its bodies are read through requests instead).
_URLLIB3_RESPONSE = getattr(urllib3.response, "BaseHTTPResponse", urllib3.response.HTTPResponse)


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
        log.debug("urllib3's pool has no _get_conn; the deadline covers bodies only")
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


class RequestsTransport:
    """The default :class:`~cvframe._api._wire.Transport`: sends with ``requests``.

    Parameters
    ----------
    session : requests.Session, optional
        Your own session (proxies, certificates). Not closed by :meth:`close`. With it,
        only the body is held to the deadline: the headers need cvframe's own adapter.
    """

    def __init__(self, session: requests.Session | None = None) -> None:
        self._own_session = session is None
        self.session = session or _new_session()

    def close(self) -> None:
        """Close the session if this transport opened it."""
        if self._own_session:
            self.session.close()

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Send ``request``; return the whole answer, or raise what the wire contract says."""
        try:
            response, content = self._exchange(request)
        except (*_RETRYABLE_EXCEPTIONS, urllib3.exceptions.HTTPError) as exc:
            raise NoAnswerError(type(exc).__name__) from None
        except requests.RequestException as exc:
            raise RequestNotSentError(str(exc)) from None
        except OSError as exc:  # a socket error while streaming the body
            raise NoAnswerError(type(exc).__name__) from None
        return HttpResponse(response.status_code, response.headers, content)

    def _exchange(self, request: HttpRequest) -> tuple[requests.Response, bytes]:
        """One request and its whole answer, within the deadline (real time)."""
        deadline_at = time.monotonic() + request.deadline
        watch = _watching.watch = _Watch()
        _WATCHDOG.watch(deadline_at, watch)
        try:
            # A session's own post() (a subclass may wrap it) for the usual POST.
            send = (
                self.session.post
                if request.method == "POST"
                else partial(self.session.request, request.method)
            )
            response = send(
                request.url,
                data=request.content,
                headers={**request.headers, "Accept-Encoding": ACCEPT_ENCODING},
                timeout=min(request.timeout, request.deadline),
                allow_redirects=False,
                stream=True,
            )
            content = self._read_body(response, request, deadline_at)
        except (OSError, urllib3.exceptions.HTTPError):
            if _WATCHDOG.release(watch):  # the watchdog shut the socket under a drip
                raise DeadlineError from None
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
            raise DeadlineError
        if raw is not None:
            response.close()  # the body was read to its end: the connection goes back
        return response, content

    def _read_body(
        self, response: requests.Response, request: HttpRequest, deadline_at: float
    ) -> bytes:
        """Read the whole body within the deadline and the size cap.

        The body is streamed in chunks, decoded (gzip) as it comes, and counted; the
        socket's timeout is lowered to what is left of the deadline before each chunk.
        The caller releases the connection once the watchdog no longer watches it.
        """
        cap = request.max_body_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            response.close()
            raise BodyTooLargeError(f"it declares {int(declared):,} bytes")
        raw = getattr(response, "raw", None)
        if raw is None or response._content is not False:
            # A session that hands over its body whole (a test double): only the cap
            # can be checked.
            content = response.content or b""
            if len(content) > cap:
                raise BodyTooLargeError(f"{len(content):,} bytes")
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
                    raise DeadlineError
                if pieces is not None:
                    chunk = next(pieces, b"")
                else:
                    _set_read_timeout(raw, min(request.timeout, left))
                    try:
                        chunk = read(_READ_CHUNK, decode_content=urllib3_decodes)
                    except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
                        if left < request.timeout:  # the socket waited out the deadline's rest
                            raise DeadlineError from None
                        raise
                if pieces is None and inflater is not None:
                    decoded = inflater.feed(chunk) if chunk else iter((inflater.flush(),))
                else:
                    decoded = iter((chunk,))
                for piece in decoded:
                    size += len(piece)
                    if size > cap:
                        raise BodyTooLargeError(f"more than {size:,} bytes decoded so far")
                    chunks.append(piece)
                if not chunk:
                    break
        except BaseException:
            response.close()  # the connection is in an unknown state: do not reuse it
            raise
        return b"".join(chunks)
