"""The ``cvframe`` command: the parser of every subcommand, and :func:`main`.

Exit codes (:data:`EXIT_CODES`, shown by ``cvframe --help``): 0 success, 1 an error
(one ``cvframe: error:`` line on stderr), 2 bad usage (argparse's message, or one
``cvframe: error:`` line for options that do not go together), 3 nothing to write (a
fetch or export of zero rows, unless ``--allow-empty``), 130 Ctrl-C, 141 the reader
of stdout stopped early (``| head``; no error line). Every command's
errors, a bare ``OSError`` included, go through the one handler in :func:`main` (see
:mod:`cvframe._cli._errors`); its log lines and warnings through
:mod:`cvframe._cli._logging`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from ._demo import add_demo_command
from ._emulator import add_emulator_command
from ._errors import EXIT_CODES, REPORTED_ERRORS, error_line, exit_code
from ._fetch import add_fetch_command
from ._logging import add_logging_options, command_logging, log_level
from ._options import in_command_words
from ._snapshot import add_export_command, add_sync_command

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cvframe`` command."""
    codes = "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="cvframe",
        description="Kore.ai WFM Integration API history (call volume, skills, agent "
        "performance and activity, queues, agents) as validated pandas DataFrames.",
        epilog=f"exit status:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cvframe {__version__}")
    add_logging_options(parser, where="main")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_command in (
        add_fetch_command,
        add_demo_command,
        add_emulator_command,
        add_sync_command,
        add_export_command,
    ):
        add_command(subcommands)
    for command in subcommands.choices.values():
        add_logging_options(command, where="command")
        command.epilog = command.epilog or f"exit status:\n{codes}"
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (poll reports an error on it)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        events = poller.poll(0)
    except (AttributeError, OSError, ValueError):  # no fd (captured), or no poll
        return False
    return any(event & (select.POLLERR | select.POLLHUP) for _, event in events)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cvframe`` command; return its exit code."""
    args = build_parser().parse_args(argv)
    with command_logging(log_level(args)):
        try:
            return int(args.func(args))
        except BrokenPipeError as exc:
            if not _stdout_reader_gone():  # a socket's or a file's: an error as any other
                print(f"cvframe: error: {error_line(exc)}", file=sys.stderr)
                return exit_code(exc)
            # The reader of stdout (`| head`) has what it wanted: no error line, and no
            # second BrokenPipeError when Python flushes stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        except REPORTED_ERRORS as exc:
            told = in_command_words(exc, args)
            print(f"cvframe: error: {error_line(told)}", file=sys.stderr)
            return exit_code(told)
        except KeyboardInterrupt:
            print("cvframe: interrupted", file=sys.stderr)
            return 130
