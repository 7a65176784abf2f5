"""``page_size="auto"``: pages grow while the server keeps up, and every record arrives once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._api._paging import PageSizer
from cvframe._cli import main
from cvframe.emulator import Emulator

#: 28 days of 4 queues: 7,478 records, 8 pages of 1,000.
DAYS, QUEUES = 28, 4
START, END = "2023-01-02", "2023-01-30"


@pytest.fixture(autouse=True)
def _no_latency_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the latency test is about latency (it sets its own budget): elsewhere a
    # loaded machine must not settle the page size early.
    monkeypatch.setattr("cvframe._api._paging.AUTO_LATENCY_BUDGET", 1e9)


def _read(emu: Emulator, page_size: Any, **extra: Any) -> tuple[pd.DataFrame, list[int]]:
    """The frame of the window, and the ``limit`` of each request it sent."""
    sent = len(emu.requests)
    df = cvframe.read_callvolume(
        START, END, page_size=page_size, progress=False, **emu.settings(), **extra
    )
    limits = [r.body["limit"] for r in emu.requests[sent:] if r.body is not None]
    return df, limits


def _every_record_once(df: pd.DataFrame, emu: Emulator) -> None:
    expected = {r["_id"] for r in emu.records(START, END)}
    assert len(df) == len(expected) == df["id"].nunique()
    assert set(df["id"]) == expected


def test_auto_needs_fewer_requests_than_1000_when_the_server_allows_big_pages() -> None:
    with Emulator(days=DAYS, queues=QUEUES) as emu:
        fixed, fixed_limits = _read(emu, 1000)
        auto, auto_limits = _read(emu, "auto")
        _every_record_once(auto, emu)
    pd.testing.assert_frame_equal(auto, fixed)
    assert len(fixed_limits) == 8  # ceil(7478 / 1000): the overlap costs no request
    assert auto_limits == [1000, 2000, 4000, 8000]  # doubling; the last page is short
    assert len(auto_limits) < len(fixed_limits)


def test_auto_settles_at_the_cap_of_a_server_that_sends_fewer_than_asked() -> None:
    with Emulator(days=DAYS, queues=QUEUES, max_page_size=1500) as emu:
        fixed, _ = _read(emu, 1000)
        auto, limits = _read(emu, "auto")
        _every_record_once(auto, emu)
    pd.testing.assert_frame_equal(auto, fixed)
    # 1,000 arrive in full, 2,000 bring 1,500 with more to come: 1,500 from then on.
    assert limits[:2] == [1000, 2000]
    assert set(limits[2:]) == {1500}
    # skip advances by what arrives: 1 + ceil((7478 - 1000) / (1500 - 3)) pages.
    assert len(limits) == 2 + -(-(7478 - 1000 - 1497) // 1497)


def test_auto_steps_back_when_pages_slow_down(monkeypatch: pytest.MonkeyPatch) -> None:
    # The third page (limit=4,000) is held 2.5 s against a 1 s budget: 1.5 s too slow,
    # while the others (milliseconds on loopback) stay far inside it, on any machine.
    monkeypatch.setattr("cvframe._api._paging.AUTO_LATENCY_BUDGET", 1.0)
    with Emulator(days=DAYS, queues=QUEUES) as emu:
        emu.before_answer = lambda number: time.sleep(2.5) if number == 3 else None
        auto, limits = _read(emu, "auto")
        emu.before_answer = None
        _every_record_once(auto, emu)
        fixed, _ = _read(emu, 1000)
    pd.testing.assert_frame_equal(auto, fixed)
    # A server that kept up would have been asked for 8,000 next (see the first test);
    # the slow page settles the read on the size before it.
    assert limits[:3] == [1000, 2000, 4000]
    assert limits[3:] and set(limits[3:]) == {2000}


def test_auto_steps_back_when_the_server_refuses_a_larger_limit() -> None:
    with Emulator(days=DAYS, queues=QUEUES) as emu:
        # The second request (limit=2000) is answered 400, as a server with a maximum
        # limit that refuses rather than caps would.
        emu.before_answer = lambda number: emu.inject(400) if number == 1 else None
        auto, limits = _read(emu, "auto")
        statuses = [r.status for r in emu.requests]
        emu.before_answer = None
        _every_record_once(auto, emu)
    assert statuses[:3] == [200, 400, 200]
    assert limits[:3] == [1000, 2000, 1000]
    assert set(limits[3:]) == {1000}


def test_auto_progress_bar_counts_every_record(monkeypatch: pytest.MonkeyPatch) -> None:
    bars: list[dict[str, Any]] = []

    class Bar:
        def __init__(self, **kwargs: Any) -> None:
            bars.append({**kwargs, "updates": []})

        def update(self, n: int) -> None:
            bars[-1]["updates"].append(n)

        def close(self) -> None:
            pass

    monkeypatch.setattr("cvframe._api._read.progress_bar_class", lambda: Bar)
    with Emulator(days=DAYS, queues=QUEUES, max_page_size=1500) as emu:
        df = cvframe.read_callvolume(START, END, page_size="auto", progress=True, **emu.settings())
    (bar,) = bars
    assert bar["total"] == len(df) == sum(bar["updates"])
    assert len(bar["updates"]) > 2


def test_iter_pages_with_auto_yields_each_record_once() -> None:
    with Emulator(days=DAYS, queues=QUEUES, max_page_size=3000) as emu:
        with cvframe.CallVolumeClient(**emu.client_settings()) as client:
            pages = list(client.iter_pages(emu.org_id, START, END, page_size="auto"))
        ids = [i for p in pages for r in p.records for i in [r["_id"]]]
        assert sorted(ids) == sorted(r["_id"] for r in emu.records(START, END))
    assert [len(p.records) for p in pages][:3] == [1000, 1997, 2997]


@pytest.mark.parametrize("bad", ["big", "autos", "", 0, 2.5, True])
def test_page_size_is_a_number_or_auto(bad: Any) -> None:
    with pytest.raises(ValueError, match='page_size must be a whole number >= 1 or "auto"'):
        cvframe.read_callvolume("2023-01-02", "2023-01-03", page_size=bad, host="x", org_id="o")


def test_the_sizer_grows_to_its_ceiling_and_stays() -> None:
    sizer = PageSizer(1000)
    sizes = []
    for _ in range(8):  # bounded: the ceiling is four doublings away
        sizer.update(asked=sizer.size, received=sizer.size, has_more=True, seconds=0.1)
        sizes.append(sizer.size)
    assert sizes == [2000, 4000, 8000, 16000, 16000, 16000, 16000, 16000]
    assert sizer.settled and sizer.reason == "ceiling"


def test_cli_fetch_and_sync_take_page_size_auto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Emulator(days=DAYS, queues=QUEUES, max_page_size=1500) as emu:
        for name, value in emu.env().items():
            monkeypatch.setenv(name, value)
        out = tmp_path / "cv.parquet"
        argv = ["fetch", "--from", START, "--to", END, "-o", str(out), "-q"]
        assert main([*argv, "--page-size", "auto"]) == 0
        store = tmp_path / "store"
        sync_argv = ["sync", str(store), "--from", START, "--to", END, "--page-size", "auto"]
        assert main(sync_argv) == 0
        limits = [r.body["limit"] for r in emu.requests if r.body is not None]
        with pytest.raises(SystemExit):  # argparse refuses it, naming the option
            main([*argv, "--page-size", "big"])
        _every_record_once(pd.read_parquet(out), emu)
    assert 2000 in limits  # it grew past 1,000, then settled at the cap
    assert "--page-size: expected a whole number >= 1 or auto" in capsys.readouterr().err
