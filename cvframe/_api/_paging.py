"""``skip``/``limit``/``hasMore`` pagination, as the Contact Volume API does it.

A page looks like this (the API page's sample, trimmed)::

    {
      "hasMore": false,
      "totalCount": 1,
      "CallVolumeUpdate": [
        {"_id": "647868bfc0cf4c7b7671xxxx",
         "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z", ...}
      ]
    }

Each request asks again for the last few records of the page before it
(:data:`PAGE_OVERLAP`), and a page is kept only when it shares a record with the
page before it. That is what makes a read complete while records come and go:

* a page is a contiguous run of the server's ordered records at the moment it is
  cut, and the records that exist throughout the read keep their order;
* so when page *n* holds a record of page *n - 1*, every record that existed
  throughout and lies after page *n - 1* is on page *n* or after it;
* a record deleted (or moved out of the window) before the cursor shifts the later
  pages left by one: up to ``PAGE_OVERLAP - 1`` deletions between two pages are
  absorbed by the overlap, more leave no shared record, and the page is read again
  from further back (:meth:`SkipLimitPaginator.update_state`) until one is shared;
* a record inserted before the cursor shifts the pages right: a few records arrive
  twice, which is harmless (the newest version wins).

``skip`` advances by the number of records actually received, less the overlap,
because a server may cap ``limit`` below what was asked for.

What the overlap costs on a quiet server, for ``N`` records in pages of ``L`` (overlap
``o`` = :func:`overlap_for` ``(L)``, 3 from 60 records a page): when the first page's
``totalCount`` shows that pages bringing ``L - o`` new records would need more requests
than ``ceil(N / L)``, the later requests ask for ``L + o`` records, so each still brings
``L`` new ones and the read takes exactly ``ceil(N / L)`` requests, as without overlap.
Otherwise every request asks for ``L``. A server that sends fewer records than asked
(a cap ``C``) takes ``1 + ceil((N - C) / (C - o))`` requests: the overlap's records
cannot be fetched for free there. A page of one record cannot overlap the next; such
pages are read one after the other without the check.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from .._endpoints import Endpoint
from .._errors import ResponseError
from ._typed import TypedBody

log = logging.getLogger("cvframe")

__all__ = [
    "AUTO",
    "AUTO_BYTES_SHARE",
    "AUTO_FIRST_PAGE_SIZE",
    "AUTO_GROWTH_LIMIT",
    "AUTO_LATENCY_BUDGET",
    "PAGE_OVERLAP",
    "REQUEST_BUDGET_FACTOR",
    "REQUEST_BUDGET_SLACK",
    "Page",
    "PageSize",
    "PageSizer",
    "SkipLimitPaginator",
    "check_page_size",
    "is_auto",
    "overlap_for",
    "parse_page",
]

#: Records each request asks for again from the end of the page before it, to prove
#: that no record slipped between the two (see the module docstring). Three absorb two
#: deletions between any two pages; on a quiet server they cost no request.
PAGE_OVERLAP = 3
#: Small pages overlap by at most one record in this many (and at least one).
OVERLAP_SHARE = 20
#: A pass over a window may send this many times the requests its ``totalCount`` and
#: page size call for (re-reads after shifted pages included) ...
REQUEST_BUDGET_FACTOR = 3
#: ... plus this many, for small windows; past that budget the read is a ResponseError,
#: so no server, however it pages, can keep a read going forever.
REQUEST_BUDGET_SLACK = 10


#: ``page_size=AUTO``: let the read find the page size the server allows (:class:`PageSizer`).
AUTO: Literal["auto"] = "auto"
#: What a reader's ``page_size`` takes: a number of items a request, or :data:`AUTO`.
PageSize = int | Literal["auto"]
#: The first page size of ``page_size="auto"``: the fixed default, which the API serves.
AUTO_FIRST_PAGE_SIZE = 1000
#: ``"auto"`` grows the page size to at most this many times the first (16,000 records
#: for call volume, about 12 MB of JSON; 400 agents for agent performance), and never
#: past what :data:`AUTO_BYTES_SHARE` of ``max_page_bytes`` allows.
AUTO_GROWTH_LIMIT = 16
#: ``"auto"`` grows a page only while the next one's expected body (the last page's
#: bytes per item times the next size) stays under this share of ``max_page_bytes``:
#: items differ in size (an agent with more intervals, a record with more skills), so
#: half the cap is left for pages larger than the last one's average.
AUTO_BYTES_SHARE = 0.5
#: Seconds one exchange may take for ``"auto"`` to keep growing pages. At the API's
#: 60 requests a minute and the readers' 4 requests in flight, a page answered within
#: 4 s still arrives before the limiter lets its successor out, so the rate limit, not
#: the latency, stays the bound; a slower page means the server struggles with the size.
AUTO_LATENCY_BUDGET = 4.0


def is_auto(page_size: Any) -> bool:
    """Whether ``page_size`` spells :data:`AUTO`: any case, spaces around it ignored,
    as ``--page-size`` on the command line reads it.

    >>> [is_auto(v) for v in ("auto", "AUTO", " Auto ", "big", 1000)]
    [True, True, True, False, False]
    """
    return isinstance(page_size, str) and page_size.strip().lower() == AUTO


def check_page_size(page_size: Any, *, auto: bool = False) -> Any:
    """``page_size`` if a whole number >= 1 (or :data:`AUTO` if allowed, spelt as
    :func:`is_auto` reads it), else a ValueError.

    >>> check_page_size(" AUTO ", auto=True), check_page_size(25)
    ('auto', 25)
    """
    if auto and is_auto(page_size):
        return AUTO
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        also = ' or "auto"' if auto else ""
        raise ValueError(f"page_size must be a whole number >= 1{also}, got {page_size!r}")
    return page_size


class PageSizer:
    """The page size of a ``page_size="auto"`` read: grow while the server keeps up.

    It starts at ``first`` and doubles after every full page (every record asked for
    arrived, and more remain) answered within ``budget`` seconds
    (:data:`AUTO_LATENCY_BUDGET`), up to ``first *`` :data:`AUTO_GROWTH_LIMIT`, and, when
    ``max_bytes`` is given and the page's ``nbytes`` known, to at most the size whose
    expected body (the page's bytes per item times the size) stays under
    :data:`AUTO_BYTES_SHARE` of ``max_bytes``. It settles for good at the ceiling, where
    the bytes allow no more growth, at the size a server sends when it sends fewer
    records than asked while more remain (its cap), or, when a page takes longer than
    ``budget`` or is refused (its ``limit``, or its body above ``max_bytes``), back at
    the size before (never below ``first``). The paginator's rules are the same at any
    size: ``skip`` advances by what arrives.

    >>> sizer = PageSizer(1000)
    >>> sizer.update(asked=1000, received=1000, has_more=True, seconds=0.2)
    >>> sizer.update(asked=2000, received=2000, has_more=True, seconds=0.3)
    >>> sizer.size, sizer.settled
    (4000, False)
    >>> sizer.update(asked=4000, received=2500, has_more=True, seconds=0.3)  # a cap
    >>> sizer.size, sizer.settled
    (2500, True)
    >>> sizer = PageSizer(25, max_bytes=3_000_000)  # 25 agents in 400 kB: 3 MB / 2 fits 93
    >>> sizer.update(asked=25, received=25, has_more=True, seconds=0.2, nbytes=400_000)
    >>> sizer.update(asked=50, received=50, has_more=True, seconds=0.2, nbytes=800_000)
    >>> sizer.size, sizer.settled
    (93, False)
    >>> sizer.update(asked=93, received=93, has_more=True, seconds=0.2, nbytes=1_500_000)
    >>> sizer.size, sizer.settled, sizer.reason
    (93, True, 'bytes')
    """

    def __init__(
        self,
        first: int = AUTO_FIRST_PAGE_SIZE,
        *,
        ceiling: int | None = None,
        budget: float | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.first = first
        self.ceiling = first * AUTO_GROWTH_LIMIT if ceiling is None else ceiling
        self.budget = AUTO_LATENCY_BUDGET if budget is None else budget
        self.max_bytes = max_bytes
        self.size = first
        self.settled = False
        #: Why it settled: "ceiling", "bytes", "cap", "slow", "refused" or "too large"
        #: (None while growing).
        self.reason: str | None = None

    def update(
        self,
        *,
        asked: int,
        received: int,
        has_more: bool,
        seconds: float,
        nbytes: int | None = None,
    ) -> None:
        """Take one page's outcome: ``received`` of ``asked`` items, ``nbytes``, in ``seconds``."""
        if self.settled or asked != self.size:
            return  # settled, or a page asked at another size (a re-read's, the first's)
        if has_more and 0 < received < asked:
            self._settle(received, "cap")
        elif seconds > self.budget:
            self._settle(max(self.first, self.size // 2), "slow")
        elif has_more and received == asked:
            if self.size >= self.ceiling:
                self._settle(self.size, "ceiling")
                return
            grown = min(self.ceiling, self.size * 2)
            if self.max_bytes is not None and nbytes is not None and received > 0:
                fits = int(self.max_bytes * AUTO_BYTES_SHARE * received // max(1, nbytes))
                if fits <= self.size:
                    self._settle(self.size, "bytes")
                    return
                grown = min(grown, fits)
            self.size = grown

    def refused(self, reason: str = "refused") -> int:
        """The server refused ``limit=size`` (or its body was too large): settle on the
        size before; return it."""
        self._settle(max(self.first, self.size // 2), reason)
        return self.size

    def _settle(self, size: int, reason: str) -> None:
        self.size, self.settled, self.reason = size, True, reason
        log.info("page_size='auto' settles on %d (%s)", size, reason)


def overlap_for(received: int) -> int:
    """Records of a page of ``received`` that the next request asks for again.

    :data:`PAGE_OVERLAP`, but at most one record in 20 (at least one), so that small
    pages do not cost much more; a page of one record cannot overlap.

    >>> [overlap_for(n) for n in (0, 1, 2, 25, 40, 60, 1000)]
    [0, 0, 1, 1, 2, 3, 3]
    """
    if received < 2:
        return 0
    return min(PAGE_OVERLAP, max(1, received // OVERLAP_SHARE))


@dataclass(frozen=True)
class Page:
    """One decoded answer of the API.

    Attributes
    ----------
    records : list of dict
        The ``CallVolumeUpdate`` records, exactly as sent (API field names). Pages
        yielded by :meth:`cvframe.CallVolumeClient.iter_pages` leave out the records
        the page before already delivered in the same version (the overlap).
    has_more : bool
        The server's ``hasMore``.
    total_count : int or None
        The server's ``totalCount`` (records in the whole window), when sent.
    skip : int
        The ``skip`` this page was requested with.
    ids : list of str or None
        The records' ``_id`` values in order, once :func:`parse_page` checked them.
    limit : int or None
        The ``limit`` this page was requested with, when known.
    typed : bool
        Whether ``records`` are typed records (msgspec ``Struct`` instances, see
        :mod:`cvframe._api._typed`) rather than dicts: only inside a read, never in the
        pages :meth:`cvframe.CallVolumeClient.iter_pages` yields.
    """

    records: list[Any]
    has_more: bool
    total_count: int | None
    skip: int
    ids: list[str] | None = field(default=None, repr=False, compare=False)
    limit: int | None = field(default=None, repr=False, compare=False)
    typed: bool = field(default=False, repr=False, compare=False)


def parse_page(body: Any, endpoint: Endpoint, *, skip: int, limit: int | None = None) -> Page:
    """Check a decoded body against ``endpoint``'s page shape and wrap it in a :class:`Page`.

    The page's sample always carries the record list, empty or not: a page without it
    is another endpoint's answer (or a renamed key), not an empty window, so it is a
    :class:`ResponseError` naming the keys it had. So is a record without an id (``_id``):
    without ids, cvframe cannot keep each record once.

    A :class:`~cvframe._api._typed.TypedBody` (a page the typed decode took, already
    checked) becomes a page of typed records.
    """
    if isinstance(body, TypedBody):
        return Page(
            records=body.records,
            has_more=body.has_more,
            total_count=body.total_count,
            skip=skip,
            ids=body.ids,
            limit=limit,
            typed=True,
        )
    records_key, has_more_key, total_key = (
        endpoint.records_key,
        endpoint.has_more_key,
        endpoint.total_key,
    )
    if not isinstance(body, dict):
        raise ResponseError(
            f"expected a JSON object with {records_key!r}, {has_more_key!r} and "
            f"{total_key!r}, got a JSON {type(body).__name__} (page at skip={skip}); the "
            "endpoint may have changed"
        )
    if records_key not in body:
        keys = ", ".join(repr(str(k)[:40]) for k in list(body)[:10]) or "none"
        raise ResponseError(
            f"the page at skip={skip} has no {records_key!r} list (its keys: {keys}); the "
            "endpoint may have changed or host points at another API. Check host and "
            "account_id; if they are right, report it to Kore.ai"
        )
    records = body[records_key]
    if not isinstance(records, list) or not set(map(type, records)) <= {dict}:
        raise ResponseError(
            f"{records_key!r} is not a list of objects in the page at skip={skip}; "
            "the endpoint may have changed"
        )
    id_field = endpoint.id_field
    ids: list[Any] = []
    try:
        ids = list(map(itemgetter(id_field), records))
        valid = set(map(type, ids)) <= {str} and "" not in ids
    except KeyError:
        valid = False
    if not valid:
        for index, record in enumerate(records):
            record_id = record.get(id_field)
            if not isinstance(record_id, str) or not record_id:
                shown = (
                    f"no {id_field!r}" if id_field not in record else f"{id_field!r} {record_id!r}"
                )
                unit = endpoint.item_unit
                raise ResponseError(
                    f"{unit}s lack an id: {unit} {index} of the page at skip={skip} has "
                    f"{shown} (expected a non-empty string). Without ids cvframe cannot keep "
                    f"each {unit} once; report it to Kore.ai"
                )
    has_more = body.get(has_more_key)
    if not isinstance(has_more, bool):
        raise ResponseError(
            f"{has_more_key!r} is {has_more!r} in the page at skip={skip}, not true or false; "
            "cannot tell whether more pages follow"
        )
    total = body.get(total_key)
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise ResponseError(f"{total_key!r} is {total!r} in the page at skip={skip}, not a count")
    return Page(
        records=records, has_more=has_more, total_count=total, skip=skip, ids=ids, limit=limit
    )


class SkipLimitPaginator:
    """The state of one pass over a window: where the next page starts, whether there is one.

    Create a fresh one for every pass. :meth:`update_state` takes each page in ``skip``
    order and returns what to keep of it; when a page shares no record with the page
    before (records were deleted under the read), the pass reads again from further
    back before it moves on. ``widen=False`` never asks for more than ``page_size``
    records (for a server known to refuse that).

    >>> rec = lambda i: {"_id": f"r{i}", "__v": 0}
    >>> from cvframe._endpoints import CALLVOLUME
    >>> p = SkipLimitPaginator(CALLVOLUME, page_size=8)
    >>> p.request_params()
    {'skip': 0, 'limit': 8}
    >>> kept = p.update_state(Page([rec(i) for i in range(8)], True, 12, skip=0))
    >>> len(kept.records), p.request_params()  # the next page starts a record back
    (8, {'skip': 7, 'limit': 8})
    >>> kept = p.update_state(Page([rec(i) for i in range(7, 12)], False, 12, skip=7))
    >>> [r["_id"] for r in kept.records], p.has_next_page  # the overlap is left out
    (['r8', 'r9', 'r10', 'r11'], False)
    """

    def __init__(self, endpoint: Endpoint, page_size: int, *, widen: bool = True) -> None:
        check_page_size(page_size)
        self._id_of = itemgetter(endpoint.id_field)
        self._version_field = endpoint.version_field
        # A typed record holds its version under the contract's column name.
        self._version_attr = next(
            (c.name for c in endpoint.columns if c.api_name == endpoint.version_field), None
        )
        self.page_size = page_size
        self.skip = 0
        self.has_next_page = True
        #: Pages kept, and pages asked for (re-reads of shifted pages included).
        self.pages = 0
        self.requests = 0
        #: Pages dropped because they shared no record with the page before.
        self.rereads = 0
        #: Every ``totalCount`` the server sent, page by page.
        self.total_counts: list[int | None] = []
        # The last page the pass moved on from: the next must share one of its records.
        self._anchor: set[str] | None = None
        self._anchor_ids: list[str] = []
        self._anchor_records: list[Any] = []
        self._anchor_skip = 0
        self._misses = 0  # pages dropped in a row: how far back to read again
        self._seen: list[pa.Array] = []  # every id kept, for the rare checks past the end
        self._seen_all: pa.Array | None = None
        self._largest_total: int | None = None
        self._smallest_step: int | None = None
        self._kept_records = 0
        # The overlap of the next request, whether it asks for page_size + overlap
        # records (when that saves requests, see the module docstring), and the most
        # records the server was seen to send per page.
        self._overlap = 0
        self._widen = False
        self._may_widen = widen
        self._confirmed = False
        self._cap: int | None = None

    def request_params(self) -> dict[str, int]:
        """The ``skip`` and ``limit`` of the next request."""
        return {"skip": self.skip, "limit": self.page_size + self._widen * self._overlap}

    def planned_requests(self) -> Iterator[dict[str, int]]:
        """The requests after the current one that the last ``totalCount`` calls for.

        What a quiet server needs (each page as large as on the first page); the pages
        that really arrive decide the read, so a plan that turns out wrong costs only
        the requests sent ahead on it. Until a widened request has shown that the server
        sends what it asks for, the plan holds only the next request.
        """
        total = self._largest_total
        if total is None or not self.has_next_page:
            return
        skip, overlap = self.skip, self._overlap
        while skip + overlap < total:
            limit = self.page_size + self._widen * overlap
            yield {"skip": skip, "limit": limit}
            if self._widen and not self._confirmed:
                return  # plan further once a widened page has shown what the server sends
            received = min(limit, self._cap or limit, total - skip)
            overlap = overlap_for(min(received, self.page_size))
            skip += received - overlap

    def _plan(self, received: int, total: int) -> None:
        """After the first page: widen the later requests when the overlap would cost one."""
        if received < self.page_size:
            self._cap = received  # the server sends fewer than asked: widening cannot help
            return
        step = received - self._overlap
        plain = 1 + math.ceil(max(0, total - received) / step)
        needed = plain > math.ceil(total / self.page_size)
        self._widen = self._may_widen and self._overlap > 0 and needed

    def resize(self, page_size: int) -> None:
        """Ask for ``page_size`` records from the next request on (``page_size="auto"``)."""
        self.page_size = check_page_size(page_size)

    def narrow(self) -> None:
        """Ask for ``page_size`` records from now on (the server refused more)."""
        self._widen = self._may_widen = False
        self._confirmed = True

    @property
    def request_budget(self) -> int:
        """The most requests this pass may send: see :data:`REQUEST_BUDGET_FACTOR`."""
        step = max(1, self._smallest_step or self.page_size)
        basis = self._largest_total if self._largest_total is not None else self._kept_records
        return REQUEST_BUDGET_FACTOR * math.ceil(basis / step) + REQUEST_BUDGET_SLACK

    def update_state(self, page: Page) -> Page:
        """Take the page asked for with :meth:`request_params`; return what to keep of it.

        Returns the page without the records the page before already delivered in the
        same version. When the page shares no record with the page before (records
        before it were deleted), its records are still returned (they are real), but
        the pass does not move on from it: :attr:`skip` steps back, to read again from
        further back until a page shares a record.

        Raises
        ------
        ResponseError
            When the pages cannot add up: ``hasMore`` without records, the same page
            for every ``skip``, records that are all repeats and no ``totalCount`` to
            tell where the end is, or more requests than :attr:`request_budget`.
        """
        first = self.pages == 0
        self.requests += 1
        self.total_counts.append(page.total_count)
        total = page.total_count
        if total is not None:
            self._largest_total = max(total, self._largest_total or 0)
        received = len(page.records)
        if page.has_more and received:
            step = received - overlap_for(min(received, self.page_size))
            self._smallest_step = min(step, self._smallest_step or step)
        if self._widen and page.limit is not None and page.limit > self.page_size:
            # The first widened page tells whether the server sends that many.
            self._confirmed = True
            if page.has_more and received < page.limit:
                self._cap = received
                self._widen = received > self.page_size
        if self.requests > self.request_budget:
            raise ResponseError(
                f"the read used up its request budget ({self.request_budget} requests for "
                f"totalCount={self._largest_total} in pages of {self._smallest_step or 0} "
                f"new records) and the API still says hasMore at skip={page.skip}; its pages "
                "never add up (skip ignored or wrapped, or records re-sent). Stopping instead "
                "of reading forever: retry later or read a narrower window"
            )
        if page.has_more and not page.records and (total is None or page.skip < total):
            raise ResponseError(
                f"the API said hasMore=true but sent no records at skip={page.skip}; "
                "stopping instead of asking for the same page forever. Retry later"
            )
        ids = page.ids if page.ids is not None else list(map(self._id_of, page.records))
        anchor = self._anchor
        common = anchor.intersection(ids) if anchor is not None else set()
        # Only a page asked to overlap the one before can be checked against it (a page
        # of one record is followed by one that starts right after it).
        overlapping = page.skip < self._anchor_skip + len(self._anchor_ids)
        if anchor is not None and page.skip != 0 and overlapping:
            if not common:
                self._read_again(page)
                return Page(
                    records=page.records,
                    has_more=True,
                    total_count=total,
                    skip=page.skip,
                    ids=ids,
                    typed=page.typed,
                )
            # After a re-read from further back, the same records at another skip are
            # just what a shift looks like; otherwise the server ignores skip.
            if ids == self._anchor_ids and page.skip != self._anchor_skip and not self._misses:
                raise ResponseError(
                    f"the API sent the same page again at skip={page.skip} (first record "
                    f"{ids[0]!r}); it seems to ignore skip. Stopping instead of looping"
                )
        kept, kept_ids = self._without_repeats(page.records, ids, common)
        has_more = page.has_more
        end = page.skip + received
        if has_more and total is not None and end >= total:
            # The page reaches the totalCount it carries yet promises more: the last page
            # with a wrong hasMore, a server wrapping skip around to the start, or a count
            # that lags behind. Stop only when the page brought nothing new: no record
            # past the count that was not received before, and, if it ends right at the
            # count, no new record at all.
            inside = max(0, total - page.skip)
            past = ids[inside:]
            if (past or not kept) and self._all_seen(past, also=ids[:inside]):
                log.warning(
                    "the API said hasMore=true on a page reaching totalCount=%d "
                    "and sent nothing new past it; stopping there",
                    total,
                )
                has_more = False
        elif has_more and total is None and kept:
            unanchored = [i for i in kept_ids if i not in anchor] if anchor else []
            if unanchored and self._all_seen(unanchored):
                raise ResponseError(
                    f"the API sent only records it had sent already at skip={page.skip}, "
                    "with hasMore=true and no totalCount; it seems to wrap skip around. "
                    "Stopping instead of reading forever: report it to Kore.ai"
                )
        self._anchor = set(ids)
        self._anchor_ids = ids
        self._anchor_records = page.records
        self._anchor_skip = page.skip
        self._misses = 0
        self._seen.append(pa.array(kept_ids, pa.string()))
        self._seen_all = None
        self._kept_records += len(kept)
        self.pages += 1
        self._overlap = overlap_for(min(received, self.page_size))
        self.skip = end - self._overlap
        self.has_next_page = has_more
        if first and has_more and total is not None:
            self._plan(received, total)
        if kept is page.records and has_more == page.has_more:
            return page
        return Page(
            records=kept,
            has_more=has_more,
            total_count=total,
            skip=page.skip,
            ids=kept_ids,
            typed=page.typed,
        )

    def _without_repeats(
        self, records: list[Any], ids: list[str], common: set[str]
    ) -> tuple[list[Any], list[str]]:
        """The records (and ids) left once those the page before delivered unchanged go."""
        if not common:
            return records, ids
        head = len(common)
        before = self._anchor_records
        same = self._same_version
        if ids[:head] == self._anchor_ids[-head:]:
            # The usual overlap: this page starts with the last records of the one before.
            changed = [i for i in range(head) if not same(records[i], before[i - head])]
            if not changed:
                return records[head:], ids[head:]
            return [records[i] for i in changed] + records[head:], [ids[i] for i in changed] + ids[
                head:
            ]
        # After a shift the shared records may sit anywhere: compare by id.
        earlier = dict(zip(self._anchor_ids, before, strict=True))
        pairs = [
            (r, i)
            for r, i in zip(records, ids, strict=True)
            if (e := earlier.get(i)) is None or not same(r, e)
        ]
        return [r for r, _ in pairs], [i for _, i in pairs]

    def _same_version(self, record: Any, earlier: Any) -> bool:
        """Whether ``record`` is ``earlier`` again, unchanged: the same version, or (for
        an endpoint whose items have no version, like agent performance) equal. Either
        both are dicts (API field names) or both typed records (column names)."""
        if self._version_field is None:
            return bool(record == earlier)
        return bool(self._version(record) == self._version(earlier))

    def _version(self, record: Any) -> Any:
        if isinstance(record, dict):
            return record.get(self._version_field)
        return getattr(record, self._version_attr or "", None)

    def _read_again(self, page: Page) -> None:
        """Step back before a page that shares nothing with the one before it."""
        back = max(1, len(self._anchor_ids)) * 2**self._misses
        self._misses += 1
        self.rereads += 1
        self.skip = max(0, page.skip - back)
        self.has_next_page = True
        log.info(
            "the page at skip=%d shares no record with the one before (records "
            "were deleted under the read); reading again from skip=%d",
            page.skip,
            self.skip,
        )

    def _all_seen(self, ids: list[str], *, also: Iterable[str] = ()) -> bool:
        """True when every id was kept before (or is in ``also``): a rare, O(n) check."""
        earlier = set(also)
        rest = [i for i in ids if i not in earlier]
        if not rest:
            return True
        if self._seen_all is None:
            self._seen_all = (
                pa.concat_arrays(self._seen) if self._seen else pa.array([], pa.string())
            )
        found = pc.is_in(pa.array(rest, pa.string()), value_set=self._seen_all)
        return bool(pc.all(found).as_py())
