"""WFM exports: the source fields, the Genesys, generic and custom layouts, CSV writing.

The interface of the ``_wfm`` layer to the rest of cvframe (not public API). It reads
frames and analytics (the service level is :func:`cvframe.kpis`'), never the API or
snapshots.
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
