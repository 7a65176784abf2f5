"""How a command fails: :class:`CommandError`, and the one line printed for any failure.

:func:`cvframe._cli.main` catches :data:`REPORTED_ERRORS` (a bare ``OSError`` too) from
every command and prints :func:`error_line` after ``cvframe: error:``: cron and Airflow
logs want the reason, not a traceback.
"""

from __future__ import annotations

from .._errors import CvframeError

__all__ = ["REPORTED_ERRORS", "CommandError", "UsageError", "error_line"]


class CommandError(Exception):
    """A command cannot do what it was asked; the message says why and what to do."""


class UsageError(CommandError):
    """Options that do not go together (one that does not apply to the endpoint): exit 2."""


#: What ``main`` turns into one ``cvframe: error:`` line and exit code 1.
REPORTED_ERRORS = (CvframeError, ValueError, OSError, CommandError)


def error_line(exc: BaseException) -> str:
    """The one line printed for ``exc``: its message's first line, or the OS's reason."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}; check the path and its permissions, then run again"
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
