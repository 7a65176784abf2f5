"""The client of one account's WFM Integration scope: settings -> credentials -> transport -> pages.

One :class:`CallVolumeClient` reads every endpoint of the scope through one
:class:`~cvframe._api._transport.RetryingTransport`, so one rate limiter counts every
request of the account (the documented 60 a minute are per account, not per endpoint).
How each endpoint pages is its declaration's (:mod:`cvframe._endpoints`): ``skip``/
``limit`` (:meth:`CallVolumeClient.iter_pages`), ``offset``/``limit``
(:meth:`CallVolumeClient.iter_directory_pages`), one answer (:meth:`CallVolumeClient.
list_queues`) or windows cut into chunks (:meth:`CallVolumeClient.iter_activity`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._endpoints import AGENT_ACTIVITY, AGENTS, CALLVOLUME, QUEUES, Endpoint, endpoint_named
from .._errors import APIError
from .._times import TimeLike, format_api_time, resolve_window
from ._auth import Credentials
from ._chunks import parse_updates, split_window
from ._listing import OffsetLimitPaginator, parse_array
from ._paging import (
    AUTO,
    AUTO_FIRST_PAGE_SIZE,
    Page,
    PageSize,
    PageSizer,
    SkipLimitPaginator,
    check_page_size,
    parse_page,
)
from ._settings import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_REQUESTS_PER_MINUTE,
    DEFAULT_TIMEOUT,
    SETTINGS_ARGUMENTS,
    Settings,
    resolve_org_id,
)
from ._transport import (
    DEFAULT_MAX_PAGE_BYTES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_MAX_TOTAL_WAIT,
    Clock,
    PageTooLargeError,
    RetryingTransport,
    WaitBudget,
)
from ._typed import PageDecoder
from ._wire import Transport

if TYPE_CHECKING:
    import requests

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_PAGE_SIZE", "MAX_CONCURRENCY", "CallVolumeClient"]

#: Records asked for per request. The API documents no maximum; 1000 keeps pages small
#: enough to parse quickly and few enough to stay far below the rate limit.
DEFAULT_PAGE_SIZE = 1000
#: Requests in flight at once in read_callvolume: enough to hide a page's latency at the
#: API's rate limit; the limiter, not this, decides how many requests a minute are sent.
DEFAULT_CONCURRENCY = 4
#: The most requests in flight one client allows (its connection pool holds as many).
MAX_CONCURRENCY = 16
#: Statuses with which a server may refuse a ``limit`` above ``page_size`` (the overlap
#: on top, see :mod:`cvframe._api._paging`): the request is then sent again with ``page_size``.
LIMIT_REFUSED_STATUSES = frozenset({400, 413, 422})
#: Where ``page_size="auto"`` starts for an endpoint whose items are not single records
#: (an agent's page of agent performance holds all its intervals): its reader's default.
AUTO_FIRST_PAGE_SIZES = {"agentperformance": 25}

log = logging.getLogger("cvframe")


class CallVolumeClient:
    """A connection to one account's WFM Integration endpoints: every one of them.

    Call volume (and its skill breakdown), agent performance, agent activity, queues
    and agents are all read through this one client's transport: one rate limit for
    the account, the same retries, timeouts, size cap, redaction and ``iId`` header.
    Every setting left as None is read from its environment variable.

    Parameters
    ----------
    host : str, optional
        ``platform.kore.ai`` (https implied) or a base URL. ``$CVFRAME_HOST``.
        Plain ``http://`` only for loopback hosts (or with ``allow_insecure_http``).
    account_id : str, optional
        The account id in the endpoint's path. ``$CVFRAME_ACCOUNT_ID``.
    token : str, optional
        A ready JWT, sent raw in the ``auth`` header. ``$CVFRAME_TOKEN``.
    client_id, client_secret : str, optional
        The app's credentials, used to sign a JWT (HS256, ``{"appId": client_id}``)
        when no token is given. ``$CVFRAME_CLIENT_ID``, ``$CVFRAME_CLIENT_SECRET``.
        When a token is set too, the token wins and these are ignored (an INFO
        log line says so).
    instance_id : str, optional
        Sent as the ``iId`` header, which newer API revisions require.
        ``$CVFRAME_INSTANCE_ID``.
    requests_per_minute : float, default 60
        Client-side limit per account; 60 is the documented API limit.
    max_retries : int, default 5
        Retries of 429, 502, 503, 504, connection errors and read timeouts.
    timeout : float, default 30.0
        Seconds for connecting and for each next byte of an answer.
    deadline : float, optional
        Seconds for a whole request: connecting, the headers and the whole body
        (default ``4 * timeout``). A server that drips its answer misses it; the
        request then counts as failed and is retried. With a ``session`` of your own,
        only the body is held to it (the headers need cvframe's own adapter).
    max_retry_wait : float, default 120.0
        The longest wait before a retry. A ``Retry-After`` asking for more ends the
        read at once with :class:`cvframe.RateLimitError` (for a 429) saying what the
        server asked for.
    max_total_wait : float, default 600.0
        The most one read (every page and pass of one ``read_callvolume`` or one
        :meth:`iter_pages`) waits before retries altogether; a retry that would pass
        it ends the read with the error at hand.
    max_page_bytes : int, default 64 MiB
        The largest answer accepted, counted after gzip decoding; a bigger one is a
        :class:`cvframe.ResponseError`, not retried.
    session : requests.Session, optional
        Your own session (proxies, certificates). Not closed by cvframe.
    allow_insecure_http : bool, default False
        Allow ``http://`` to a host that is not loopback.
    clock : optional
        What the rate limit and the retries tell time by (``monotonic``, ``sleep``,
        ``time``); a test hands in a fake so that nothing really sleeps.
    transport : Transport, optional
        What does each exchange (sends a request, hands back the whole answer): by
        default one ``requests`` session. A test hands in a fake; see
        :class:`cvframe.Transport` for the contract. The rate limit, retries, errors
        and redaction stay the client's. Not closed by cvframe; not with ``session``.

    Examples
    --------
    >>> import cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=1) as emu, cvframe.CallVolumeClient(**emu.client_settings()) as c:
    ...     pages = list(c.iter_pages(emu.org_id, "2023-01-02", "2023-01-03", page_size=100))
    >>> pages[-1].has_more, sum(len(p.records) for p in pages) == pages[0].total_count
    (False, True)
    """

    def __init__(
        self,
        host: str | None = None,
        account_id: str | None = None,
        *,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        instance_id: str | None = None,
        requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        max_total_wait: float = DEFAULT_MAX_TOTAL_WAIT,
        max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
        session: requests.Session | None = None,
        allow_insecure_http: bool = False,
        clock: Clock | None = None,
        transport: Transport | None = None,
    ) -> None:
        # The connection settings are Settings.resolve's to define and check; the ones
        # this signature shares with it are passed on by name (tests/api/test_settings.py
        # checks that both signatures agree on them).
        given = locals()
        self.settings = Settings.resolve(**{name: given[name] for name in SETTINGS_ARGUMENTS})
        if transport is not None and session is not None:
            raise ValueError("pass either session=... or transport=..., not both")
        wire: Transport
        if transport is None:
            # requests (and urllib3, ssl) load with the first client that needs them, not
            # with ``import cvframe``.
            from ._requests_transport import RequestsTransport

            wire = RequestsTransport(session)
        else:
            wire = transport
        self._transport = RetryingTransport(
            self.settings.url_for(CALLVOLUME),
            Credentials(self.settings),
            wire,
            method=CALLVOLUME.method,
            close_wire=transport is None,
            requests_per_minute=self.settings.requests_per_minute,
            max_retries=self.settings.max_retries,
            timeout=self.settings.timeout,
            clock=clock,
            deadline=deadline,
            max_retry_wait=max_retry_wait,
            max_total_wait=max_total_wait,
            max_page_bytes=max_page_bytes,
        )
        # Set once the server refuses a limit above page_size: later reads ask for less.
        self._limit_refused = False

    @property
    def transport(self) -> RetryingTransport:
        """The HTTP layer: rate limit and retries around the ``transport`` given (its ``wire``).

        Its counters ``requests_sent`` and ``retries``, its ``wait_budget()`` and its
        ``wire`` are public.
        """
        return self._transport

    def url_for(self, endpoint: str | Endpoint) -> str:
        """The full URL of ``endpoint`` (a name, like ``"agents"``, or a declaration)."""
        return self.settings.url_for(endpoint_named(endpoint))

    def request(
        self,
        endpoint: str | Endpoint,
        *,
        body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        waits: WaitBudget | None = None,
        too_large_hint: str | None = None,
        timings: list[float] | None = None,
        sizes: list[int] | None = None,
        decoder: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """One request to ``endpoint`` through the client's one transport; its decoded JSON.

        ``timings`` gets the seconds of the answering exchange appended, ``sizes`` its
        body's bytes, and ``decoder`` decodes the body first when it can (see
        :meth:`RetryingTransport.request_json`).
        """
        declared = endpoint_named(endpoint)
        return self._transport.request_json(
            body,
            waits=waits,
            url=self.settings.url_for(declared),
            method=declared.method,
            query=query,
            too_large_hint=too_large_hint,
            timings=timings,
            sizes=sizes,
            decoder=decoder,
        )

    def iter_pages(
        self,
        org_id: str | None = None,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        page_size: PageSize = DEFAULT_PAGE_SIZE,
        concurrency: int = 1,
        waits: WaitBudget | None = None,
        endpoint: str | Endpoint = "callvolume",
    ) -> Iterator[Page]:
        """Yield the pages of ``[start, end)`` in order, each item once per version.

        For the ``skip``/``limit`` endpoints: ``"callvolume"`` (the default),
        ``"skillvolume"`` (call volume with its skill breakdown) and
        ``"agentperformance"``, whose pages count AGENTS (each item an agent with its
        intervals and queues; ``totalCount`` counts agents).

        Each request overlaps the page before by a few items (three; see the
        README's "Reading"): a page that shares none of them is read again from
        further back, so an item that exists for the whole read is yielded whatever
        is inserted, deleted or updated meanwhile. The overlap's items are left out
        of the pages yielded unless they changed in between.

        Parameters
        ----------
        org_id : str, optional
            The organization id; ``$CVFRAME_ORG_ID`` when None. Only sent to the
            endpoints that take one (call volume); ignored by agent performance.
        start : str, datetime or Timestamp, optional
            Window start (naive = UTC). None asks from the first record there is.
        end : str, datetime or Timestamp, optional
            Window end (naive = UTC); None is now.
        page_size : int or "auto", default 1000
            The ``limit`` of each request, and the new items each brings. When the
            first page's ``totalCount`` shows that the overlap would cost a request,
            the later requests ask for ``page_size`` plus the overlap (at most three
            more). The server may send fewer.

            ``"auto"`` finds the largest page the server serves well: it starts at
            1,000 items (25 agents for agent performance) and doubles after every
            full page answered within 4 seconds (``AUTO_LATENCY_BUDGET``), up to
            16 times the start (16,000 records), and only while the next page's
            expected body (the last page's bytes per item times the next size) stays
            under half of ``max_page_bytes``. It settles at the server's cap when
            a page brings fewer items than asked while more remain, where the bytes
            allow no more, and one step back when a page is slower than that, its
            ``limit`` is refused or its body is above ``max_page_bytes`` (that page
            is asked for again; never below the start, where a body too large stays
            the error). The pages are read one at a time until it settles.
        concurrency : int, default 1
            Requests in flight at once after the first page has told ``totalCount``
            (with ``page_size="auto"``, once the page size has settled).
            The rate limit holds whatever this is; more only hides latency.
        waits : WaitBudget, optional
            The retry waiting this read may still do (``max_total_wait``). By default
            a fresh one; pass one from :meth:`RetryingTransport.wait_budget` to share it
            across several calls that make up one read (``read_callvolume``'s passes).
        endpoint : str or Endpoint, default "callvolume"
            Which endpoint to page through.

        Yields
        ------
        Page
            ``records`` (the items, API field names), ``has_more``, ``total_count``,
            ``skip``, ``ids`` (the items' ids: record ids, or agent ids).

        Raises
        ------
        ValueError
            For bad arguments, or an endpoint that does not page with skip/limit.
        cvframe.ResponseError
            When the pages cannot add up (see :meth:`SkipLimitPaginator.update_state`),
            including a read that exceeds its request budget.
        """
        return self._iter_pages(
            org_id,
            start,
            end,
            page_size=page_size,
            concurrency=concurrency,
            waits=waits,
            endpoint=endpoint,
        )

    def _iter_pages(
        self,
        org_id: str | None = None,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        page_size: PageSize = DEFAULT_PAGE_SIZE,
        concurrency: int = 1,
        waits: WaitBudget | None = None,
        endpoint: str | Endpoint = "callvolume",
        decoder: PageDecoder | None = None,
    ) -> Iterator[Page]:
        """:meth:`iter_pages`; with a ``decoder`` (:func:`cvframe._api._typed.page_decoder`)
        the pages it takes come as typed records (``Page.typed``), the others as dicts."""
        declared = endpoint_named(endpoint)
        if declared.paging != "skip_limit":
            raise ValueError(
                f"iter_pages reads the skip/limit endpoints (callvolume, skillvolume, "
                f"agentperformance); {declared.name!r} pages otherwise: read it with its "
                "reader (cvframe.read_queues, read_agents, read_agent_activity)"
            )
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise ValueError(f"concurrency must be a whole number, got {concurrency!r}")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be 1 to {MAX_CONCURRENCY}, got {concurrency}")
        budget = waits if waits is not None else self._transport.wait_budget()
        base: dict[str, Any] = {}
        if declared.org_key is not None:
            base[declared.org_key] = resolve_org_id(org_id)
        begin, stop = resolve_window(start, end)
        if declared.window_keys is not None:
            from_key, to_key = declared.window_keys
            if begin is not None:
                base[from_key] = format_api_time(begin)
            base[to_key] = format_api_time(stop)
        base.update(declared.extra_params)
        sizer: PageSizer | None = None
        if check_page_size(page_size, auto=True) == AUTO:
            sizer = PageSizer(
                AUTO_FIRST_PAGE_SIZES.get(declared.name, AUTO_FIRST_PAGE_SIZE),
                max_bytes=self._transport.max_page_bytes,
            )
        fixed = sizer.size if sizer is not None else int(page_size)
        paginator = SkipLimitPaginator(
            declared, fixed, widen=sizer is None and not self._limit_refused
        )
        stepping_back = threading.Lock()  # prefetching threads step back one at a time

        def step_back(limit: int, why: str) -> int:
            """``"auto"`` asked for more than the server takes: the size to ask again with."""
            assert sizer is not None
            with stepping_back:
                if limit == paginator.page_size:  # not stepped back already by another page
                    log.info(
                        "the API %s for limit=%d; page_size='auto' asks for fewer",
                        why,
                        limit,
                    )
                    paginator.resize(sizer.refused("too large" if "large" in why else "refused"))
                return min(limit, paginator.page_size)

        def fetch(
            params: dict[str, int],
            timings: list[float] | None = None,
            sizes: list[int] | None = None,
        ) -> Page:
            # Bounded: each pass round the loop asks for a smaller limit, or raises.
            while True:
                try:
                    body = self.request(
                        declared,
                        body={**base, **params},
                        waits=budget,
                        timings=timings,
                        sizes=sizes,
                        decoder=decoder,
                    )
                except PageTooLargeError:
                    # Under "auto" a body above max_page_bytes says the page grew too
                    # large: one step back, the same page again. A fixed page_size (and
                    # "auto"'s first size) keeps it the error it is.
                    if sizer is None or params["limit"] <= sizer.first:
                        raise
                    smaller = step_back(params["limit"], "sent a body above max_page_bytes")
                    params = {**params, "limit": smaller}
                    continue
                except APIError as exc:
                    if exc.status_code not in LIMIT_REFUSED_STATUSES:
                        raise
                    if sizer is not None and params["limit"] > sizer.first:
                        smaller = step_back(params["limit"], f"answered HTTP {exc.status_code}")
                        params = {**params, "limit": smaller}
                        continue
                    if params["limit"] <= fixed:
                        raise
                    # No maximum limit is documented: a server refusing page_size +
                    # overlap is asked for page_size from now on (the widened page alone).
                    log.info(
                        "the API refused limit=%d (HTTP %s); asking for "
                        "page_size=%d %ss a request from now on",
                        params["limit"],
                        exc.status_code,
                        page_size,
                        declared.item_unit,
                    )
                    self._limit_refused = True
                    paginator.narrow()
                    params = {**params, "limit": fixed}
                    continue
                return parse_page(body, declared, skip=params["skip"], limit=params["limit"])

        def sized() -> tuple[Page, Page]:
            """One page fetched alone, and what to keep of it; the sizer learns from it."""
            timings: list[float] = []
            sizes: list[int] = []
            page = fetch(paginator.request_params(), timings, sizes)
            kept = paginator.update_state(page)
            if sizer is not None:
                sizer.update(
                    asked=page.limit or 0,
                    received=len(page.records),
                    has_more=page.has_more,
                    seconds=timings[-1] if timings else 0.0,
                    nbytes=sizes[-1] if sizes else None,
                )
                paginator.resize(sizer.size)
            return page, kept

        first, kept = sized()
        yield kept
        while sizer is not None and not sizer.settled and paginator.has_next_page:
            yield sized()[1]
        if concurrency > 1 and paginator.has_next_page and first.total_count and first.records:
            yield from self._prefetch(fetch, paginator, concurrency)
        while paginator.has_next_page:
            yield paginator.update_state(fetch(paginator.request_params()))

    def iter_directory_pages(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        waits: WaitBudget | None = None,
        endpoint: str | Endpoint = AGENTS,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the pages of an ``offset``/``limit`` endpoint (``agents``), each a list of items.

        A page shorter than ``page_size`` is followed by one more request at the offset
        reached (a server may cap ``limit`` below what was asked); the read ends on an
        empty page, or on a short one that brings no item not seen before (which is not
        yielded). It is bounded: a full page repeating the one before, or bringing
        nothing new, and more pages than the distinct ids could fill are a
        :class:`cvframe.ResponseError` (see
        :class:`~cvframe._api._listing.OffsetLimitPaginator`), as is an item without
        its id.

        >>> import cvframe
        >>> from cvframe.emulator import Emulator
        >>> with Emulator(days=1) as emu, cvframe.CallVolumeClient(**emu.client_settings()) as c:
        ...     pages = list(c.iter_directory_pages(page_size=25))
        >>> len(pages[-1]) < 25, all(len(p) == 25 for p in pages[:-1])
        (True, True)
        """
        declared = endpoint_named(endpoint)
        if declared.paging != "offset_limit":
            raise ValueError(
                f"iter_directory_pages reads the offset/limit endpoints (agents), not "
                f"{declared.name!r}"
            )
        check_page_size(page_size)
        budget = waits if waits is not None else self._transport.wait_budget()
        paginator = OffsetLimitPaginator(declared, page_size)
        while paginator.has_next_page:
            params = paginator.request_params()
            body = self.request(declared, query=params, waits=budget)
            items = parse_array(body, declared, where=f"the page at offset={params['offset']}")
            paginator.update_state(items)
            if paginator.brought_new:
                yield items

    def list_queues(self, *, waits: WaitBudget | None = None) -> list[dict[str, Any]]:
        """The account's queues, as sent: one GET, a JSON array (``QUEUES``).

        >>> import cvframe
        >>> from cvframe.emulator import Emulator
        >>> with Emulator(days=1, queues=3) as emu, cvframe.CallVolumeClient(
        ...         **emu.client_settings()) as c:
        ...     queues = c.list_queues()
        >>> len(queues), queues[0]["collectionPointId"].startswith("qu-")
        (3, True)
        """
        body = self.request(QUEUES, waits=waits)
        return parse_array(body, QUEUES, where="the answer")

    def iter_activity(
        self,
        start: pd.Timestamp,
        end: pd.Timestamp,
        *,
        chunk: pd.Timedelta,
        waits: WaitBudget | None = None,
    ) -> Iterator[tuple[pd.Timestamp, pd.Timestamp, list[dict[str, Any]]]]:
        """Yield ``(piece_start, piece_end, updates)`` for each ``chunk`` of ``[start, end)``.

        Agent activity does not page: each piece of the window is one GET with
        ``fromTimeStamp``/``toTimeStamp`` in the query, and its state changes as sent
        (``AgentUpdates`` or ``agentUpdates``, PascalCase or camelCase keys). The pieces
        tile the window exactly; the API may send events outside a piece, which the
        reader drops (:func:`cvframe.read_agent_activity`).
        """
        budget = waits if waits is not None else self._transport.wait_budget()
        assert AGENT_ACTIVITY.window_keys is not None
        from_key, to_key = AGENT_ACTIVITY.window_keys
        hint = (
            "agent activity does not page, so pass a smaller chunk= (e.g. chunk='1h') "
            "to ask for less per request, or raise max_page_bytes"
        )
        for begin, stop in split_window(start, end, chunk):
            query = {from_key: format_api_time(begin), to_key: format_api_time(stop)}
            body = self.request(AGENT_ACTIVITY, query=query, waits=budget, too_large_hint=hint)
            where = f"the answer for {query[from_key]} to {query[to_key]}"
            yield begin, stop, parse_updates(body, AGENT_ACTIVITY, where=where)

    @staticmethod
    def _prefetch(
        fetch: Callable[[dict[str, int]], Page],
        paginator: SkipLimitPaginator,
        concurrency: int,
    ) -> Iterator[Page]:
        """Fetch the pages ``totalCount`` promises, several at once, yielding them in order.

        Plans again whenever the plan runs out (the first plan may hold only the next
        request, see :meth:`SkipLimitPaginator.planned_requests`). Stops early, leaving
        the rest to the one-at-a-time loop, as soon as a page is not the one the
        paginator asks for next (the server changed its page size, or a page shared no
        record with the one before and is read again from further back).
        """
        planned: Iterator[dict[str, int]] = iter(())
        pending: deque[tuple[dict[str, int], Future[Page]]] = deque()
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="cvframe") as pool:
            try:
                while paginator.has_next_page:
                    if not pending:
                        # A fresh plan starts with the very request the paginator wants
                        # next, so every round yields at least one page or stops.
                        planned = paginator.planned_requests()
                        pending.extend(
                            (params, pool.submit(fetch, params))
                            for params in islice(planned, concurrency)
                        )
                        if not pending:
                            return
                    _, future = pending.popleft()
                    page = future.result()
                    if {"skip": page.skip, "limit": page.limit} != paginator.request_params():
                        return  # off the plan (a re-read, a page size that changed)
                    kept = paginator.update_state(page)
                    following = next(planned, None)
                    if following is not None:
                        pending.append((following, pool.submit(fetch, following)))
                    yield kept
            finally:
                for _, ahead in pending:
                    ahead.cancel()

    def close(self) -> None:
        """Release the HTTP session (if cvframe opened it; a given transport stays open)."""
        self._transport.close()

    def __enter__(self) -> CallVolumeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self.settings
        auth = "token" if s.token is not None else f"client_id={s.client_id!r}"
        return f"<CallVolumeClient {s.base_url} account={s.account_id!r} auth={auth}>"
