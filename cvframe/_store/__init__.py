"""Parquet snapshots: the day-partitioned layout, atomic writes, upserts, reads, the lock, sync.

The interface of the ``_store`` layer to the rest of cvframe (not public API). A
snapshot holds the rows of one history endpoint (call volume, skill volume, agent
performance or agent activity), named in each file's metadata. Its modules, from the
bottom up: ``_contract`` (what the store asks of an endpoint's contract), ``_keys``
(a row's natural key as one array), ``_layout`` (where each day's file lives, listing
the days), ``_filters`` (the rows a window and queues select), ``_format`` (what a file
holds), ``_files`` (replacing and removing days safely), ``_location`` (a path or URL
and its filesystem), ``_days`` (the day files, local or in an object store, behind one
interface), ``_lock`` and ``_lease`` (one writer: ``flock`` or a lease object),
``_prune`` (a window holding exactly what a read returned), ``_upsert`` (merging day
by day), and the entry points ``_write``, ``_read`` and ``_sync``.
"""

from __future__ import annotations

from ._days import (
    snapshot_days,
)
from ._lock import (
    DEFAULT_LOCK_TIMEOUT,
)
from ._read import (
    read_snapshot,
    snapshot_endpoint,
)
from ._sync import (
    DEFAULT_LOOKBACK,
    StartNeededError,
    SyncReport,
    sync,
)
from ._write import (
    write_snapshot,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_LOOKBACK",
    "StartNeededError",
    "SyncReport",
    "read_snapshot",
    "snapshot_days",
    "snapshot_endpoint",
    "sync",
    "write_snapshot",
]
