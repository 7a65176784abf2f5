"""The ``cvframe`` command: one ``main``, its subcommands, one error handler."""

from __future__ import annotations

from ._main import (
    main,
)

__all__ = [
    "main",
]
