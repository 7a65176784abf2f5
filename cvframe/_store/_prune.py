"""Pruning: the part of the dataset a complete read covered holds exactly what it returned.

A sync that prunes (:class:`PruneScope`) removes the rows there whose natural key the
read did not return, and keeps each row once in the whole dataset: a record that moved
to another day leaves its old one (:func:`find_moves`), unless the copy there has a
higher version (versions only go up), which then stays. Keys are the endpoint's
(:mod:`._keys`): a call-volume record's ``id``, an agent-performance row's agent x
interval x queue (whose key holds its day: such a row never moves).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._endpoints import Endpoint
from .._frame import queue_mask
from ._days import DayFiles
from ._filters import ms_scalar, window_days
from ._format import check_file_schema
from ._keys import row_keys, version_values

__all__ = ["Moves", "PruneScope", "can_move", "find_moves"]


@dataclass(frozen=True)
class PruneScope:
    """The stored rows a complete read covered: ``begin <= column < stop``, of ``queues``.

    ``begin`` None is "from the first record"; ``queues`` None is every queue, else a
    row belongs when its ``queue_id`` or ``queue_name`` is listed (as
    :func:`cvframe.read_callvolume` filters). Both bounds are whole milliseconds, as
    the API is sent them. ``column`` is the endpoint's interval column.
    """

    begin: pd.Timestamp | None
    stop: pd.Timestamp
    queues: tuple[str, ...] | None = None
    column: str = "interval_start"

    def days(self, stored: Iterable[str]) -> list[str]:
        """The stored days (``YYYY-MM-DD``) that may hold rows of the scope."""
        first, last = window_days(self.begin, self.stop)
        return [
            day
            for day in stored
            if (first is None or day >= first) and (last is None or day <= last)
        ]

    def contains(self, table: pa.Table) -> pa.Array:
        """Which rows of ``table`` (contract columns) lie inside the scope."""
        starts = table[self.column]
        inside = pc.less(starts, ms_scalar(self.stop))
        if self.begin is not None:
            inside = pc.and_(inside, pc.greater_equal(starts, ms_scalar(self.begin)))
        if self.queues is not None:
            inside = pc.and_(inside, queue_mask(table, self.queues))
        return pc.fill_null(inside, False)


@dataclass
class Moves:
    """Fetched records stored on another day: which copies leave, which fetched rows lose."""

    #: day -> keys whose copy there is removed (the record lives where it was fetched).
    leave: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: day -> keys fetched into it that were stored on another day (counted as updates).
    arrive: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: Fetched keys with a higher version stored on another day: that copy stays.
    stale: list[str] = dataclasses.field(default_factory=list)

    def stale_ids(self) -> pa.Array:
        """:attr:`stale` as an Arrow array, to filter by."""
        return pa.array(self.stale, pa.string())


def can_move(endpoint: Endpoint) -> bool:
    """Whether a row of ``endpoint`` can change day: not when its key holds its day's column."""
    return endpoint.interval_column not in endpoint.key_columns


def find_moves(days: DayFiles, table: pa.Table, by_day: dict[str, pa.Table]) -> Moves:
    """Where the fetched records are stored on a day other than the one they were read into."""
    plan = Moves()
    endpoint = days.endpoint
    if not table.num_rows or not can_move(endpoint):
        return plan
    fetched: dict[str, tuple[str, int]] = {}
    for day, rows in by_day.items():
        versions = version_values(rows, endpoint).to_pylist()
        keys = row_keys(rows, endpoint).to_pylist()
        fetched.update(zip(keys, ((day, v) for v in versions), strict=True))
    wanted = row_keys(table, endpoint)
    names = list(endpoint.key_columns)
    version = endpoint.version_column
    # key -> [(day, version)] of its copies on other days. Every day's keys are read (a
    # record can move anywhere); versions only where a copy is found, which is rare.
    elsewhere: dict[str, list[tuple[str, int]]] = {}
    for day in days.days():
        where = days.where(day)
        with days.open(day, "keep each record once") as file:
            schema = file.schema_arrow
            check_file_schema(schema, where, endpoint)
            if not set(names) <= set(schema.names):
                continue  # merging into it, if it comes to that, names the column
            ids = row_keys(file.read(columns=names), endpoint)
            found = pc.fill_null(pc.is_in(ids, value_set=wanted), False)
            if not pc.any(found).as_py():
                continue
            hits = [(rid, i) for i, rid in _rows_and_ids(ids, found) if fetched[rid][0] != day]
            if not hits:
                continue
            stored = (
                file.read(columns=[version])[version].to_pylist()
                if version is not None and version in schema.names
                else [None] * len(ids)
            )
        for rid, i in hits:
            version = stored[i]
            elsewhere.setdefault(rid, []).append((day, -1 if version is None else int(version)))
    for rid, copies in elsewhere.items():
        new_day, new_version = fetched[rid]
        best = max(version for _, version in copies)
        if best > new_version:
            # Versions only go up: an older answer never replaces a newer record.
            plan.stale.append(rid)
            losers = [day for day, version in copies if version < best]
        else:
            plan.arrive.setdefault(new_day, []).append(rid)
            losers = [day for day, _ in copies]
        for day in losers:
            plan.leave.setdefault(day, []).append(rid)
    return plan


def _rows_and_ids(
    ids: pa.Array | pa.ChunkedArray, mask: pa.Array | pa.ChunkedArray
) -> list[tuple[int, str]]:
    """``(row number, key)`` of the rows of ``ids`` where ``mask`` is true."""
    rows = pc.indices_nonzero(mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask)
    return list(zip(rows.to_pylist(), ids.take(rows).to_pylist(), strict=True))
