"""``cvframe demo``'s summary, run as a user runs it: the window, the service level, the words.

The demo runs in a fresh interpreter (``python -m cvframe demo``); the figures it prints
are recomputed here from the Parquet file it wrote, through the library, by another
route than the demo's (each record's service-level bounds, weighted by its offered
contacts, added up per queue).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cvframe

_TIMEOUT = 120


def _run_demo(output: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CVFRAME_")}
    run = subprocess.run(
        [sys.executable, "-m", "cvframe", "demo", "--output", str(output), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pd.DataFrame]:
    """The demo's output for 3 days of 2 queues, and the records it wrote."""
    output = tmp_path_factory.mktemp("demo")
    out = _run_demo(output, "--days", "3", "--queues", "2")
    return out, pd.read_parquet(output / "callvolume.parquet")


def test_the_summary_names_the_window_it_read(demo: tuple[str, pd.DataFrame]) -> None:
    out, df = demo
    match = re.search(
        r"^window read: (\d{4}-\d\d-\d\d) 00:00 to (\d{4}-\d\d-\d\d) 00:00 UTC "
        r"\(3 days: (\w+ \d+ \w+ \d{4}) to (\w+ \d+ \w+ \d{4}), "
        r"the end time itself not included\)$",
        out,
        flags=re.M,
    )
    assert match, out
    start, end, first, last = match.groups()
    # The emulator's data start on Monday 2 January 2023; the demo reads from there.
    assert (start, end) == ("2023-01-02", "2023-01-05")
    assert (first, last) == ("Monday 2 January 2023", "Wednesday 4 January 2023")
    # The window is the one the records fill.
    assert df["interval_start"].min() == pd.Timestamp(start, tz="UTC")
    assert df["interval_end"].max() == pd.Timestamp(end, tz="UTC")


def _table(out: str) -> pd.DataFrame:
    """The per-queue table printed, parsed back (queue names may hold spaces)."""
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:1] == ["offered"])
    columns = lines[header].split()
    assert lines[header + 1].split() == ["queue"]
    rows = {}
    for line in lines[header + 2 :]:
        if not line.strip() or line.startswith("SL_% = "):
            break
        fields = line.split()
        queue = " ".join(fields[: -len(columns)])
        rows[queue] = [float(v) for v in fields[-len(columns) :]]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def test_each_queue_has_its_service_level_with_bounds(demo: tuple[str, pd.DataFrame]) -> None:
    out, df = demo
    table = _table(out)
    assert sorted(table.index) == sorted(df["queue_name"].unique())
    # Recomputed from the records: each record's count of contacts answered within
    # 20 s (its service level over offered, times offered), added up per queue.
    records = cvframe.kpis(df, sl_threshold="20s", sl_denominator="offered")
    offered = records["offered_contacts"].astype(float)
    for queue, row in table.iterrows():
        mine = (records["queue_name"] == queue).to_numpy()
        for column, kpi in [
            ("SL_low_%", "service_level_low"),
            ("SL_%", "service_level"),
            ("SL_high_%", "service_level_high"),
        ]:
            within = (records.loc[mine, kpi].astype(float).fillna(0.0) * offered[mine]).sum()
            expected = round(100 * within / offered[mine].sum(), 1)
            assert row[column] == pytest.approx(expected, abs=0.051), (queue, column)
        assert row["SL_low_%"] <= row["SL_%"] <= row["SL_high_%"]
        assert row["SL_low_%"] < row["SL_high_%"]  # busy queues: the data bound, not know
        assert row["offered"] == df.loc[mine, "offered_contacts"].sum()


def test_the_summary_says_what_the_demo_data_are_in_plain_words(
    demo: tuple[str, pd.DataFrame],
) -> None:
    out, _ = demo
    first, second = out.splitlines()[:2]
    assert first == (
        "demo data: a made-up contact centre of 2 queues, served on this computer by "
        "cvframe's stand-in for the Kore.ai WFM API"
    )
    assert re.fullmatch(
        r"\(at http://127\.0\.0\.1:\d+; no account needed, nothing leaves this machine\)", second
    )
    # The columns are explained where they are printed, the service level's bounds too.
    assert "SL_% = service level, the share of offered contacts answered within 20 seconds." in out
    assert "SL_low_% and SL_high_% are the lowest and highest values the data allow" in out


def test_a_one_day_window_is_named_as_one_day(tmp_path: Path) -> None:
    out = _run_demo(tmp_path, "--days", "1", "--queues", "1")
    assert (
        "window read: 2023-01-02 00:00 to 2023-01-03 00:00 UTC (1 day: Monday 2 January 2023, "
        "the end time itself not included)"
    ) in out.splitlines()
    assert "demo data: a made-up contact centre of 1 queue, served" in out
