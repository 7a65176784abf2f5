"""The test suite's fakes, in one place: a fake API server, a fake clock, fake transports.

``FakeAPI`` is a small fake of the Contact Volume API on 127.0.0.1, independent of
cvframe's emulator.
It serves a mutable set of records, ordered by interval start, queue and id (the order
the API's pages keep), and lets a test misbehave in the ways the emulator does not:
change the records between any two answers, count an id twice in ``totalCount``, wrap
``skip`` back to the start past the end, put the records under another key, drip the
body byte by byte, or send a gzip body that inflates far beyond its size.
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cvframe._api._requests_transport import RequestsTransport
from cvframe._api._wire import HttpRequest, HttpResponse

#: Long enough that pyjwt does not warn about short HMAC keys.
CLIENT_SECRET = "test-client-secret-0123456789abcdef-not-real"
CLIENT_ID = "cs-test-client"
URL = "https://api.example.test/agentassist/api/public/analytics/account/acc-1/callvolume"

ACCOUNT = "acc-fake"
ORG = "o-fake"
PATH = f"/agentassist/api/public/analytics/account/{ACCOUNT}/callvolume"


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up on purpose (a deadline, a size cap) is no error to print."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def make_record(
    number: int, *, day: str = "2023-01-02", queues: int = 3, version: int = 0
) -> dict[str, Any]:
    """A valid record: ``number`` picks the 15-minute interval and the queue."""
    interval, queue = divmod(number, queues)
    hours, quarter = divmod(interval, 4)
    start = f"{day}T{hours:02d}:{quarter * 15:02d}:00.000Z"
    end_minutes = hours * 60 + quarter * 15 + 15
    end = f"{day}T{end_minutes // 60:02d}:{end_minutes % 60:02d}:00.000Z"
    if end_minutes == 24 * 60:
        end = f"{day}T23:59:59.999Z"
    return {
        "_id": f"{number:024x}",
        "intervalStartTimeStamp": start,
        "intervalEndTimeStamp": end,
        "orgId": ORG,
        "queueId": f"qu-{queue:04d}",
        "queueName": f"Queue {queue}",
        "source": "rtm",
        "__v": version,
        "offeredContacts": 10 + number % 7,
        "answeredContacts": 8,
        "abandonedContacts": 2,
        "completedContacts": 8,
        "maxQueueHoldTimeAnswered": 1000,
        "queueHoldTimeAnswered": 4000,
        "maxqueueHoldTimeAbandoned": 2000,
        "queueHoldTimeAbandoned": 3000,
        "acwDuration": 500,
        "conversationHandleTime": 9000,
        "conversationTalkTime": 8500,
        "holdDuration": 0,
        "messageCount": 0,
        "savedMessageCount": 0,
        "csatResponses": 1,
        "csatScore": 4,
        "iId": "st-fake",
    }


def order_key(record: dict[str, Any]) -> tuple[str, str, str]:
    """The order pages keep: interval start, queue, id."""
    return (record["intervalStartTimeStamp"], record["queueId"], record.get("_id", ""))


@dataclass
class Answer:
    """What the fake sends for one request; a hook may change any of it."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds between bytes of the body (a server that drips).
    drip: float = 0.0
    #: Drip the status line and headers too, not only the body.
    drip_headers: bool = False


class FakeAPI:
    """A loopback HTTP server answering pages of ``{hasMore, totalCount, CallVolumeUpdate}``.

    ``records`` maps id to record; a test changes it in ``before_answer(number, body)``,
    called under the lock before every page is cut (``number`` counts requests from 1).
    """

    def __init__(self, records: Iterable[dict[str, Any]] = ()) -> None:
        self.records: dict[str, dict[str, Any]] = {r["_id"]: dict(r) for r in records}
        self.lock = threading.RLock()
        self.before_answer: Callable[[int, dict[str, Any]], None] | None = None
        #: Change the answer after it is made (status, body, headers, drip).
        self.after_answer: Callable[[int, Answer], None] | None = None
        #: Added to every ``totalCount`` (1: an id counted twice).
        self.total_bias = 0
        #: Past the end, serve from the start again with ``hasMore: true``.
        self.wrap = False
        #: The key the records are sent under.
        self.records_key = "CallVolumeUpdate"
        #: Serve at most this many records per page whatever ``limit`` asks for.
        self.max_page_size: int | None = None
        self.answered = 0
        #: Past this many requests the fake answers 410 Gone: every test's loop is bounded.
        self.max_requests = 400
        #: Every request body, in order.
        self.bodies: list[dict[str, Any]] = []
        #: For each dripped answer: (bytes written before the client hung up, bytes meant).
        self.dripped: list[tuple[int, int]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> FakeAPI:
        server = _QuietServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def settings(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for read_callvolume / sync against this fake."""
        return {
            "host": self.host,
            "account_id": ACCOUNT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "org_id": ORG,
            # The fake has no rate limit: nothing should wait a real minute.
            "requests_per_minute": 1e6,
            **extra,
        }

    def client_settings(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for CallVolumeClient against this fake."""
        settings = self.settings(**extra)
        del settings["org_id"]
        return settings

    # ------------------------------------------------------------------ data
    def ordered(self) -> list[dict[str, Any]]:
        """The records as the pages order them."""
        with self.lock:
            return sorted(self.records.values(), key=order_key)

    def delete(self, ids: Iterable[str]) -> None:
        with self.lock:
            for i in ids:
                self.records.pop(i, None)

    def insert(self, records: Iterable[dict[str, Any]]) -> None:
        with self.lock:
            for r in records:
                self.records[r["_id"]] = dict(r)

    def touch(self, ids: Iterable[str], **changes: Any) -> None:
        """Update records as the platform does: apply ``changes`` and bump ``__v``."""
        with self.lock:
            for i in ids:
                old = self.records[i]
                self.records[i] = {**old, **changes, "__v": old["__v"] + 1}

    # ------------------------------------------------------------------ serving
    def answer(self, body: dict[str, Any]) -> Answer:
        with self.lock:
            self.answered += 1
            number = self.answered
            self.bodies.append(body)
            if number > self.max_requests:
                return Answer(410, b'{"errors": [{"msg": "the fake gave up"}]}')
            if self.before_answer is not None:
                self.before_answer(number, body)
            lo = body.get("fromTimeStamp") or ""
            hi = body.get("toTimeStamp") or "~"
            window = [
                r
                for r in sorted(self.records.values(), key=order_key)
                # Compare as the API's second-precision ISO strings.
                if lo <= r["intervalStartTimeStamp"][:19] + "Z" < hi
            ]
            skip, limit = int(body.get("skip", 0)), int(body.get("limit", 100))
            if self.max_page_size is not None:
                limit = min(limit, self.max_page_size)
            if self.wrap and window:
                chunk = [window[(skip + i) % len(window)] for i in range(limit)]
                has_more = True
            else:
                chunk = window[skip : skip + limit]
                has_more = skip + len(chunk) < len(window)
            page = {
                "hasMore": has_more,
                "totalCount": len(window) + self.total_bias,
                self.records_key: [dict(r) for r in chunk],
            }
        answer = Answer(
            body=json.dumps(page).encode(), headers={"Content-Type": "application/json"}
        )
        if self.after_answer is not None:
            self.after_answer(number, answer)
        return answer


def gzip_bomb(decoded_bytes: int) -> bytes:
    """A gzip body of JSON whitespace that inflates to about ``decoded_bytes``."""
    block = gzip.compress(b" " * (1 << 20), compresslevel=9)
    head = gzip.compress(b'{"hasMore": false, "totalCount": 0, "CallVolumeUpdate": [] ')
    # Concatenated gzip members decode as one stream: one compressed MiB, repeated.
    return head + block * (decoded_bytes >> 20) + gzip.compress(b"}")


def _handler(api: FakeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in one write: no Nagle / delayed-ACK stall per answer.
        wbufsize = 1 << 16

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path != PATH or self.headers.get("auth") is None:
                answer = Answer(404, b'{"errors": [{"msg": "no such route"}]}')
            else:
                answer = api.answer(json.loads(raw))
            headers = {"Content-Type": "application/json", **answer.headers}
            headers["Content-Length"] = str(len(answer.body))
            try:
                if answer.drip_headers:
                    head = f"HTTP/1.1 {answer.status} X\r\n" + "".join(
                        f"{name}: {value}\r\n" for name, value in headers.items()
                    )
                    raw = (head + "\r\n").encode()
                    written = 0
                    try:
                        for written in range(1, len(raw) + 1):
                            self.wfile.write(raw[written - 1 : written])
                            self.wfile.flush()
                            time.sleep(answer.drip)
                    finally:
                        api.dripped.append((written, len(raw)))
                else:
                    self.send_response(answer.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                if answer.drip:
                    for i in range(len(answer.body)):
                        self.wfile.write(answer.body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(answer.drip)
                else:
                    self.wfile.write(answer.body)
            except OSError:
                self.close_connection = True  # the client gave up: fine

    return Handler


# --- fakes of the HTTP layer and of time -------------------------------------------


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = 0.0
        self.epoch = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def time(self) -> float:
        return self.epoch + self.now


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> HttpResponse:
    """A whole answer as the server would send it: ``body`` as bytes, or JSON of it."""
    if body is None:
        content = b""
    elif isinstance(body, bytes):
        content = body
    else:
        content = json.dumps(body).encode()
    return HttpResponse(status, headers or {"Content-Type": "application/json"}, content)


def page(records: list[dict[str, Any]], has_more: bool, total: int | None = None) -> dict:
    """A page body in the API's shape."""
    return {"hasMore": has_more, "CallVolumeUpdate": records, "totalCount": total}


class FakeTransport:
    """Answers each request with the next scripted answer (or raises the next exception).

    Hand it to the client as ``transport=``: no socket, no ``requests`` involved.
    """

    def __init__(self, script: Iterable[HttpResponse | BaseException] = ()) -> None:
        self.script = list(script)
        #: Every request handed over, in order.
        self.requests: list[HttpRequest] = []
        self.closed = False

    @property
    def bodies(self) -> list[Any]:
        """The JSON of every request, decoded."""
        return [json.loads(request.content) for request in self.requests]

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self.closed = True


@dataclass
class SessionAnswer:
    """What :class:`RecordingSession` hands back: the parts of a response the wire reads."""

    status_code: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    #: No socket behind it: the default transport takes the body whole.
    raw: None = None


class RecordingSession:
    """A stand-in for ``requests.Session`` under the default transport, for its own tests.

    Records every ``post`` (its keyword arguments, ``json`` decoded) and answers with the
    next scripted :class:`SessionAnswer`, or raises the next exception (a
    ``requests.ConnectionError``, say).
    """

    def __init__(self, script: Iterable[SessionAnswer | BaseException]) -> None:
        self.script = list(script)
        self.calls: list[dict[str, Any]] = []
        self.verify = True

    def post(self, url: str, **kwargs: Any) -> SessionAnswer:
        self.calls.append({"url": url, **kwargs, "json": json.loads(kwargs["data"])})
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        pass


class EditingTransport:
    """The default transport, with ``edit`` applied to the JSON of every 200 answer.

    For a test that needs a real server's answers, changed: ``edit(body)`` returns the
    body to hand on.
    """

    def __init__(self, edit: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.edit = edit
        self.inner = RequestsTransport()

    def handle(self, request: HttpRequest) -> HttpResponse:
        got = self.inner.handle(request)
        if got.status_code != 200:
            return got
        content = json.dumps(self.edit(json.loads(got.content))).encode()
        # The body is decoded and rewritten: its length and coding are the fake's now.
        headers = {
            name: value
            for name, value in got.headers.items()
            if name not in ("content-length", "content-encoding")
        }
        return HttpResponse(got.status_code, headers, content)

    def close(self) -> None:
        self.inner.close()


def client_kwargs(**extra: Any) -> dict[str, Any]:
    """Settings for a client against the fake URL."""
    return {
        "host": "api.example.test",
        "account_id": "acc-1",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **extra,
    }


# --- fakes of the other endpoints of the WFM scope ----------------------------------


def make_agent(number: int, *, intervals: int = 8, queues: int = 2) -> dict[str, Any]:
    """An agent-performance item: ``intervals`` quarter hours of 2024-03-01, each in ``queues``."""
    rows = []
    for interval in range(intervals):
        hours, quarter = divmod(interval, 4)
        start = f"2024-03-01T{hours:02d}:{quarter * 15:02d}:00.000Z"
        end_minutes = hours * 60 + quarter * 15 + 15
        end = f"2024-03-01T{end_minutes // 60:02d}:{end_minutes % 60:02d}:00.000Z"
        rows.append(
            {
                "intervalStartTimeStamp": start,
                "intervalEndTimeStamp": end,
                "queues": [
                    {
                        "queueId": f"qu-{queue:04d}",
                        "queueName": f"Queue {queue}",
                        "offeredContacts": 3,
                        "answeredContacts": 3,
                        "abandonedContacts": 0,
                        "completedContacts": 2 + number % 2,
                        "transferredContacts": 1,
                        "conversationHandleTime": 180000,
                        "conversationTalkTime": 150000,
                        "acwDuration": 20000,
                        "holdDuration": 10000,
                        "csatScore": 4.5,
                    }
                    for queue in range(queues)
                ],
            }
        )
    return {"agentId": f"ag-{number:04d}", "intervals": rows}


class RouteTransport:
    """A :class:`Transport` answering by the request's path: ``routes[last path segment]``.

    Each route is a function of the request (its query decoded, its JSON body) to an
    ``HttpResponse``. Past ``max_requests`` it answers 410, so no test loops forever.
    """

    def __init__(self, routes: dict[str, Callable[[HttpRequest], HttpResponse]]) -> None:
        self.routes = routes
        self.requests: list[HttpRequest] = []
        self.max_requests = 200

    def query(self, index: int) -> dict[str, str]:
        """The query of request ``index``, decoded."""
        return dict(parse_qsl(urlsplit(self.requests[index].url).query))

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if len(self.requests) > self.max_requests:
            return answer(410, {"errors": [{"msg": "the fake gave up"}]})
        route = urlsplit(request.url).path.rsplit("/", 1)[-1]
        return self.routes[route](request)

    def close(self) -> None:
        pass


class FakeAgentPerformance:
    """``agentperformance`` over a mutable list of agents: ``skip``/``limit`` count agents.

    ``before_answer(number)`` may change ``agents`` before the page is cut (``number``
    counts requests from 1); ``total_bias`` is added to every ``totalCount``.
    """

    def __init__(self, agents: Iterable[dict[str, Any]]) -> None:
        self.agents = list(agents)
        self.before_answer: Callable[[int], None] | None = None
        self.total_bias = 0
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        body = json.loads(request.content)
        self.bodies.append(body)
        if self.before_answer is not None:
            self.before_answer(len(self.bodies))
        skip, limit = int(body["skip"]), int(body["limit"])
        chunk = self.agents[skip : skip + limit]
        return answer(
            200,
            {
                "hasMore": skip + len(chunk) < len(self.agents),
                "totalCount": len(self.agents) + self.total_bias,
                "AgentPerformance": chunk,
            },
        )
