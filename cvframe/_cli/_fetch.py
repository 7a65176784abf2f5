"""The ``cvframe fetch`` command: one window of call volume into a Parquet or CSV file."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import get_args

from .._api import DEFAULT_PAGE_SIZE, read_callvolume
from .._atomic import write_atomically
from .._endpoints import CALLVOLUME, DurationUnit
from ._errors import CommandError
from ._options import Subcommands, add_connection_options, connection_settings

__all__ = ["add_fetch_command"]

#: The file types ``-o`` may name, by suffix.
_OUTPUT_SUFFIXES = (".parquet", ".csv")


def add_fetch_command(subcommands: Subcommands) -> None:
    """Add ``cvframe fetch``."""
    fetch = subcommands.add_parser(
        "fetch",
        help="read a window of call volume into a Parquet or CSV file",
        description="Read every record of [--from, --to) into one validated file. "
        "Credentials come from CVFRAME_CLIENT_ID and CVFRAME_CLIENT_SECRET (or CVFRAME_TOKEN).",
    )
    fetch.add_argument(
        "--from", dest="start", help="window start, ISO 8601 (default: first record)"
    )
    fetch.add_argument("--to", dest="end", help="window end, ISO 8601 (default: now)")
    fetch.add_argument("--org", help="organization id ($CVFRAME_ORG_ID)")
    fetch.add_argument("-o", "--output", required=True, help="out.parquet or out.csv")
    fetch.add_argument("--queue", action="append", help="keep this queue id or name (repeatable)")
    fetch.add_argument(
        "--page-size", type=int, default=DEFAULT_PAGE_SIZE, help="records per request"
    )
    fetch.add_argument(
        "--duration-unit",
        choices=get_args(DurationUnit),
        default=CALLVOLUME.duration_unit,
        help="unit the server sends",
    )
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_connection_options(fetch)
    fetch.set_defaults(func=_fetch)


def _fetch(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.suffix.lower() not in _OUTPUT_SUFFIXES:
        raise ValueError(f"--output must end in .parquet or .csv, got {out.name!r}")
    _check_output_path(out)
    df = read_callvolume(
        args.start,
        args.end,
        org_id=args.org,
        page_size=args.page_size,
        queues=args.queue or None,
        duration_unit=args.duration_unit,
        progress=None if not args.quiet else False,
        **connection_settings(args),
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        # Atomically: a failed write leaves the previous file whole (a cron job's output).
        if out.suffix.lower() == ".parquet":
            write_atomically(out, lambda fh: df.to_parquet(fh, index=False))
        else:
            write_atomically(out, lambda fh: df.to_csv(fh, index=False))
    except OSError as exc:
        raise CommandError(
            f"cannot write {out}: {exc.strerror or exc}; the {len(df)} records were read "
            "but not saved. Pass an -o path in a folder you can write"
        ) from exc
    print(f"wrote {len(df)} records to {out}")
    return 0


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
