"""The ``cvframe fetch`` command: one window of an endpoint into a Parquet or CSV file.

``--endpoint`` chooses what is read (call volume by default; its skill breakdown, agent
performance, agent activity, or the queue and agent directories); an option that does
not apply to the endpoint chosen is refused with one line before any request.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import get_args

import pandas as pd

from .._api import (
    DEFAULT_PAGE_SIZE,
    read_agent_activity,
    read_agent_performance,
    read_agents,
    read_callvolume,
    read_queues,
    read_skill_volume,
)
from .._atomic import write_atomically
from .._endpoints import CALLVOLUME, SKILL_VOLUME, DurationUnit
from ._errors import CommandError, NothingWrittenError, UsageError
from ._options import (
    Subcommands,
    add_allow_empty_option,
    add_connection_options,
    add_endpoint_option,
    check_settings,
    check_time_zone_option,
    check_window_options,
    connection_settings,
    notice,
    page_size_argument,
    refuse_options,
)
from ._output import CSV_DURATION_SUFFIX, write_csv, write_parquet

__all__ = ["add_fetch_command"]

#: The file types ``-o`` may name, by suffix.
_OUTPUT_SUFFIXES = (".parquet", ".csv")
_WINDOWED = ("callvolume", "skillvolume", "agentperformance", "agentactivity")
#: The options of ``fetch`` that only some endpoints take -> those endpoints.
_APPLIES_TO = {
    "--from": _WINDOWED,
    "--to": _WINDOWED,
    "--org": ("callvolume", "skillvolume"),
    "--queue": ("callvolume", "skillvolume", "agentperformance"),
    "--page-size": ("callvolume", "skillvolume", "agentperformance", "agents"),
    "--duration-unit": ("callvolume", "skillvolume"),
    "--time-zone": ("agentactivity",),
}


def add_fetch_command(subcommands: Subcommands) -> None:
    """Add ``cvframe fetch``."""
    fetch = subcommands.add_parser(
        "fetch",
        help="read a window of call volume (or another --endpoint) into a Parquet or CSV file",
        description="Read every row of [--from, --to) of the --endpoint into one validated "
        "file (queues and agents: the whole directory). Credentials come from "
        "CVFRAME_CLIENT_ID and CVFRAME_CLIENT_SECRET (or CVFRAME_TOKEN). In a CSV file a "
        f"duration column NAME is NAME{CSV_DURATION_SUFFIX}, whole milliseconds "
        "(cvframe.read_csv reads it back into the frame); Parquet keeps the types and "
        "names each duration's unit in its field metadata. Zero rows read: nothing is "
        "written and the exit status is 3, unless --allow-empty.",
    )
    add_endpoint_option(fetch)
    fetch.add_argument(
        "--from",
        dest="start",
        help="window start, ISO 8601 (default: first record; agentactivity needs it)",
    )
    fetch.add_argument(
        "--to", dest="end", help="window end, ISO 8601 (default: now; agentactivity needs it)"
    )
    fetch.add_argument(
        "--org", help="organization id ($CVFRAME_ORG_ID); callvolume and skillvolume"
    )
    fetch.add_argument("-o", "--output", required=True, help="out.parquet or out.csv")
    fetch.add_argument(
        "--queue",
        action="append",
        help="keep this queue id or name (repeatable); not for agentactivity or a directory",
    )
    fetch.add_argument(
        "--page-size",
        type=page_size_argument,
        default=None,
        help="records per request (agents per request for agentperformance; default "
        f"{DEFAULT_PAGE_SIZE} for callvolume), or auto: start at the default and grow while "
        "the server sends full pages quickly and small enough (not for agents)",
    )
    fetch.add_argument(
        "--duration-unit",
        choices=get_args(DurationUnit),
        default=None,
        help=f"unit the server sends (callvolume, skillvolume; default {CALLVOLUME.duration_unit})",
    )
    fetch.add_argument(
        "--time-zone",
        default=None,
        metavar="ZONE",
        help="agentactivity: the IANA zone its zone-less event times are in (default UTC)",
    )
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_allow_empty_option(fetch, "write the file (a header-only CSV, an empty Parquet file)")
    add_connection_options(fetch)
    fetch.set_defaults(func=_fetch)


def _fetch(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.suffix.lower() not in _OUTPUT_SUFFIXES:
        raise ValueError(f"--output must end in .parquet or .csv, got {out.name!r}")
    _check_output_path(out)
    refuse_options(args, _APPLIES_TO)
    check_window_options(args)
    check_time_zone_option(args)
    if args.endpoint == "agents" and args.page_size == "auto":
        raise UsageError(
            "--page-size auto does not apply to --endpoint agents (its API pages by "
            "offset/limit, so a page cannot grow); pass a number of agents a request, "
            "or leave --page-size out for the default"
        )
    check_settings(args, args.endpoint)
    df = _read(args)
    if df.empty:
        what = _nothing_read(args)
        if not args.allow_empty:
            raise NothingWrittenError(
                f"{what}, so nothing was written to {out} (exit 3). Check --from/--to "
                "and --queue against the data, or pass --allow-empty if an empty file is right"
            )
        notice(f"{what}; writing an empty {out.name} (--allow-empty)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        # Atomically: a failed write leaves the previous file whole (a cron job's output).
        if out.suffix.lower() == ".parquet":
            write_atomically(out, lambda fh: write_parquet(df, fh))
        else:
            write_atomically(out, lambda fh: write_csv(df, fh))
    except OSError as exc:
        raise CommandError(
            f"cannot write {out}: {exc.strerror or exc}; the {len(df)} records were read "
            "but not saved. Pass an -o path in a folder you can write"
        ) from exc
    print(f"wrote {len(df)} records to {out}")
    return 0


def _nothing_read(args: argparse.Namespace) -> str:
    """What a read of zero rows asked for, for its message."""
    if args.endpoint in ("queues", "agents"):
        return f"the {args.endpoint} directory is empty"
    window = f"[{args.start or 'the first record'}, {args.end or 'now'})"
    queues = f" for --queue {', '.join(args.queue)}" if args.queue else ""
    return f"no {args.endpoint} records in {window}{queues}"


def _read(args: argparse.Namespace) -> pd.DataFrame:
    """The frame ``args.endpoint`` gives for the options of ``args``."""
    settings = connection_settings(args)
    progress = None if not args.quiet else False
    if args.page_size is not None:
        settings["page_size"] = args.page_size
    endpoint = args.endpoint
    if endpoint == "queues":
        return read_queues(**settings)
    if endpoint == "agents":
        return read_agents(progress=progress, **settings)
    if endpoint == "agentactivity":
        if args.start is None or args.end is None:
            raise UsageError(
                "--endpoint agentactivity needs --from and --to (its API reads bounded "
                "windows), e.g. --from 2024-03-04 --to 2024-03-05"
            )
        zone = args.time_zone or "UTC"
        return read_agent_activity(
            args.start, args.end, time_zone=zone, progress=progress, **settings
        )
    queues = args.queue or None
    if endpoint == "agentperformance":
        return read_agent_performance(
            args.start, args.end, queues=queues, progress=progress, **settings
        )
    if endpoint == "skillvolume":
        return read_skill_volume(
            args.start,
            args.end,
            org_id=args.org,
            queues=queues,
            duration_unit=args.duration_unit or SKILL_VOLUME.duration_unit,
            progress=progress,
            **settings,
        )
    return read_callvolume(
        args.start,
        args.end,
        org_id=args.org,
        queues=queues,
        duration_unit=args.duration_unit or CALLVOLUME.duration_unit,
        progress=progress,
        **settings,
    )


def _check_output_path(out: Path) -> None:
    """Refuse an output path that cannot be written, before any request is spent on it."""
    if out.is_dir():
        raise CommandError(f"cannot write {out}: it is a directory; pass a file name to -o")
    folder = out.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if folder.exists() and not folder.is_dir():
        raise CommandError(
            f"cannot write {out}: {folder} is not a directory (it is a file); pass an -o "
            "path inside a folder"
        )
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(
            f"cannot write {out}: no permission to write in {folder}; pass an -o path in a "
            "folder you can write"
        )
