"""The directory endpoints' answers: a JSON array, paged with ``offset``/``limit`` or not at all.

``GET .../agents?offset=0&limit=2`` answers a bare array (the API page's sample, its
key quoted)::

    [{"accountId": "636f...", "agentId": "a-1", "firstName": "Ada", "lastName": "Li"},
     {"accountId": "636f...", "agentId": "a-2", "firstName": "Bo", "lastName": "Wu"}]

There is no ``hasMore`` and no ``totalCount``: the last page is the one shorter than
``limit`` (an empty page ends it too). With nothing to count against, a server that
ignores ``offset`` would be read forever, so :class:`OffsetLimitPaginator` stops any
read whose pages do not bring new ids: a full page with no id that was not seen before
(the previous page again, or a wrap to the start) is a :class:`ResponseError`, and so
are more pages than the distinct ids could fill (:data:`OFFSET_PAGE_SLACK`).
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

    >>> from cvframe._endpoints import AGENTS
    >>> p = OffsetLimitPaginator(AGENTS, page_size=2)
    >>> p.request_params()
    {'offset': 0, 'limit': 2}
    >>> p.update_state([{"agentId": "a1"}, {"agentId": "a2"}]); p.request_params()
    {'offset': 2, 'limit': 2}
    >>> p.update_state([{"agentId": "a3"}]); p.has_next_page
    False
    """

    def __init__(self, endpoint: Endpoint, page_size: int) -> None:
        self.endpoint = endpoint
        self.page_size = page_size
        self.offset = 0
        self.has_next_page = True
        #: Pages taken so far.
        self.pages = 0
        self._seen: set[str] = set()
        self._previous: list[str] | None = None

    def request_params(self) -> dict[str, int]:
        """The ``offset`` and ``limit`` of the next request."""
        return {"offset": self.offset, "limit": self.page_size}

    @property
    def page_budget(self) -> int:
        """The most pages the ids seen so far could fill, plus :data:`OFFSET_PAGE_SLACK`."""
        return math.ceil(len(self._seen) / self.page_size) + OFFSET_PAGE_SLACK

    def update_state(self, items: list[dict[str, Any]]) -> None:
        """Take the page asked for with :meth:`request_params` (checked by :func:`parse_array`).

        Raises
        ------
        ResponseError
            When a full page repeats the page before, brings no id not seen before, or
            the read takes more pages than its distinct ids could fill.
        """
        ids = [item[self.endpoint.id_field] for item in items]
        where = f"offset={self.offset}"
        self.pages += 1
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
        if self.pages > self.page_budget:
            raise ResponseError(
                f"the read of {self.endpoint.name} took {self.pages} pages of limit="
                f"{self.page_size} for {len(self._seen)} distinct {self.endpoint.item_unit}s; "
                "its pages keep repeating what was sent (offset ignored or wrapped). Stopping "
                "instead of reading forever: retry later, or report it to Kore.ai"
            )
        self._previous = ids
        self.offset += len(items)
        # The last page is the one shorter than limit (an empty one ends it too).
        self.has_next_page = full
