"""cvframe._atomic: the one atomic, durable file write (snapshots' days, WFM exports)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

import pytest

from cvframe._atomic import TEMP_SUFFIX, write_atomically


def test_the_file_is_replaced_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old\n")
    write_atomically(target, lambda fh: fh.write(b"new\n"))
    assert target.read_bytes() == b"new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old\n")

    def half_then_full_disk(fh: BinaryIO) -> None:
        fh.write(b"ne")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, half_then_full_disk)
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failed_rename_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"

    def refused(src: object, dst: object) -> None:
        raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(OSError, match="Permission denied"):
        write_atomically(target, lambda fh: fh.write(b"new\n"))
    assert list(tmp_path.iterdir()) == []


def test_the_temporary_file_is_hidden_beside_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []
    replace = os.replace

    def recording_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        seen.append(Path(src))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    write_atomically(tmp_path / "out.csv", lambda fh: fh.write(b"x"))
    (tmp, *_) = seen
    assert tmp.parent == tmp_path
    assert tmp.name.startswith(".out.csv.") and tmp.name.endswith(TEMP_SUFFIX)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads fd paths from /proc")
def test_the_file_and_then_its_directory_are_flushed_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[tuple[str, Path]] = []
    fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        synced.append((kind, Path(os.readlink(f"/proc/self/fd/{fd}"))))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    write_atomically(tmp_path / "out.csv", lambda fh: fh.write(b"x"))
    assert [kind for kind, _ in synced] == ["file", "dir"]
    assert synced[1][1] == tmp_path


def test_a_new_file_gets_the_modes_open_would_give_and_a_replaced_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    """Not mkstemp's private 0600: a cron job's output stays readable by its readers."""
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.bin"
        write_atomically(fresh, lambda fh: fh.write(b"x"))
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.bin"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        write_atomically(kept, lambda fh: fh.write(b"new"))
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
        assert kept.read_bytes() == b"new"
    finally:
        os.umask(umask)
