"""The ``cvframe`` command: the parser of every subcommand, and :func:`main`.

Exit codes: 0 success, 1 an error (one ``cvframe: error:`` line on stderr), 2 bad
usage (argparse's message, or one ``cvframe: error:`` line for an option that does not
apply to the ``--endpoint`` chosen), 130 Ctrl-C. Every command's errors, a bare
``OSError`` included, go through the one handler in :func:`main` (see
:mod:`cvframe._cli._errors`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._version import __version__
from ._demo import add_demo_command
from ._emulator import add_emulator_command
from ._errors import REPORTED_ERRORS, UsageError, error_line
from ._fetch import add_fetch_command
from ._snapshot import add_export_command, add_sync_command

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cvframe`` command."""
    parser = argparse.ArgumentParser(
        prog="cvframe",
        description="Kore.ai WFM Integration API history (call volume, skills, agent "
        "performance and activity, queues, agents) as validated pandas DataFrames.",
    )
    parser.add_argument("--version", action="version", version=f"cvframe {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_command in (
        add_fetch_command,
        add_demo_command,
        add_emulator_command,
        add_sync_command,
        add_export_command,
    ):
        add_command(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cvframe`` command; return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except REPORTED_ERRORS as exc:
        print(f"cvframe: error: {error_line(exc)}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print("cvframe: interrupted", file=sys.stderr)
        return 130
