"""The ``cvframe emulator`` command: serve the API emulator on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from datetime import datetime

from .._api import DEFAULT_REQUESTS_PER_MINUTE
from ..emulator import Emulator
from ._errors import CommandError
from ._options import (
    Subcommands,
    finite_seconds_argument,
    positive_number_argument,
    whole_number_argument,
)

__all__ = ["add_emulator_command"]

#: The emulator's own defaults (seed, queues, start, days): the command shows them, not copies.
_DEFAULTS = {n: p.default for n, p in inspect.signature(Emulator).parameters.items()}
#: The TCP ports there are; 0 asks the system for a free one.
_PORTS = range(0, 65536)


def add_emulator_command(subcommands: Subcommands) -> None:
    """Add ``cvframe emulator``."""
    emulator = subcommands.add_parser(
        "emulator",
        help="serve the API emulator on 127.0.0.1",
        description="Serve synthetic call volume on loopback, as the real API does.",
    )
    emulator.add_argument(
        "--port", type=_port_number, default=8765, help="port (0 picks a free one)"
    )
    emulator.add_argument("--seed", type=int, default=_DEFAULTS["seed"], help="fixes the data")
    emulator.add_argument("--queues", type=whole_number_argument(1), default=_DEFAULTS["queues"])
    emulator.add_argument(
        "--start",
        type=_day_argument,
        default=str(_DEFAULTS["start"]),
        help="first UTC day with data",
    )
    emulator.add_argument("--days", type=whole_number_argument(0), default=_DEFAULTS["days"])
    emulator.add_argument(
        "--requests-per-minute",
        type=positive_number_argument,
        # The documented API limit: the emulator answers 429 where the real API would.
        default=float(DEFAULT_REQUESTS_PER_MINUTE),
        help="429 beyond this (default %(default)g)",
    )
    emulator.add_argument(
        "--latency", type=finite_seconds_argument, default=0.0, help="seconds per answer"
    )
    emulator.set_defaults(func=_serve)


def _port_number(text: str) -> int:
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


def _day_argument(text: str) -> str:
    """An argparse type: ``--start``, an ISO 8601 date (or a time, whose UTC day counts)."""
    iso = text if "T" in text else text + "T00:00:00Z"
    try:
        datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 date such as 2023-01-02, got {text!r}"
        ) from None
    return text


def _serve(args: argparse.Namespace) -> int:
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
