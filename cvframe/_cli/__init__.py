"""The ``cvframe`` command: one ``main``, a module per command group, one error handler.

``_main`` builds the parser and runs a command; ``_options`` holds the connection
options the reading commands share; ``_errors`` the one line a failure prints;
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
