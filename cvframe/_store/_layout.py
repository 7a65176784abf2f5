"""Where a snapshot keeps its rows: a hive-partitioned dataset, one file per UTC day.

Layout::

    PATH/
      .cvframe.lock                   the writers' lock (hidden from Parquet readers)
      date=2023-01-02/part-0.parquet  every record whose interval starts that UTC day
      date=2023-01-03/part-0.parquet

Rows are kept sorted by :data:`SORT_KEYS` (the endpoint's record order) within each day.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from .._endpoints import CALLVOLUME

__all__ = [
    "PARTITIONING",
    "PARTITION_FIELD",
    "PART_FILE",
    "SORT_KEYS",
    "day_file",
    "directory_days",
    "split_by_day",
]

#: The hive partition key: the UTC date of ``interval_start``, ``YYYY-MM-DD``.
PARTITION_FIELD = "date"
#: The one data file of each partition.
PART_FILE = "part-0.parquet"
#: The order of the rows in a day's file: the endpoint's record order.
SORT_KEYS = [(name, "ascending") for name in CALLVOLUME.sort_keys]
#: The partitioning pyarrow reads the dataset with.
PARTITIONING = ds.partitioning(pa.schema([(PARTITION_FIELD, pa.string())]), flavor="hive")


def day_file(root: Path, day: str) -> Path:
    """The file of the day ``day`` (``YYYY-MM-DD``) in the snapshot at ``root``."""
    return root / f"{PARTITION_FIELD}={day}" / PART_FILE


def directory_days(path: str | os.PathLike[str]) -> list[str]:
    """The UTC days (``YYYY-MM-DD``) the snapshot directory ``path`` holds a file for, sorted.

    A directory that is not a snapshot (or does not exist) holds none.
    """
    prefix = f"{PARTITION_FIELD}="
    return sorted(
        p.name[len(prefix) :] for p in Path(path).glob(f"{prefix}*") if (p / PART_FILE).is_file()
    )


def split_by_day(table: pa.Table) -> dict[str, pa.Table]:
    """The rows of each UTC day of interval_start, keyed ``YYYY-MM-DD``, ascending."""
    table = table.sort_by(SORT_KEYS)
    starts = table["interval_start"].combine_chunks()
    # Dropping the zone keeps the UTC wall time, so the cast to date is the UTC date.
    days = pc.cast(starts.cast(pa.timestamp("ms")), pa.date32())
    ordinals = np.asarray(days.cast(pa.int32()).to_numpy(zero_copy_only=False))
    edges = [0, *(np.flatnonzero(np.diff(ordinals)) + 1).tolist(), len(ordinals)]
    return {
        days[lo].as_py().isoformat(): table.slice(lo, hi - lo)
        for lo, hi in itertools.pairwise(edges)
        if hi > lo
    }
