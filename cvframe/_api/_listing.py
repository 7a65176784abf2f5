"""The directory endpoints' answers: a JSON array, paged with ``offset``/``limit`` or not at all.

``GET .../agents?offset=0&limit=2`` answers a bare array (the API page's sample, its
key quoted)::

    [{"accountId": "636f...", "agentId": "a-1", "firstName": "Ada", "lastName": "Li"},
     {"accountId": "636f...", "agentId": "a-2", "firstName": "Bo", "lastName": "Wu"}]

There is no ``hasMore`` and no ``totalCount``. A page shorter than ``limit`` is not
proof of the end: a server that caps ``limit`` (answering 50 of the 100 asked) sends
short pages with more to follow, and stopping there would lose agents without a word.
So the read asks once more at ``offset`` = what it received, and only an empty answer,
or a short one that brings no id not seen before (a small directory served by a server
that ignores ``offset``), ends it: one request more than the pages, in exchange for
never stopping early.

With nothing to count against, a server that ignores ``offset`` would be read forever,
so :class:`OffsetLimitPaginator` stops any read whose pages do not bring new ids: a full
page with no id that was not seen before (the previous page again, or a wrap to the
start) is a :class:`ResponseError`, and so are more pages than the distinct ids could
fill (:data:`OFFSET_PAGE_SLACK`, counted in the largest page the server sent, so a
capping server is not mistaken for a looping one).
``GET .../queues`` answers one such array, unpaged.
"""

from __future__ import annotations

import math
from typing import Any

from .._endpoints import Endpoint
from .._errors import ResponseError

__all__ = ["OFFSET_PAGE_SLACK", "OffsetLimitPaginator", "parse_array"]

#: Pages an offset/limit read may take beyond what its distinct ids fill
#: (``ceil(ids / limit)``): room for a few records inserted or deleted under the read,
#: none for a server whose pages keep repeating what it sent.
OFFSET_PAGE_SLACK = 3


def _shown(value: Any) -> str:
    """What arrived instead of an array, in a few words (never the whole body)."""
    if isinstance(value, dict):
        keys = ", ".join(repr(str(k)[:40]) for k in list(value)[:10]) or "none"
        return f"a JSON object (its keys: {keys})"
    kind = {str: "string", bool: "boolean", int: "number", float: "number"}.get(type(value))
    return "null" if value is None else f"a JSON {kind or type(value).__name__}"


def parse_array(body: Any, endpoint: Endpoint, *, where: str) -> list[dict[str, Any]]:
    """Check that ``body`` is a JSON array of objects (``endpoint``'s answer) and return it.

    ``where`` names the answer in messages (``"the page at offset=200"``). For an
    endpoint that pages (agents), every item must carry its id (``agentId``): without
    it the pages cannot be told apart.

    >>> from cvframe._endpoints import QUEUES
    >>> parse_array([{"collectionPointId": "qu-1"}], QUEUES, where="the answer")
    [{'collectionPointId': 'qu-1'}]
    >>> parse_array({"queues": []}, QUEUES, where="the answer")
    Traceback (most recent call last):
    ...
    cvframe._errors.ResponseError: expected a JSON array of queues, got a JSON object (its keys: 'queues') in the answer; the endpoint may have changed or host points at another API. Check host and account_id
    """  # noqa: E501
    if not isinstance(body, list):
        raise ResponseError(
            f"expected a JSON array of {endpoint.name}, got {_shown(body)} in {where}; the "
            "endpoint may have changed or host points at another API. Check host and account_id"
        )
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            raise ResponseError(
                f"item {index} of {where} of {endpoint.name} is {_shown(item)}, not an "
                "object; the endpoint may have changed"
            )
        if endpoint.paging == "offset_limit":
            found = item.get(endpoint.id_field)
            if not isinstance(found, str) or not found:
                shown = (
                    f"no {endpoint.id_field!r}"
                    if endpoint.id_field not in item
                    else f"{endpoint.id_field!r} {found!r}"
                )
                raise ResponseError(
                    f"{endpoint.item_unit} {index} of {where} has {shown} (expected a non-empty "
                    f"string). Without ids cvframe cannot tell the pages apart; report it "
                    "to Kore.ai"
                )
    return body


class OffsetLimitPaginator:
    """The state of one offset/limit read: where the next page starts, whether there is one.

    Create a fresh one for every read; hand each page to :meth:`update_state` in order.
    A short page is followed by one more request (the server may cap ``limit``); an
    empty answer, or a short one with nothing new, ends the read.

    >>> from cvframe._endpoints import AGENTS
    >>> p = OffsetLimitPaginator(AGENTS, page_size=2)
    >>> p.request_params()
    {'offset': 0, 'limit': 2}
    >>> p.update_state([{"agentId": "a1"}, {"agentId": "a2"}]); p.request_params()
    {'offset': 2, 'limit': 2}
    >>> p.update_state([{"agentId": "a3"}]); p.has_next_page, p.request_params()
    (True, {'offset': 3, 'limit': 2})
    >>> p.update_state([]); p.has_next_page
    False
    """

    def __init__(self, endpoint: Endpoint, page_size: int) -> None:
        self.endpoint = endpoint
        self.page_size = page_size
        self.offset = 0
        self.has_next_page = True
        #: Pages taken so far.
        self.pages = 0
        #: Whether the last page brought an id not seen before (a page that did not
        #: adds nothing to the read).
        self.brought_new = False
        # The largest page the server sent: its cap on limit, if it has one.
        self._largest = 0
        self._seen: set[str] = set()
        self._previous: list[str] | None = None

    def request_params(self) -> dict[str, int]:
        """The ``offset`` and ``limit`` of the next request."""
        return {"offset": self.offset, "limit": self.page_size}

    @property
    def page_budget(self) -> int:
        """The most pages the ids seen so far could fill, plus :data:`OFFSET_PAGE_SLACK`.

        Counted in pages of the largest size the server sent (at most ``page_size``):
        a server capping ``limit`` at 50 fills 50 a page, however many were asked.
        """
        size = min(self.page_size, max(self._largest, 1))
        return math.ceil(len(self._seen) / size) + OFFSET_PAGE_SLACK

    def update_state(self, items: list[dict[str, Any]]) -> None:
        """Take the page asked for with :meth:`request_params` (checked by :func:`parse_array`).

        After it, :attr:`has_next_page` is False only for an empty page or a short one
        that brought no id not seen before; :attr:`brought_new` says whether the page
        added anything.

        Raises
        ------
        ResponseError
            When a full page repeats the page before, brings no id not seen before, or
            the read takes more pages than its distinct ids could fill.
        """
        ids = [item[self.endpoint.id_field] for item in items]
        where = f"offset={self.offset}"
        self.pages += 1
        self._largest = max(self._largest, len(items))
        full = len(items) >= self.page_size
        if full and ids == self._previous:
            raise ResponseError(
                f"the API sent the same page of {self.endpoint.name} again at {where} (first "
                f"{self.endpoint.item_unit} {ids[0]!r}); it seems to ignore offset. Stopping "
                "instead of looping"
            )
        new = set(ids) - self._seen
        if full and not new:
            raise ResponseError(
                f"the page of {self.endpoint.name} at {where} holds only "
                f"{self.endpoint.item_unit}s sent before and is full, so more would follow; "
                "the API seems to wrap offset around. Stopping instead of reading forever: "
                "report it to Kore.ai"
            )
        self._seen |= new
        self.brought_new = bool(new)
        if self.pages > self.page_budget:
            raise ResponseError(
                f"the read of {self.endpoint.name} took {self.pages} pages of limit="
                f"{self.page_size} for {len(self._seen)} distinct {self.endpoint.item_unit}s; "
                "its pages keep repeating what was sent (offset ignored or wrapped). Stopping "
                "instead of reading forever: retry later, or report it to Kore.ai"
            )
        self._previous = ids
        self.offset += len(items)
        # A short page may be a capped one: only an empty page, or one with nothing
        # new (a small directory whose server ignores offset), ends the read.
        self.has_next_page = bool(new)
