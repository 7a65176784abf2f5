"""The ``cvframe demo`` command: the main job on the built-in emulator.

Read, validate, store, summarize (per queue, and one line of the agents' measured
occupancy on the first day): no account needed.
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

import pandas as pd

from .._analytics import AGGREGATIONS, agent_occupancy, agent_state_intervals, kpis
from .._api import CallVolumeClient, read_agent_activity, read_agent_performance, read_callvolume
from ..emulator import Emulator
from ._options import Subcommands

__all__ = ["add_demo_command"]

#: What the demo reads by default: two weeks of four queues.
_DAYS, _QUEUES = 14, 4
#: The least data the demo's emulator serves (its default days), so a short demo reads
#: a realistic account.
_EMULATED_DAYS: int = inspect.signature(Emulator).parameters["days"].default


def add_demo_command(subcommands: Subcommands) -> None:
    """Add ``cvframe demo``."""
    demo = subcommands.add_parser(
        "demo",
        help="run the main job on the built-in emulator (no account needed)",
        description=f"Start the emulator, read {_DAYS} days of {_QUEUES} queues, validate, "
        "write Parquet and print a per-queue summary and the agents' occupancy on the "
        "first day.",
    )
    demo.add_argument("--output", default="demo-output", help="folder for the Parquet file")
    demo.add_argument("--days", type=int, default=_DAYS, help="days to read")
    demo.add_argument("--queues", type=int, default=_QUEUES, help="queues the account has")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    run_demo(Path(args.output), days=args.days, queues=args.queues)
    return 0


def queue_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per-queue totals and the headline KPIs of :func:`cvframe.kpis` (from sums)."""
    totals = kpis(df.groupby("queue_name", observed=True)[list(AGGREGATIONS)].agg(AGGREGATIONS))
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


def agent_summary(perf: pd.DataFrame, events: pd.DataFrame, end: pd.Timestamp) -> str:
    """One line: agents logged in, occupancy (and its busiest half hour), shrinkage."""
    states = agent_state_intervals(events, "15min", end=end)
    occ = agent_occupancy(perf, states, "30min")
    day = occ["interval_start"].min()
    occupancy = occ["handle_time"].sum() / occ["available_time"].sum()
    shrinkage = occ["not_ready_time"].sum() / occ["logged_in_time"].sum()
    top = occ.loc[occ["occupancy"].astype(float).idxmax()]
    return (
        f"agents on {day:%Y-%m-%d}: {events['agent_id'].nunique()} logged in, occupancy "
        f"{round(100 * occupancy)}% (busiest half hour {top['interval_start']:%H:%M} UTC, "
        f"{round(100 * top['occupancy'])}%), shrinkage {round(100 * shrinkage)}%"
    )


def run_demo(output: Path, *, days: int = _DAYS, queues: int = _QUEUES) -> Path:
    """Start the emulator, read ``days`` days of ``queues`` queues, write Parquet, print a summary.

    Returns the path of the Parquet file.
    """
    if days < 1 or queues < 1:
        raise ValueError("days and queues must be >= 1")
    with Emulator(queues=queues, days=max(days, _EMULATED_DAYS)) as emu:
        start = pd.Timestamp(emu.data_start, tz="UTC")
        end = start + pd.Timedelta(days=days)
        print(f"emulator on {emu.base_url}; reading {start:%Y-%m-%d} .. {end:%Y-%m-%d}")
        # One client for every endpoint: the API's rate limit is the account's.
        with CallVolumeClient(**emu.client_settings()) as client:
            df = read_callvolume(start, end, org_id=emu.org_id, client=client)
            first_day = (start, start + pd.Timedelta(days=1))
            perf = read_agent_performance(*first_day, progress=False, client=client)
            events = read_agent_activity(*first_day, progress=False, client=client)
    output.mkdir(parents=True, exist_ok=True)
    path = output / "callvolume.parquet"
    df.to_parquet(path, index=False)
    print(f"{len(df)} records, {df['queue_id'].nunique()} queues, schema validated")
    print(f"wrote {path}")
    print()
    with pd.option_context("display.width", 120):
        print(queue_summary(df).to_string())
    print()
    print(agent_summary(perf, events, first_day[1]))
    return path
