"""The emulated endpoint's logic: a :class:`Request` in, an :class:`Answer` out, no sockets.

:class:`EmulatedAPI` answers as the Contact Volume API does (the path, method and page
keys come from :data:`cvframe._endpoints.CALLVOLUME`): it checks the account, the JWT
(401), the ``iId`` header, the rate limit (429) and the body (400), then serves a page
of :class:`~cvframe.emulator._records.ServedRecords`; scripted faults and paging lies
change the answer for tests.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import jwt

from .._endpoints import CALLVOLUME
from ._data import SyntheticData, default_queues, stable_hex
from ._faults import FaultKind, FaultScript, error_body
from ._rate_limit import RateLimit
from ._records import ServedRecords, as_day, parse_time

__all__ = ["Answer", "EmulatedAPI", "Request", "RequestRecord"]

_RATE_MESSAGE = (
    "You've exceeded the per-minute rate limit. Please wait for sometime before retrying."
)
#: The page size of a request whose body gives no ``limit``.
_DEFAULT_LIMIT = 100


def _route(template: str) -> re.Pattern[str]:
    """A path template (``.../account/{account_id}/callvolume``) as a pattern, ``/`` optional."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/?]+)", re.escape(template))
    return re.compile(f"^{pattern}/?$")


_ROUTE = _route(CALLVOLUME.path)


@dataclass(frozen=True)
class Request:
    """One HTTP request as the endpoint sees it: header names in lower case."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Answer:
    """What to send back; ``reset_mid_body``: send half the body, then drop the connection."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    reset_mid_body: bool = False


@dataclass(frozen=True)
class RequestRecord:
    """What the emulator saw of one request (never the token itself)."""

    at: float
    status: int
    body: dict[str, Any] | None
    had_auth: bool
    instance_id: str | None


class EmulatedAPI:
    """The Contact Volume API of one synthetic account: :meth:`_handle` answers a request.

    :class:`cvframe.emulator.Emulator` serves it on 127.0.0.1; its docstring lists the
    parameters.
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
    ) -> None:
        if queues < 1 or days < 0:
            raise ValueError("queues must be >= 1 and days >= 0")
        if requests_per_minute is not None and requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be > 0 or None")
        self.seed = seed
        self.account_id = "6" + stable_hex(seed, "account", length=23)
        self.org_id = (
            "o-" + stable_hex(seed, "org", length=8) + "-" + stable_hex(seed, "org2", length=4)
        )
        self.client_id = "cs-" + stable_hex(seed, "client", length=8) + "-emulator"
        self.instance_id = "st-" + stable_hex(seed, "instance", length=8) + "-emulator"
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
        first_day = as_day(start)
        self._served = ServedRecords(self.data, first_day, first_day + timedelta(days=days))
        #: Every request seen, in order (for tests: rate, bodies, headers present).
        self.requests: list[RequestRecord] = []
        #: Pagination lies, for tests: ``hasMore`` true on the last page, and a
        #: ``totalCount`` that grows by this much with every request answered.
        self.lie_has_more = False
        self.total_count_drift = 0
        #: Called with the request number (1, 2, ...) before each answer: live-mode tests
        #: insert or touch records here, as if they arrived during the read.
        self.before_answer: Callable[[int], None] | None = None
        #: The most requests the emulator was answering at the same moment.
        self.max_in_flight = 0
        self._faults = FaultScript()
        self._rate_limit = None if requests_per_minute is None else RateLimit(requests_per_minute)
        self._lock = threading.Lock()  # guards the counters below
        self._answered = 0
        self._in_flight = 0

    # ------------------------------------------------------------------ data
    @property
    def data_start(self) -> date:
        """The first UTC day with data."""
        return self._served.start

    @property
    def data_end(self) -> date:
        """The UTC day data ends before (exclusive); :meth:`advance` moves it."""
        return self._served.end

    def records(
        self, start: str | datetime | None = None, end: str | datetime | None = None
    ) -> list[dict[str, Any]]:
        """The records served for ``[start, end)`` (by interval start), in API order."""
        lo = parse_time(start, "start") if isinstance(start, str) else start
        hi = parse_time(end, "end") if isinstance(end, str) else end
        return list(self._served.window(lo, hi))

    def touch(self, ids: Iterable[str], **changes: Any) -> None:
        """Update served records as the platform does: apply ``changes`` and bump ``__v``.

        ``changes`` use the API's field names, e.g. ``offeredContacts=9``.
        """
        self._served.touch(ids, **changes)

    def advance(self, end: str | date) -> None:
        """Serve data up to (not including) the UTC day ``end``."""
        self._served.advance(as_day(end))

    def insert(self, records: Iterable[dict[str, Any]]) -> None:
        """Serve these extra records too (API field names), in their sorted place."""
        self._served.insert(records)

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
        self._faults.add(
            status,
            times=times,
            retry_after=retry_after,
            body=body,
            headers=headers,
            kind=kind,
            delay=delay,
        )

    # ------------------------------------------------------------------ answering
    def _handle(self, request: Request) -> Answer:
        """Answer one request, as the API would (and record it in :attr:`requests`).

        Private, so that :class:`~cvframe.emulator.Emulator`, which inherits it and hands
        it to its socket server, shows no method taking the emulator's internal
        ``Request``/``Answer`` types; tests call it to answer without a socket.

        >>> api = EmulatedAPI(days=1, queues=1)
        >>> answer = api._handle(Request("POST", "/nowhere"))
        >>> answer.status, json.loads(answer.body)["errors"][0]["msg"]
        (404, 'no such route')
        """
        if request.method != CALLVOLUME.method:
            return Answer(
                405, {"Allow": CALLVOLUME.method}, error_body(405, f"use {CALLVOLUME.method}")
            )
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            match = _ROUTE.match(request.path.split("?", 1)[0])
            body: dict[str, Any] | None = None
            if match is None:
                answer = Answer(404, {}, error_body(404, "no such route"))
            else:
                body = _json_object(request.body)
                answer = self._answer(match["account_id"], request.headers, body)
            self.requests.append(
                RequestRecord(
                    at=time.monotonic(),
                    status=answer.status,
                    body=body,
                    had_auth=bool(request.headers.get("auth")),
                    instance_id=request.headers.get("iid"),
                )
            )
            return answer
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(
        self, account: str, headers: Mapping[str, str], body: dict[str, Any] | None
    ) -> Answer:
        """A request to the endpoint's path: a scripted fault, or the real answer mangled."""
        with self._lock:
            self._answered += 1
            number = self._answered
            fault = self._faults.next_fault()
        if fault is not None and fault.kind == "status":
            payload = (
                fault.body if fault.body is not None else error_body(fault.status, "injected fault")
            )
            return Answer(fault.status, fault.headers, payload)
        if self.before_answer is not None:
            self.before_answer(number)
        answer = self._real_answer(account, headers, body)
        if fault is None:
            return answer
        if fault.kind == "timeout":
            time.sleep(fault.delay)
            return answer
        if fault.kind == "truncate":
            return Answer(answer.status, answer.headers, answer.body[: len(answer.body) // 2])
        return Answer(answer.status, answer.headers, answer.body, reset_mid_body=True)

    def _real_answer(
        self, account: str, headers: Mapping[str, str], body: dict[str, Any] | None
    ) -> Answer:
        """The answer of a well-behaved server: an error, or one page of the window."""
        if account != self.account_id:
            return Answer(404, {}, error_body(404, f"account {account} not found"))
        if not self._token_ok(headers.get("auth")):
            return Answer(401, {}, error_body(401, "Unauthorized"))
        if self.require_instance_id and headers.get("iid") != self.instance_id:
            return Answer(400, {}, error_body(400, "iId header is missing or invalid"))
        wait = None if self._rate_limit is None else self._rate_limit.refusal()
        if wait is not None:
            retry_after = {"Retry-After": str(max(1, math.ceil(wait)))}
            return Answer(429, retry_after, error_body(429, _RATE_MESSAGE))
        if body is None:
            return Answer(400, {}, error_body(400, "request body must be a JSON object"))
        try:
            lo, hi, skip, limit = self._window_asked(body)
        except ValueError as exc:
            return Answer(400, {}, error_body(400, str(exc)))
        if self.latency:
            time.sleep(self.latency)
        window = self._served.window(lo, hi)
        if self.max_page_size is not None:
            limit = min(limit, self.max_page_size)
        chunk = window[skip : skip + limit]
        page = {
            CALLVOLUME.has_more_key: skip + len(chunk) < len(window) or self.lie_has_more,
            CALLVOLUME.records_key: chunk,
            CALLVOLUME.total_key: len(window) + self.total_count_drift * self._answered,
        }
        return Answer(200, {}, json.dumps(page, separators=(",", ":")).encode())

    def _token_ok(self, token: str | None) -> bool:
        """Whether ``token`` is a JWT this account's client signed."""
        if not token:
            return False
        try:
            claims = jwt.decode(token, self.client_secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return False
        return bool(claims.get("appId") == self.client_id)

    def _window_asked(self, body: dict[str, Any]) -> tuple[datetime | None, datetime, int, int]:
        """The body's window and page (``lo``, ``hi``, ``skip``, ``limit``), or ValueError."""
        if body.get("orgId") != self.org_id:
            raise ValueError(f"orgId {body.get('orgId')!r} is not an organization of this account")
        if "toTimeStamp" not in body:
            raise ValueError("toTimeStamp is required")
        hi = parse_time(body["toTimeStamp"], "toTimeStamp")
        lo = None
        if body.get("fromTimeStamp") is not None:
            lo = parse_time(body["fromTimeStamp"], "fromTimeStamp")
            if lo >= hi:
                raise ValueError("fromTimeStamp must be before toTimeStamp")
        skip, limit = body.get("skip", 0), body.get("limit", _DEFAULT_LIMIT)
        for name, value, least in (("skip", skip, 0), ("limit", limit, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}")
        return lo, hi, skip, limit


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None (empty, not JSON, or not an object)."""
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
