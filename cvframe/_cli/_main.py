"""The ``cvframe`` command: fetch, demo, emulator (and sync/export when installed).

Exit codes: 0 success, 1 an error (one ``cvframe: error:`` line on stderr), 2 bad
usage, 130 Ctrl-C. Every command's errors, a bare ``OSError`` included, go through
the one handler in :func:`main`: cron and Airflow logs want the reason, not a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._errors import CvframeError
from .._version import __version__

__all__ = ["CommandError", "main"]


class CommandError(Exception):
    """A command cannot do what it was asked; the message says why and what to do."""


#: What :func:`main` turns into one ``cvframe: error:`` line and exit code 1.
_REPORTED_ERRORS = (CvframeError, ValueError, OSError, CommandError)


def _error_line(exc: BaseException) -> str:
    """The one line printed for ``exc``: its message's first line, or the OS's reason."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}; check the path and its permissions, then run again"
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


#: The TCP ports there are; 0 asks the system for a free one.
_PORTS = range(0, 65536)


def _port(text: str) -> int:
    """An argparse type: a TCP port number (a bad one is bad usage, exit 2)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if port not in _PORTS:
        raise argparse.ArgumentTypeError(
            f"{port} is not a port: use 1 to 65535, or 0 for a free one"
        )
    return port


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


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "connection (each defaults to its CVFRAME_* environment variable)"
    )
    group.add_argument("--host", help="API host, e.g. platform.kore.ai ($CVFRAME_HOST)")
    group.add_argument("--account", dest="account_id", help="account id ($CVFRAME_ACCOUNT_ID)")
    group.add_argument("--instance-id", help="iId header value ($CVFRAME_INSTANCE_ID)")
    group.add_argument(
        "--requests-per-minute",
        type=float,
        default=None,
        help="client-side rate limit (default 60, the documented API limit)",
    )


def connection_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The client keyword arguments given on the command line (secrets only via env)."""
    settings: dict[str, Any] = {}
    for name in ("host", "account_id", "instance_id", "requests_per_minute"):
        value = getattr(args, name, None)
        if value is not None:
            settings[name] = value
    return settings


def _cmd_fetch(args: argparse.Namespace) -> int:
    from .._api import read_callvolume

    out = Path(args.output)
    if out.suffix.lower() not in (".parquet", ".csv"):
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
        if out.suffix.lower() == ".parquet":
            df.to_parquet(out, index=False)
        else:
            df.to_csv(out, index=False)
    except OSError as exc:
        raise CommandError(
            f"cannot write {out}: {exc.strerror or exc}; the {len(df)} records were read "
            "but not saved. Pass an -o path in a folder you can write"
        ) from exc
    print(f"wrote {len(df)} records to {out}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    run_demo(Path(args.output), days=args.days, queues=args.queues)
    return 0


def _cmd_emulator(args: argparse.Namespace) -> int:
    from ..emulator import Emulator

    emu = Emulator(
        seed=args.seed,
        queues=args.queues,
        start=args.start,
        days=args.days,
        requests_per_minute=args.requests_per_minute,
        latency=args.latency,
        port=args.port,
    )
    try:
        emu.start()
    except OSError as exc:
        raise CommandError(
            f"cannot serve on 127.0.0.1 port {args.port}: {exc.strerror or exc}; pass "
            "--port 0 for a free port, or another port"
        ) from exc
    with emu:
        print(f"cvframe emulator serving {emu.base_url} (Ctrl-C to stop)")
        print(f"data: {emu.data_start} .. {emu.data_end} (exclusive), {args.queues} queues")
        print("point cvframe at it with (emulator-only credentials):")
        for name, value in emu.env().items():
            print(f"  export {name}={value}")
        sys.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cvframe`` command."""
    parser = argparse.ArgumentParser(
        prog="cvframe",
        description="Kore.ai Contact Volume API history as validated pandas DataFrames.",
    )
    parser.add_argument("--version", action="version", version=f"cvframe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    fetch = sub.add_parser(
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
    fetch.add_argument("--page-size", type=int, default=1000, help="records per request")
    fetch.add_argument(
        "--duration-unit", choices=("ms", "s"), default="ms", help="unit the server sends"
    )
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_connection_options(fetch)
    fetch.set_defaults(func=_cmd_fetch)

    demo = sub.add_parser(
        "demo",
        help="run the main job on the built-in emulator (no account needed)",
        description="Start the emulator, read 14 days of 4 queues, validate, write Parquet "
        "and print a per-queue summary.",
    )
    demo.add_argument("--output", default="demo-output", help="folder for the Parquet file")
    demo.add_argument("--days", type=int, default=14, help="days to read")
    demo.add_argument("--queues", type=int, default=4, help="queues the account has")
    demo.set_defaults(func=_cmd_demo)

    emulator = sub.add_parser(
        "emulator",
        help="serve the API emulator on 127.0.0.1",
        description="Serve synthetic call volume on loopback, as the real API does.",
    )
    emulator.add_argument("--port", type=_port, default=8765, help="port (0 picks a free one)")
    emulator.add_argument("--seed", type=int, default=0, help="fixes the data")
    emulator.add_argument("--queues", type=int, default=4)
    emulator.add_argument("--start", default="2023-01-02", help="first UTC day with data")
    emulator.add_argument("--days", type=int, default=28)
    emulator.add_argument(
        "--requests-per-minute", type=float, default=60.0, help="429 beyond this (default 60)"
    )
    emulator.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    emulator.set_defaults(func=_cmd_emulator)

    try:
        extra = importlib.import_module("cvframe._cli._snapshot")
    except ModuleNotFoundError as exc:
        if exc.name != "cvframe._cli._snapshot":
            raise
    else:
        extra.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cvframe`` command; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except _REPORTED_ERRORS as exc:
        print(f"cvframe: error: {_error_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cvframe: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
