"""Changing a snapshot's files safely: a day replaced atomically, a day removed.

A day's file is only ever replaced whole (:func:`cvframe._atomic.write_atomically`):
a reader sees the old file or the new one, never a partial one; a writer killed half
way leaves at most a hidden temporary file, which the next writer removes
(:func:`remove_stale_temp_files`). A day left without rows loses its file (removed,
never truncated) and then its directory.

An ``OSError`` met while writing (disk full, permission denied, read-only file
system) becomes a :class:`cvframe.SnapshotError` that names the path and what to do
(:func:`as_snapshot_error`); the day's previous file stays in place.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from .._atomic import TEMP_SUFFIX, fsync_directory, write_atomically
from .._errors import SnapshotError
from ._layout import PARTITION_FIELD

__all__ = [
    "as_snapshot_error",
    "prepare_root",
    "remove_day",
    "remove_stale_temp_files",
    "write_day",
]

#: errno values that mean the file system (or the user's quota) is full.
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
#: errno values that mean this user may not write there.
_NO_PERMISSION = frozenset({errno.EACCES, errno.EPERM})


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
def as_snapshot_error(root: Path, target: Path) -> Iterator[None]:
    """Turn an OSError met while writing ``target`` into a SnapshotError saying what to do."""
    try:
        yield
    except OSError as exc:
        raise _write_error(exc, root, target) from exc


def prepare_root(path: str | os.PathLike[str]) -> Path:
    """The snapshot directory ``path``, created if missing; SnapshotError if it is a file."""
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise SnapshotError(f"{root} is a file; a snapshot is a directory")
    with as_snapshot_error(root, root):
        root.mkdir(parents=True, exist_ok=True)
    return root


def write_day(table: pa.Table, final: Path) -> None:
    """Replace the day's file ``final`` with ``table``, creating its directory if new."""
    new_day = not final.parent.is_dir()
    try:
        if new_day:
            final.parent.mkdir(parents=True)
            fsync_directory(final.parent.parent)
        import pyarrow.parquet as pq  # on first use: not with ``import cvframe``

        write_atomically(final, lambda fh: pq.write_table(table, fh))
    except BaseException:
        if new_day:
            # Leave no empty day behind; rmdir fails harmlessly if the file got in.
            with contextlib.suppress(OSError):
                final.parent.rmdir()
        raise


def remove_day(final: Path) -> None:
    """Remove a day left without rows: its file (atomic), then its empty directory."""
    final.unlink()
    fsync_directory(final.parent)
    # A directory left behind (a crash here) holds no file: every reader skips it, and
    # the next write removes it.
    with contextlib.suppress(OSError):
        final.parent.rmdir()
        fsync_directory(final.parent.parent)


def remove_stale_temp_files(root: Path) -> None:
    """Delete temporary files, and empty days, a killed writer left (call with the lock held)."""
    for stale in root.glob(f"{PARTITION_FIELD}=*/.*{TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)
    for day in root.glob(f"{PARTITION_FIELD}=*"):
        if day.is_dir() and not any(day.iterdir()):
            with contextlib.suppress(OSError):
                day.rmdir()
