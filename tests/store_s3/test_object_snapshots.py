"""Snapshots in an object store, on moto's S3 server: what differs from a local disk.

The sync, kill -9 and two-writers suites run on both backends (tests/store, the
``snapshot`` fixture); these are the guarantees only an object store can break: a URL
is never a local folder, a read fetches only the days of its window, a store fault
leaves the previous day object, a kill mid-upload leaves no partial object, and no
credential ever shows.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._cli import main
from cvframe._store._lease import ObjectLease
from cvframe._store._location import snapshot_location
from cvframe.emulator import Emulator
from tests.s3server import SECRET_KEY, S3Server

CHILD = Path(__file__).parents[1] / "store" / "_sync_child.py"
DAYS = [f"2023-01-{d:02d}" for d in range(2, 9)]  # seven days


@pytest.fixture(scope="module")
def week(emulator: Emulator) -> pd.DataFrame:
    return cvframe.records_to_frame(
        emulator.records("2023-01-02T00:00:00Z", "2023-01-09T00:00:00Z")
    )


def _key(url: str, day: str) -> str:
    return f"{url.removeprefix('s3://')}/date={day}/part-0.parquet"


def _objects(url: str, options: dict[str, Any]) -> dict[str, bytes]:
    location = snapshot_location(url, options)
    fs = location.filesystem
    return {
        key[len(location.root) + 1 :]: fs.cat_file(key) for key in sorted(fs.find(location.root))
    }


def test_a_url_is_never_written_as_a_local_folder(
    frame_one_day: pd.DataFrame,
    memory_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before: pathlib folded memory://bucket/history into a local folder "memory:".
    monkeypatch.chdir(tmp_path)
    cvframe.write_snapshot(frame_one_day, memory_url)
    assert list(tmp_path.iterdir()) == []
    pd.testing.assert_frame_equal(cvframe.read_snapshot(memory_url), frame_one_day)
    with pytest.raises(ValueError, match="lost its '//'"):
        cvframe.write_snapshot(frame_one_day, Path("s3://bucket/history"))
    with pytest.raises(ValueError, match="which snapshots do not support"):
        cvframe.read_snapshot("ftp://host/history")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def frame_one_day(emulator: Emulator) -> pd.DataFrame:
    return cvframe.records_to_frame(
        emulator.records("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z")
    )


def test_write_and_read_on_s3_round_trip_with_one_object_per_day_and_nothing_else(
    week: pd.DataFrame, s3_url: str, s3_options: dict[str, Any]
) -> None:
    cvframe.write_snapshot(week, s3_url, storage_options=s3_options)
    pd.testing.assert_frame_equal(cvframe.read_snapshot(s3_url, storage_options=s3_options), week)
    # No lease left after the write, no temporary object ever.
    assert sorted(_objects(s3_url, s3_options)) == [f"date={d}/part-0.parquet" for d in DAYS]


def test_a_read_fetches_only_the_days_of_its_window(
    week: pd.DataFrame, s3_server_clean: S3Server, s3_url: str, s3_options: dict[str, Any]
) -> None:
    cvframe.write_snapshot(week, s3_url, storage_options=s3_options)
    s3_server_clean.clear_requests()
    part = cvframe.read_snapshot(
        s3_url, start="2023-01-04", end="2023-01-06", storage_options=s3_options
    )
    assert set(part["interval_start"].dt.strftime("%Y-%m-%d")) == {"2023-01-04", "2023-01-05"}
    fetched = {r.path for r in s3_server_clean.requests("GET", f"{_key(s3_url, '*')}")}
    assert fetched == {_key(s3_url, "2023-01-04"), _key(s3_url, "2023-01-05")}


FAULTS = {
    "500": lambda server, pattern: server.fail("PUT", pattern, times=50),
    "503-slowdown": lambda server, pattern: server.fail(
        "PUT", pattern, status=503, code="SlowDown", times=50
    ),
    "dropped-connection": lambda server, pattern: server.drop("PUT", pattern, times=50),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_store_fault_on_a_put_is_a_snapshot_error_naming_the_url_and_keeps_the_old_object(
    week: pd.DataFrame, s3_server_clean: S3Server, s3_url: str, fault: str
) -> None:
    options = s3_server_clean.fast_failing_options()
    cvframe.write_snapshot(week, s3_url, storage_options=options)
    before = _objects(s3_url, options)
    changed = week.copy()
    on_day = changed["interval_start"].dt.strftime("%Y-%m-%d").isin(["2023-01-04", "2023-01-05"])
    changed.loc[on_day, "offered_contacts"] = 999
    FAULTS[fault](s3_server_clean, _key(s3_url, "2023-01-04"))

    with pytest.raises(cvframe.SnapshotError) as caught:
        cvframe.write_snapshot(changed, s3_url, storage_options=options)
    s3_server_clean.clear_faults()
    message = str(caught.value)
    assert f"{s3_url}/date=2023-01-04/part-0.parquet" in message
    assert "still whole and readable" in message
    assert SECRET_KEY not in message and SECRET_KEY not in repr(caught.value.__cause__)
    # The day keeps its previous object; no later day was written; the lease is gone.
    assert _objects(s3_url, options) == before
    pd.testing.assert_frame_equal(cvframe.read_snapshot(s3_url, storage_options=options), week)


def test_a_held_lease_makes_a_writer_wait_then_fail_with_lock_error(
    week: pd.DataFrame, s3_url: str, s3_options: dict[str, Any]
) -> None:
    with (
        ObjectLease(snapshot_location(s3_url, s3_options), timeout=0),
        pytest.raises(cvframe.LockError, match=f"holds the lock on {s3_url}"),
    ):
        cvframe.write_snapshot(week, s3_url, storage_options=s3_options, lock_timeout=0.3)
    assert _objects(s3_url, s3_options) == {}


def test_credentials_never_show_in_reports_reprs_or_errors(
    fresh_emulator: Emulator, s3_url: str, s3_options: dict[str, Any]
) -> None:
    report = cvframe.sync(
        s3_url,
        start="2023-01-02",
        end="2023-01-03",
        storage_options=s3_options,
        **fresh_emulator.settings(),
    )
    assert report.path == s3_url
    for text in (str(report), report.to_json(), repr(report)):
        assert SECRET_KEY not in text
    location = snapshot_location(s3_url, s3_options)
    assert SECRET_KEY not in repr(location) and SECRET_KEY not in str(location)
    wrong = {**s3_options, "secret": "wrong-secret-value-42"}
    with pytest.raises(cvframe.SnapshotError) as caught:
        cvframe.read_snapshot(s3_url.replace("/history", "/absent"), storage_options=wrong)
    assert "wrong-secret-value-42" not in str(caught.value)


@pytest.fixture
def child_sync() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_sync_killed_mid_upload_leaves_no_partial_object_and_the_next_run_completes_once(
    fresh_emulator: Emulator,
    s3_server_clean: S3Server,
    s3_url: str,
    s3_options: dict[str, Any],
    child_sync: list[subprocess.Popen[str]],
) -> None:
    emu = fresh_emulator  # 2023-01-02 .. 2023-01-04
    stall = s3_server_clean.stall("PUT", _key(s3_url, "2023-01-03"))
    job = {
        "path": s3_url,
        "storage_options": s3_options,
        "lease_ttl": 2.0,
        "settings": emu.settings(),
        "start": "2023-01-02",
        "end": "2023-01-05",
    }
    child = subprocess.Popen(
        [sys.executable, str(CHILD)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    child_sync.append(child)
    assert child.stdin is not None
    child.stdin.write(json.dumps(job))
    child.stdin.close()
    stall.wait_reached(90)  # half of day 2's object is on the wire
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    stall.release.set()

    # Day 1 landed whole, day 2 never did; nothing else but the dead sync's lease.
    assert sorted(_objects(s3_url, s3_options)) == [
        ".cvframe.lease",
        "date=2023-01-02/part-0.parquet",
    ]
    partial = cvframe.read_snapshot(s3_url, storage_options=s3_options)
    assert partial["id"].is_unique
    assert set(partial["interval_start"].dt.strftime("%Y-%m-%d")) == {"2023-01-02"}

    report = cvframe.sync(
        s3_url,
        start="2023-01-02",
        end="2023-01-05",
        lock_timeout=10,
        storage_options=s3_options,
        **emu.settings(),
    )
    expected = cvframe.records_to_frame(emu.records("2023-01-02T00:00:00Z", "2023-01-05T00:00:00Z"))
    pd.testing.assert_frame_equal(
        cvframe.read_snapshot(s3_url, storage_options=s3_options), expected
    )
    assert report.high_water_mark == expected["interval_start"].max()
    assert sorted(_objects(s3_url, s3_options)) == [
        f"date={d}/part-0.parquet" for d in ("2023-01-02", "2023-01-03", "2023-01-04")
    ]


def test_cli_sync_and_export_take_a_url_and_an_endpoint(
    fresh_emulator: Emulator,
    s3_server_clean: S3Server,
    s3_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in fresh_emulator.env().items():
        monkeypatch.setenv(name, value)
    # The keys come from the store's own chain (AWS_ACCESS_KEY_ID..., set by the server).
    endpoint = ["--endpoint-url", s3_server_clean.endpoint_url]
    args = ["sync", s3_url, "--from", "2023-01-02", "--to", "2023-01-03", "--json"]
    assert main([*args, *endpoint, "--storage-option", "anon=false"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == s3_url and data["initial"] is True
    out = tmp_path / "wfm.csv"
    assert main(["export", s3_url, str(out), "--target", "generic", *endpoint]) == 0
    assert out.exists()
    assert main(["sync", s3_url, "--to", "2023-01-03", "--storage-option", "oops", *endpoint]) == 1
    assert "KEY=VALUE" in capsys.readouterr().err


def test_a_foreign_object_in_the_window_is_a_snapshot_error_naming_its_url(
    week: pd.DataFrame, s3_url: str, s3_options: dict[str, Any]
) -> None:
    cvframe.write_snapshot(week, s3_url, storage_options=s3_options)
    location = snapshot_location(s3_url, s3_options)
    foreign = io.BytesIO()
    pd.DataFrame({"a": [1]}).to_parquet(foreign)
    location.filesystem.pipe_file(
        location.child("date=2023-01-10", "part-0.parquet"), foreign.getvalue()
    )
    with pytest.raises(cvframe.SnapshotError, match="was not written by cvframe") as caught:
        cvframe.read_snapshot(s3_url, start="2023-01-10", storage_options=s3_options)
    assert str(caught.value).startswith(f"{s3_url}/date=2023-01-10/part-0.parquet ")
    # Outside the window it is never opened.
    cvframe.read_snapshot(s3_url, end="2023-01-10", storage_options=s3_options)
