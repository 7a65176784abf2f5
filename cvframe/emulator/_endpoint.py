"""The emulated API's logic: a :class:`Request` in, an :class:`Answer` out, no sockets.

:class:`EmulatedAPI` answers every endpoint of the WFM Integration scope declared in
:mod:`cvframe._endpoints` (path, method, page keys and spellings come from the
declarations): call volume (with its skill breakdown on request), agent performance,
agent activity, queues and agents. For each it checks the account (404), the JWT
(401), the ``iId`` header, the one rate limit of the account (429) and the request
(400), then serves the answer; scripted faults and paging lies change the answer for
tests, whichever endpoint is asked.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jwt

from .._endpoints import (
    AGENT_ACTIVITY,
    AGENT_PERFORMANCE,
    AGENTS,
    CALLVOLUME,
    QUEUES,
    SKILL_VOLUME,
    Endpoint,
)
from ._data import SyntheticData, default_queues, stable_hex
from ._faults import FaultKind, FaultScript, error_body
from ._rate_limit import RateLimit
from ._records import ServedRecords, as_day, parse_time
from ._skills import skill_breakdown
from ._workforce import Event, WorkforceData

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


#: The endpoints served, each at its declared path (the skill breakdown is call
#: volume's path with a body flag).
_SERVED = (CALLVOLUME, AGENT_PERFORMANCE, AGENT_ACTIVITY, QUEUES, AGENTS)
_ROUTES = tuple((_route(e.path), e) for e in _SERVED)
#: The body flag that asks call volume for its skill breakdown.
_SKILL_FLAG = next(iter(SKILL_VOLUME.extra_params))
#: The sample's spellings of each declared field (PascalCase where the samples use it).
_SAMPLE_SPELLING = {
    e.name: {declared: sample for sample, declared in e.aliases.items()}
    for e in (AGENT_ACTIVITY, QUEUES)
}


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
    #: The endpoint asked (its declared name, ``"skillvolume"`` for call volume with
    #: the skill breakdown), None for a path that is no endpoint.
    endpoint: str | None = None
    #: The query parameters of a GET (first value of each), None for a POST.
    query: dict[str, str] | None = None


class EmulatedAPI:
    """The WFM Integration API of one synthetic account: :meth:`_handle` answers a request.

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
        activity_time_zone: str = "UTC",
        camel_case: bool = False,
        rate_window: float = 60.0,
        latency_per_record: float = 0.0,
    ) -> None:
        if queues < 1 or days < 0:
            raise ValueError("queues must be >= 1 and days >= 0")
        if requests_per_minute is not None and requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be > 0 or None")
        if not rate_window > 0 or not math.isfinite(rate_window):
            raise ValueError(
                f"rate_window must be a finite number of seconds > 0, got {rate_window!r}"
            )
        if not latency_per_record >= 0 or not math.isfinite(latency_per_record):
            raise ValueError(
                f"latency_per_record must be a finite number of seconds >= 0, got "
                f"{latency_per_record!r}"
            )
        if max_page_size is not None and (
            isinstance(max_page_size, bool)
            or not isinstance(max_page_size, int)
            or max_page_size < 1
        ):
            raise ValueError(
                f"max_page_size must be a whole number >= 1 or None, got {max_page_size!r}"
            )
        try:
            self._zone = ZoneInfo(activity_time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"activity_time_zone {activity_time_zone!r} is not an IANA time zone "
                "(e.g. 'UTC', 'America/New_York')"
            ) from None
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
        self.rate_window = rate_window
        self.latency_per_record = latency_per_record
        self.require_instance_id = require_instance_id
        self.activity_time_zone = activity_time_zone
        self.camel_case = camel_case
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
        self._rate_limit = (
            None
            if requests_per_minute is None
            else RateLimit(requests_per_minute, window=rate_window)
        )
        self._lock = threading.Lock()  # guards the counters below
        self._answered = 0
        self._in_flight = 0
        # The agents and their work: made on the first request that needs them, so
        # that an emulator serving only call volume stays as cheap as it was.
        self._workforce_data: WorkforceData | None = None
        self._performance_cache: tuple[tuple[Any, ...], list[dict[str, Any]]] | None = None

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
        self,
        start: str | datetime | None = None,
        end: str | datetime | None = None,
        *,
        skill_breakdown: bool = False,
    ) -> list[dict[str, Any]]:
        """The records served for ``[start, end)`` (by interval start), in API order.

        Parameters
        ----------
        start, end : str or datetime, optional
            The window (ISO 8601, naive is UTC); None leaves that side open.
        skill_breakdown : bool, default False
            Each record as served to a request with ``includeSkillBreakdown: true``:
            with its ``skillBreakdown`` list of 1-3 skills, whose sums reach at least
            the record's totals (a contact counts once per skill it needed).

        Returns
        -------
        list of dict
            The records, API field names.

        Examples
        --------
        >>> api = EmulatedAPI(days=1, queues=1)
        >>> record = api.records("2023-01-02T09:00:00Z", "2023-01-02T09:15:00Z",
        ...                      skill_breakdown=True)[0]
        >>> skills = record["skillBreakdown"]
        >>> sum(s["offeredContacts"] for s in skills) >= record["offeredContacts"]
        True
        """
        lo = parse_time(start, "start") if isinstance(start, str) else start
        hi = parse_time(end, "end") if isinstance(end, str) else end
        window = self._served.window(lo, hi)
        return self._with_skills(window) if skill_breakdown else list(window)

    def queues(self) -> list[dict[str, Any]]:
        """The ``queues`` answer: ``[{accountId, collectionPointId, Description}]``.

        Returns
        -------
        list of dict
            One per queue, in the order they were made; ``collectionPointId`` is the
            ``queueId`` of the call-volume records. The third key is spelled
            ``description`` when the emulator serves the field tables' spellings
            (``camel_case=True``).

        Examples
        --------
        >>> EmulatedAPI(queues=2).queues()[1]["Description"]
        'Tech Support'
        """
        return [
            self._spelled(
                QUEUES,
                {
                    "accountId": self.account_id,
                    "collectionPointId": spec.queue_id,
                    "description": spec.name,
                },
            )
            for spec in self.data.queues
        ]

    def agents(self) -> list[dict[str, Any]]:
        """Every agent, ``{accountId, agentId, firstName, lastName}``, sorted by id.

        Returns
        -------
        list of dict
            The whole directory, which the ``agents`` endpoint pages with
            ``offset``/``limit``. Every agent that agent performance or agent activity
            names is in it; the list does not depend on any window.

        Examples
        --------
        >>> agent = EmulatedAPI(queues=1).agents()[0]
        >>> sorted(agent), agent["agentId"][:2]
        (['accountId', 'agentId', 'firstName', 'lastName'], 'a-')
        """
        return [
            {
                "accountId": self.account_id,
                "agentId": agent.agent_id,
                "firstName": agent.first_name,
                "lastName": agent.last_name,
            }
            for agent in sorted(self._workforce.agents, key=lambda a: a.agent_id)
        ]

    def agent_performance(
        self, start: str | datetime | None = None, end: str | datetime | None = None
    ) -> list[dict[str, Any]]:
        """The agent-performance items for ``[start, end)`` (by interval start), as served.

        Parameters
        ----------
        start, end : str or datetime, optional
            The window (ISO 8601 or a date, naive is UTC); None leaves that side open.

        Returns
        -------
        list of dict
            One ``{agentId, intervals: [{intervalStartTimeStamp, intervalEndTimeStamp,
            queues: [...]}]}`` per agent with any work in the window, sorted by agent
            id (what ``skip``/``limit`` page over). For each queue and interval the
            agents' ``answeredContacts``, ``completedContacts`` and durations add up
            exactly to the call-volume record's; no agent carries more than 90% of an
            interval in handle time. The other rules (offered, abandoned, transfers,
            CSAT) are in the module docstring of ``cvframe.emulator._workforce``.

        Examples
        --------
        >>> api = EmulatedAPI(days=1, queues=1)
        >>> items = api.agent_performance("2023-01-02T09:00:00Z", "2023-01-02T09:15:00Z")
        >>> record = api.records("2023-01-02T09:00:00Z", "2023-01-02T09:15:00Z")[0]
        >>> sum(q["completedContacts"] for item in items for i in item["intervals"]
        ...     for q in i["queues"]) == record["completedContacts"]
        True
        """
        lo = None if start is None else _moment(start, "start")
        hi = None if end is None else _moment(end, "end")
        return list(self._performance_window(lo, hi))

    def agent_activity(self, start: str | datetime, end: str | datetime) -> list[dict[str, Any]]:
        """The agent-activity events with a time in ``[start, end)``, as served.

        Parameters
        ----------
        start, end : str or datetime
            The window (ISO 8601 or a date, naive is UTC).

        Returns
        -------
        list of dict
            ``{AgentId, EventTime, Activity, ReasonCode}`` (camelCase keys with
            ``camel_case=True``), by time then agent; ``EventTime`` is ``MM/DD/YYYY
            H:MM:SS`` (unpadded hour, whole seconds) in ``activity_time_zone``.
            Activities: ``available``, ``busy`` (talk and hold), ``acw``
            (after-contact work), ``notready`` (``ReasonCode`` ``"1"`` break, ``"2"``
            lunch, ``"3"`` meeting) and ``logout``; every activity but ``notready``
            has ``ReasonCode`` ``"0"``. Per agent and interval of a shift, busy and
            acw last the agent performance's talk + hold and acw rounded down to the
            second, available the rest of the 900 seconds. A shift that ends at
            midnight UTC logs out at 00:00:00 of the next day: ask past it.

        Examples
        --------
        >>> api = EmulatedAPI(days=1, queues=1)
        >>> first = api.agent_activity("2023-01-02", "2023-01-03")[0]
        >>> first["EventTime"], first["Activity"]
        ('01/02/2023 0:00:00', 'available')
        """
        lo, hi = _moment(start, "start"), _moment(end, "end")
        return [self._event_item(e) for e in self._events(lo, hi)]

    def touch(self, ids: Iterable[str], **changes: Any) -> None:
        """Update served records as the platform does: apply ``changes`` and bump ``__v``.

        ``changes`` use the API's field names, e.g. ``offeredContacts=9``. Agent
        performance and activity keep following the synthetic records.
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
        the real answer. Faults count requests to any endpoint.
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
        path, _, query_text = request.path.partition("?")
        routed = [(m, e) for m, e in ((r.match(path), e) for r, e in _ROUTES) if m is not None]
        if routed and routed[0][1].method != request.method:
            method = routed[0][1].method
            return Answer(405, {"Allow": method}, error_body(405, f"use {method}"))
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            body: dict[str, Any] | None = None
            query: dict[str, str] | None = None
            name: str | None = None
            if not routed:
                answer = Answer(404, {}, error_body(404, "no such route"))
            else:
                match, endpoint = routed[0]
                name = endpoint.name
                if endpoint.method == "POST":
                    body = _json_object(request.body)
                    if endpoint is CALLVOLUME and body is not None and body.get(_SKILL_FLAG):
                        name = SKILL_VOLUME.name
                else:
                    parsed = parse_qs(query_text, keep_blank_values=True)
                    query = {key: values[0] for key, values in parsed.items()}
                answer = self._answer(endpoint, match["account_id"], request.headers, body, query)
            self.requests.append(
                RequestRecord(
                    at=time.monotonic(),
                    status=answer.status,
                    body=body,
                    had_auth=bool(request.headers.get("auth")),
                    instance_id=request.headers.get("iid"),
                    endpoint=name,
                    query=query,
                )
            )
            return answer
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(
        self,
        endpoint: Endpoint,
        account: str,
        headers: Mapping[str, str],
        body: dict[str, Any] | None,
        query: dict[str, str] | None,
    ) -> Answer:
        """A request to an endpoint's path: a scripted fault, or the real answer mangled."""
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
        answer = self._real_answer(endpoint, account, headers, body, query or {})
        if fault is None:
            return answer
        if fault.kind == "timeout":
            time.sleep(fault.delay)
            return answer
        if fault.kind == "truncate":
            return Answer(answer.status, answer.headers, answer.body[: len(answer.body) // 2])
        return Answer(answer.status, answer.headers, answer.body, reset_mid_body=True)

    def _real_answer(
        self,
        endpoint: Endpoint,
        account: str,
        headers: Mapping[str, str],
        body: dict[str, Any] | None,
        query: dict[str, str],
    ) -> Answer:
        """The answer of a well-behaved server: an error, or the endpoint's answer."""
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
        if endpoint.method == "POST" and body is None:
            return Answer(400, {}, error_body(400, "request body must be a JSON object"))
        try:
            if endpoint is CALLVOLUME:
                payload: Any = self._callvolume_page(body or {})
            elif endpoint is AGENT_PERFORMANCE:
                payload = self._performance_page(body or {})
            elif endpoint is AGENT_ACTIVITY:
                payload = self._activity_answer(query)
            elif endpoint is QUEUES:
                payload = self.queues()
            else:
                payload = self._agents_page(query)
        except ValueError as exc:
            return Answer(400, {}, error_body(400, str(exc)))
        return Answer(200, {}, json.dumps(payload, separators=(",", ":")).encode())

    def _token_ok(self, token: str | None) -> bool:
        """Whether ``token`` is a JWT this account's client signed."""
        if not token:
            return False
        try:
            claims = jwt.decode(token, self.client_secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return False
        return bool(claims.get("appId") == self.client_id)

    # ------------------------------------------------------------------ each endpoint
    def _callvolume_page(self, body: dict[str, Any]) -> dict[str, Any]:
        """One page of call-volume records (with their skills if the body asks)."""
        if body.get("orgId") != self.org_id:
            raise ValueError(f"orgId {body.get('orgId')!r} is not an organization of this account")
        skills = body.get(_SKILL_FLAG, False)
        if not isinstance(skills, bool):
            raise ValueError(f"{_SKILL_FLAG} must be true or false")
        lo, hi = _body_window(body)
        skip, limit = _paging(body, "skip", "limit")
        self._wait()
        window = self._served.window(lo, hi)
        chunk = window[skip : skip + self._capped(limit)]
        self._wait_per_record(len(chunk))
        return self._paged(CALLVOLUME, skip, chunk, len(window), skills)

    def _performance_page(self, body: dict[str, Any]) -> dict[str, Any]:
        """One page of agent performance: ``skip``/``limit`` count agents."""
        lo, hi = _body_window(body)
        skip, limit = _paging(body, "skip", "limit")
        self._wait()
        agents = self._performance_window(lo, hi)
        chunk = agents[skip : skip + self._capped(limit)]
        self._wait_per_record(len(chunk))
        return self._paged(AGENT_PERFORMANCE, skip, chunk, len(agents), False)

    def _paged(
        self, endpoint: Endpoint, skip: int, chunk: list[Any], total: int, skills: bool
    ) -> dict[str, Any]:
        """A skip/limit page under the endpoint's keys, with the paging lies asked for."""
        assert endpoint.records_key and endpoint.has_more_key and endpoint.total_key
        return {
            endpoint.has_more_key: skip + len(chunk) < total or self.lie_has_more,
            endpoint.records_key: self._with_skills(chunk) if skills else chunk,
            endpoint.total_key: total + self.total_count_drift * self._answered,
        }

    def _activity_answer(self, query: dict[str, str]) -> dict[str, Any]:
        """Every event of the query's window (the endpoint does not page)."""
        assert AGENT_ACTIVITY.window_keys and AGENT_ACTIVITY.records_key
        names = AGENT_ACTIVITY.window_keys
        for name in names:
            if not query.get(name):
                raise ValueError(f"{name} is required (an ISO 8601 query parameter)")
        lo, hi = (parse_time(query[name], name) for name in names)
        if lo >= hi:
            raise ValueError(f"{names[0]} must be before {names[1]}")
        self._wait()
        key = AGENT_ACTIVITY.records_key
        if not self.camel_case:
            key = _SAMPLE_SPELLING[AGENT_ACTIVITY.name].get(key, key)
        return {"accountId": self.account_id, key: self.agent_activity(lo, hi)}

    def _agents_page(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """One page of the agents directory: ``offset``/``limit``, no more-pages flag."""
        numbers: dict[str, Any] = {}
        for name in ("offset", "limit"):
            if name in query:
                try:
                    numbers[name] = int(query[name])
                except ValueError:
                    numbers[name] = query[name]
        offset, limit = _paging(numbers, "offset", "limit")
        self._wait()
        return self.agents()[offset : offset + self._capped(limit)]

    # ------------------------------------------------------------------ helpers
    @property
    def _workforce(self) -> WorkforceData:
        with self._lock:
            if self._workforce_data is None:
                self._workforce_data = WorkforceData(self.data)
            return self._workforce_data

    def _performance_window(self, lo: datetime | None, hi: datetime | None) -> list[dict[str, Any]]:
        """The agents' items of a window (the last one asked is kept: pages repeat it)."""
        key = (lo, hi, self._served.start, self._served.end)
        cached = self._performance_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        first, last = self._days(lo, hi)
        items = self._workforce.performance(first, last, lo, hi)
        self._performance_cache = (key, items)
        return items

    def _events(self, lo: datetime, hi: datetime) -> list[Event]:
        # A shift that ends at midnight logs out on the next day: look one day back.
        first, last = self._days(lo - timedelta(days=1), hi)
        return self._workforce.events(first, last, lo, hi)

    def _days(self, lo: datetime | None, hi: datetime | None) -> tuple[date, date]:
        """The served UTC days ``[first, last)`` that ``[lo, hi)`` touches."""
        first = self._served.start if lo is None else max(self._served.start, lo.date())
        last = self._served.end if hi is None else min(self._served.end, hi.date() + timedelta(1))
        return first, last

    def _event_item(self, event: Event) -> dict[str, Any]:
        local = datetime.fromtimestamp(event.at, UTC).astimezone(self._zone)
        return self._spelled(
            AGENT_ACTIVITY,
            {
                "agentId": event.agent_id,
                "eventTime": f"{local:%m/%d/%Y} {local.hour}:{local:%M:%S}",
                "activity": event.activity,
                "reasonCode": event.reason_code,
            },
        )

    def _spelled(self, endpoint: Endpoint, item: dict[str, Any]) -> dict[str, Any]:
        """``item`` (declared field names) in the samples' spelling unless ``camel_case``."""
        if self.camel_case:
            return item
        spelling = _SAMPLE_SPELLING[endpoint.name]
        return {spelling.get(k, k): v for k, v in item.items()}

    def _with_skills(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "skillBreakdown": skill_breakdown(self.seed, r)} for r in records]

    def _capped(self, limit: int) -> int:
        return limit if self.max_page_size is None else min(limit, self.max_page_size)

    def _wait(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    def _wait_per_record(self, served: int) -> None:
        """A server's cost of a larger page: ``latency_per_record`` for each record served."""
        if self.latency_per_record and served:
            time.sleep(self.latency_per_record * served)


def _moment(value: str | datetime, name: str) -> datetime:
    """A window bound: an ISO 8601 string or a datetime (naive is UTC), as aware UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return parse_time(value if "T" in value else value + "T00:00:00Z", name)


def _body_window(body: dict[str, Any]) -> tuple[datetime | None, datetime]:
    """A POST body's window (``fromTimeStamp`` optional, ``toTimeStamp`` required)."""
    if "toTimeStamp" not in body:
        raise ValueError("toTimeStamp is required")
    hi = parse_time(body["toTimeStamp"], "toTimeStamp")
    lo = None
    if body.get("fromTimeStamp") is not None:
        lo = parse_time(body["fromTimeStamp"], "fromTimeStamp")
        if lo >= hi:
            raise ValueError("fromTimeStamp must be before toTimeStamp")
    return lo, hi


def _paging(values: Mapping[str, Any], start: str, size: str) -> tuple[int, int]:
    """The page asked (``skip``/``limit`` or ``offset``/``limit``), or ValueError."""
    first, count = values.get(start, 0), values.get(size, _DEFAULT_LIMIT)
    for name, value, least in ((start, first, 0), (size, count, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}")
    return first, count


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None (empty, not JSON, or not an object)."""
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
