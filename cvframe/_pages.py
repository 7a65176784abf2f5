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

``skip`` advances by the number of records actually received, because a server
may cap ``limit`` below what was asked for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ._errors import ResponseError

log = logging.getLogger("cvframe")

__all__ = ["Page", "SkipLimitPaginator", "parse_page"]

#: The key of the record list in a page, as the API spells it.
RECORDS_KEY = "CallVolumeUpdate"


@dataclass(frozen=True)
class Page:
    """One decoded answer of the API.

    Attributes
    ----------
    records : list of dict
        The ``CallVolumeUpdate`` records, exactly as sent (API field names).
    has_more : bool
        The server's ``hasMore``.
    total_count : int or None
        The server's ``totalCount`` (records in the whole window), when sent.
    skip : int
        The ``skip`` this page was requested with.
    """

    records: list[dict[str, Any]]
    has_more: bool
    total_count: int | None
    skip: int


def parse_page(body: Any, *, skip: int) -> Page:
    """Check a decoded body against the documented page shape and wrap it in a :class:`Page`."""
    if not isinstance(body, dict):
        raise ResponseError(
            f"expected a JSON object with {RECORDS_KEY!r}, 'hasMore' and 'totalCount', got a "
            f"JSON {type(body).__name__} (page at skip={skip}); the endpoint may have changed"
        )
    records = body.get(RECORDS_KEY)
    if records is None:
        records = []
    if not isinstance(records, list) or not set(map(type, records)) <= {dict}:
        raise ResponseError(
            f"{RECORDS_KEY!r} is not a list of objects in the page at skip={skip}; "
            "the endpoint may have changed"
        )
    has_more = body.get("hasMore")
    if not isinstance(has_more, bool):
        raise ResponseError(
            f"'hasMore' is {has_more!r} in the page at skip={skip}, not true or false; "
            "cannot tell whether more pages follow"
        )
    total = body.get("totalCount")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise ResponseError(f"'totalCount' is {total!r} in the page at skip={skip}, not a count")
    return Page(records=records, has_more=has_more, total_count=total, skip=skip)


class SkipLimitPaginator:
    """The state of one read: where the next page starts and whether there is one.

    Create a fresh one for every read.

    >>> p = SkipLimitPaginator(page_size=2)
    >>> p.request_params()
    {'skip': 0, 'limit': 2}
    >>> p.update_state(Page(records=[{}, {}], has_more=True, total_count=3, skip=0))
    >>> p.has_next_page, p.request_params()
    (True, {'skip': 2, 'limit': 2})
    >>> p.update_state(Page(records=[{}], has_more=False, total_count=3, skip=2))
    >>> p.has_next_page
    False
    """

    def __init__(self, page_size: int) -> None:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValueError(f"page_size must be a whole number >= 1, got {page_size!r}")
        self.page_size = page_size
        self.skip = 0
        self.has_next_page = True
        self.pages = 0
        #: Every ``totalCount`` the server sent, page by page.
        self.total_counts: list[int | None] = []
        self._last_first_id: object = None

    def request_params(self) -> dict[str, int]:
        """The ``skip`` and ``limit`` of the next request."""
        return {"skip": self.skip, "limit": self.page_size}

    def update_state(self, page: Page) -> None:
        """Advance past ``page``; refuse a page that promises more but carries nothing."""
        self.pages += 1
        self.total_counts.append(page.total_count)
        if page.has_more and not page.records:
            if page.total_count is not None and page.skip >= page.total_count:
                # hasMore is wrong but totalCount says we are past the end: stop here.
                log.warning(
                    "cvframe: the API said hasMore=true past totalCount=%d; stopping",
                    page.total_count,
                )
                self.has_next_page = False
                return
            raise ResponseError(
                f"the API said hasMore=true but sent no records at skip={page.skip}; "
                "stopping instead of asking for the same page forever. Retry later"
            )
        first_id = page.records[0].get("_id") if page.records else None
        if first_id is not None and first_id == self._last_first_id:
            raise ResponseError(
                f"the API sent the same page again at skip={page.skip} (first record "
                f"{first_id!r}); it seems to ignore skip. Stopping instead of looping"
            )
        self._last_first_id = first_id
        self.skip += len(page.records)
        self.has_next_page = page.has_more
