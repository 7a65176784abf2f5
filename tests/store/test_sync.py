"""Incremental sync against the emulator: resume, upsert, kill -9, locks, report, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cvframe
from cvframe._cli._main import main
from cvframe._store._lock import DatasetLock
from cvframe.emulator import Emulator
from tests.fakes import EditingTransport, FakeAPI, make_record
from tests.store.conftest import Snapshot

CHILD = Path(__file__).with_name("_sync_child.py")
FIRST_DAY = "2023-01-02T00:00:00Z"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """Four days of two queues, ours to touch."""
    with Emulator(days=4, queues=2) as emulator:
        yield emulator


def served(emu: Emulator, end: str) -> pd.DataFrame:
    """What a perfect snapshot up to ``end`` holds: every served record once, latest version."""
    return cvframe.records_to_frame(emu.records(FIRST_DAY, end))


def file_states(root: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``root`` -> (inode, mtime in ns)."""
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run_child(job: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHILD)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_first_sync_stores_the_window_and_a_second_changes_no_file(
    emu: Emulator, snapshot: Snapshot
) -> None:
    first = snapshot.sync(start="2023-01-02", end="2023-01-04", **emu.settings())
    expected = served(emu, "2023-01-04T00:00:00Z")
    assert first.initial
    assert first.rows_fetched == first.rows_inserted == len(expected)
    assert first.rows_updated == 0
    assert first.partitions_rewritten == ("2023-01-02", "2023-01-03")
    assert first.high_water_mark == expected["interval_start"].max()
    pd.testing.assert_frame_equal(snapshot.read(), expected)

    before = snapshot.states()
    second = snapshot.sync(end="2023-01-04", **emu.settings())
    assert not second.initial
    assert second.window_start == first.high_water_mark - pd.Timedelta("2h")
    assert second.rows_fetched > 0
    assert (second.rows_inserted, second.rows_updated, second.partitions_rewritten) == (0, 0, ())
    assert snapshot.states() == before
    # Only the day files are left: no lease, no temporary file or object.
    expected_names = ["date=2023-01-02/part-0.parquet", "date=2023-01-03/part-0.parquet"]
    lock = [".cvframe.lock"] if snapshot.backend == "local" else []
    assert snapshot.names() == sorted(lock + expected_names)


def test_first_sync_without_start_reads_from_the_first_record(
    emu: Emulator, tmp_path: Path
) -> None:
    report = cvframe.sync(tmp_path, end="2023-01-03", **emu.settings())
    assert report.window_start is None
    assert emu.requests[0].body is not None
    assert emu.requests[0].body.get("fromTimeStamp") is None
    pd.testing.assert_frame_equal(
        cvframe.read_snapshot(tmp_path), served(emu, "2023-01-03T00:00:00Z")
    )


def test_later_syncs_resume_from_the_high_water_mark_minus_lookback(
    emu: Emulator, snapshot: Snapshot
) -> None:
    first = snapshot.sync(start="2023-01-02", end="2023-01-03", **emu.settings())
    assert first.high_water_mark is not None
    report = snapshot.sync(end="2023-01-06", lookback="30min", **emu.settings())
    resume = first.high_water_mark - pd.Timedelta("30min")
    assert report.window_start == resume
    bodies = [r.body for r in emu.requests if r.body is not None]
    assert bodies[-1]["fromTimeStamp"] == resume.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert report.partitions_rewritten == ("2023-01-03", "2023-01-04", "2023-01-05")
    pd.testing.assert_frame_equal(snapshot.read(), served(emu, "2023-01-06T00:00:00Z"))


def test_an_update_with_a_higher_version_replaces_the_row(emu: Emulator, tmp_path: Path) -> None:
    cvframe.sync(tmp_path, start="2023-01-02", end="2023-01-04", **emu.settings())
    late = [r["_id"] for r in emu.records("2023-01-03T22:30:00Z", "2023-01-04T00:00:00Z")]
    before = file_states(tmp_path)
    emu.touch(late, offeredContacts=500)

    report = cvframe.sync(tmp_path, end="2023-01-04", **emu.settings())
    assert (report.rows_inserted, report.rows_updated) == (0, len(late))
    assert report.partitions_rewritten == ("2023-01-03",)
    after = file_states(tmp_path)
    assert after["date=2023-01-02/part-0.parquet"] == before["date=2023-01-02/part-0.parquet"]
    stored = cvframe.read_snapshot(tmp_path)
    rows = stored[stored["id"].isin(late)]
    assert set(rows["version"]) == {1}
    assert set(rows["offered_contacts"]) == {500}
    pd.testing.assert_frame_equal(stored, served(emu, "2023-01-04T00:00:00Z"))


def test_updates_older_than_the_lookback_need_a_longer_lookback(
    emu: Emulator, tmp_path: Path
) -> None:
    cvframe.sync(tmp_path, start="2023-01-02", end="2023-01-04", **emu.settings())
    early = emu.records("2023-01-02T10:00:00Z", "2023-01-02T10:15:00Z")[0]["_id"]
    emu.touch([early], answeredContacts=0)
    assert cvframe.sync(tmp_path, end="2023-01-04", **emu.settings()).rows_updated == 0
    wide = cvframe.sync(tmp_path, end="2023-01-04", lookback="2D", **emu.settings())
    assert wide.rows_updated == 1
    assert wide.partitions_rewritten == ("2023-01-02",)


def test_start_is_a_floor_for_later_runs(emu: Emulator, tmp_path: Path) -> None:
    cvframe.sync(tmp_path, start="2023-01-03", end="2023-01-04", **emu.settings())
    report = cvframe.sync(
        tmp_path, start="2023-01-03", end="2023-01-04", lookback="3D", **emu.settings()
    )
    assert report.window_start == pd.Timestamp("2023-01-03", tz="UTC")
    assert cvframe.read_snapshot(tmp_path)["interval_start"].min() >= report.window_start


def test_an_api_failure_leaves_the_dataset_as_it_was(emu: Emulator, tmp_path: Path) -> None:
    cvframe.sync(tmp_path, start="2023-01-02", end="2023-01-03", **emu.settings())
    before = file_states(tmp_path)
    emu.inject(403)  # a rejected token is never retried
    with pytest.raises(cvframe.AuthenticationError):
        cvframe.sync(tmp_path, end="2023-01-05", **emu.settings())
    assert file_states(tmp_path) == before
    # The lock was released: the next run goes through.
    assert cvframe.sync(tmp_path, end="2023-01-05", lock_timeout=0, **emu.settings()).rows_inserted


def test_report_prints_a_short_table_and_json_without_secrets(
    emu: Emulator, tmp_path: Path
) -> None:
    report = cvframe.sync(tmp_path, start="2023-01-02", end="2023-01-03", **emu.settings())
    text = str(report)
    for label in (
        "rows fetched",
        "rows inserted",
        "rows updated",
        "rows removed",
        "partitions rewritten",
    ):
        assert label in text
    assert f"rows inserted         {report.rows_inserted:,}" in text
    assert "high-water mark       2023-01-02T23:45:00Z" in text
    assert text.splitlines()[1] == "endpoint              callvolume"
    assert len(text.splitlines()) == 11
    data = json.loads(report.to_json())
    assert data == report.to_dict()
    assert data["partitions_rewritten"] == ["2023-01-02"]
    assert data["window_start"] == "2023-01-02T00:00:00Z"
    assert data["endpoint"] == "callvolume"
    for secret in (emu.client_secret, "client_secret", "token"):
        assert secret not in text
        assert secret not in report.to_json()


def test_bad_arguments_fail_before_anything_is_read(emu: Emulator, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lookback"):
        cvframe.sync(tmp_path, end="2023-01-03", lookback="soon", **emu.settings())
    with pytest.raises(ValueError, match="lookback"):
        cvframe.sync(tmp_path, end="2023-01-03", lookback="-1h", **emu.settings())
    with pytest.raises(ValueError, match="must be after start"):
        cvframe.sync(tmp_path, start="2023-01-03", end="2023-01-02", **emu.settings())
    with pytest.raises(ValueError, match="prune must be True or False"):
        cvframe.sync(tmp_path, end="2023-01-03", prune="no", **emu.settings())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="queues must be"):
        cvframe.sync(tmp_path, end="2023-01-03", queues=[], **emu.settings())
    with pytest.raises(cvframe.ConfigurationError, match="org_id"):
        cvframe.sync(tmp_path / "new", end="2023-01-03", **emu.client_settings())
    assert not (tmp_path / "new").exists()
    assert emu.requests == []


# Where a sync is killed: (step, occurrence). Three days are written in the run.
KILL_POINTS = [
    ("before_upsert", 1),  # fetched, nothing written yet
    ("partial_temp", 1),  # first day's temporary file half written
    ("temp_written", 2),  # second day's temporary file complete, not renamed
    ("before_commit", 3),  # two days in place, the third about to move
    ("after_commit", 1),  # first day in place
    ("after_commit", 3),  # every day in place, lock not yet released
]


#: The steps an object store has too (a day there is one PUT, with no temporary file).
OBJECT_STORE_KILL_POINTS = {("before_upsert", 1), ("before_commit", 3), ("after_commit", 1)}


@pytest.mark.parametrize("initial", [False, True], ids=["incremental", "initial"])
@pytest.mark.parametrize(("step", "n"), KILL_POINTS, ids=[f"{s}-{n}" for s, n in KILL_POINTS])
def test_a_sync_killed_with_sigkill_then_rerun_has_every_record_exactly_once(
    emu: Emulator, snapshot: Snapshot, step: str, n: int, initial: bool
) -> None:
    if snapshot.backend != "local" and (step, n) not in OBJECT_STORE_KILL_POINTS:
        pytest.skip("a step of the local disk's write (temporary files) or covered already")
    if not initial:
        snapshot.sync(start="2023-01-02", end="2023-01-03", **emu.settings())
        late = [r["_id"] for r in emu.records("2023-01-02T23:00:00Z", "2023-01-03T00:00:00Z")]
        emu.touch(late, offeredContacts=321)
        start = None
    else:
        start = "2023-01-03"  # days 3, 4 and 5 (the emulator serves up to 2023-01-06)
    end = "2023-01-06" if initial else "2023-01-05"

    killed = run_child(
        {
            **snapshot.job(),
            "settings": emu.settings(),
            "start": start,
            "end": end,
            "kill": {"step": step, "n": n},
        }
    )
    assert killed.returncode == -9, killed.stderr

    # Whatever instant it died at, the dataset reads, with no record twice.
    partial = snapshot.read()
    assert partial["id"].is_unique
    if snapshot.backend == "local":
        assert len(pd.read_parquet(snapshot.path)) == len(partial)

    # On an object store the dead sync's lease is taken over once it expired.
    report = snapshot.sync(start=start, end=end, lock_timeout=5, **emu.settings())
    stored = snapshot.read()
    expected = cvframe.records_to_frame(
        emu.records(f"{start}T00:00:00Z" if start else FIRST_DAY, f"{end}T00:00:00Z")
    )
    pd.testing.assert_frame_equal(stored, expected)
    assert report.high_water_mark == expected["interval_start"].max()
    assert not [name for name in snapshot.names() if not name.endswith(("part-0.parquet", ".lock"))]


def test_two_syncs_on_one_path_never_interleave(
    emu: Emulator, snapshot: Snapshot, tmp_path: Path
) -> None:
    ready, release = tmp_path / "ready", tmp_path / "release"
    child = subprocess.Popen(
        [sys.executable, str(CHILD)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    job = {
        **snapshot.job(),
        "settings": emu.settings(),
        "start": "2023-01-02",
        "end": "2023-01-04",
        "pause": {"ready": str(ready), "release": str(release)},
    }
    assert child.stdin is not None
    child.stdin.write(json.dumps(job))
    child.stdin.close()
    try:
        deadline = threading.Event()
        for _ in range(3000):
            if ready.exists() or child.poll() is not None:
                break
            deadline.wait(0.01)
        assert ready.exists(), child.stderr.read() if child.stderr else ""

        # While the child holds the lock, an impatient sync fails with a clear error...
        with pytest.raises(cvframe.LockError, match="holds the lock on"):
            snapshot.sync(end="2023-01-05", lock_timeout=0.2, **emu.settings())

        # ...and a patient one waits, then runs after the child, never alongside it.
        reports: list[cvframe.SyncReport] = []
        waiter = threading.Thread(
            target=lambda: reports.append(
                snapshot.sync(end="2023-01-05", lock_timeout=60, **emu.settings())
            )
        )
        waiter.start()
        release.write_text("go")
        assert child.stdout is not None and child.stderr is not None
        out, err = child.stdout.read(), child.stderr.read()
        child.wait(timeout=120)
        waiter.join(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    first = json.loads(out)
    assert first["initial"] is True
    assert first["partitions_rewritten"] == ["2023-01-02", "2023-01-03"]
    (second,) = reports
    assert second.initial is False
    assert second.partitions_rewritten == ("2023-01-04",)
    pd.testing.assert_frame_equal(snapshot.read(), served(emu, "2023-01-05T00:00:00Z"))


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def emu_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    return emu


def test_cli_sync_prints_the_report_and_exits_0(
    emu_env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "snap")
    assert main(["sync", path, "--from", "2023-01-02", "--to", "2023-01-03", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["initial"] is True
    assert data["rows_inserted"] == len(served(emu_env, "2023-01-03T00:00:00Z"))
    assert main(["sync", path, "--to", "2023-01-03", "--lookback", "1h"]) == 0
    out = capsys.readouterr().out
    assert "incremental sync" in out
    assert "partitions rewritten  0" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--lookback", "later"], "cvframe: error: --lookback='later' is not a duration"),
        (["--from", "yesterday-ish"], "cvframe: error: --from='yesterday-ish' is not a time"),
    ],
)
def test_cli_sync_fails_with_one_line_and_exit_1(
    emu_env: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    assert main(["sync", str(tmp_path / "snap"), "--to", "2023-01-03", *extra]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1


def test_cli_sync_without_credentials_or_with_a_held_lock_exits_1(
    emu_env: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "snap"
    path.mkdir()
    with DatasetLock(path, timeout=0):
        assert main(["sync", str(path), "--to", "2023-01-03", "--lock-timeout", "0"]) == 1
    assert "holds the lock on" in capsys.readouterr().err
    monkeypatch.delenv("CVFRAME_CLIENT_SECRET")
    assert main(["sync", str(path), "--to", "2023-01-03"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cvframe: error: missing credentials")
    assert emu_env.client_secret not in err


# --------------------------------------------------------------------------- stray records


def stray_record(emu: Emulator, start: str, rid: str) -> dict[str, Any]:
    """A record in the API's shape whose interval starts at ``start``."""
    record = dict(emu.records(FIRST_DAY, "2023-01-02T00:15:00Z")[0])
    begin = pd.Timestamp(start)
    record.update(
        _id=rid,
        intervalStartTimeStamp=begin.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        intervalEndTimeStamp=(begin + pd.Timedelta("15min")).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    )
    return record


class StrayTransport(EditingTransport):
    """The emulator's answers, with ``strays`` added to each one-page answer while set."""

    def __init__(self) -> None:
        super().__init__(self._add_strays)
        self.strays: list[dict[str, Any]] = []

    def _add_strays(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.strays and "CallVolumeUpdate" in body:
            assert body["hasMore"] is False, "keep the window to one page"
            body["CallVolumeUpdate"].extend(self.strays)
            body["totalCount"] += len(self.strays)
        return body


@pytest.fixture
def stray_transport() -> Iterator[StrayTransport]:
    transport = StrayTransport()
    yield transport
    transport.close()


@pytest.mark.parametrize(
    ("stray_at", "first_end"),
    [
        pytest.param("2099-01-01T00:00:00Z", "2023-01-03", id="future-dated"),
        pytest.param("1999-06-01T08:00:00Z", "2023-01-03", id="past-dated"),
        pytest.param("2023-01-03T00:00:00Z", "2023-01-03", id="at the window end"),
    ],
)
def test_a_record_outside_the_window_is_dropped_with_a_warning_and_never_moves_the_mark(
    emu: Emulator, tmp_path: Path, stray_transport: StrayTransport, stray_at: str, first_end: str
) -> None:
    settings = {**emu.settings(), "transport": stray_transport, "page_size": 1000}
    # The first run's window has a floor, so a past-dated stray lies outside it too.
    stray_transport.strays = [stray_record(emu, stray_at, "stray-1")]
    with pytest.warns(cvframe.OutOfWindowWarning, match=r"1 record\(s\)"):
        first = cvframe.sync(tmp_path, start="2023-01-02", end=first_end, **settings)
    assert first.rows_out_of_window == 1
    assert first.rows_fetched == len(served(emu, "2023-01-03T00:00:00Z")) + 1
    assert first.high_water_mark == pd.Timestamp("2023-01-02T23:45:00Z")
    assert "stray-1" not in set(cvframe.read_snapshot(tmp_path)["id"])
    assert first.to_dict()["rows_out_of_window"] == 1
    assert "rows out of window    1" in str(first)

    # A later run, stray again (when it still lies outside), gets the real records.
    if stray_at.startswith("2023-01-03"):
        stray_transport.strays = []  # inside the next window: a real record would be there
    with pytest.warns(cvframe.OutOfWindowWarning) if stray_transport.strays else nullcontext():
        second = cvframe.sync(tmp_path, end="2023-01-04", **settings)
    assert second.window_start == pd.Timestamp("2023-01-02T21:45:00Z")
    assert second.rows_out_of_window == len(stray_transport.strays)
    stray_transport.strays = []
    third = cvframe.sync(tmp_path, end="2023-01-05", **settings)
    assert third.rows_out_of_window == 0
    pd.testing.assert_frame_equal(
        cvframe.read_snapshot(tmp_path), served(emu, "2023-01-05T00:00:00Z")
    )


def test_a_snapshot_already_holding_a_future_record_still_syncs_real_data(
    emu: Emulator, tmp_path: Path
) -> None:
    # Written by an older cvframe, or by write_snapshot: the mark is taken below the
    # run's window end, so the stored 2099 record does not stop every later run.
    cvframe.sync(tmp_path, start="2023-01-02", end="2023-01-03", **emu.settings())
    future = cvframe.records_to_frame([stray_record(emu, "2099-01-01T00:00:00Z", "future-1")])
    cvframe.write_snapshot(future, tmp_path)
    report = cvframe.sync(tmp_path, end="2023-01-04", **emu.settings())
    assert report.window_start == pd.Timestamp("2023-01-02T21:45:00Z")
    assert report.high_water_mark == pd.Timestamp("2023-01-03T23:45:00Z")
    stored = cvframe.read_snapshot(tmp_path, end="2023-01-05")
    pd.testing.assert_frame_equal(stored, served(emu, "2023-01-04T00:00:00Z"))


# --------------------------------------------------------------------------- foreign edits


def drop_column(path: Path, name: str) -> None:
    """Rewrite a day's file without ``name``, keeping cvframe's metadata (another tool)."""
    table = pq.read_table(path)
    pq.write_table(table.drop_columns([name]).replace_schema_metadata(table.schema.metadata), path)


def test_sync_into_a_day_file_missing_a_nullable_column_reads_it_as_null_and_repairs_it(
    emu: Emulator, tmp_path: Path
) -> None:
    cvframe.sync(tmp_path, start="2023-01-02", end="2023-01-04", **emu.settings())
    day = tmp_path / "date=2023-01-03" / "part-0.parquet"
    drop_column(day, "csat_score")
    # read_snapshot reads the column as missing values...
    stored = cvframe.read_snapshot(tmp_path)
    assert stored.loc[stored["interval_start"] >= "2023-01-03", "csat_score"].isna().all()
    # ...and so does sync, which rewrites the day with every column again: the rows it
    # fetched get their values back.
    report = cvframe.sync(tmp_path, end="2023-01-04", **emu.settings())
    assert report.partitions_rewritten == ("2023-01-03",)
    assert pq.read_schema(day).names == cvframe.read_snapshot(tmp_path).columns.tolist()
    after = cvframe.read_snapshot(tmp_path)
    fetched = after["interval_start"] >= report.window_start
    expected = served(emu, "2023-01-04T00:00:00Z")
    pd.testing.assert_frame_equal(
        after[fetched].reset_index(drop=True),
        expected[expected["interval_start"] >= report.window_start].reset_index(drop=True),
    )


@pytest.mark.parametrize("name", ["id", "interval_start"])
def test_sync_into_a_day_file_missing_a_required_column_is_a_snapshot_error(
    emu: Emulator, tmp_path: Path, name: str
) -> None:
    cvframe.sync(tmp_path, start="2023-01-02", end="2023-01-04", **emu.settings())
    day = tmp_path / "date=2023-01-03" / "part-0.parquet"
    drop_column(day, name)
    before = day.read_bytes()
    with pytest.raises(cvframe.SnapshotError, match=rf"{day}.*lacks the column\(s\) {name}"):
        cvframe.sync(tmp_path, end="2023-01-04", **emu.settings())
    assert day.read_bytes() == before


def test_sync_into_a_day_file_whose_column_changed_type_is_a_snapshot_error(
    emu: Emulator, tmp_path: Path
) -> None:
    cvframe.sync(tmp_path, start="2023-01-02", end="2023-01-04", **emu.settings())
    day = tmp_path / "date=2023-01-03" / "part-0.parquet"
    table = pq.read_table(day)
    names = pa.array(["many"] * table.num_rows)
    changed = table.set_column(
        table.schema.get_field_index("offered_contacts"), "offered_contacts", names
    )
    pq.write_table(changed.replace_schema_metadata(table.schema.metadata), day)
    with pytest.raises(cvframe.SnapshotError, match="offered_contacts"):
        cvframe.sync(tmp_path, end="2023-01-04", **emu.settings())


# --------------------------------------------------------------------------- mirroring the server

DAY_1, DAY_2, DAY_3 = "2023-01-02", "2023-01-03", "2023-01-04"


def day_records(day: str, count: int = 12) -> list[dict[str, Any]]:
    """``count`` records of ``day`` (three queues), with ids unique across days."""
    return [{**make_record(n, day=day), "_id": f"{day}-{n:03d}"} for n in range(count)]


def moved(record: dict[str, Any], day: str, number: int) -> dict[str, Any]:
    """``record`` moved to the interval and queue of slot ``number`` of ``day``, version up."""
    return {**make_record(number, day=day), "_id": record["_id"], "__v": record["__v"] + 1}


def server_frame(api: FakeAPI, start: str, end: str) -> pd.DataFrame:
    """What the fake serves now for ``[start, end)``, as a snapshot reads it back."""
    inside = [r for r in api.ordered() if start <= r["intervalStartTimeStamp"][:10] < end]
    return cvframe.records_to_frame(inside)


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    """Three days of three queues on the fake server, ours to delete from and move."""
    with FakeAPI(day_records(DAY_1) + day_records(DAY_2) + day_records(DAY_3)) as fake:
        yield fake


def test_a_record_deleted_upstream_is_removed_by_the_next_sync_covering_it(
    api: FakeAPI, tmp_path: Path
) -> None:
    cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, **api.settings())
    api.delete([f"{DAY_2}-005"])
    before = file_states(tmp_path)
    report = cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, lookback="2D", **api.settings())
    assert report.rows_removed == 1
    assert (report.rows_inserted, report.rows_updated) == (0, 0)
    assert report.partitions_rewritten == (DAY_2,)
    assert report.to_dict()["rows_removed"] == 1
    assert "rows removed          1" in str(report)
    pd.testing.assert_frame_equal(cvframe.read_snapshot(tmp_path), server_frame(api, DAY_1, DAY_3))
    after = file_states(tmp_path)
    assert after["date=2023-01-02/part-0.parquet"] == before["date=2023-01-02/part-0.parquet"]


def test_a_day_whose_records_were_all_deleted_upstream_is_removed_whole(
    api: FakeAPI, tmp_path: Path
) -> None:
    cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, **api.settings())
    api.delete(r["_id"] for r in day_records(DAY_2))
    report = cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, lookback="2D", **api.settings())
    assert report.rows_removed == 12
    assert report.partitions_rewritten == (DAY_2,)
    assert not (tmp_path / f"date={DAY_2}").exists()
    assert report.high_water_mark == pd.Timestamp(f"{DAY_1}T00:45:00Z")
    assert len(pd.read_parquet(tmp_path)) == 12
    pd.testing.assert_frame_equal(cvframe.read_snapshot(tmp_path), server_frame(api, DAY_1, DAY_3))


def test_a_record_moved_to_another_day_is_held_once_where_the_server_has_it(
    api: FakeAPI, tmp_path: Path
) -> None:
    cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, **api.settings())
    record = api.records[f"{DAY_1}-004"]
    api.insert([moved(record, DAY_2, 40)])  # same id: the record moves
    report = cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, lookback="2D", **api.settings())
    stored = cvframe.read_snapshot(tmp_path)
    assert stored["id"].is_unique
    assert len(pd.read_parquet(tmp_path)) == len(stored)
    pd.testing.assert_frame_equal(stored, server_frame(api, DAY_1, DAY_3))
    assert report.partitions_rewritten == (DAY_1, DAY_2)
    assert (report.rows_updated, report.rows_removed) == (1, 0)


def test_a_record_moved_into_the_window_from_a_day_outside_it_leaves_its_old_day(
    api: FakeAPI, tmp_path: Path
) -> None:
    cvframe.sync(tmp_path, start=DAY_1, end=DAY_2, **api.settings())
    # The next run reads 2023-01-02T00:45 .. 2023-01-04 only; the record moves from
    # 2023-01-02T00:15 into it, so its old copy lies outside that window.
    record = api.records[f"{DAY_1}-003"]
    api.insert([moved(record, DAY_2, 7)])
    report = cvframe.sync(tmp_path, end=DAY_3, lookback="0h", **api.settings())
    assert report.window_start == pd.Timestamp(f"{DAY_1}T00:45:00Z")
    stored = cvframe.read_snapshot(tmp_path)
    assert stored["id"].is_unique
    assert len(pd.read_parquet(tmp_path)) == len(stored)
    row = stored.set_index("id").loc[record["_id"]]
    assert row["interval_start"] == pd.Timestamp(f"{DAY_2}T00:30:00Z")
    assert report.partitions_rewritten == (DAY_1, DAY_2)


def test_a_record_outside_the_window_is_not_touched(api: FakeAPI, tmp_path: Path) -> None:
    cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, **api.settings())
    api.delete([f"{DAY_1}-000"])  # before the next window
    before = file_states(tmp_path)
    report = cvframe.sync(tmp_path, end=DAY_3, **api.settings())  # from 2023-01-02T22:45
    assert report.rows_removed == 0
    assert report.partitions_rewritten == ()
    assert file_states(tmp_path) == before
    assert f"{DAY_1}-000" in set(cvframe.read_snapshot(tmp_path)["id"])


def test_a_queue_filter_prunes_only_those_queues(api: FakeAPI, tmp_path: Path) -> None:
    cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, **api.settings())
    # Slot n is queue n % 3: 005 is qu-0002, 004 is qu-0001.
    api.delete([f"{DAY_2}-005", f"{DAY_2}-004"])
    report = cvframe.sync(
        tmp_path, start=DAY_1, end=DAY_3, lookback="2D", queues=["qu-0001"], **api.settings()
    )
    assert report.rows_removed == 1
    ids = set(cvframe.read_snapshot(tmp_path)["id"])
    assert f"{DAY_2}-004" not in ids
    assert f"{DAY_2}-005" in ids  # another queue: not read, not touched
    # A queue named by its name prunes the same way.
    report = cvframe.sync(
        tmp_path, start=DAY_1, end=DAY_3, lookback="2D", queues="Queue 2", **api.settings()
    )
    assert report.rows_removed == 1
    pd.testing.assert_frame_equal(cvframe.read_snapshot(tmp_path), server_frame(api, DAY_1, DAY_3))


def test_a_queue_filtered_sync_resumes_from_the_mark_of_its_own_queues(
    api: FakeAPI, tmp_path: Path
) -> None:
    cvframe.sync(tmp_path, start=DAY_1, end=DAY_2, queues="qu-0000", **api.settings())
    cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, queues="qu-0001", **api.settings())
    report = cvframe.sync(tmp_path, end=DAY_3, queues="qu-0000", lookback="0h", **api.settings())
    # qu-0000's own mark, not the snapshot's (qu-0001's, a day later).
    assert report.window_start == pd.Timestamp(f"{DAY_1}T00:45:00Z")
    stored = cvframe.read_snapshot(tmp_path, queues="qu-0000")
    expected = server_frame(api, DAY_1, DAY_3)
    pd.testing.assert_frame_equal(
        stored, expected[expected["queue_id"] == "qu-0000"].reset_index(drop=True)
    )


def test_prune_false_keeps_records_deleted_upstream(api: FakeAPI, tmp_path: Path) -> None:
    cvframe.sync(tmp_path, start=DAY_1, end=DAY_3, **api.settings())
    api.delete([f"{DAY_2}-005"])
    before = file_states(tmp_path)
    report = cvframe.sync(
        tmp_path, start=DAY_1, end=DAY_3, lookback="2D", prune=False, **api.settings()
    )
    assert (report.rows_removed, report.partitions_rewritten) == (0, ())
    assert file_states(tmp_path) == before


# Where the moved record's old copy lies, relative to the killed run's window:
# (name, record moved, its new day and slot, the run's start, end and lookback, and
# the slot of a new record on the new day that moves the mark far past the moved one).
MOVES = [
    ("old copy after the window", f"{DAY_3}-002", DAY_1, 20, None, DAY_2, "2h", 240),
    ("old copy before the window", f"{DAY_1}-002", DAY_3, 20, None, "2023-01-05", "2h", None),
    ("old copy later in the window", f"{DAY_3}-002", DAY_1, 20, DAY_1, "2023-01-05", "3D", None),
]


@pytest.mark.parametrize(("step", "n"), [("temp_written", 1), ("after_commit", 1)])
@pytest.mark.parametrize(
    ("rid", "day", "slot", "start", "end", "lookback", "extra"),
    [m[1:] for m in MOVES],
    ids=[m[0] for m in MOVES],
)
def test_a_sync_moving_a_record_killed_between_its_days_then_rerun_holds_it_once(
    api: FakeAPI,
    tmp_path: Path,
    step: str,
    n: int,
    rid: str,
    day: str,
    slot: int,
    start: str | None,
    end: str,
    lookback: str,
    extra: int | None,
) -> None:
    path = tmp_path / "snap"
    cvframe.sync(path, start=DAY_1, end="2023-01-05", **api.settings())
    api.insert([moved(api.records[rid], day, slot)])
    if extra is not None:
        api.insert([{**make_record(extra, day=day), "_id": "new-late"}])
    job = {
        "path": str(path),
        "settings": api.settings(),
        "start": start,
        "end": end,
        "lookback": lookback,
        "kill": {"step": step, "n": n},
    }
    killed = run_child(job)
    assert killed.returncode == -9, killed.stderr
    # Whatever it left, the dataset reads with the record at most once...
    assert cvframe.read_snapshot(path)["id"].is_unique
    # ...and the next run, resuming from that, holds it exactly once where it now is.
    cvframe.sync(path, start=start, end=end, lookback=lookback, lock_timeout=5, **api.settings())
    stored = cvframe.read_snapshot(path)
    assert len(pd.read_parquet(path)) == len(stored)
    pd.testing.assert_frame_equal(stored, server_frame(api, DAY_1, "2023-01-05"))


def test_cli_sync_prunes_by_default_and_takes_queue_and_no_prune(
    api: FakeAPI,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = api.settings()
    monkeypatch.setenv("CVFRAME_CLIENT_ID", settings["client_id"])
    monkeypatch.setenv("CVFRAME_CLIENT_SECRET", settings["client_secret"])
    connection = ["--host", settings["host"], "--account", settings["account_id"]]
    connection += ["--org", settings["org_id"], "--requests-per-minute", "1000000"]
    path = str(tmp_path / "snap")
    window = ["--from", DAY_1, "--to", DAY_3, "--lookback", "2D", "--json"]
    assert main(["sync", path, *window, *connection]) == 0
    capsys.readouterr()
    api.delete([f"{DAY_2}-005", f"{DAY_2}-004"])
    assert main(["sync", path, *window, "--no-prune", *connection]) == 0
    assert json.loads(capsys.readouterr().out)["rows_removed"] == 0
    assert main(["sync", path, *window, "--queue", "qu-0001", *connection]) == 0
    assert json.loads(capsys.readouterr().out)["rows_removed"] == 1
    assert main(["sync", path, *window, *connection]) == 0
    assert json.loads(capsys.readouterr().out)["rows_removed"] == 1
    pd.testing.assert_frame_equal(cvframe.read_snapshot(path), server_frame(api, DAY_1, DAY_3))
