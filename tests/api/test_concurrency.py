"""Several requests in flight: same records, same order, never above the rate limit."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

import cvframe
from cvframe._api._transport import RateLimiter, SystemClock
from cvframe.emulator import Emulator

WINDOW = ("2023-01-02T00:00:00Z", "2023-01-05T00:00:00Z")


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_same_frame_whatever_the_concurrency(emulator: Emulator, concurrency: int) -> None:
    df = cvframe.read_callvolume(
        *WINDOW, page_size=150, concurrency=concurrency, progress=False, **emulator.settings()
    )
    expected = emulator.records(*WINDOW)
    assert df["id"].tolist() == [
        r["_id"]
        for r in sorted(
            expected, key=lambda r: (r["intervalStartTimeStamp"], r["queueId"], r["_id"])
        )
    ]


def test_pages_are_fetched_in_parallel_and_yielded_in_order() -> None:
    with Emulator(days=2, queues=2, latency=0.05) as emu:
        client = cvframe.CallVolumeClient(**emu.client_settings())
        pages = list(client.iter_pages(emu.org_id, *WINDOW, page_size=40, concurrency=4))
        skips = sorted(r.body["skip"] for r in emu.requests if r.body)
        in_flight = emu.max_in_flight
    assert [p.skip for p in pages] == skips  # in order, each skip asked once
    assert in_flight > 1
    assert sum(len(p.records) for p in pages) == pages[0].total_count


def test_server_capping_limit_under_concurrency() -> None:
    with Emulator(days=2, queues=2, max_page_size=30) as emu:
        df = cvframe.read_callvolume(
            *WINDOW, page_size=100, concurrency=4, progress=False, **emu.settings()
        )
        assert len(df) == len(emu.records(*WINDOW))
        skips = [r.body["skip"] for r in emu.requests if r.body]
    step = 30 - cvframe._api._paging.overlap_for(30)  # pages overlap the one before
    assert all(s % step == 0 for s in skips)


def test_concurrent_read_at_the_servers_own_limit_meets_no_429() -> None:
    # The emulator answers 429 past 30 requests a minute; so is the client limited.
    with Emulator(days=3, queues=2, requests_per_minute=30) as emu:
        df = cvframe.read_callvolume(
            *WINDOW, page_size=25, concurrency=8, progress=False, **emu.settings()
        )
        codes = [r.status for r in emu.requests]
        expected = len(emu.records(*WINDOW))
    pages = -(-expected // 25)  # a quiet server: the pages' overlap costs no request
    assert pages <= 30  # one window's worth, so the test never waits a real minute
    assert codes == [200] * pages
    assert len(df) == expected


def test_limiter_holds_across_threads() -> None:
    # 10 starts per 0.4 s, and the limiter's margin (RATE_WINDOW_MARGIN), which also
    # absorbs the moment between a start and the time this test records for it.
    limiter = RateLimiter(10, SystemClock(), window=0.4)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(6):
            limiter.acquire()
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    starts.sort()
    assert len(starts) == 24
    for i, t0 in enumerate(starts):
        assert sum(1 for t in starts[i:] if t < t0 + 0.4 - 1e-3) <= 10


@pytest.mark.parametrize("bad", [0, 17, 2.5, True])
def test_concurrency_must_be_1_to_16(emulator: Emulator, bad: object) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        cvframe.read_callvolume(
            *WINDOW,
            concurrency=bad,
            progress=False,  # type: ignore[arg-type]
            **emulator.settings(),
        )


def test_frame_equal_to_sequential_read_with_faults(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    a = cvframe.read_callvolume(
        "2023-01-02", "2023-01-05", page_size=50, concurrency=1, progress=False, **emu.settings()
    )
    emu.inject(503, times=3, retry_after="0")
    b = cvframe.read_callvolume(
        "2023-01-02", "2023-01-05", page_size=50, concurrency=6, progress=False, **emu.settings()
    )
    pd.testing.assert_frame_equal(a, b)
