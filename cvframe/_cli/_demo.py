"""The ``cvframe demo`` command: the main job on the built-in emulator.

Read, validate, store, summarize (the window read; per queue, the volumes, handle
and answer times and the service level with the bounds the data allow; one line of
the agents' measured occupancy on the first day): no account needed.
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

import pandas as pd

from .._analytics import (
    AGGREGATIONS,
    agent_occupancy,
    agent_state_intervals,
    kpis,
    resample_intervals,
)
from .._api import CallVolumeClient, read_agent_activity, read_agent_performance, read_callvolume
from ..emulator import Emulator
from ._options import Subcommands, whole_number_argument

__all__ = ["add_demo_command"]

#: What the demo reads by default: two weeks of four queues.
_DAYS, _QUEUES = 14, 4
#: The service level the summary shows: answered within this threshold / offered.
SL_THRESHOLD = "20s"
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
    demo.add_argument("--days", type=whole_number_argument(1), default=_DAYS, help="days to read")
    demo.add_argument(
        "--queues", type=whole_number_argument(1), default=_QUEUES, help="queues the account has"
    )
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    run_demo(Path(args.output), days=args.days, queues=args.queues)
    return 0


def queue_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per-queue totals and the headline KPIs of :func:`cvframe.kpis` (from sums).

    The service level is the share of offered contacts answered within
    :data:`SL_THRESHOLD`, with the lowest and highest values the records allow: each
    15-minute record's bounds are counted on its own (``resample_intervals`` with
    ``sl_threshold``, per day) and added up per queue, so the window's bounds are as
    tight as its quarter hours allow, not those of its single longest wait.
    """
    days = resample_intervals(df, "D", by="queue_name", sl_threshold=SL_THRESHOLD)
    # The days' totals per queue: the measures as AGGREGATIONS adds them, and the
    # service-level counts the resampling carried (sums), for the threshold it recorded.
    carried = [c for c in days.columns if "_within_sl_" in c]
    sums = {c: AGGREGATIONS[c] for c in days.columns if c in AGGREGATIONS}
    totals = days.groupby("queue_name", observed=True).agg(
        {**sums, **dict.fromkeys(carried, "sum"), "sl_threshold": "first"}
    )
    totals = kpis(totals, sl_threshold=SL_THRESHOLD)

    def percent(column: str) -> pd.Series:
        return (100 * totals[column]).round(1)

    out = pd.DataFrame(
        {
            "offered": totals["offered_contacts"],
            "answered": totals["answered_contacts"],
            "abandoned": totals["abandoned_contacts"],
            "abandon_%": percent("abandon_rate"),
            "AHT_s": totals["aht"].dt.total_seconds().round(1),
            "ASA_s": totals["asa"].dt.total_seconds().round(1),
            "SL_%": percent("service_level"),
            "SL_low_%": percent("service_level_low"),
            "SL_high_%": percent("service_level_high"),
        }
    )
    out.index.name = "queue"
    return out


def window_line(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """The window read, in words: its UTC bounds, its length and its calendar days."""
    days = (end - start) / pd.Timedelta(days=1)
    length = f"{days:g} day{'s' if days != 1 else ''}"
    last = end - pd.Timedelta(days=1)
    first_day = f"{start:%A} {start.day} {start:%B %Y}"
    calendar = first_day if days == 1 else f"{first_day} to {last:%A} {last.day} {last:%B %Y}"
    return (
        f"window read: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({length}: "
        f"{calendar}, the end time itself not included)"
    )


#: Under the queue table: what its columns mean, for someone who has not read the docs.
_LEGEND = (
    f"SL_% = service level, the share of offered contacts answered within "
    f"{SL_THRESHOLD.removesuffix('s')} seconds.\n"
    "The API gives each 15-minute interval only the total and the longest wait, so the "
    "share is bounded:\nSL_low_% and SL_high_% are the lowest and highest values the "
    "data allow, SL_% the estimate between them.\n"
    "AHT_s = average handle time, ASA_s = average speed of answer, in seconds."
)


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
        print(
            f"demo data: a made-up contact centre of {queues} queue"
            f"{'s' if queues != 1 else ''}, served on this computer by cvframe's "
            "stand-in for the Kore.ai WFM API"
        )
        print(f"(at {emu.base_url}; no account needed, nothing leaves this machine)")
        print(window_line(start, end))
        # One client for every endpoint: the API's rate limit is the account's.
        with CallVolumeClient(**emu.client_settings()) as client:
            df = read_callvolume(start, end, org_id=emu.org_id, client=client)
            first_day = (start, start + pd.Timedelta(days=1))
            perf = read_agent_performance(*first_day, progress=False, client=client)
            events = read_agent_activity(*first_day, progress=False, client=client)
    output.mkdir(parents=True, exist_ok=True)
    path = output / "callvolume.parquet"
    df.to_parquet(path, index=False)
    print(
        f"{len(df)} records of 15 minutes, {df['queue_id'].nunique()} queues, "
        "schema validated (every column has the documented type and valid values)"
    )
    print(f"wrote {path}")
    print()
    with pd.option_context("display.width", 120):
        print(queue_summary(df).to_string())
    print(_LEGEND)
    print()
    print(agent_summary(perf, events, first_day[1]))
    return path
