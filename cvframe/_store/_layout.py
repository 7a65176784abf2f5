"""Where a snapshot keeps its rows: a hive-partitioned dataset, one file per UTC day.

Layout::

    PATH/
      .cvframe.lock                   the writers' lock (hidden from Parquet readers)
      date=2023-01-02/part-0.parquet  every row whose interval (or event) is that UTC day
      date=2023-01-03/part-0.parquet

A snapshot holds one endpoint: its day is the UTC date of the endpoint's
``interval_column`` (``interval_start``; ``event_time`` for agent activity), and the
rows of each day are kept sorted by the endpoint's ``sort_keys`` (:func:`sort_keys`).
"""

from __future__ import annotations

import functools
import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._endpoints import CALLVOLUME, Endpoint

__all__ = [
    "PARTITION_FIELD",
    "PART_FILE",
    "day_file",
    "directory_days",
    "partition_column",
    "partitioning",
    "sort_keys",
    "split_by_day",
]

#: The hive partition key: the UTC date of the interval column, ``YYYY-MM-DD``.
PARTITION_FIELD = "date"
#: The one data file of each partition.
PART_FILE = "part-0.parquet"


@functools.cache
def partitioning() -> Any:
    """The partitioning pyarrow reads the dataset with (pyarrow.dataset loads on first use)."""
    import pyarrow.dataset as ds

    return ds.partitioning(pa.schema([(PARTITION_FIELD, pa.string())]), flavor="hive")


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


def sort_keys(endpoint: Endpoint = CALLVOLUME) -> list[tuple[str, str]]:
    """The order of the rows in a day's file, as ``sort_by`` (a stable sort) takes it.

    The endpoint's sort keys alone, as its frames are sorted: rows they tie keep the
    order they arrived in (stored rows before newly fetched ones, each in the API's
    order). That order can mean something: an agent's ``notready`` then ``available``
    in one second ends the second available, which sorting the tie by the activity's
    name reversed (review 13, finding 4). Every other endpoint's sort keys hold its
    whole key (call volume's end with ``id``), so its days have one order whatever
    order the rows arrived in.
    """
    return [(name, "ascending") for name in endpoint.sort_keys]


def partition_column(endpoint: Endpoint) -> str:
    """The column whose UTC day places a row: ValueError for an endpoint without one."""
    if endpoint.interval_column is None:
        raise ValueError(
            f"{endpoint.name} is a directory, not history: it has no time to keep a snapshot "
            f"by; read it whole with cvframe.read_{endpoint.name}()"
        )
    return endpoint.interval_column


def split_by_day(table: pa.Table, endpoint: Endpoint = CALLVOLUME) -> dict[str, pa.Table]:
    """The rows of each UTC day of the interval column, keyed ``YYYY-MM-DD``, ascending."""
    table = table.sort_by(sort_keys(endpoint))
    starts = table[partition_column(endpoint)].combine_chunks()
    # Dropping the zone keeps the UTC wall time, so the cast to date is the UTC date.
    days = pc.cast(starts.cast(pa.timestamp("ms")), pa.date32())
    ordinals = np.asarray(days.cast(pa.int32()).to_numpy(zero_copy_only=False))
    edges = [0, *(np.flatnonzero(np.diff(ordinals)) + 1).tolist(), len(ordinals)]
    return {
        days[lo].as_py().isoformat(): table.slice(lo, hi - lo)
        for lo, hi in itertools.pairwise(edges)
        if hi > lo
    }
