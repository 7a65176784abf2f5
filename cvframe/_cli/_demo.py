"""The main job on the built-in emulator: read, validate, store, summarize."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._analytics import kpis
from .._api import read_callvolume
from .._frame import COLUMNS
from ..emulator import Emulator

__all__ = ["queue_summary", "run_demo"]

MEASURE_KINDS = ("int", "float", "duration")


def queue_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per-queue totals and the headline KPIs of :func:`cvframe.kpis` (from sums)."""
    measures = [c.name for c in COLUMNS if c.kind in MEASURE_KINDS and c.name != "version"]
    how = {name: "max" if name.startswith("max_") else "sum" for name in measures}
    totals = kpis(df.groupby("queue_name", observed=True)[measures].agg(how))
    out = pd.DataFrame(
        {
            "offered": totals["offered_contacts"],
            "answered": totals["answered_contacts"],
            "abandoned": totals["abandoned_contacts"],
            "abandon_%": (100 * totals["abandon_rate"]).round(1),
            "AHT_s": totals["aht"].dt.total_seconds().round(1),
            "ASA_s": totals["asa"].dt.total_seconds().round(1),
        }
    )
    out.index.name = "queue"
    return out


def run_demo(output: Path, *, days: int = 14, queues: int = 4) -> Path:
    """Start the emulator, read ``days`` days of ``queues`` queues, write Parquet, print a summary.

    Returns the path of the Parquet file.
    """
    if days < 1 or queues < 1:
        raise ValueError("days and queues must be >= 1")
    with Emulator(queues=queues, days=max(days, 28)) as emu:
        start = pd.Timestamp(emu.data_start, tz="UTC")
        end = start + pd.Timedelta(days=days)
        print(f"emulator on {emu.base_url}; reading {start:%Y-%m-%d} .. {end:%Y-%m-%d}")
        df = read_callvolume(start, end, **emu.settings())
    output.mkdir(parents=True, exist_ok=True)
    path = output / "callvolume.parquet"
    df.to_parquet(path, index=False)
    print(f"{len(df)} records, {df['queue_id'].nunique()} queues, schema validated")
    print(f"wrote {path}")
    print()
    with pd.option_context("display.width", 120):
        print(queue_summary(df).to_string())
    return path
