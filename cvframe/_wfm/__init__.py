"""WFM exports: the field catalogue and the Genesys, generic and custom layouts.

The interface of the ``_wfm`` layer to the rest of cvframe (not public API).
"""

from __future__ import annotations

from ._export import (
    to_wfm,
    write_wfm,
)

__all__ = [
    "to_wfm",
    "write_wfm",
]
