"""How a command fails: :class:`CommandError`, and the one line printed for any failure.

:func:`cvframe._cli.main` catches :data:`REPORTED_ERRORS` (a bare ``OSError`` too) from
every command and prints :func:`error_line` after ``cvframe: error:``: cron and Airflow
logs want the reason, not a traceback.
"""

from __future__ import annotations

from .._errors import CvframeError

__all__ = [
    "EXIT_CODES",
    "REPORTED_ERRORS",
    "CommandError",
    "NothingWrittenError",
    "UsageError",
    "error_line",
    "exit_code",
]

#: The exit status of the ``cvframe`` command -> what it means (``cvframe --help`` lists them).
EXIT_CODES = {
    0: "success",
    1: "an error: one 'cvframe: error:' line on stderr says what happened and what to do",
    2: "bad usage: an unknown option or value, or options that do not go together",
    3: "nothing to write: the fetch or export found zero rows (pass --allow-empty to "
    "write the empty file and exit 0)",
    130: "interrupted (Ctrl-C)",
    141: "the reader of the output stopped early (e.g. '| head'): what it read is whole",
}


class CommandError(Exception):
    """A command cannot do what it was asked; the message says why and what to do."""


class UsageError(CommandError):
    """Options that do not go together (one that does not apply to the endpoint): exit 2."""


class NothingWrittenError(CommandError):
    """A fetch or export found zero rows and was not told ``--allow-empty``: exit 3.

    A wrong ``--from`` or an unknown ``--queue`` reads nothing; a cron job that wrote a
    header-only file and exited 0 would succeed with wrong output.
    """


#: What ``main`` turns into one ``cvframe: error:`` line and exit code 1 (:func:`exit_code`).
REPORTED_ERRORS = (CvframeError, ValueError, OSError, CommandError)


def exit_code(exc: BaseException) -> int:
    """The exit status for a reported error: 2 bad usage, 3 nothing written, else 1."""
    if isinstance(exc, UsageError):
        return 2
    if isinstance(exc, NothingWrittenError):
        return 3
    return 1


def error_line(exc: BaseException) -> str:
    """The one line printed for ``exc``: its message's first line, or the OS's reason."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}; check the path and its permissions, then run again"
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
