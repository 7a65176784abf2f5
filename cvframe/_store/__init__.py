"""Parquet snapshots: the day-partitioned layout, atomic writes, upserts, reads, the lock, sync.

The interface of the ``_store`` layer to the rest of cvframe (not public API).
"""

from __future__ import annotations

from ._lock import (
    DEFAULT_LOCK_TIMEOUT,
)
from ._snapshot import (
    read_snapshot,
    write_snapshot,
)
from ._sync import (
    DEFAULT_LOOKBACK,
    SyncReport,
    sync,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_LOOKBACK",
    "SyncReport",
    "read_snapshot",
    "sync",
    "write_snapshot",
]
