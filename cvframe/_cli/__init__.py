"""The ``cvframe`` command: one ``main``, a module per command group, one error handler.

``_main`` builds the parser and runs a command; ``_options`` holds the connection
options the reading commands share; ``_errors`` the one line a failure prints and
the exit codes; ``_logging`` ``--log-level``/``-v`` and the ``cvframe: <level>:``
lines; ``_output`` the files ``fetch`` writes (their formats, and ``cvframe.read_csv``, the
way back from the CSV, are ``_frame``'s);
``_fetch``, ``_demo``, ``_emulator`` and ``_snapshot`` (sync, export) each add their
commands.
"""

from __future__ import annotations

from ._main import (
    main,
)

__all__ = [
    "main",
]
