"""Atomic file writes: a reader sees the old file or the new one, never a part of one.

The new content goes to a hidden temporary file beside the target
(``.<name>.<random>.tmp``), is flushed and fsynced, then renamed over the target with
``os.replace`` (atomic on POSIX), and the directory is fsynced so that the rename
itself survives a power cut. On any failure the temporary file is removed (best
effort: one that cannot be removed is hidden, and its writer's next run may clean it
up by :data:`TEMP_SUFFIX`); the target keeps its previous content.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["TEMP_SUFFIX", "commit", "discard", "fsync_directory", "write_atomically", "write_temp"]

#: The suffix of the temporary files (which also start with a dot: hidden).
TEMP_SUFFIX = ".tmp"


def fsync_directory(directory: Path) -> None:
    """Flush ``directory``'s entries (a rename, a new or removed file) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(path: Path) -> None:
    """Remove a file we made, best effort: the error being handled matters more."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _mode_for(final: Path) -> int:
    """The permissions ``final`` would have if written in place: its own when it exists,
    else what ``open`` gives under the umask (mkstemp's 0600 would hide it from readers)."""
    try:
        return stat.S_IMODE(final.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # Linux says it without changing it; elsewhere set-and-restore (a brief window in
    # which another thread's new file gets the stricter umask 077, so only as a
    # fallback).
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def write_temp(final: Path, write: Callable[[BinaryIO], object]) -> Path:
    """A hidden temporary file beside ``final`` holding what ``write`` wrote, on disk."""
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=TEMP_SUFFIX, dir=final.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, _mode_for(final))
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        discard(tmp)
        raise
    return tmp


def commit(tmp: Path, final: Path) -> None:
    """Move ``tmp`` over ``final`` (atomic) and make the rename durable."""
    os.replace(tmp, final)
    fsync_directory(final.parent)


def write_atomically(final: Path, write: Callable[[BinaryIO], object]) -> None:
    """Replace ``final`` with what ``write(file)`` writes, atomically and durably.

    ``write`` gets a binary file open for writing. ``final``'s directory must exist.
    """
    tmp = write_temp(final, write)
    try:
        commit(tmp, final)
    except BaseException:
        discard(tmp)
        raise
