"""A read at the rate limit meets no 429: the client's window keeps a margin over the server's."""

from __future__ import annotations

import cvframe
from cvframe._api._transport import RateLimiter, SystemClock
from cvframe.emulator import Emulator

#: The server's limit in the test: 6 requests in any 2 seconds, the client's the same
#: (plus its margin of a second). The API counts 60 in 60 s; a shorter window meets the
#: limit within seconds.
CAPACITY, WINDOW = 6, 2.0
#: 78 records in pages of 6 new ones: 13 pages, three windows, the limiter binds twice.
PAGE_SIZE = 6


def test_a_read_at_the_limit_meets_no_429() -> None:
    with Emulator(days=1, queues=1, requests_per_minute=CAPACITY, rate_window=WINDOW) as emu:
        records = len(emu.records("2023-01-02", "2023-01-03"))
        with cvframe.CallVolumeClient(**emu.client_settings()) as client:
            assert client.settings.requests_per_minute == CAPACITY
            client.transport.limiter = RateLimiter(CAPACITY, SystemClock(), window=WINDOW)
            pages = list(
                client.iter_pages(
                    emu.org_id, "2023-01-02", "2023-01-03", page_size=PAGE_SIZE, concurrency=4
                )
            )
            sent = client.transport.requests_sent
        statuses = [r.status for r in emu.requests]
    assert sum(len(p.records) for p in pages) == records
    assert sent > 2 * CAPACITY  # the limiter bound at least twice
    assert statuses.count(429) == 0, statuses
    assert statuses == [200] * sent
