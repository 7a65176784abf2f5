"""Merging a table into the dataset day by day: upsert or replace, and prune.

Only days whose rows change are rewritten, each atomically, in ascending order, so the
dataset's own high-water mark (its latest ``interval_start``, or the endpoint's interval
column) is a safe point to resume an interrupted sync from (a pruning sync first removes
a moved record's old copy from days outside its window: those days cannot move the
mark). Rows are matched by the endpoint's natural key (:mod:`._keys`), and a stored row
is replaced by a fetched one of a higher version, or of the same version (none, for an
endpoint without versions) with different values: the newer read wins. Where one
versioned record gives many rows (skill volume: a record x each skill), the record is
kept whole at its newest version (:func:`_record_versions`), as :func:`cvframe._frame`'s
``keep_latest_versions`` keeps it when the snapshot is read: a skill a newer version no
longer lists leaves the file, and an older version adds no row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from .._endpoints import Endpoint
from .._frame import arrow_schema, column_names, keep_latest_versions
from ._days import DayFiles
from ._format import check_file_schema, file_metadata
from ._keys import row_keys, version_values
from ._layout import sort_keys, split_by_day
from ._prune import Moves, PruneScope, find_moves

__all__ = ["UpsertResult", "WriteMode", "upsert_table"]

WriteMode = Literal["upsert", "replace"]


@dataclass(frozen=True)
class UpsertResult:
    """What one write changed: rows inserted, updated and removed, partitions rewritten."""

    inserted: int
    updated: int
    partitions: tuple[str, ...]
    removed: int = 0


def _equal_or_both_null(a: pa.ChunkedArray | pa.Array, b: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Element-wise equality where null equals null."""
    equal = pc.fill_null(pc.equal(a, b), False)
    return pc.or_(equal, pc.and_(pc.is_null(a), pc.is_null(b)))


def _record_versions(
    old: pa.Table, new: pa.Table, endpoint: Endpoint
) -> tuple[pa.Array, pa.Array] | None:
    """Where a record gives many versioned rows: which stored rows a newer version of
    their record in ``new`` supersedes, and which rows of ``new`` are of a record stored
    at a higher version. None for the other endpoints (a row is its record, or rows
    have no version: agent performance's are replaced by key, and a sync prunes).
    """
    record, version = endpoint.id_column, endpoint.version_column
    if version is None or tuple(endpoint.key_columns) == (record,):
        return None

    def newest(table: pa.Table) -> pa.Table:
        versions = table.set_column(
            table.schema.get_field_index(version), version, version_values(table, endpoint)
        )
        return versions.group_by(record).aggregate([(version, "max")])

    def compare(rows: pa.Table, others: pa.Table) -> pa.Array:
        """Rows of ``rows`` whose record ``others`` holds at a higher version."""
        found = pc.index_in(rows[record], value_set=others[record])
        higher = pc.take(others[f"{version}_max"], found)
        mask = pc.greater(higher, version_values(rows, endpoint))
        return pc.fill_null(mask, False).combine_chunks()

    return compare(old, newest(new)), compare(new, newest(old))


def _merge(
    old: pa.Table | None, new: pa.Table, endpoint: Endpoint
) -> tuple[pa.Table | None, int, int, int]:
    """Upsert ``new`` into ``old`` by key: ``(merged or None if unchanged, inserted,
    updated, removed)``.

    A stored row is replaced by a fetched one with a higher version, or with the
    same version and different values (the latest answer wins); never by a lower one.
    A record of many rows (a skill-volume record) is kept whole at its newest version:
    its stored rows that a newer version no longer lists are removed, and a fetched
    older version adds none.
    """
    order = sort_keys(endpoint)
    if old is None or old.num_rows == 0:
        return new.sort_by(order), new.num_rows, 0, 0
    superseded = 0
    records = _record_versions(old, new, endpoint)
    if records is not None:
        stale_old, stale_new = records
        new = new.filter(pc.invert(stale_new))
        newer_ids = row_keys(new, endpoint)
        # Rows a newer version lists again are updates, counted below; the others go.
        relisted = pc.fill_null(pc.is_in(row_keys(old, endpoint), value_set=newer_ids), False)
        dropped = pc.and_(stale_old, pc.invert(relisted))
        superseded = _count(dropped)
        if superseded:
            old = old.filter(pc.invert(dropped))
        if not new.num_rows:
            return (old.sort_by(order) if superseded else None), 0, 0, superseded
    old_ids = row_keys(old, endpoint)
    new_ids = row_keys(new, endpoint)
    known = pc.fill_null(pc.is_in(new_ids, value_set=old_ids), False)
    fresh = new.filter(pc.invert(known))
    seen = new.filter(known)
    changed = seen
    changed_ids = seen_ids = new_ids.filter(known)
    if seen.num_rows:
        before = old.take(pc.index_in(seen_ids, value_set=old_ids))
        v_new = version_values(seen, endpoint)
        v_old = version_values(before, endpoint)
        first, *rest = column_names(endpoint)
        differs = pc.invert(_equal_or_both_null(seen[first], before[first]))
        for name in rest:
            differs = pc.or_(differs, pc.invert(_equal_or_both_null(seen[name], before[name])))
        replace = pc.or_(pc.greater(v_new, v_old), pc.and_(pc.equal(v_new, v_old), differs))
        changed = seen.filter(replace)
        changed_ids = seen_ids.filter(replace)
    if fresh.num_rows == 0 and changed.num_rows == 0:
        return (old.sort_by(order) if superseded else None), 0, 0, superseded
    replaced = pc.is_in(old_ids, value_set=changed_ids)
    kept = old.filter(pc.invert(pc.fill_null(replaced, False)))
    merged = pa.concat_tables([kept, changed, fresh]).sort_by(order)
    return merged, fresh.num_rows, changed.num_rows, superseded


def _replace(
    old: pa.Table | None, new: pa.Table, endpoint: Endpoint
) -> tuple[pa.Table | None, int, int, int]:
    """Make the day exactly ``new``: ``(table or None if unchanged, inserted, updated, 0)``."""
    order = sort_keys(endpoint)
    new = new.sort_by(order)
    if old is None:
        return new, new.num_rows, 0, 0
    old = old.sort_by(order)
    if old.equals(new):
        return None, 0, 0, 0
    ids = row_keys(new, endpoint)
    known = _count(pc.fill_null(pc.is_in(ids, value_set=row_keys(old, endpoint)), False))
    return new, new.num_rows - known, known, 0


def _count(mask: pa.Array | pa.ChunkedArray) -> int:
    """How many values of ``mask`` are true."""
    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)


def upsert_table(
    days: DayFiles,
    table: pa.Table,
    *,
    mode: WriteMode = "upsert",
    prune: PruneScope | None = None,
    ensure_held: Callable[[], None] | None = None,
) -> UpsertResult:
    """Write ``table`` into the dataset ``days`` day by day (call with the lock held).

    Only days whose rows change are rewritten, in ascending order, each atomically
    (with ``prune``, days outside it that only lose a moved record's copy go first).
    With ``prune`` (upsert only), ``table`` is a complete read of that scope: stored
    rows inside it whose id ``table`` lacks are removed, and copies of ``table``'s
    ids on other days are removed (the record moved), unless such a copy has a
    higher version, which then stays and the fetched row is not written.
    ``ensure_held`` (the lock's) is called before each day is changed: a lost lease
    stops the writing.
    """
    if mode not in ("upsert", "replace"):
        raise ValueError(f"mode must be 'upsert' or 'replace', got {mode!r}")
    if prune is not None and mode != "upsert":
        raise ValueError("prune= goes with mode='upsert' only")
    endpoint = days.endpoint
    combine = _merge if mode == "upsert" else _replace
    with days.writing():
        days.remove_leftovers()
    table = keep_latest_versions(table, endpoint=endpoint)
    by_day = split_by_day(table, endpoint)
    plan = Moves() if prune is None else find_moves(days, table, by_day)
    touched = set(by_day)
    first: list[str] = []
    stored = days.days()
    if prune is not None:
        touched.update(prune.days(stored))
        # Copies leaving days outside the window go first: a crash after that leaves
        # the record missing, never held twice, and the next run's window (its mark
        # unmoved by days outside the window) reads it again.
        first = sorted(set(plan.leave) - touched)
    order = [*first, *sorted(touched)]
    if stored and (not order or order[0] not in set(stored)):
        # The first day changed is new: check that the dataset is this endpoint's before
        # adding to it (one snapshot holds one endpoint). Otherwise reading that first
        # day checks it, before anything is written.
        _check_holds(days, stored[-1])
    fetched_ids = row_keys(table, endpoint)
    empty = arrow_schema(endpoint).empty_table()
    inserted = updated = removed = 0
    rewritten: list[str] = []
    for day in order:
        old = days.read(day)
        rows = by_day.get(day, empty)
        if plan.stale:
            stale = pc.is_in(row_keys(rows, endpoint), value_set=plan.stale_ids())
            rows = rows.filter(pc.invert(stale))
        gone = 0
        if prune is not None and old is not None:
            old_ids = row_keys(old, endpoint)
            drop = pc.and_(
                prune.contains(old),
                pc.invert(pc.fill_null(pc.is_in(old_ids, value_set=fetched_ids), False)),
            )
            gone = _count(drop)
            leaving = plan.leave.get(day)
            if leaving:
                drop = pc.or_(drop, pc.is_in(old_ids, value_set=pa.array(leaving, pa.string())))
            if _count(drop):
                old = old.filter(pc.invert(drop))
            else:
                leaving = None
            changed = gone > 0 or bool(leaving)
        else:
            changed = False
        merged, ins, upd, dropped = (
            combine(old, rows, endpoint) if rows.num_rows else (None, 0, 0, 0)
        )
        if merged is None and changed:
            merged = old
        if merged is None:
            continue
        if ensure_held is not None:
            ensure_held()
        with days.writing(day):
            if merged.num_rows:
                days.write(day, merged.replace_schema_metadata(file_metadata(endpoint)))
            else:
                days.remove(day)
        # A record that came from another day is an update, not an insert.
        arrived = len(plan.arrive.get(day, ()))
        inserted += ins - arrived
        updated += upd + arrived
        removed += gone + dropped
        rewritten.append(day)
    return UpsertResult(inserted, updated, tuple(rewritten), removed)


def _check_holds(days: DayFiles, day: str) -> None:
    """SnapshotError unless the stored ``day`` holds the rows of ``days.endpoint``."""
    where = days.where(day)
    with days.open(day, "check which endpoint the snapshot holds") as file:
        check_file_schema(file.schema_arrow, where, days.endpoint)
