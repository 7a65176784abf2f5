"""A real HTTP server on loopback that answers like the Contact Volume API."""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from operator import itemgetter
from typing import Any, Literal

import jwt

from ._data import SyntheticData, default_queues, format_ts

__all__ = ["Emulator", "Fault", "RequestRecord"]

_PATH = re.compile(r"^/agentassist/api/public/analytics/account/(?P<account>[^/?]+)/callvolume/?$")
_RATE_MESSAGE = (
    "You've exceeded the per-minute rate limit. Please wait for sometime before retrying."
)
_ORDER = itemgetter("intervalStartTimeStamp", "queueId")


FaultKind = Literal["status", "reset", "truncate", "timeout"]


@dataclass
class Fault:
    """A scripted misbehaviour for the next ``times`` requests.

    Kinds:

    - ``"status"``: answer ``status`` with ``body`` (a JSON error by default) and ``headers``;
    - ``"reset"``: start the real answer, then close the connection mid-body;
    - ``"truncate"``: send the real answer cut in half, as a complete 200 response;
    - ``"timeout"``: wait ``delay`` seconds, then send the real answer.
    """

    status: int
    times: int = 1
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    kind: FaultKind = "status"
    delay: float = 0.0


@dataclass(frozen=True)
class RequestRecord:
    """What the emulator saw of one request (never the token itself)."""

    at: float
    status: int
    body: dict[str, Any] | None
    had_auth: bool
    instance_id: str | None


def _parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _as_day(value: str | date | datetime) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return _parse_time(value if "T" in value else value + "T00:00:00Z", "date").date()


class Emulator:
    """A local stand-in for the Contact Volume API, serving synthetic data on 127.0.0.1.

    It speaks the endpoint as Kore.ai documents it: ``POST
    /agentassist/api/public/analytics/account/{accountId}/callvolume`` with a JWT in
    the ``auth`` header and ``{orgId, fromTimeStamp, toTimeStamp, skip, limit}``,
    answering pages of ``{hasMore, totalCount, CallVolumeUpdate}``. It checks the
    JWT (401), the body (400), the rate limit (429 with ``Retry-After``), and can add
    latency and scripted faults for tests. Data is deterministic per ``seed``.

    Parameters
    ----------
    seed : int, default 0
        Fixes the data, the ids and the credentials' account and org ids.
    queues : int, default 4
        How many queues the account has.
    start : str or date, default "2023-01-02"
        The first UTC day with data (a Monday).
    days : int, default 28
        How many days of data, from ``start``.
    requests_per_minute : float, optional
        Answer 429 beyond this many requests in any 60 seconds; None: no limit.
    latency : float, default 0.0
        Seconds to wait before each answer.
    max_page_size : int, optional
        Serve at most this many records per page whatever ``limit`` asks for.
    require_instance_id : bool, default False
        Answer 400 when the ``iId`` header is missing or wrong (the docs-v2 revision).
    port : int, default 0
        The port to listen on; 0 picks a free one.

    Examples
    --------
    >>> import cvframe
    >>> with cvframe.emulator.Emulator(days=1, queues=2) as emu:
    ...     df = cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False,
    ...                                  **emu.settings())
    >>> df["queue_name"].nunique()
    2
    """

    #: A fixed, public secret: the emulator only ever listens on loopback.
    client_secret = "emulator-client-secret-for-local-use-only"

    def __init__(
        self,
        *,
        seed: int = 0,
        queues: int = 4,
        start: str | date = "2023-01-02",
        days: int = 28,
        requests_per_minute: float | None = None,
        latency: float = 0.0,
        max_page_size: int | None = None,
        require_instance_id: bool = False,
        port: int = 0,
    ) -> None:
        if queues < 1 or days < 0:
            raise ValueError("queues must be >= 1 and days >= 0")
        if requests_per_minute is not None and requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be > 0 or None")
        self.seed = seed
        self.account_id = "6" + _hex(seed, "account", 23)
        self.org_id = "o-" + _hex(seed, "org", 8) + "-" + _hex(seed, "org2", 4)
        self.client_id = "cs-" + _hex(seed, "client", 8) + "-emulator"
        self.instance_id = "st-" + _hex(seed, "instance", 8) + "-emulator"
        self.requests_per_minute = requests_per_minute
        self.latency = latency
        self.max_page_size = max_page_size
        self.require_instance_id = require_instance_id
        self.data = SyntheticData(
            seed=seed,
            queues=default_queues(queues, seed),
            org_id=self.org_id,
            instance_id=self.instance_id,
        )
        self.data_start = _as_day(start)
        self.data_end = self.data_start + timedelta(days=days)
        #: Every request seen, in order (for tests: rate, bodies, headers present).
        self.requests: list[RequestRecord] = []
        self._faults: deque[Fault] = deque()
        self._overrides: dict[str, dict[str, Any]] = {}
        self._inserted: list[dict[str, Any]] = []
        #: Pagination lies, for tests: ``hasMore`` true on the last page, and a
        #: ``totalCount`` that grows by this much with every request answered.
        self.lie_has_more = False
        self.total_count_drift = 0
        #: Called with the request number (1, 2, ...) before each answer: live-mode tests
        #: insert or touch records here, as if they arrived during the read.
        self.before_answer: Callable[[int], None] | None = None
        self._answered = 0
        self._in_flight = 0
        #: The most requests the emulator was answering at the same moment.
        self.max_in_flight = 0
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()
        self._window_cache: tuple[tuple[Any, ...], list[dict[str, Any]]] | None = None
        self._generation = 0
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Emulator:
        """Start serving on 127.0.0.1 in a background thread."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns promptly
            name="cvframe-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use `with`")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: pass it as ``host``."""
        return f"http://127.0.0.1:{self.port}"

    def client_settings(self) -> dict[str, Any]:
        """Keyword arguments for :class:`cvframe.CallVolumeClient` against this emulator."""
        settings: dict[str, Any] = {
            "host": self.base_url,
            "account_id": self.account_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if self.require_instance_id:
            settings["instance_id"] = self.instance_id
        if self.requests_per_minute is not None:
            settings["requests_per_minute"] = self.requests_per_minute
        return settings

    def settings(self) -> dict[str, Any]:
        """:meth:`client_settings` plus ``org_id``: for :func:`cvframe.read_callvolume`."""
        return {**self.client_settings(), "org_id": self.org_id}

    def env(self) -> dict[str, str]:
        """The ``CVFRAME_*`` environment variables that point cvframe at this emulator."""
        names = {
            "host": "CVFRAME_HOST",
            "account_id": "CVFRAME_ACCOUNT_ID",
            "client_id": "CVFRAME_CLIENT_ID",
            "client_secret": "CVFRAME_CLIENT_SECRET",
            "org_id": "CVFRAME_ORG_ID",
            "instance_id": "CVFRAME_INSTANCE_ID",
        }
        return {names[k]: str(v) for k, v in self.settings().items() if k in names}

    # ------------------------------------------------------------------ data
    def records(
        self, start: str | datetime | None = None, end: str | datetime | None = None
    ) -> list[dict[str, Any]]:
        """The records served for ``[start, end)`` (by interval start), in API order."""
        lo = _parse_time(start, "start") if isinstance(start, str) else start
        hi = _parse_time(end, "end") if isinstance(end, str) else end
        return list(self._window(lo, hi))

    def touch(self, ids: Iterable[str], **changes: Any) -> None:
        """Update served records as the platform does: apply ``changes`` and bump ``__v``.

        ``changes`` use the API's field names, e.g. ``offeredContacts=9``.
        """
        wanted = set(ids)
        with self._lock:
            for original in self._iter_all():
                if original["_id"] in wanted:
                    # Build on the latest served version, so a second touch bumps again.
                    record = self._overrides.get(original["_id"], original)
                    updated = {**record, **changes, "__v": int(record.get("__v", 0)) + 1}
                    self._overrides[record["_id"]] = updated
                    wanted.discard(record["_id"])
            self._generation += 1
        if wanted:
            raise KeyError(f"no served records with ids {sorted(wanted)}")

    def advance(self, end: str | date) -> None:
        """Serve data up to (not including) the UTC day ``end``."""
        with self._lock:
            self.data_end = _as_day(end)
            self._generation += 1

    def insert(self, records: Iterable[dict[str, Any]]) -> None:
        """Serve these extra records too (API field names), in their sorted place."""
        with self._lock:
            self._inserted.extend(dict(r) for r in records)
            self._generation += 1

    def inject(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | float | None = None,
        body: bytes | str | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        kind: FaultKind = "status",
        delay: float = 0.0,
    ) -> None:
        """Misbehave for the next ``times`` requests (see :class:`Fault` for the kinds).

        A ``"status"`` fault is served before auth and paging; the others mangle
        the real answer.
        """
        if kind not in ("status", "reset", "truncate", "timeout"):
            raise ValueError(f"unknown fault kind {kind!r}")
        extra = dict(headers or {})
        if retry_after is not None:
            extra["Retry-After"] = str(retry_after)
        if isinstance(body, dict):
            payload: bytes | None = json.dumps(body).encode()
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = body
        with self._lock:
            self._faults.append(Fault(status, times, payload, extra, kind, delay))

    def _iter_all(self) -> Iterator[dict[str, Any]]:
        day = self.data_start
        while day < self.data_end:
            for q in range(len(self.data.queues)):
                yield from self.data.day(q, day)
            day += timedelta(days=1)

    def _window(self, lo: datetime | None, hi: datetime | None) -> list[dict[str, Any]]:
        key = (lo, hi, self._generation)
        cached = self._window_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        first = self.data_start if lo is None else max(self.data_start, lo.date())
        last = self.data_end if hi is None else min(self.data_end, hi.date() + timedelta(days=1))
        lo_text = format_ts(lo) if lo is not None else ""
        hi_text = format_ts(hi) if hi is not None else "~"
        out: list[dict[str, Any]] = []
        day = first
        while day < last:
            todays: list[dict[str, Any]] = []
            for q in range(len(self.data.queues)):
                todays.extend(self.data.day(q, day))
            todays.sort(key=_ORDER)
            out.extend(
                self._overrides.get(r["_id"], r)
                for r in todays
                if lo_text <= r["intervalStartTimeStamp"] < hi_text
            )
            day += timedelta(days=1)
        extra = [r for r in self._inserted if lo_text <= r["intervalStartTimeStamp"] < hi_text]
        if extra:
            out = sorted(out + extra, key=_ORDER)
        self._window_cache = (key, out)
        return out

    # ------------------------------------------------------------------ serving
    def _rate_limited(self) -> float | None:
        """Seconds to wait if this request is over the limit, else None (and count it)."""
        if self.requests_per_minute is None:
            return None
        capacity = max(1, int(self.requests_per_minute))
        window = 60.0 * capacity / self.requests_per_minute
        now = time.monotonic()
        while self._accepted and now - self._accepted[0] >= window:
            self._accepted.popleft()
        if len(self._accepted) >= capacity:
            return window - (now - self._accepted[0])
        self._accepted.append(now)
        return None

    def _answer(
        self, account: str, headers: Any, raw: bytes
    ) -> tuple[int, dict[str, str], bytes, dict[str, Any] | None]:
        body: dict[str, Any] | None = None
        try:
            parsed = json.loads(raw) if raw else None
            body = parsed if isinstance(parsed, dict) else None
        except ValueError:
            body = None
        with self._lock:
            self._answered += 1
            number = self._answered
            fault = None
            if self._faults:
                fault = self._faults[0]
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.popleft()
        if fault is not None and fault.kind == "status":
            payload = (
                fault.body
                if fault.body is not None
                else _error_body(fault.status, "injected fault")
            )
            return fault.status, fault.headers, payload, body
        if self.before_answer is not None:
            self.before_answer(number)
        status, extra, payload = self._real_answer(account, headers, body)
        if fault is not None:
            if fault.kind == "timeout":
                time.sleep(fault.delay)
            elif fault.kind == "truncate":
                payload = payload[: len(payload) // 2]
            elif fault.kind == "reset":
                extra = {**extra, "X-Emulator-Reset": "1"}
        return status, extra, payload, body

    def _real_answer(
        self, account: str, headers: Any, body: dict[str, Any] | None
    ) -> tuple[int, dict[str, str], bytes]:
        if account != self.account_id:
            return 404, {}, _error_body(404, f"account {account} not found")
        if not self._token_ok(headers.get("auth")):
            return 401, {}, _error_body(401, "Unauthorized")
        if self.require_instance_id and headers.get("iId") != self.instance_id:
            return 400, {}, _error_body(400, "iId header is missing or invalid")
        with self._lock:
            wait = self._rate_limited()
        if wait is not None:
            return (
                429,
                {"Retry-After": str(max(1, math.ceil(wait)))},
                _error_body(429, _RATE_MESSAGE),
            )
        if body is None:
            return 400, {}, _error_body(400, "request body must be a JSON object")
        try:
            lo, hi, skip, limit = self._check_body(body)
        except ValueError as exc:
            return 400, {}, _error_body(400, str(exc))
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            window = self._window(lo, hi)
        if self.max_page_size is not None:
            limit = min(limit, self.max_page_size)
        chunk = window[skip : skip + limit]
        page = {
            "hasMore": skip + len(chunk) < len(window) or self.lie_has_more,
            "CallVolumeUpdate": chunk,
            "totalCount": len(window) + self.total_count_drift * self._answered,
        }
        return 200, {}, json.dumps(page, separators=(",", ":")).encode()

    def _token_ok(self, token: str | None) -> bool:
        if not token:
            return False
        try:
            claims = jwt.decode(token, self.client_secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return False
        return bool(claims.get("appId") == self.client_id)

    def _check_body(self, body: dict[str, Any]) -> tuple[datetime | None, datetime, int, int]:
        if body.get("orgId") != self.org_id:
            raise ValueError(f"orgId {body.get('orgId')!r} is not an organization of this account")
        if "toTimeStamp" not in body:
            raise ValueError("toTimeStamp is required")
        hi = _parse_time(body["toTimeStamp"], "toTimeStamp")
        lo = None
        if body.get("fromTimeStamp") is not None:
            lo = _parse_time(body["fromTimeStamp"], "fromTimeStamp")
            if lo >= hi:
                raise ValueError("fromTimeStamp must be before toTimeStamp")
        skip, limit = body.get("skip", 0), body.get("limit", 100)
        for name, value, least in (("skip", skip, 0), ("limit", limit, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}")
        return lo, hi, skip, limit


def _hex(seed: int, what: str, length: int) -> str:
    return hashlib.sha256(f"{seed}:{what}".encode()).hexdigest()[:length]


def _error_body(status: int, message: str) -> bytes:
    return json.dumps({"errors": [{"msg": message, "code": status}]}).encode()


def _make_handler(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "cvframe-emulator"

        def log_message(self, format: str, *args: Any) -> None:  # quiet by design
            return

        def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            reset = headers.pop("X-Emulator-Reset", None) is not None
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if reset:
                # Promise the whole body, send half of it, then drop the connection.
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(payload)

        def do_POST(self) -> None:
            with emulator._lock:
                emulator._in_flight += 1
                emulator.max_in_flight = max(emulator.max_in_flight, emulator._in_flight)
            try:
                self._post()
            finally:
                with emulator._lock:
                    emulator._in_flight -= 1

        def _post(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            match = _PATH.match(self.path.split("?", 1)[0])
            headers: dict[str, str] = {}
            body: dict[str, Any] | None = None
            if match is None:
                status, payload = 404, _error_body(404, "no such route")
            else:
                status, headers, payload, body = emulator._answer(
                    match["account"], self.headers, raw
                )
            emulator.requests.append(
                RequestRecord(
                    at=time.monotonic(),
                    status=status,
                    body=body,
                    had_auth=bool(self.headers.get("auth")),
                    instance_id=self.headers.get("iId"),
                )
            )
            self._send(status, headers, payload)

        def do_GET(self) -> None:
            self._send(405, {"Allow": "POST"}, _error_body(405, "use POST"))

    return Handler
