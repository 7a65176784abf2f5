"""Parquet snapshots: dtypes survive every reader, filters skip days, writes are atomic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cvframe
from cvframe._store import snapshot_days
from cvframe._store._days import day_files
from cvframe._store._filters import row_filter
from cvframe._store._format import frame_to_table
from cvframe._store._lock import DatasetLock
from cvframe._store._prune import PruneScope
from cvframe._store._read import high_water_mark, open_dataset
from cvframe._store._upsert import upsert_table
from cvframe.emulator import Emulator

DAYS = ("2023-01-02", "2023-01-03", "2023-01-04")


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    """Three days of two queues in the API's wire format (no server needed)."""
    return Emulator(days=3, queues=2).records()


@pytest.fixture(scope="module")
def frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return cvframe.records_to_frame(records)


def part_file(root: Path, day: str) -> Path:
    return root / f"date={day}" / "part-0.parquet"


def file_states(root: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``root`` -> (inode, mtime in ns)."""
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_round_trip_keeps_values_and_contract_dtypes(
    tmp_path: Path, records: list[dict[str, Any]], backend: str
) -> None:
    df = cvframe.records_to_frame(records, dtype_backend=backend)  # type: ignore[arg-type]
    cvframe.write_snapshot(df, tmp_path)
    back = cvframe.read_snapshot(tmp_path, dtype_backend=backend)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(back, df)
    assert dict(back.dtypes) == cvframe.contract_dtypes(backend)  # type: ignore[arg-type]


def test_plain_pandas_read_parquet_gives_the_contract_dtypes(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    whole = pd.read_parquet(tmp_path)
    assert list(whole.columns) == [*frame.columns, "date"]
    pd.testing.assert_frame_equal(whole.drop(columns="date"), frame, check_index_type=False)
    one_day = pd.read_parquet(part_file(tmp_path, DAYS[1]))
    assert dict(one_day.dtypes) == cvframe.contract_dtypes()
    assert one_day["acw_duration"].dtype == "timedelta64[ms]"


def test_files_store_durations_as_arrow_milliseconds_and_say_who_wrote_them(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    schema = pq.read_schema(part_file(tmp_path, DAYS[0]))
    assert schema.field("acw_duration").type == pa.duration("ms")
    assert schema.field("interval_start").type == pa.timestamp("ms", tz="UTC")
    assert "date" not in schema.names  # the partition value lives in the directory name
    assert schema.metadata[b"cvframe.schema_version"] == str(cvframe.SCHEMA_VERSION).encode()
    assert schema.metadata[b"cvframe.version"] == cvframe.__version__.encode()


def test_rows_in_any_order_land_in_their_day(tmp_path: Path, frame: pd.DataFrame) -> None:
    shuffled = frame.sample(frac=1, random_state=7)
    cvframe.write_snapshot(shuffled, tmp_path)
    pd.testing.assert_frame_equal(cvframe.read_snapshot(tmp_path), frame)


def test_partitions_are_the_utc_days_of_interval_start(tmp_path: Path, frame: pd.DataFrame) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    days = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert days == [f"date={d}" for d in DAYS]
    for day in DAYS:
        starts = pd.read_parquet(part_file(tmp_path, day))["interval_start"]
        assert (starts.dt.strftime("%Y-%m-%d") == day).all()


def test_duckdb_reads_durations_as_integer_milliseconds(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    duckdb = pytest.importorskip("duckdb")
    cvframe.write_snapshot(frame, tmp_path)
    glob = str(tmp_path / "**" / "*.parquet")
    rows, acw_ms, days = duckdb.sql(
        f"SELECT count(*), sum(acw_duration), count(DISTINCT date) "
        f"FROM read_parquet('{glob}', hive_partitioning = true)"
    ).fetchall()[0]
    assert rows == len(frame)
    assert acw_ms == frame["acw_duration"].sum() // pd.Timedelta(milliseconds=1)
    assert days == len(DAYS)
    column_type = duckdb.sql(
        f"DESCRIBE SELECT acw_duration FROM read_parquet('{glob}')"
    ).fetchall()[0]
    assert column_type[1] == "BIGINT"


def test_polars_reads_durations_as_durations(tmp_path: Path, frame: pd.DataFrame) -> None:
    pl = pytest.importorskip("polars")
    cvframe.write_snapshot(frame, tmp_path)
    lazy = pl.scan_parquet(str(tmp_path / "**" / "*.parquet"), hive_partitioning=True)
    df = lazy.collect()
    assert df.height == len(frame)
    assert df.schema["acw_duration"] == pl.Duration("ms")
    assert df.schema["interval_start"] == pl.Datetime("ms", "UTC")
    total = df["acw_duration"].sum()
    assert pd.Timedelta(total) == frame["acw_duration"].sum()


def test_window_and_queue_filters(tmp_path: Path, frame: pd.DataFrame) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    start, end = pd.Timestamp("2023-01-03T09:00Z"), pd.Timestamp("2023-01-04T00:15Z")
    got = cvframe.read_snapshot(tmp_path, start=start, end=end, queues="Tech Support")
    wanted = frame[
        (frame["interval_start"] >= start)
        & (frame["interval_start"] < end)
        & (frame["queue_name"] == "Tech Support")
    ].reset_index(drop=True)
    assert len(wanted) > 0
    pd.testing.assert_frame_equal(got, wanted)
    by_id = cvframe.read_snapshot(tmp_path, queues=[frame.loc[0, "queue_id"]])
    assert set(by_id["queue_id"]) == {frame.loc[0, "queue_id"]}


def test_columns_come_back_in_the_order_asked_with_contract_dtypes(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    got = cvframe.read_snapshot(tmp_path, columns=["offered_contacts", "interval_start"])
    assert list(got.columns) == ["offered_contacts", "interval_start"]
    assert got["offered_contacts"].dtype == "Int64"
    assert got["offered_contacts"].tolist() == frame["offered_contacts"].tolist()


def test_days_outside_the_window_are_not_opened(tmp_path: Path, frame: pd.DataFrame) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    # Garbage where the first and last days' files are: reading them would fail.
    for day in (DAYS[0], DAYS[2]):
        part_file(tmp_path, day).write_bytes(b"not parquet at all")
    middle = cvframe.read_snapshot(tmp_path, start=DAYS[1], end=DAYS[2])
    expected = frame[frame["interval_start"].dt.strftime("%Y-%m-%d") == DAYS[1]]
    pd.testing.assert_frame_equal(middle, expected.reset_index(drop=True))
    with pytest.raises(cvframe.SnapshotError, match=r"cannot read the snapshot.*[Pp]arquet"):
        cvframe.read_snapshot(tmp_path)


def test_scanner_selects_only_the_fragments_of_the_window(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    expr = row_filter(pd.Timestamp("2023-01-03T12:00Z"), pd.Timestamp("2023-01-04T00:00Z"), None)
    paths = [
        Path(f.path).parent.name
        for f in open_dataset(day_files(tmp_path)).get_fragments(filter=expr)
    ]
    assert paths == ["date=2023-01-03"]


def test_window_is_half_open(tmp_path: Path, frame: pd.DataFrame) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    first = frame["interval_start"].iloc[0]
    got = cvframe.read_snapshot(tmp_path, start=first, end=first + pd.Timedelta(minutes=15))
    assert set(got["interval_start"]) == {first}
    with pytest.raises(ValueError, match="must be after start"):
        cvframe.read_snapshot(tmp_path, start=DAYS[1], end=DAYS[0])


def test_higher_version_replaces_the_row_and_lower_version_is_ignored(
    tmp_path: Path, records: list[dict[str, Any]]
) -> None:
    cvframe.write_snapshot(cvframe.records_to_frame(records), tmp_path)
    target = records[10]
    newer = {**target, "__v": 3, "offeredContacts": 999}
    cvframe.write_snapshot(cvframe.records_to_frame([newer]), tmp_path)
    older = {**target, "__v": 1, "offeredContacts": 5}
    cvframe.write_snapshot(cvframe.records_to_frame([older]), tmp_path)
    back = cvframe.read_snapshot(tmp_path)
    assert len(back) == len(records)
    row = back[back["id"] == target["_id"]]
    assert row["version"].tolist() == [3]
    assert row["offered_contacts"].tolist() == [999]


def test_same_version_with_new_values_replaces_the_row(
    tmp_path: Path, records: list[dict[str, Any]]
) -> None:
    cvframe.write_snapshot(cvframe.records_to_frame(records), tmp_path)
    changed = {**records[0], "offeredContacts": 77}  # __v unchanged: the latest answer wins
    cvframe.write_snapshot(cvframe.records_to_frame([changed]), tmp_path)
    back = cvframe.read_snapshot(tmp_path)
    assert back.loc[back["id"] == records[0]["_id"], "offered_contacts"].tolist() == [77]


def test_replace_mode_makes_a_day_exactly_the_frame(tmp_path: Path, frame: pd.DataFrame) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    day_two = frame[frame["interval_start"].dt.strftime("%Y-%m-%d") == DAYS[1]]
    cvframe.write_snapshot(day_two.head(3), tmp_path, mode="replace")
    back = cvframe.read_snapshot(tmp_path)
    assert (back["interval_start"].dt.strftime("%Y-%m-%d") == DAYS[1]).sum() == 3
    assert len(back) == len(frame) - len(day_two) + 3


def test_writing_the_same_rows_again_changes_no_file(tmp_path: Path, frame: pd.DataFrame) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    before = file_states(tmp_path)
    cvframe.write_snapshot(frame, tmp_path)
    cvframe.write_snapshot(frame, tmp_path, mode="replace")
    assert file_states(tmp_path) == before


def test_an_update_rewrites_only_its_own_day(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    cvframe.write_snapshot(cvframe.records_to_frame(records), tmp_path)
    before = file_states(tmp_path)
    last = {**records[-1], "__v": 1, "answeredContacts": 0}
    cvframe.write_snapshot(cvframe.records_to_frame([last]), tmp_path)
    after = file_states(tmp_path)
    changed = sorted(k for k in before if before[k] != after[k])
    assert changed == [f"date={DAYS[2]}/part-0.parquet"]


def test_readers_ignore_and_writers_remove_a_killed_writers_temp_file(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    leftover = tmp_path / f"date={DAYS[0]}" / ".part-0.parquet.abc123.tmp"
    leftover.write_bytes(b"PAR1 half a file")
    assert len(cvframe.read_snapshot(tmp_path)) == len(frame)
    assert len(pd.read_parquet(tmp_path)) == len(frame)
    cvframe.write_snapshot(frame.head(1), tmp_path)
    assert not leftover.exists()


def test_a_file_of_another_schema_version_is_refused(tmp_path: Path, frame: pd.DataFrame) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    path = part_file(tmp_path, DAYS[0])
    table = pq.read_table(path)
    meta = {**table.schema.metadata, b"cvframe.schema_version": b"99"}
    pq.write_table(table.replace_schema_metadata(meta), path)
    with pytest.raises(cvframe.SnapshotError, match="schema version 99"):
        cvframe.read_snapshot(tmp_path)
    # A window without that day is still readable.
    assert len(cvframe.read_snapshot(tmp_path, start=DAYS[1])) > 0


def test_errors_name_what_is_wrong(tmp_path: Path, frame: pd.DataFrame) -> None:
    with pytest.raises(cvframe.SnapshotError, match="no snapshot at"):
        cvframe.read_snapshot(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(cvframe.SnapshotError, match="is a file"):
        cvframe.write_snapshot(frame, tmp_path / "file")
    cvframe.write_snapshot(frame, tmp_path / "ok")
    with pytest.raises(ValueError, match="not call-volume columns"):
        cvframe.read_snapshot(tmp_path / "ok", columns=["offered"])
    with pytest.raises(cvframe.SchemaError):
        cvframe.write_snapshot(frame.drop(columns="id"), tmp_path / "ok")
    with pytest.raises(ValueError, match="mode"):
        cvframe.write_snapshot(frame, tmp_path / "ok", mode="append")  # type: ignore[arg-type]


def test_an_empty_directory_reads_as_an_empty_frame(tmp_path: Path) -> None:
    got = cvframe.read_snapshot(tmp_path)
    assert got.empty
    assert dict(got.dtypes) == cvframe.contract_dtypes()
    assert high_water_mark(day_files(tmp_path)) is None


def test_high_water_mark_is_the_latest_interval_start(tmp_path: Path, frame: pd.DataFrame) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    assert high_water_mark(day_files(tmp_path)) == frame["interval_start"].max()


def test_snapshot_days_lists_the_days_holding_a_file_sorted(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    assert snapshot_days(tmp_path / "missing") == []
    cvframe.write_snapshot(frame, tmp_path)
    (tmp_path / "date=2022-12-31").mkdir()  # a day left without its file (a crash)
    (tmp_path / "notes").mkdir()
    assert snapshot_days(str(tmp_path)) == ["2023-01-02", "2023-01-03", "2023-01-04"]
    assert snapshot_days(tmp_path) == sorted(
        frame["interval_start"].dt.strftime("%Y-%m-%d").unique()
    )


def test_a_held_lock_makes_a_writer_fail_with_lock_error(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    with DatasetLock(tmp_path, timeout=0):
        with pytest.raises(cvframe.LockError, match="holds the lock on"):
            cvframe.write_snapshot(frame, tmp_path, lock_timeout=0.1)
        assert not any(tmp_path.glob("date=*"))
    cvframe.write_snapshot(frame, tmp_path, lock_timeout=0)
    assert len(cvframe.read_snapshot(tmp_path)) == len(frame)


def test_a_window_starting_before_the_year_1000_still_opens_every_day(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    # The partition bound is written with a four-digit year: "999-01-01" would sort
    # after "2023-01-02" as text and skip every day.
    cvframe.write_snapshot(frame, tmp_path)
    assert len(cvframe.read_snapshot(tmp_path, start="0999-01-01")) == len(frame)
    assert len(cvframe.read_snapshot(tmp_path, start="0999-01-01", end="2023-01-03")) > 0
    assert cvframe.read_snapshot(tmp_path, end="0999-06-01").empty


def test_text_with_a_lone_surrogate_is_a_clear_error_not_a_unicode_error(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    bad = frame.head(2).copy()
    bad["queue_name"] = pd.array(["ok", "Sales\ud800"], dtype=pd.StringDtype("python"))
    with pytest.raises(cvframe.SchemaError, match=r"queue_name.*lone surrogate"):
        cvframe.write_snapshot(bad, tmp_path)
    cvframe.write_snapshot(frame, tmp_path)
    with pytest.raises(ValueError, match=r"queues.*lone surrogate"):
        cvframe.read_snapshot(tmp_path, queues=["Sales\ud800"])


# --------------------------------------------------------------------------- pruning


def _table(df: pd.DataFrame) -> pa.Table:
    return frame_to_table(df)


def test_a_prune_scope_covers_its_window_and_queues_only(frame: pd.DataFrame) -> None:
    scope = PruneScope(
        pd.Timestamp("2023-01-03T06:00Z"), pd.Timestamp("2023-01-04T00:00Z"), ("qu-2",)
    )
    table = _table(frame)
    inside = frame[
        (frame["interval_start"] >= scope.begin)
        & (frame["interval_start"] < scope.stop)
        & ((frame["queue_id"] == "qu-2") | (frame["queue_name"] == "qu-2"))
    ]
    assert sum(scope.contains(table).to_pylist()) == len(inside)
    assert scope.days(DAYS) == ["2023-01-03"]
    assert PruneScope(None, pd.Timestamp("2023-01-03T00:00:00.001Z")).days(DAYS) == [
        "2023-01-02",
        "2023-01-03",
    ]


def test_prune_goes_with_upsert_only(tmp_path: Path, frame: pd.DataFrame) -> None:
    scope = PruneScope(None, pd.Timestamp("2023-01-05T00:00Z"))
    with pytest.raises(ValueError, match="prune= goes with mode='upsert' only"):
        upsert_table(day_files(tmp_path), _table(frame), mode="replace", prune=scope)


def test_a_moved_record_fetched_at_a_lower_version_than_its_stored_copy_keeps_the_copy(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    first = frame.iloc[[0]].copy()  # 2023-01-02
    newer = first.assign(
        version=pd.array([5], dtype="Int64"), offered_contacts=pd.array([77], dtype="Int64")
    )
    cvframe.write_snapshot(newer, tmp_path)
    # A (stale) answer puts the record on 2023-01-04 at version 1: versions only go
    # up, so the stored version 5 stays where it is and the stale copy is not written.
    stale = first.assign(
        version=pd.array([1], dtype="Int64"),
        interval_start=pd.Series([pd.Timestamp("2023-01-04T05:00Z")], index=first.index),
        interval_end=pd.Series([pd.Timestamp("2023-01-04T05:15Z")], index=first.index),
    )
    stale = stale.astype({"interval_start": frame.dtypes["interval_start"]})
    stale = stale.astype({"interval_end": frame.dtypes["interval_end"]})
    scope = PruneScope(pd.Timestamp("2023-01-04T05:00Z"), pd.Timestamp("2023-01-04T05:15Z"))
    keep = frame[(frame["interval_start"] == scope.begin)]
    result = upsert_table(
        day_files(tmp_path), _table(pd.concat([keep, stale], ignore_index=True)), prune=scope
    )
    assert (result.inserted, result.updated, result.removed, result.partitions) == (0, 0, 0, ())
    stored = cvframe.read_snapshot(tmp_path)
    assert len(pd.read_parquet(tmp_path)) == len(stored) == len(frame)
    row = stored.set_index("id").loc[first["id"].iloc[0]]
    assert (row["version"], row["offered_contacts"]) == (5, 77)


def test_an_empty_day_directory_left_by_a_crash_is_removed_by_the_next_write(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    cvframe.write_snapshot(frame, tmp_path)
    (tmp_path / "date=2023-01-09").mkdir()  # a kill between removing a day's file and its dir
    assert len(cvframe.read_snapshot(tmp_path)) == len(frame)
    assert len(pd.read_parquet(tmp_path)) == len(frame)
    cvframe.write_snapshot(frame.iloc[:1], tmp_path)
    assert not (tmp_path / "date=2023-01-09").exists()


def test_a_day_file_out_of_order_or_breaking_the_contract_reads_as_written(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    # read_snapshot skips its sort when the rows are in order and checks the contract on
    # the Arrow table: a hand-made file must still come back sorted, or be refused.
    cvframe.write_snapshot(frame, tmp_path)
    expected = cvframe.read_snapshot(tmp_path)
    path = part_file(tmp_path, DAYS[0])
    table = pq.read_table(path)
    pq.write_table(table.take(pa.array(range(table.num_rows - 1, -1, -1))), path)
    pd.testing.assert_frame_equal(cvframe.read_snapshot(tmp_path), expected)
    offered = table["offered_contacts"].to_pylist()
    offered[0] = -1
    broken = table.set_column(
        table.schema.get_field_index("offered_contacts"),
        table.schema.field("offered_contacts"),
        pa.array(offered, table["offered_contacts"].type),
    )
    pq.write_table(broken, path)
    with pytest.raises(cvframe.SchemaError, match="offered_contacts"):
        cvframe.read_snapshot(tmp_path)
