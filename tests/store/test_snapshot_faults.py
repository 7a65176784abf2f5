"""Snapshots under faults: syncs killed at random points, disk full, permission denied.

The crash test replays with ``CVFRAME_CRASH_SEED=<seed>`` (it prints the seed it used).
"""

from __future__ import annotations

import errno
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

import cvframe
from cvframe._cli._main import main
from cvframe._store._days import day_files
from cvframe._store._read import high_water_mark
from cvframe.emulator import Emulator

CHILD = Path(__file__).with_name("_sync_child.py")
FIRST_DAY = "2023-01-02T00:00:00Z"
LOOKBACK = pd.Timedelta("2h")

# --------------------------------------------------------------------------- helpers


def file_bytes(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` -> its bytes (directories show up through their files)."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def temp_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.tmp"))


def fd_path(fd: int) -> str:
    """The path an open file descriptor refers to (Linux)."""
    return os.readlink(f"/proc/self/fd/{fd}")


def under(path: str | os.PathLike[str], root: Path) -> bool:
    return Path(path).resolve().is_relative_to(root.resolve())


def fail_on(
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    code: int,
    root: Path,
    path_of: Callable[..., object],
    *,
    nth: int = 1,
) -> list[str]:
    """Make ``owner.name`` raise ``OSError(code)`` on its ``nth`` call on a path under ``root``.

    Calls on other paths (pytest's own, the emulator's) go through untouched. Returns
    the list of paths the fault was raised for.
    """
    real = getattr(owner, name)
    seen: list[str] = []
    hits: list[str] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        target = path_of(*args, **kwargs)
        if isinstance(target, str | os.PathLike) and under(target, root):
            seen.append(str(target))
            if len(seen) == nth:
                hits.append(str(target))
                raise OSError(code, os.strerror(code), str(target))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)
    return hits


def first_arg(*args: Any, **kwargs: Any) -> object:
    return args[0]


def day_directory(*args: Any, **kwargs: Any) -> object:
    """The path of an os.mkdir call that makes a day's directory (not the dataset's)."""
    return args[0] if Path(args[0]).name.startswith("date=") else None


def mkstemp_dir(*args: Any, **kwargs: Any) -> object:
    return kwargs.get("dir")


def fsync_target(fd: int) -> object:
    return fd_path(fd)


def half_written_then(code: int, root: Path) -> Callable[..., None]:
    """A pq.write_table that writes half of the file under ``root``, then fails with ``code``."""
    real = pq.write_table

    def write_table(table: Any, where: Any, **kwargs: Any) -> None:
        if not hasattr(where, "fileno") or not under(fd_path(where.fileno()), root):
            real(table, where, **kwargs)
            return
        buffer = io.BytesIO()
        real(table, buffer, **kwargs)
        data = buffer.getvalue()
        where.write(data[: len(data) // 2])
        where.flush()
        raise OSError(code, os.strerror(code))

    return write_table


MESSAGES = {
    errno.ENOSPC: r"^disk full: no space left to write ",
    errno.EDQUOT: r"^disk full: no space left to write ",
    errno.EACCES: r"^permission denied: cannot write ",
    errno.EPERM: r"^permission denied: cannot write ",
    errno.EROFS: r"^read-only file system: cannot write ",
}


def assert_clear_write_error(
    exc: BaseException, code: int, root: Path, target: Path | None = None
) -> None:
    """A SnapshotError caused by OSError(code): what happened, where, what to do, one line."""
    assert isinstance(exc, cvframe.SnapshotError)
    assert not isinstance(exc, cvframe.LockError)
    assert isinstance(exc.__cause__, OSError)
    assert exc.__cause__.errno == code
    text = str(exc)
    assert re.search(MESSAGES[code], text), text
    assert f"[Errno {code}]" in text
    assert str(target or root) in text
    assert f"the snapshot at {root} is still whole and readable" in text
    assert "run again" in text
    assert "\n" not in text


# --------------------------------------------------------------------------- random SIGKILLs

#: Syncs killed per test run, and the most runs (killed or not) to get them: a kill
#: after a delay misses when the run is quicker than it was in its dry run.
CRASH_KILLS = 20
CRASH_MAX_RUNS = 30
#: How many kills are hooked at an event; the others come after a random delay.
CRASH_HOOKED_SHARE = 0.75
#: A seed to replay. Read at import: conftest hides CVFRAME_* variables from tests.
CRASH_REPLAY_SEED = os.environ.get("CVFRAME_CRASH_SEED")
#: The emulator serves these days; the syncs' window end moves through them.
CRASH_DAYS = 6
CRASH_LAST_END = pd.Timestamp("2023-01-08", tz="UTC")


class ForkServer:
    """``_sync_child.py --serve``: imports cvframe once, forks one hooked sync per job."""

    def __init__(self, log: Path) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        self._stderr = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job; how its child ended: ``{"signal": 9 or None, "returncode": ...}``."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the fork server died"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self._stderr.close()


@pytest.fixture
def fork_server(tmp_path: Path) -> Iterator[ForkServer]:
    server = ForkServer(tmp_path / "fork-server.log")
    try:
        yield server
    finally:
        server.close()


def iso(moment: pd.Timestamp) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def row_hashes(frame: pd.DataFrame) -> set[int]:
    """One hash per row over every column: equal rows, equal hashes."""
    return set(pd.util.hash_pandas_object(frame, index=False).tolist())


def assert_rows_were_served(stored: pd.DataFrame, served: set[int], context: str) -> None:
    """Each stored row is, whole, a state of a record the emulator served at some time."""
    hashes = pd.util.hash_pandas_object(stored, index=False)
    unknown = stored[~hashes.isin(served).to_numpy()]
    assert unknown.empty, f"{context}: rows never served:\n{unknown.head()}"


def dry_run(
    server: ForkServer, job: dict[str, Any], path: Path, scratch: Path
) -> tuple[int, float]:
    """Run ``job`` unkilled on a copy of ``path``: (its events, its seconds)."""
    shutil.rmtree(scratch, ignore_errors=True)
    if path.exists():
        shutil.copytree(path, scratch)
    events = scratch.with_suffix(".events")
    began = time.monotonic()
    answer = server.run({**job, "path": str(scratch), "events": str(events)})
    seconds = time.monotonic() - began
    error = events.with_suffix(".err")
    assert answer["returncode"] == 0, error.read_text() if error.exists() else answer
    shutil.rmtree(scratch)
    return len(events.read_text().splitlines()), seconds


def test_syncs_killed_at_random_points_leave_a_readable_dataset_and_a_clean_run_completes(
    tmp_path: Path, fork_server: ForkServer
) -> None:
    seed = int(CRASH_REPLAY_SEED or random.SystemRandom().randrange(2**32))
    print(f"crash test seed {seed}; replay with CVFRAME_CRASH_SEED={seed}")
    rng = random.Random(seed)
    path = tmp_path / "snap"
    runs: list[str] = []
    killed = 0
    end = pd.Timestamp("2023-01-03", tz="UTC") + pd.Timedelta(hours=rng.choice([0, 6, 12]))
    with Emulator(days=CRASH_DAYS, queues=2) as emu:
        # Every state of every record the emulator has served (touching one twice keeps
        # its version at 1 with new values: the emulator touches the original record).
        served = row_hashes(cvframe.records_to_frame(emu.records(FIRST_DAY, iso(CRASH_LAST_END))))
        for number in range(1, CRASH_MAX_RUNS + 1):
            if killed == CRASH_KILLS:
                break
            if number > 1:
                # Move the window on, and update records the next run will re-read: the
                # platform updates recent intervals (those within the lookback).
                end = min(end + pd.Timedelta(hours=rng.choice([0, 2, 6, 12])), CRASH_LAST_END)
                mark = high_water_mark(day_files(path))
                low = FIRST_DAY if mark is None else iso(mark - LOOKBACK)
                recent = [r["_id"] for r in emu.records(low, iso(end))]
                touched = rng.sample(recent, k=min(len(recent), rng.randint(0, 6)))
                if touched:
                    emu.touch(touched, offeredContacts=rng.randint(0, 999))
                    now = cvframe.records_to_frame(emu.records(FIRST_DAY, iso(CRASH_LAST_END)))
                    served |= row_hashes(now)
            events = tmp_path / f"run-{number}.events"
            job: dict[str, Any] = {
                "path": str(path),
                "settings": emu.settings(),
                "start": FIRST_DAY,
                "end": iso(end),
                "lookback": "2h",
                "events": str(events),
            }
            # A dry run on a copy counts this run's events and times it, so the kill
            # lands on one of them (or within its duration), uniformly.
            count, seconds = dry_run(fork_server, job, path, tmp_path / "dry")
            if rng.random() < CRASH_HOOKED_SHARE:
                job["kill_at"] = rng.randint(1, count)
                how = f"kill at event {job['kill_at']} of {count}"
            else:
                job["kill_after"] = round(rng.uniform(0.0, seconds), 4)
                how = f"kill after {job['kill_after']} s of {seconds:.3f}"
            answer = fork_server.run(job)
            log = events.read_text().splitlines() if events.exists() else []
            last = log[-1].split()[1] if log else "before the first event"
            context = f"seed {seed}, run {number} (end {iso(end)}, {how}, last event {last})"
            runs.append(context)
            if answer["signal"] is not None:
                assert answer["signal"] == 9, context
                killed += 1
                # Whatever instant it died at, the dataset reads and validates, each
                # record at most once, each row whole as some version the API served.
                stored = cvframe.read_snapshot(path) if path.is_dir() else None
                if stored is not None:
                    assert stored["id"].is_unique, context
                    assert (stored["interval_start"] < end).all(), context
                    assert_rows_were_served(stored, served, context)
                    assert len(pd.read_parquet(path)) == len(stored), context
            else:
                error = events.with_suffix(".err")
                assert answer["returncode"] == 0, error.read_text() if error.exists() else context
                # A run that was not killed completes whatever earlier kills left.
                expected = cvframe.records_to_frame(emu.records(FIRST_DAY, iso(end)))
                pd.testing.assert_frame_equal(cvframe.read_snapshot(path), expected, obj=context)

        assert killed == CRASH_KILLS, f"seed {seed}: only {killed} kills in {len(runs)} runs"
        print("\n".join(runs))

        # A final clean run, resuming from what the last kill left, has every record
        # exactly once, at its highest version.
        report = cvframe.sync(path, start=FIRST_DAY, end=iso(end), lookback="2h", **emu.settings())
        expected = cvframe.records_to_frame(emu.records(FIRST_DAY, iso(end)))
    stored = cvframe.read_snapshot(path)
    pd.testing.assert_frame_equal(stored, expected, obj=f"seed {seed}, final run")
    assert report.high_water_mark == expected["interval_start"].max()
    assert not temp_files(path), f"seed {seed}"
    days = [p for p in path.iterdir() if p.is_dir()]
    assert all((day / "part-0.parquet").is_file() for day in days), f"seed {seed}"


# --------------------------------------------------------------------------- disk full, denied


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    """Three days (2023-01-02 .. 04) of two queues, API wire format."""
    return Emulator(days=3, queues=2).records()


@pytest.fixture
def stored(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    """A snapshot of the first two days."""
    root = tmp_path / "snap"
    cvframe.write_snapshot(
        cvframe.records_to_frame(on_days(records, "2023-01-02", "2023-01-03")), root
    )
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [
        "date=2023-01-02",
        "date=2023-01-03",
    ]
    return root


def on_days(records: list[dict[str, Any]], *days: str) -> list[dict[str, Any]]:
    return [r for r in records if r["intervalStartTimeStamp"][:10] in days]


def an_update(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Newer versions of three 2023-01-02 records, and the whole new day 2023-01-04."""
    newer = [{**r, "__v": 1, "offeredContacts": 42} for r in records[:3]]
    return cvframe.records_to_frame(newer + on_days(records, "2023-01-04"))


# Where the write of a day can fail: (what, patch(monkeypatch, code, root) -> None).
def _mkstemp(mp: pytest.MonkeyPatch, code: int, root: Path) -> None:
    fail_on(mp, tempfile, "mkstemp", code, root, mkstemp_dir)


def _write_table(mp: pytest.MonkeyPatch, code: int, root: Path) -> None:
    mp.setattr(pq, "write_table", half_written_then(code, root))


def _fsync(mp: pytest.MonkeyPatch, code: int, root: Path) -> None:
    fail_on(mp, os, "fsync", code, root, fsync_target)


def _replace(mp: pytest.MonkeyPatch, code: int, root: Path) -> None:
    fail_on(mp, os, "replace", code, root, first_arg)


WRITE_FAULTS: dict[str, Callable[[pytest.MonkeyPatch, int, Path], None]] = {
    "creating the temporary file": _mkstemp,
    "half way through the Parquet data": _write_table,
    "flushing the temporary file": _fsync,
    "moving it into place": _replace,
}
CODES = [errno.ENOSPC, errno.EACCES, errno.EPERM]


@pytest.mark.parametrize("code", CODES, ids=errno.errorcode.get)
@pytest.mark.parametrize("where", list(WRITE_FAULTS))
def test_a_write_error_leaves_the_previous_snapshot_byte_identical(
    stored: Path,
    records: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    code: int,
) -> None:
    before = file_bytes(stored)
    frame_before = cvframe.read_snapshot(stored)
    update = an_update(records)
    with monkeypatch.context() as mp:
        WRITE_FAULTS[where](mp, code, stored)
        with pytest.raises(cvframe.SnapshotError) as caught:
            cvframe.write_snapshot(update, stored)
    assert_clear_write_error(caught.value, code, stored, stored / "date=2023-01-02/part-0.parquet")
    # Nothing changed, nothing left behind (no temp file, no new day's directory).
    assert file_bytes(stored) == before
    assert not (stored / "date=2023-01-04").exists()
    pd.testing.assert_frame_equal(cvframe.read_snapshot(stored), frame_before)
    # The lock was released, and the same write goes through once the cause is gone.
    cvframe.write_snapshot(update, stored, lock_timeout=0)
    back = cvframe.read_snapshot(stored)
    assert back.loc[back["id"] == records[0]["_id"], "offered_contacts"].tolist() == [42]
    assert len(back) == len(records)


@pytest.mark.parametrize("code", [errno.EDQUOT, errno.EROFS], ids=errno.errorcode.get)
def test_quota_and_read_only_file_systems_are_named(
    stored: Path, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    before = file_bytes(stored)
    _mkstemp(monkeypatch, code, stored)
    with pytest.raises(cvframe.SnapshotError) as caught:
        cvframe.write_snapshot(an_update(records), stored)
    assert_clear_write_error(caught.value, code, stored)
    assert file_bytes(stored) == before


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES], ids=errno.errorcode.get)
def test_a_new_day_whose_file_cannot_be_written_leaves_no_directory(
    stored: Path, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    before = file_bytes(stored)
    new_day = cvframe.records_to_frame(on_days(records, "2023-01-04"))
    with monkeypatch.context() as mp:
        _fsync(mp, code, stored)  # the first fsync is of the new day's parent directory
        with pytest.raises(cvframe.SnapshotError) as caught:
            cvframe.write_snapshot(new_day, stored)
    assert_clear_write_error(caught.value, code, stored)
    assert not (stored / "date=2023-01-04").exists()
    assert file_bytes(stored) == before
    with monkeypatch.context() as mp:
        fail_on(mp, os, "mkdir", code, stored, day_directory)
        with pytest.raises(cvframe.SnapshotError) as caught:
            cvframe.write_snapshot(new_day, stored)
    assert_clear_write_error(caught.value, code, stored)
    assert not (stored / "date=2023-01-04").exists()
    assert file_bytes(stored) == before


def test_a_failed_directory_flush_after_the_move_raises_with_the_new_file_whole(
    stored: Path, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    update = cvframe.records_to_frame([{**r, "__v": 1, "offeredContacts": 42} for r in records[:3]])
    # The second fsync under the dataset is its day directory's, after os.replace.
    fail_on(monkeypatch, os, "fsync", errno.EIO, stored, fsync_target, nth=2)
    with pytest.raises(cvframe.SnapshotError, match=r"^cannot write .*\[Errno 5\]") as caught:
        cvframe.write_snapshot(update, stored)
    assert isinstance(caught.value.__cause__, OSError)
    # The rename happened: the day holds the new file, whole; it is just not known durable.
    back = cvframe.read_snapshot(stored)
    assert back.loc[back["id"] == records[0]["_id"], "offered_contacts"].tolist() == [42]
    assert not temp_files(stored)


def test_a_temp_file_that_cannot_be_removed_is_skipped_by_readers_and_removed_next_time(
    stored: Path, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = cvframe.read_snapshot(stored)
    with monkeypatch.context() as mp:
        _fsync(mp, errno.ENOSPC, stored)
        fail_on(mp, Path, "unlink", errno.EACCES, stored, first_arg)
        with pytest.raises(cvframe.SnapshotError) as caught:
            cvframe.write_snapshot(an_update(records), stored)
    # The error is the disk being full, not the failed clean-up.
    assert_clear_write_error(caught.value, errno.ENOSPC, stored)
    (left,) = temp_files(stored)
    assert left.name.startswith(".part-0.parquet.")
    # Readers skip it (a dot file)...
    pd.testing.assert_frame_equal(cvframe.read_snapshot(stored), before)
    assert len(pd.read_parquet(stored)) == len(before)
    # ...and the next writer removes it.
    cvframe.write_snapshot(an_update(records), stored)
    assert not temp_files(stored)
    assert len(cvframe.read_snapshot(stored)) == len(records)


def test_a_stale_temp_file_that_cannot_be_removed_fails_the_write_before_any_change(
    stored: Path, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = stored / "date=2023-01-02" / ".part-0.parquet.abc.tmp"
    stale.write_bytes(b"PAR1 half")
    before = file_bytes(stored)
    fail_on(monkeypatch, Path, "unlink", errno.EPERM, stored, first_arg)
    with pytest.raises(cvframe.SnapshotError) as caught:
        cvframe.write_snapshot(an_update(records), stored)
    assert_clear_write_error(caught.value, errno.EPERM, stored)
    assert file_bytes(stored) == before


def test_a_lock_file_that_cannot_be_created_is_a_snapshot_error_not_a_lock_error(
    tmp_path: Path, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "snap"
    root.mkdir()
    lock = root / ".cvframe.lock"
    fail_on(monkeypatch, os, "open", errno.EACCES, root, first_arg)
    with pytest.raises(cvframe.SnapshotError) as caught:
        cvframe.write_snapshot(cvframe.records_to_frame(records), root)
    assert_clear_write_error(caught.value, errno.EACCES, root, lock)
    assert list(root.iterdir()) == []


def test_a_snapshot_directory_that_cannot_be_created_is_a_snapshot_error(
    tmp_path: Path, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "new" / "snap"
    fail_on(monkeypatch, os, "mkdir", errno.EACCES, tmp_path, first_arg)
    with pytest.raises(cvframe.SnapshotError) as caught:
        cvframe.write_snapshot(cvframe.records_to_frame(records), root)
    assert_clear_write_error(caught.value, errno.EACCES, root)
    assert not root.exists()


def test_a_day_file_that_is_not_parquet_is_a_snapshot_error_when_merging(
    stored: Path, records: list[dict[str, Any]]
) -> None:
    day = stored / "date=2023-01-03" / "part-0.parquet"
    day.write_bytes(b"not parquet")
    with pytest.raises(cvframe.SnapshotError, match=r"cannot read .*date=2023-01-03"):
        cvframe.write_snapshot(cvframe.records_to_frame(records), stored)
    with pytest.raises(cvframe.SnapshotError, match="to find the high-water mark"):
        high_water_mark(day_files(stored))


# --------------------------------------------------------------------------- sync and the CLI


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """Four days of two queues, ours to touch."""
    with Emulator(days=4, queues=2) as emulator:
        yield emulator


@pytest.mark.parametrize("failing_day", [1, 2], ids=["first-day", "second-day"])
def test_sync_on_a_full_disk_raises_keeps_whole_days_and_the_next_run_completes(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_day: int
) -> None:
    path = tmp_path / "snap"
    first = cvframe.sync(path, start="2023-01-02", end="2023-01-04", **emu.settings())
    late = [r["_id"] for r in emu.records("2023-01-03T23:00:00Z", "2023-01-04T00:00:00Z")]
    emu.touch(late, offeredContacts=321)
    before = file_bytes(path)
    day3, day4 = "date=2023-01-03/part-0.parquet", "date=2023-01-04/part-0.parquet"

    # The run rewrites 2023-01-03 (updated records), then writes 2023-01-04 (new).
    with monkeypatch.context() as mp:
        fail_on(mp, os, "replace", errno.ENOSPC, path, first_arg, nth=failing_day)
        with pytest.raises(cvframe.SnapshotError) as caught:
            cvframe.sync(path, end="2023-01-05", **emu.settings())
    failed = path / (day3 if failing_day == 1 else day4)
    assert_clear_write_error(caught.value, errno.ENOSPC, path, failed)
    after = file_bytes(path)
    assert not temp_files(path)
    assert not (path / "date=2023-01-04").exists()
    assert after["date=2023-01-02/part-0.parquet"] == before["date=2023-01-02/part-0.parquet"]
    if failing_day == 1:
        assert after == before
    else:
        assert after[day3] != before[day3]  # written whole before the disk filled up
    assert high_water_mark(day_files(path)) == first.high_water_mark
    cvframe.read_snapshot(path)  # reads and validates

    report = cvframe.sync(path, end="2023-01-05", lock_timeout=0, **emu.settings())
    assert report.partitions_rewritten[-1] == "2023-01-04"
    expected = cvframe.records_to_frame(emu.records(FIRST_DAY, "2023-01-05T00:00:00Z"))
    pd.testing.assert_frame_equal(cvframe.read_snapshot(path), expected)


@pytest.fixture
def emu_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    return emu


@pytest.mark.parametrize(
    ("code", "start"),
    [
        (errno.ENOSPC, "cvframe: error: disk full: no space left to write "),
        (errno.EACCES, "cvframe: error: permission denied: cannot write "),
    ],
    ids=["ENOSPC", "EACCES"],
)
def test_cli_sync_on_a_write_error_exits_1_with_one_line(
    emu_env: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    start: str,
) -> None:
    path = tmp_path / "snap"
    fail_on(monkeypatch, tempfile, "mkstemp", code, path, mkstemp_dir)
    assert main(["sync", str(path), "--from", "2023-01-02", "--to", "2023-01-03"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(start)
    assert len(captured.err.strip().splitlines()) == 1
    assert str(path / "date=2023-01-02" / "part-0.parquet") in captured.err
    assert "run again" in captured.err
    assert emu_env.client_secret not in captured.err
    assert not any(path.glob("date=*"))


def test_cli_export_into_an_unwritable_place_exits_1_with_one_line(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = blocker / "export.csv"  # its parent is a file: NotADirectoryError
    assert main(["export", str(stored), str(out), "--target", "generic"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cvframe: error: ")
    assert len(err.strip().splitlines()) == 1
