"""``page_size="auto"`` against ``max_page_bytes``, and where "auto" does not apply.

Agent performance pages are large per item (an agent carries all its intervals): in
the emulator's week of 2 queues about 14-17 kB an agent, so 25 agents are about
350-440 kB and 50 about 680-800 kB (measured with the transport's ``sizes=``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._api._paging import PageSizer
from cvframe._cli import main
from cvframe.emulator import Emulator

DAYS, QUEUES = 7, 2
START, END = "2023-01-02", "2023-01-09"


@pytest.fixture(autouse=True)
def _no_latency_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # Not about latency: a loaded machine must not settle a page size early.
    monkeypatch.setattr("cvframe._api._paging.AUTO_LATENCY_BUDGET", 1e9)


@pytest.fixture(scope="module")
def emu() -> Any:
    with Emulator(days=DAYS, queues=QUEUES) as emulator:
        yield emulator


def _read(emu: Emulator, page_size: Any, **extra: Any) -> tuple[pd.DataFrame, list[int]]:
    sent = len(emu.requests)
    df = cvframe.read_agent_performance(
        START, END, page_size=page_size, progress=False, **emu.settings(), **extra
    )
    limits = [r.body["limit"] for r in emu.requests[sent:] if r.body is not None]
    return df, limits


def test_auto_grows_agent_pages_only_as_far_as_max_page_bytes_allows(emu: Emulator) -> None:
    fixed, _ = _read(emu, 25)
    # 25 agents (<= 440 kB) fit 1 MB; 50 (>= 680 kB) would pass half of it. On the tree
    # before, "auto" doubled to 50 and 100 and the read died on a body too large.
    auto, limits = _read(emu, "auto", max_page_bytes=1_000_000)
    pd.testing.assert_frame_equal(auto, fixed)
    assert limits[0] == 25
    assert 25 < max(limits) < 50  # grew, to what half of 1 MB holds at the first page's rate


def test_auto_steps_back_when_a_page_is_larger_than_max_page_bytes(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed, _ = _read(emu, 25)
    # Let the sizer grow blind to bytes: the refusal itself must bring it back.
    monkeypatch.setattr("cvframe._api._paging.AUTO_BYTES_SHARE", 1000.0)
    auto, limits = _read(emu, "auto", max_page_bytes=600_000)
    pd.testing.assert_frame_equal(auto, fixed)
    # 25 fit, 50 is refused (> 600 kB): that page again at 25, and 25 from then on.
    assert limits[:3] == [25, 50, 25]
    assert set(limits[2:]) == {25}


def test_a_fixed_page_size_above_max_page_bytes_stays_an_error(emu: Emulator) -> None:
    with pytest.raises(cvframe.ResponseError, match="larger than max_page_bytes"):
        _read(emu, 50, max_page_bytes=600_000)


def test_auto_s_first_page_above_max_page_bytes_stays_an_error(emu: Emulator) -> None:
    # "auto" cannot go below its first size (25 agents): nothing to step back to.
    with pytest.raises(cvframe.ResponseError, match="larger than max_page_bytes"):
        _read(emu, "auto", max_page_bytes=200_000)


def test_the_sizer_settles_where_the_bytes_allow_no_more() -> None:
    sizer = PageSizer(25, max_bytes=1_000_000)
    # 20 kB an agent: half of 1 MB holds 25 agents, no more.
    sizer.update(asked=25, received=25, has_more=True, seconds=0.1, nbytes=500_000)
    assert (sizer.size, sizer.settled, sizer.reason) == (25, True, "bytes")
    grows = PageSizer(25, max_bytes=1_000_000)
    grows.update(asked=25, received=25, has_more=True, seconds=0.1, nbytes=100_000)
    assert (grows.size, grows.settled) == (50, False)  # 4 kB an agent: doubling fits


@pytest.mark.parametrize("spelling", ["auto", "AUTO", " Auto "])
def test_read_agents_says_auto_does_not_apply_and_what_to_pass(spelling: str) -> None:
    with pytest.raises(ValueError, match=r"read_agents pages by offset/limit.*default 100"):
        cvframe.read_agents(page_size=spelling, host="x", account_id="a", token="t")


def test_cli_fetch_agents_with_page_size_auto_says_what_to_do(
    emu: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "agents.parquet"
    code = main(["fetch", "--endpoint", "agents", "-o", str(out), "-q", "--page-size", "auto"])
    assert code != 0 and not out.exists()
    assert "pages by offset/limit" in capsys.readouterr().err


@pytest.mark.parametrize("spelling", ["AUTO", " auto ", "Auto"])
def test_the_python_api_spells_auto_as_the_cli_does(emu: Emulator, spelling: str) -> None:
    # --page-size reads "auto" in any case, spaces ignored; so does page_size=.
    df, limits = _read(emu, spelling, max_page_bytes=1_000_000)
    assert limits[0] == 25 and max(limits) > 25 and len(df) > 0
