"""Parquet snapshots: a hive-partitioned dataset with one file per UTC day.

Layout::

    PATH/
      .cvframe.lock                   the writers' lock (hidden from Parquet readers)
      date=2023-01-02/part-0.parquet  every record whose interval starts that UTC day
      date=2023-01-03/part-0.parquet

A day's file is only ever replaced whole: the new file is written beside it under
a hidden temporary name, flushed to disk and moved over the old one with
``os.replace``, which is atomic. A reader sees the old file or the new one, never
a partial one; a writer killed half way leaves at most a hidden temporary file,
which the next writer removes. Days are written in ascending order, so the
dataset's own high-water mark (its latest ``interval_start``) is a safe point to
resume an interrupted sync from (a pruning sync first removes a moved record's old
copy from days outside its window: those days cannot move the mark).

A sync that prunes (:class:`PruneScope`) makes the part of the dataset its read
covered hold exactly what the read returned: rows there whose id the read did not
return are removed, and a record is held once in the whole dataset (a record that
moved to another day leaves its old one). A day left without rows loses its file
(removed, never truncated) and then its directory.

An ``OSError`` met while writing (disk full, permission denied, read-only file
system) removes the day's temporary file and becomes a :class:`SnapshotError`
that names the path and what to do; the day's previous file stays in place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import itertools
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .._errors import SchemaError, SnapshotError
from .._frame import (
    SCHEMA_VERSION,
    CallVolumeSchema,
    DtypeBackend,
    arrow_schema,
    check_dtype_backend,
    column_names,
    empty_frame,
    keep_latest_versions,
    pandas_types_mapper,
)
from .._frame import validate as validate_frame
from .._times import TimeLike, format_day, to_utc
from .._version import __version__
from ._lock import DEFAULT_LOCK_TIMEOUT, LOCK_FILE, DatasetLock

__all__ = [
    "PARTITION_FIELD",
    "PART_FILE",
    "PruneScope",
    "UpsertResult",
    "high_water_mark",
    "read_snapshot",
    "upsert_table",
    "write_snapshot",
]

#: The hive partition key: the UTC date of ``interval_start``, ``YYYY-MM-DD``.
PARTITION_FIELD = "date"
#: The one data file of each partition.
PART_FILE = "part-0.parquet"
#: Keys of the Parquet file metadata that say who wrote the file.
SCHEMA_VERSION_KEY = b"cvframe.schema_version"
CVFRAME_VERSION_KEY = b"cvframe.version"

_SORT_KEYS = [("interval_start", "ascending"), ("queue_id", "ascending"), ("id", "ascending")]
_TEMP_SUFFIX = ".tmp"
_PARTITIONING = ds.partitioning(pa.schema([(PARTITION_FIELD, pa.string())]), flavor="hive")
# In milliseconds, so that subtracting it from a far-past bound (unit "s" on pandas 2.2)
# does not cast the bound to nanoseconds, which cannot hold the year 999.
_MS = pd.Timedelta(milliseconds=1).as_unit("ms")

WriteMode = Literal["upsert", "replace"]

#: errno values that mean the file system (or the user's quota) is full.
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
#: errno values that mean this user may not write there.
_NO_PERMISSION = frozenset({errno.EACCES, errno.EPERM})


@dataclass(frozen=True)
class UpsertResult:
    """What one write changed: rows inserted, updated and removed, partitions rewritten."""

    inserted: int
    updated: int
    partitions: tuple[str, ...]
    removed: int = 0


@dataclass(frozen=True)
class PruneScope:
    """The stored rows a complete read covered: ``begin <= interval_start < stop``, of ``queues``.

    ``begin`` None is "from the first record"; ``queues`` None is every queue, else a
    row belongs when its ``queue_id`` or ``queue_name`` is listed (as
    :func:`cvframe.read_callvolume` filters). Both bounds are whole milliseconds, as
    the API is sent them.
    """

    begin: pd.Timestamp | None
    stop: pd.Timestamp
    queues: tuple[str, ...] | None = None

    def days(self, stored: Iterable[str]) -> list[str]:
        """The stored days (``YYYY-MM-DD``) that may hold rows of the scope."""
        first = None if self.begin is None else format_day(self.begin)
        last = format_day(self.stop.ceil("ms") - _MS)
        return [day for day in stored if (first is None or day >= first) and day <= last]

    def contains(self, table: pa.Table) -> pa.Array:
        """Which rows of ``table`` (contract columns) lie inside the scope."""
        starts = table["interval_start"]
        inside = pc.less(starts, _ms_scalar(self.stop))
        if self.begin is not None:
            inside = pc.and_(inside, pc.greater_equal(starts, _ms_scalar(self.begin)))
        if self.queues is not None:
            wanted = pa.array(self.queues, pa.string())
            queue = pc.or_(
                pc.fill_null(pc.is_in(table["queue_id"], value_set=wanted), False),
                pc.fill_null(pc.is_in(table["queue_name"], value_set=wanted), False),
            )
            inside = pc.and_(inside, queue)
        return pc.fill_null(inside, False)


# --------------------------------------------------------------------------- writing


def _write_error(exc: OSError, root: Path, target: Path) -> SnapshotError:
    """The SnapshotError for ``exc``, met while writing ``target`` in the dataset ``root``."""
    reason = f"[Errno {exc.errno}] {exc.strerror}" if exc.strerror else str(exc)
    if exc.errno in _DISK_FULL:
        what = f"disk full: no space left to write {target}"
        todo = "free space on that file system (or sync to another one), then run again"
    elif exc.errno in _NO_PERMISSION:
        what = f"permission denied: cannot write {target}"
        todo = f"give the user running cvframe write access to {target.parent}, then run again"
    elif exc.errno == errno.EROFS:
        what = f"read-only file system: cannot write {target}"
        todo = "mount it read-write or choose another path, then run again"
    else:
        what = f"cannot write {target}"
        todo = "fix the cause, then run again"
    # One line: the CLI prints the first line of the message.
    return SnapshotError(
        f"{what} ({reason}); the snapshot at {root} is still whole and readable. To fix: {todo}"
    )


@contextlib.contextmanager
def _writing(root: Path, target: Path) -> Iterator[None]:
    """Turn an OSError met while writing ``target`` into a SnapshotError saying what to do."""
    try:
        yield
    except OSError as exc:
        raise _write_error(exc, root, target) from exc


@contextlib.contextmanager
def locked(root: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[DatasetLock]:
    """Hold the dataset's writer lock; an OSError taking it becomes a SnapshotError."""
    lock = DatasetLock(root, timeout=timeout)
    with _writing(root, root / LOCK_FILE):
        lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


def _file_metadata() -> dict[bytes, bytes]:
    """The schema metadata every file carries: pandas dtypes and who wrote it."""
    # The pandas block is that of the numpy_nullable contract frame, whatever backend
    # the written frame had, so plain pandas.read_parquet gives the contract dtypes.
    pandas_meta = json.loads(
        pa.Schema.from_pandas(empty_frame(), preserve_index=False).metadata[b"pandas"]
    )
    for column in pandas_meta["columns"]:
        if column["numpy_type"] == "string":
            # Plain "string" is python storage on pandas 2.x; the contract's is pyarrow.
            column["numpy_type"] = "string[pyarrow]"
    return {
        b"pandas": json.dumps(pandas_meta).encode(),
        SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode(),
        CVFRAME_VERSION_KEY: __version__.encode(),
    }


def frame_to_table(df: pd.DataFrame, *, validate: bool = True) -> pa.Table:
    """A contract frame (either backend) as an Arrow table of :func:`arrow_schema`."""
    if validate:
        validate_frame(df)
    try:
        table = pa.Table.from_pandas(df[column_names()], preserve_index=False)
    except UnicodeEncodeError:
        # Python-storage strings can hold a lone surrogate, which no file can.
        bad = [name for name in column_names() if not _all_text(df[name])]
        raise SchemaError(
            f"column(s) {', '.join(bad) or '?'} hold text that is not valid Unicode (a lone "
            "surrogate such as '\\ud800'); fix or drop those values before writing"
        ) from None
    return table.cast(arrow_schema())


def _all_text(column: pd.Series) -> bool:
    """Whether every value of ``column`` encodes as UTF-8 (no lone surrogate)."""
    if not (pd.api.types.is_string_dtype(column.dtype) or column.dtype == object):
        return True
    try:
        for value in column.dropna():
            str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _split_by_day(table: pa.Table) -> dict[str, pa.Table]:
    """The rows of each UTC day of interval_start, keyed ``YYYY-MM-DD``, ascending."""
    table = table.sort_by(_SORT_KEYS)
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


def _partition_file(root: Path, day: str) -> Path:
    return root / f"{PARTITION_FIELD}={day}" / PART_FILE


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard(path: Path) -> None:
    """Remove a file we made, best effort: the error being handled matters more."""
    # A file that cannot be removed is a hidden temporary one: readers skip it and
    # the next writer removes it.
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _write_temp(table: pa.Table, final: Path) -> Path:
    """Write ``table`` to a hidden temporary file beside ``final`` and flush it to disk."""
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=_TEMP_SUFFIX, dir=final.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _discard(tmp)
        raise
    return tmp


def _commit(tmp: Path, final: Path) -> None:
    """Move the temporary file over the final one (atomic) and make the rename durable."""
    os.replace(tmp, final)
    _fsync_dir(final.parent)


def _atomic_write(table: pa.Table, final: Path) -> None:
    """Replace ``final`` with ``table``: readers see the old file or the new, never a part."""
    new_day = not final.parent.is_dir()
    try:
        if new_day:
            final.parent.mkdir(parents=True)
            _fsync_dir(final.parent.parent)
        tmp = _write_temp(table, final)
        try:
            _commit(tmp, final)
        except BaseException:
            _discard(tmp)
            raise
    except BaseException:
        if new_day:
            # Leave no empty day behind; rmdir fails harmlessly if the file got in.
            with contextlib.suppress(OSError):
                final.parent.rmdir()
        raise


def _remove_stale_temp_files(root: Path) -> None:
    """Delete temporary files, and empty days, a killed writer left (call with the lock held)."""
    for stale in root.glob(f"{PARTITION_FIELD}=*/.*{_TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)
    for day in root.glob(f"{PARTITION_FIELD}=*"):
        if day.is_dir() and not any(day.iterdir()):
            with contextlib.suppress(OSError):
                day.rmdir()


def _check_file_schema(schema: pa.Schema, where: Path | str) -> None:
    meta = schema.metadata or {}
    found = meta.get(SCHEMA_VERSION_KEY)
    if found is None:
        raise SnapshotError(
            f"{where} was not written by cvframe (no {SCHEMA_VERSION_KEY.decode()} in its "
            "metadata); a snapshot directory must hold only cvframe's files"
        )
    if found != str(SCHEMA_VERSION).encode():
        writer = meta.get(CVFRAME_VERSION_KEY, b"?").decode()
        raise SnapshotError(
            f"{where} has column schema version {found.decode()} (written by cvframe "
            f"{writer}); this cvframe reads version {SCHEMA_VERSION}. Re-create the "
            "snapshot with this version (e.g. cvframe sync into a new directory)"
        )


#: Columns a day's file cannot do without: the contract's non-nullable ones, by which
#: rows are told apart and placed.
_REQUIRED_COLUMNS = tuple(
    name for name, column in CallVolumeSchema.to_schema().columns.items() if not column.nullable
)
_REWRITE_HINT = (
    "restore that day's file, or remove it and write that day again "
    "(cvframe.write_snapshot(cvframe.read_callvolume(DAY, NEXT_DAY), PATH))"
)


def _as_contract(table: pa.Table, path: Path) -> pa.Table:
    """A day's table in the contract's columns and types, as :func:`read_snapshot` sees it.

    Another tool may have rewritten the file: a nullable column it dropped reads as
    missing values (as ``read_snapshot`` reads it), so merging rewrites the day whole
    again; a required column missing, or one of a type that does not convert, is a
    SnapshotError naming the file.
    """
    missing = [name for name in column_names() if name not in table.column_names]
    required = [name for name in missing if name in _REQUIRED_COLUMNS]
    if required:
        raise SnapshotError(
            f"{path} lacks the column(s) {', '.join(required)}, which cvframe needs to merge "
            f"into it (did another tool rewrite it?); {_REWRITE_HINT}"
        )
    for name in missing:
        kind = arrow_schema().field(name).type
        table = table.append_column(pa.field(name, kind), pa.nulls(table.num_rows, kind))
    columns = []
    for field in arrow_schema():
        stored = table[field.name]
        try:
            columns.append(stored.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise SnapshotError(
                f"{path} holds column {field.name} as {stored.type}, which does not convert "
                f"to the {field.type} cvframe writes ({exc}); {_REWRITE_HINT}"
            ) from exc
    return pa.Table.from_arrays(columns, schema=arrow_schema())


def _read_partition(path: Path) -> pa.Table | None:
    if not path.exists():
        return None
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise SnapshotError(
            f"cannot read {path} to merge into it: {exc}; restore that day's file or "
            "remove it and sync that day again"
        ) from exc
    _check_file_schema(table.schema, path)
    return _as_contract(table, path)


def _same(a: pa.ChunkedArray | pa.Array, b: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Element-wise equality where null equals null."""
    equal = pc.fill_null(pc.equal(a, b), False)
    return pc.or_(equal, pc.and_(pc.is_null(a), pc.is_null(b)))


def _merge(old: pa.Table | None, new: pa.Table) -> tuple[pa.Table | None, int, int]:
    """Upsert ``new`` into ``old`` by id: ``(merged or None if unchanged, inserted, updated)``.

    A stored row is replaced by a fetched one with a higher version, or with the
    same version and different values (the latest answer wins); never by a lower one.
    """
    if old is None or old.num_rows == 0:
        return new.sort_by(_SORT_KEYS), new.num_rows, 0
    old_ids = old["id"].combine_chunks()
    known = pc.fill_null(pc.is_in(new["id"], value_set=old_ids), False)
    fresh = new.filter(pc.invert(known))
    seen = new.filter(known)
    changed = seen
    if seen.num_rows:
        before = old.take(pc.index_in(seen["id"], value_set=old_ids))
        v_new = pc.fill_null(seen["version"], -1)
        v_old = pc.fill_null(before["version"], -1)
        differs = pc.invert(_same(seen[column_names()[0]], before[column_names()[0]]))
        for name in column_names()[1:]:
            differs = pc.or_(differs, pc.invert(_same(seen[name], before[name])))
        replace = pc.or_(pc.greater(v_new, v_old), pc.and_(pc.equal(v_new, v_old), differs))
        changed = seen.filter(replace)
    if fresh.num_rows == 0 and changed.num_rows == 0:
        return None, 0, 0
    replaced = pc.is_in(old["id"], value_set=changed["id"].combine_chunks())
    kept = old.filter(pc.invert(pc.fill_null(replaced, False)))
    merged = pa.concat_tables([kept, changed, fresh]).sort_by(_SORT_KEYS)
    return merged, fresh.num_rows, changed.num_rows


def _replace(old: pa.Table | None, new: pa.Table) -> tuple[pa.Table | None, int, int]:
    """Make the day exactly ``new``: ``(table or None if unchanged, inserted, updated)``."""
    new = new.sort_by(_SORT_KEYS)
    if old is None:
        return new, new.num_rows, 0
    old = old.sort_by(_SORT_KEYS)
    if old.equals(new):
        return None, 0, 0
    kept = pc.is_in(new["id"], value_set=old["id"].combine_chunks())
    known = int(pc.sum(pc.cast(pc.fill_null(kept, False), pa.int64())).as_py() or 0)
    return new, new.num_rows - known, known


def upsert_table(
    root: Path, table: pa.Table, *, mode: WriteMode = "upsert", prune: PruneScope | None = None
) -> UpsertResult:
    """Write ``table`` into the dataset at ``root`` day by day (call with the lock held).

    Only days whose rows change are rewritten, in ascending order, each atomically
    (with ``prune``, days outside it that only lose a moved record's copy go first).
    With ``prune`` (upsert only), ``table`` is a complete read of that scope: stored
    rows inside it whose id ``table`` lacks are removed, and copies of ``table``'s
    ids on other days are removed (the record moved), unless such a copy has a
    higher version, which then stays and the fetched row is not written.
    """
    if mode not in ("upsert", "replace"):
        raise ValueError(f"mode must be 'upsert' or 'replace', got {mode!r}")
    if prune is not None and mode != "upsert":
        raise ValueError("prune= goes with mode='upsert' only")
    combine = _merge if mode == "upsert" else _replace
    with _writing(root, root):
        _remove_stale_temp_files(root)
    if table.num_rows and pc.count_distinct(table["id"]).as_py() < table.num_rows:
        table = keep_latest_versions(table)
    by_day = _split_by_day(table)
    plan = _Moves() if prune is None else _moves(root, table, by_day)
    days = set(by_day)
    first: list[str] = []
    if prune is not None:
        days.update(prune.days(_partition_days(root)))
        # Copies leaving days outside the window go first: a crash after that leaves
        # the record missing, never held twice, and the next run's window (its mark
        # unmoved by days outside the window) reads it again.
        first = sorted(set(plan.leave) - days)
    fetched_ids = table["id"].combine_chunks()
    empty = arrow_schema().empty_table()
    inserted = updated = removed = 0
    rewritten: list[str] = []
    for day in [*first, *sorted(days)]:
        final = _partition_file(root, day)
        old = _read_partition(final)
        rows = by_day.get(day, empty)
        if plan.stale:
            rows = rows.filter(pc.invert(pc.is_in(rows["id"], value_set=plan.stale_ids())))
        gone = 0
        if prune is not None and old is not None:
            drop = pc.and_(
                prune.contains(old),
                pc.invert(pc.fill_null(pc.is_in(old["id"], value_set=fetched_ids), False)),
            )
            gone = _count(drop)
            leaving = plan.leave.get(day)
            if leaving:
                drop = pc.or_(drop, pc.is_in(old["id"], value_set=pa.array(leaving, pa.string())))
            if _count(drop):
                old = old.filter(pc.invert(drop))
            else:
                leaving = None
            changed = gone > 0 or bool(leaving)
        else:
            changed = False
        merged, ins, upd = combine(old, rows) if rows.num_rows else (None, 0, 0)
        if merged is None and changed:
            merged = old
        if merged is None:
            continue
        with _writing(root, final):
            if merged.num_rows:
                _atomic_write(merged.replace_schema_metadata(_file_metadata()), final)
            else:
                _remove_day(final)
        # A record that came from another day is an update, not an insert.
        arrived = len(plan.arrive.get(day, ()))
        inserted += ins - arrived
        updated += upd + arrived
        removed += gone
        rewritten.append(day)
    return UpsertResult(inserted, updated, tuple(rewritten), removed)


def _count(mask: pa.Array | pa.ChunkedArray) -> int:
    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)


@dataclass
class _Moves:
    """Fetched records stored on another day: which copies leave, which fetched rows lose."""

    #: day -> ids whose copy there is removed (the record lives where it was fetched).
    leave: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: day -> ids fetched into it that were stored on another day (counted as updates).
    arrive: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: Fetched ids with a higher version stored on another day: that copy stays.
    stale: list[str] = dataclasses.field(default_factory=list)

    def stale_ids(self) -> pa.Array:
        return pa.array(self.stale, pa.string())


def _moves(root: Path, table: pa.Table, by_day: dict[str, pa.Table]) -> _Moves:
    """Where the fetched records are stored on a day other than the one they were read into."""
    plan = _Moves()
    if not table.num_rows:
        return plan
    fetched: dict[str, tuple[str, int]] = {}
    for day, rows in by_day.items():
        versions = pc.fill_null(rows["version"], -1).to_pylist()
        fetched.update(zip(rows["id"].to_pylist(), ((day, v) for v in versions), strict=True))
    wanted = table["id"].combine_chunks()
    # id -> [(day, version)] of its copies on other days. Every day's ids are read (a
    # record can move anywhere); versions only where a copy is found, which is rare.
    elsewhere: dict[str, list[tuple[str, int]]] = {}
    for day in _partition_days(root):
        where = _partition_file(root, day)
        try:
            with pq.ParquetFile(where) as file:
                schema = file.schema_arrow
                _check_file_schema(schema, where)
                if "id" not in schema.names:
                    continue  # merging into it, if it comes to that, names the column
                ids = file.read(columns=["id"])["id"]
                found = pc.fill_null(pc.is_in(ids, value_set=wanted), False)
                if not pc.any(found).as_py():
                    continue
                hits = [(rid, i) for i, rid in _indexed(ids, found) if fetched[rid][0] != day]
                if not hits:
                    continue
                stored = (
                    file.read(columns=["version"])["version"].to_pylist()
                    if "version" in schema.names
                    else [None] * len(ids)
                )
        except (OSError, pa.ArrowException) as exc:
            raise SnapshotError(
                f"cannot read {where} to keep each record once: {exc}; restore that day's "
                "file or remove it and sync that day again"
            ) from exc
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


def _indexed(ids: pa.ChunkedArray, mask: pa.ChunkedArray) -> list[tuple[int, str]]:
    """``(row number, id)`` of the rows of ``ids`` where ``mask`` is true."""
    rows = pc.indices_nonzero(mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask)
    return list(zip(rows.to_pylist(), ids.take(rows).to_pylist(), strict=True))


def _remove_day(final: Path) -> None:
    """Remove a day left without rows: its file (atomic), then its empty directory."""
    final.unlink()
    _fsync_dir(final.parent)
    # A directory left behind (a crash here) holds no file: every reader skips it, and
    # the next write removes it.
    with contextlib.suppress(OSError):
        final.parent.rmdir()
        _fsync_dir(final.parent.parent)


def prepare_root(path: str | os.PathLike[str]) -> Path:
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise SnapshotError(f"{root} is a file; a snapshot is a directory")
    with _writing(root, root):
        root.mkdir(parents=True, exist_ok=True)
    return root


def write_snapshot(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    mode: WriteMode = "upsert",
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Write a call-volume frame to a Parquet snapshot, one partition per UTC day.

    The snapshot is a hive-partitioned dataset (``PATH/date=YYYY-MM-DD/part-0.parquet``)
    that pandas, pyarrow, polars, DuckDB and Spark read. Durations are stored as
    Arrow ``duration[ms]``: pandas and polars get timedeltas back, DuckDB and Spark
    read integer milliseconds. Each file's metadata records the column schema
    version and the cvframe version that wrote it.

    Each day is rewritten atomically (a temporary file beside the old one, flushed,
    then renamed over it), so a reader never sees a partial file and a crash leaves
    the previous state. Days not in ``df`` are left as they are, and a day whose
    rows do not change is not rewritten.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame following the column contract (either ``dtype_backend``), as
        :func:`cvframe.read_callvolume` returns it; it is validated first.
    path : str or os.PathLike
        The dataset directory; created if missing.
    mode : {"upsert", "replace"}, default "upsert"
        ``"upsert"`` merges by ``id``, keeping the highest ``version`` (a stored
        row is never replaced by a lower version). ``"replace"`` makes each day
        present in ``df`` hold exactly ``df``'s rows of that day.
    lock_timeout : float, default 60.0
        Seconds to wait for another sync or write on the same path.

    Raises
    ------
    cvframe.SchemaError
        If ``df`` breaks the column contract.
    cvframe.SnapshotError
        If ``path`` is a file, or holds files of another schema version; or if
        writing fails (disk full, permission denied: the message names the path
        and what to do). The day being written keeps its previous file, and no
        partial file is left where a reader would see it.
    cvframe.LockError
        If another writer kept the lock longer than ``lock_timeout``.

    See Also
    --------
    read_snapshot : Read it back, with filters pushed down to the files.
    sync : Keep a snapshot up to date from the API.

    Examples
    --------
    >>> import tempfile, cvframe
    >>> from pathlib import Path
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a1", "queueId": "qu-1", "queueName": "Billing", "__v": 0,
    ...     "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
    ...     "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
    ...     "offeredContacts": 3, "conversationHandleTime": 68043}])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cvframe.write_snapshot(df, tmp)
    ...     back = cvframe.read_snapshot(tmp)
    ...     files = sorted(str(p.relative_to(tmp)) for p in Path(tmp).rglob("*"))
    >>> files
    ['.cvframe.lock', 'date=2023-06-01', 'date=2023-06-01/part-0.parquet']
    >>> back.equals(df)
    True
    """
    table = frame_to_table(df)
    root = prepare_root(path)
    with locked(root, lock_timeout):
        upsert_table(root, table, mode=mode)


# --------------------------------------------------------------------------- reading


def _partition_days(root: Path) -> list[str]:
    prefix = f"{PARTITION_FIELD}="
    return sorted(
        p.name[len(prefix) :] for p in root.glob(f"{prefix}*") if (p / PART_FILE).is_file()
    )


def high_water_mark(
    path: str | os.PathLike[str],
    *,
    before: pd.Timestamp | None = None,
    queues: Sequence[str] | None = None,
) -> pd.Timestamp | None:
    """The latest ``interval_start`` stored at ``path`` (below ``before``, of ``queues``), or None.

    ``sync`` passes its window end as ``before``: a stored record dated far in the
    future (sent by mistake, or written by hand) must not stop it from reading. A
    sync of some queues passes them, so that it resumes from where those queues
    were synced, whatever another sync stored for other queues.
    """
    root = Path(path)
    last_day = None if before is None else format_day(before)
    wanted = None if queues is None else pa.array(list(queues), pa.string())
    columns = ["interval_start"] if wanted is None else ["interval_start", "queue_id", "queue_name"]
    for day in reversed(_partition_days(root)):
        if last_day is not None and day > last_day:
            continue
        where = _partition_file(root, day)
        try:
            with pq.ParquetFile(where) as file:
                _check_file_schema(file.schema_arrow, where)
                lacking = [c for c in columns if c not in file.schema_arrow.names]
                if lacking:
                    raise SnapshotError(
                        f"{where} lacks the column(s) {', '.join(lacking)}, which cvframe needs "
                        "to find the high-water mark (did another tool rewrite it?); "
                        f"{_REWRITE_HINT}"
                    )
                stored = file.read(columns=columns)
        except (OSError, pa.ArrowException) as exc:
            raise SnapshotError(
                f"cannot read {where} to find the high-water mark: {exc}; restore that "
                "day's file or remove it and sync that day again"
            ) from exc
        starts = stored["interval_start"]
        if wanted is not None:
            mine = pc.or_(
                pc.fill_null(pc.is_in(stored["queue_id"], value_set=wanted), False),
                pc.fill_null(pc.is_in(stored["queue_name"], value_set=wanted), False),
            )
            starts = starts.filter(mine)
        if before is not None:
            starts = starts.filter(pc.less(starts, _ms_scalar(before)))
        latest = pc.max(starts).as_py()
        if latest is not None:
            return pd.Timestamp(latest).tz_convert("UTC")
    return None


def _check_columns(columns: Sequence[str] | None) -> list[str]:
    names = column_names()
    if columns is None:
        return names
    if isinstance(columns, str):
        raise ValueError("columns must be a list of column names, not one string")
    wanted = list(columns)
    unknown = [c for c in wanted if c not in names]
    if unknown or not wanted:
        raise ValueError(
            f"columns {unknown or wanted} are not call-volume columns; choose from "
            + ", ".join(names)
        )
    return wanted


def _queue_values(queues: str | Iterable[str] | None) -> list[str] | None:
    if queues is None:
        return None
    values = [queues] if isinstance(queues, str) else list(queues)
    if not values or not all(isinstance(q, str) for q in values):
        raise ValueError("queues must be a queue id or name, or a non-empty list of them")
    for value in values:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"queues holds {value!r}, which is not valid Unicode text (a lone "
                "surrogate); pass the queue id or name as the API sends it"
            ) from None
    return values


def _ms_scalar(moment: pd.Timestamp) -> pa.Scalar:
    # Stored times are whole milliseconds, so rounding a bound up keeps >= and < exact.
    return pa.scalar(moment.ceil("ms").to_pydatetime(), pa.timestamp("ms", tz="UTC"))


def _filter(
    begin: pd.Timestamp | None, stop: pd.Timestamp | None, queues: list[str] | None
) -> ds.Expression | None:
    """The row filter, with the partition bounds that let pyarrow skip whole days."""
    parts: list[ds.Expression] = []
    day = ds.field(PARTITION_FIELD)
    start_field = ds.field("interval_start")
    if begin is not None:
        parts.append(day >= format_day(begin))
        parts.append(start_field >= _ms_scalar(begin))
    if stop is not None:
        parts.append(day <= format_day(stop.ceil("ms") - _MS))
        parts.append(start_field < _ms_scalar(stop))
    if queues is not None:
        parts.append(ds.field("queue_id").isin(queues) | ds.field("queue_name").isin(queues))
    if not parts:
        return None
    expr = parts[0]
    for part in parts[1:]:
        expr = expr & part
    return expr


def open_dataset(root: Path) -> ds.Dataset:
    """The snapshot at ``root`` as a pyarrow dataset (hive partitions, contract schema)."""
    schema = arrow_schema().append(pa.field(PARTITION_FIELD, pa.string()))
    return ds.dataset(root, format="parquet", partitioning=_PARTITIONING, schema=schema)


def read_snapshot(
    path: str | os.PathLike[str],
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    queues: str | Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
    dtype_backend: DtypeBackend = "numpy_nullable",
    validate: bool = True,
) -> pd.DataFrame:
    """Read a Parquet snapshot back into a call-volume frame.

    The filters are pushed down to pyarrow's dataset scanner: days outside
    ``[start, end)`` are not opened at all, and row groups are skipped by their
    statistics.

    Parameters
    ----------
    path : str or os.PathLike
        A directory written by :func:`write_snapshot` or :func:`sync`.
    start, end : str, datetime or Timestamp, optional
        Keep intervals with ``start <= interval_start < end`` (UTC when naive).
    queues : str or list of str, optional
        Keep only these queues, given by queue id or queue name.
    columns : list of str, optional
        Read only these contract columns, in this order (default: all of them).
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    validate : bool, default True
        Check a full frame (``columns=None``) against the contract.

    Returns
    -------
    pandas.DataFrame
        The contract's columns and dtypes, one row per record, sorted by
        ``interval_start``, ``queue_id`` and ``id``, with a RangeIndex.

    Raises
    ------
    cvframe.SnapshotError
        If ``path`` is not a directory, a file in the window is not readable
        Parquet, or holds another schema version.
    ValueError
        For unknown columns, unparseable times or ``end <= start``.

    Examples
    --------
    >>> import tempfile, cvframe
    >>> df = cvframe.records_to_frame([
    ...     {"_id": f"r{day}", "queueId": "qu-1", "queueName": "Billing", "__v": 0,
    ...      "intervalStartTimeStamp": f"2023-06-0{day}T09:45:00.000Z",
    ...      "intervalEndTimeStamp": f"2023-06-0{day}T10:00:00.000Z",
    ...      "offeredContacts": day, "acwDuration": 3949}
    ...     for day in (1, 2, 3)])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cvframe.write_snapshot(df, tmp)
    ...     part = cvframe.read_snapshot(tmp, start="2023-06-02", end="2023-06-03",
    ...                                  columns=["interval_start", "acw_duration"])
    >>> part
                 interval_start    acw_duration
    0 2023-06-02 09:45:00+00:00 0 days 00:00:03.949000
    """
    root = Path(path)
    if not root.is_dir():
        raise SnapshotError(
            f"no snapshot at {root}: create one with cvframe.write_snapshot or cvframe sync"
        )
    wanted = _check_columns(columns)
    backend = check_dtype_backend(dtype_backend)
    begin = to_utc(start, "start") if start is not None else None
    stop = to_utc(end, "end") if end is not None else None
    if begin is not None and stop is not None and stop <= begin:
        raise ValueError(f"end ({stop}) must be after start ({begin})")
    expr = _filter(begin, stop, _queue_values(queues))
    needed = list(dict.fromkeys([*wanted, "id", "version", "interval_start", "queue_id"]))
    try:
        dataset = open_dataset(root)
        for fragment in dataset.get_fragments(filter=expr):
            _check_file_schema(fragment.physical_schema, fragment.path)
        table = dataset.to_table(columns=needed, filter=expr)
    except (OSError, pa.ArrowException) as exc:
        raise SnapshotError(f"cannot read the snapshot at {root}: {exc}") from exc
    if table.num_rows and pc.count_distinct(table["id"]).as_py() < table.num_rows:
        table = keep_latest_versions(table)  # never written so; a hand-copied file could cause it
    table = table.sort_by(_SORT_KEYS).select(wanted)
    df = table.to_pandas(types_mapper=pandas_types_mapper(backend))
    df.index = pd.RangeIndex(len(df))
    if validate and columns is None:
        validate_frame(df, dtype_backend=backend)
    return df
