"""The main job on the built-in emulator: read, validate, store, summarize."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._read import read_callvolume
from .emulator import Emulator

__all__ = ["queue_summary", "run_demo"]


def queue_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per-queue totals and the headline KPIs, from sums (never averages of averages)."""
    sums = df.groupby("queue_name", observed=True)[
        [
            "offered_contacts",
            "answered_contacts",
            "abandoned_contacts",
            "completed_contacts",
            "conversation_handle_time",
            "queue_hold_time_answered",
        ]
    ].sum()
    out = pd.DataFrame(
        {
            "offered": sums["offered_contacts"],
            "answered": sums["answered_contacts"],
            "abandoned": sums["abandoned_contacts"],
            "abandon_%": (100 * sums["abandoned_contacts"] / sums["offered_contacts"]).round(1),
            "AHT_s": (
                sums["conversation_handle_time"].dt.total_seconds() / sums["completed_contacts"]
            ).round(1),
            "ASA_s": (
                sums["queue_hold_time_answered"].dt.total_seconds() / sums["answered_contacts"]
            ).round(1),
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
