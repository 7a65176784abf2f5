"""How the command talks on stderr: ``--log-level``/``-v``, and one line per log record.

Every line the ``cvframe`` logger or a Python warning prints while a command runs is
``cvframe: <level>: <message>``, once (the message strings carry no ``cvframe:`` of
their own). The logger's level and handler, and the warnings' display, are restored
when the command ends, so ``main()`` called in-process leaves logging as it found it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["LOG_LEVELS", "add_logging_options", "command_logging", "log_level"]

#: ``--log-level`` choices -> logging levels.
LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
#: ``-v`` counts -> levels: -v shows the retries and page sizes (info), -vv the debug lines.
_VERBOSITY = (logging.WARNING, logging.INFO, logging.DEBUG)


def add_logging_options(parser: argparse.ArgumentParser, *, where: str) -> None:
    """Add ``--log-level`` and ``-v`` to ``parser`` (the main parser or a subcommand's).

    Both parsers take them, so they work before or after the subcommand; ``where``
    keeps the two apart in the namespace (the subcommand's parse would otherwise
    overwrite what was given before it).
    """
    group = parser.add_argument_group("logging")
    group.add_argument(
        "--log-level",
        dest=f"log_level_{where}",
        choices=tuple(LOG_LEVELS),
        default=argparse.SUPPRESS,
        help="what to print on stderr: debug, info (retries, page sizes), warning (the "
        "default) or error",
    )
    group.add_argument(
        "-v",
        "--verbose",
        dest=f"verbose_{where}",
        action="count",
        default=argparse.SUPPRESS,
        help="-v is --log-level info, -vv debug",
    )


def log_level(args: argparse.Namespace) -> int:
    """The level ``args`` ask for: ``--log-level`` if given (after the subcommand wins),
    else from the ``-v`` count, else warning."""
    for where in ("command", "main"):
        name = getattr(args, f"log_level_{where}", None)
        if name is not None:
            return LOG_LEVELS[name]
    count = getattr(args, "verbose_main", 0) + getattr(args, "verbose_command", 0)
    return _VERBOSITY[min(count, len(_VERBOSITY) - 1)]


class _LineFormatter(logging.Formatter):
    """``cvframe: <level>: <message>``: one line a cron log can grep."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.levelno <= logging.DEBUG:
            message = f"{message}\n{self.formatException(record.exc_info)}"
        return f"cvframe: {record.levelname.lower()}: {message}"


@contextmanager
def command_logging(level: int, stream: TextIO | None = None) -> Iterator[None]:
    """While a command runs: the ``cvframe`` logger at ``level`` prints one line per record
    on ``stream`` (stderr), and a Python warning prints as one ``cvframe: warning:`` line."""
    out = sys.stderr if stream is None else stream
    logger = logging.getLogger("cvframe")
    handler = logging.StreamHandler(out)
    handler.setFormatter(_LineFormatter())
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # a root handler (basicConfig, pytest) would print it again

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if level <= logging.WARNING:
            first = str(message).splitlines()[0] if str(message) else category.__name__
            print(f"cvframe: warning: {first} ({category.__name__})", file=out)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
