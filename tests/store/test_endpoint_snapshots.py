"""Snapshots of the other history endpoints: agent performance, agent activity, skill volume.

A snapshot holds one endpoint, named in each file's metadata; its days are the UTC days
of the endpoint's interval column, its rows one per natural key. These tests build
frames from items shaped as the API sends them (no server); the sync tests against the
emulator are in ``test_endpoint_sync.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cvframe
from cvframe._endpoints import AGENT_PERFORMANCE, CALLVOLUME, SKILL_VOLUME
from cvframe._store import snapshot_days
from cvframe._store._keys import row_keys
from cvframe._store._read import read_snapshot
from cvframe._store._write import write_snapshot


def agent(agent_id: str, *intervals: tuple[str, list[tuple[str, int]]]) -> dict[str, Any]:
    """An agent-performance item: ``(interval start, [(queue id, handle ms), ...])`` each."""
    return {
        "agentId": agent_id,
        "intervals": [
            {
                "intervalStartTimeStamp": start,
                "intervalEndTimeStamp": (pd.Timestamp(start) + pd.Timedelta("15min")).isoformat(),
                "queues": [
                    {
                        "queueId": queue,
                        "queueName": queue.upper(),
                        "offeredContacts": 2,
                        "answeredContacts": 2,
                        "abandonedContacts": 0,
                        "completedContacts": 2,
                        "transferredContacts": 0,
                        "conversationHandleTime": handle,
                        "conversationTalkTime": handle // 2,
                        "acwDuration": handle // 4,
                        "holdDuration": 0,
                        "csatScore": 4.0,
                    }
                    for queue, handle in queues
                ],
            }
            for start, queues in intervals
        ],
    }


def performance(*items: dict[str, Any]) -> pd.DataFrame:
    return cvframe.records_to_frame(list(items), endpoint="agentperformance")


def activity(*events: tuple[str, str, str, str | None]) -> pd.DataFrame:
    """Events as the sample spells them: ``(AgentId, EventTime, Activity, ReasonCode)``."""
    updates = [
        {"AgentId": a, "EventTime": t, "Activity": act, "ReasonCode": code}
        for a, t, act, code in events
    ]
    return cvframe.records_to_frame(updates, endpoint="agentactivity")


def skills(record_id: str, version: int, start: str, *skill_ids: str) -> pd.DataFrame:
    record = {
        "_id": record_id,
        "__v": version,
        "queueId": "qu-1",
        "queueName": "Billing",
        "intervalStartTimeStamp": start,
        "intervalEndTimeStamp": (pd.Timestamp(start) + pd.Timedelta("15min")).isoformat(),
        "offeredContacts": 3,
        "skillBreakdown": [
            {
                "skillId": skill,
                "skillName": skill.title(),
                "skillGroupId": "sg-1",
                "skillGroupName": "Voice",
                "offeredContacts": 2 + version,
                "conversationHandleTime": 1000 * (version + 1),
            }
            for skill in skill_ids
        ],
    }
    return cvframe.records_to_frame([record], endpoint="skillvolume")


@pytest.fixture
def perf() -> pd.DataFrame:
    return performance(
        agent(
            "ag-1",
            ("2024-03-01T23:45:00Z", [("qu-1", 60000), ("qu-2", 30000)]),
            ("2024-03-02T00:00:00Z", [("qu-1", 90000)]),
        ),
        agent("ag-2", ("2024-03-01T23:45:00Z", [("qu-1", 120000)])),
    )


@pytest.fixture
def events() -> pd.DataFrame:
    return activity(
        ("ag-1", "03/01/2024 23:59:58", "available", None),
        ("ag-1", "03/02/2024 0:00:05", "busy", None),
        ("ag-2", "03/01/2024 9:13:12", "notready", "1"),
    )


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_agent_performance_round_trips_one_file_per_utc_day_of_interval_start(
    tmp_path: Path, perf: pd.DataFrame, backend: str
) -> None:
    write_snapshot(perf, tmp_path, endpoint="agentperformance")
    assert snapshot_days(tmp_path) == ["2024-03-01", "2024-03-02"]
    back = read_snapshot(tmp_path, dtype_backend=backend)  # type: ignore[arg-type]
    expected = cvframe.records_to_frame(
        [],
        endpoint="agentperformance",
        dtype_backend=backend,  # type: ignore[arg-type]
    )
    assert list(back.columns) == list(expected.columns)
    assert back.dtypes.to_dict() == expected.dtypes.to_dict()
    assert len(back) == 4
    pd.testing.assert_frame_equal(
        read_snapshot(tmp_path, endpoint="agentperformance"),
        perf.sort_values(list(AGENT_PERFORMANCE.sort_keys), ignore_index=True),
    )


def test_agent_activity_days_are_the_utc_days_of_event_time(
    tmp_path: Path, events: pd.DataFrame
) -> None:
    write_snapshot(events, tmp_path, endpoint="agentactivity")
    assert snapshot_days(tmp_path) == ["2024-03-01", "2024-03-02"]
    day = read_snapshot(tmp_path, start="2024-03-02", end="2024-03-03")
    assert day["activity"].tolist() == ["busy"]
    assert day["event_time"].tolist() == [pd.Timestamp("2024-03-02T00:00:05Z")]
    with pytest.raises(ValueError, match="queues= does not apply to agentactivity"):
        read_snapshot(tmp_path, queues=["qu-1"])


def test_each_file_names_the_endpoint_and_its_schema_version(
    tmp_path: Path, perf: pd.DataFrame
) -> None:
    write_snapshot(perf, tmp_path, endpoint="agentperformance")
    meta = pq.read_schema(tmp_path / "date=2024-03-01" / "part-0.parquet").metadata
    assert meta[b"cvframe.endpoint"] == b"agentperformance"
    assert meta[b"cvframe.schema_version"] == str(AGENT_PERFORMANCE.schema_version).encode()
    # Plain pandas reads the contract's dtypes back from the file's pandas metadata.
    plain = pd.read_parquet(tmp_path / "date=2024-03-01" / "part-0.parquet")
    assert str(plain["conversation_handle_time"].dtype) == "timedelta64[ms]"


def test_a_row_of_the_same_agent_interval_and_queue_is_replaced_by_the_newer_write(
    tmp_path: Path, perf: pd.DataFrame
) -> None:
    write_snapshot(perf, tmp_path, endpoint="agentperformance")
    before = (tmp_path / "date=2024-03-02" / "part-0.parquet").stat().st_mtime_ns
    later = performance(agent("ag-2", ("2024-03-01T23:45:00Z", [("qu-1", 150000), ("qu-3", 1)])))
    write_snapshot(later, tmp_path, endpoint="agentperformance")
    back = read_snapshot(tmp_path)
    assert len(back) == 5  # one row replaced, one added
    row = back[(back["agent_id"] == "ag-2") & (back["queue_id"] == "qu-1")]
    assert row["conversation_handle_time"].tolist() == [pd.Timedelta(150000, unit="ms")]
    # The other day was not rewritten.
    assert (tmp_path / "date=2024-03-02" / "part-0.parquet").stat().st_mtime_ns == before


def test_skill_rows_are_kept_by_record_and_skill_with_the_highest_version(tmp_path: Path) -> None:
    write_snapshot(skills("r1", 1, "2024-03-01T09:00:00Z", "billing", "spanish"), tmp_path,
                   endpoint="skillvolume")  # fmt: skip
    write_snapshot(skills("r1", 0, "2024-03-01T09:00:00Z", "billing"), tmp_path,
                   endpoint="skillvolume")  # fmt: skip
    write_snapshot(skills("r1", 2, "2024-03-01T09:00:00Z", "spanish"), tmp_path,
                   endpoint="skillvolume")  # fmt: skip
    back = read_snapshot(tmp_path)
    assert list(back.columns) == SKILL_VOLUME.column_names()
    # A record is kept whole at its newest version: v2 lists spanish only, so billing
    # (of v1) is gone, from the file as from the read (review 13, finding 1); v0,
    # older, changed nothing.
    by_skill = dict(zip(back["skill_id"], back["version"], strict=True))
    assert by_skill == {"spanish": 2}
    stored = pq.read_table(tmp_path / "date=2024-03-01" / "part-0.parquet")
    assert stored.select(["skill_id", "version"]).to_pylist() == [
        {"skill_id": "spanish", "version": 2}
    ]


def test_a_record_older_than_the_stored_one_adds_none_of_its_skills(tmp_path: Path) -> None:
    write_snapshot(skills("r1", 2, "2024-03-01T09:00:00Z", "spanish"), tmp_path,
                   endpoint="skillvolume")  # fmt: skip
    write_snapshot(skills("r1", 1, "2024-03-01T09:00:00Z", "billing", "spanish"), tmp_path,
                   endpoint="skillvolume")  # fmt: skip
    stored = pq.read_table(tmp_path / "date=2024-03-01" / "part-0.parquet")
    assert stored.select(["skill_id", "version"]).to_pylist() == [
        {"skill_id": "spanish", "version": 2}
    ]


def test_a_path_holding_another_endpoint_is_refused_naming_both(
    tmp_path: Path, perf: pd.DataFrame, events: pd.DataFrame
) -> None:
    write_snapshot(perf, tmp_path, endpoint="agentperformance")
    cv = cvframe.records_to_frame(
        [{"_id": "x", "queueId": "qu-1", "__v": 0,
          "intervalStartTimeStamp": "2024-03-01T09:00:00Z",
          "intervalEndTimeStamp": "2024-03-01T09:15:00Z"}]
    )  # fmt: skip
    far = activity(("ag-1", "06/01/2024 9:00:00", "busy", None))
    # A new day first, then a stored one: refused before the new day is written.
    around = activity(
        ("ag-1", "02/28/2024 9:00:00", "busy", None), ("ag-1", "03/01/2024 9:00:00", "acw", None)
    )
    for frame, endpoint in (
        (cv, "callvolume"),
        (events, "agentactivity"),
        (far, "agentactivity"),
        (around, "agentactivity"),
    ):
        # A day the snapshot holds, or only days it does not: refused either way.
        with pytest.raises(cvframe.SnapshotError, match="holds agentperformance rows") as err:
            write_snapshot(frame, tmp_path, endpoint=endpoint)
        assert endpoint in str(err.value)
    with pytest.raises(cvframe.SnapshotError, match=r"holds agentperformance rows, not callvolume"):
        read_snapshot(tmp_path, endpoint="callvolume")
    with pytest.raises(cvframe.SnapshotError, match="holds agentperformance"):
        cvframe.read_snapshot(tmp_path, endpoint="callvolume", start="2024-03-01")
    assert snapshot_days(tmp_path) == ["2024-03-01", "2024-03-02"]
    assert len(read_snapshot(tmp_path)) == 4


def test_a_snapshot_of_files_of_two_endpoints_is_refused_when_read(
    tmp_path: Path, perf: pd.DataFrame, events: pd.DataFrame
) -> None:
    write_snapshot(perf, tmp_path / "perf", endpoint="agentperformance")
    write_snapshot(events, tmp_path / "events", endpoint="agentactivity")
    (tmp_path / "events" / "date=2024-03-01").rename(tmp_path / "perf" / "date=2024-02-29")
    with pytest.raises(cvframe.SnapshotError, match=r"mixes endpoints: .* holds agentperf"):
        read_snapshot(tmp_path / "perf")
    with pytest.raises(cvframe.SnapshotError, match="holds agentactivity rows, not agentperf"):
        read_snapshot(tmp_path / "perf", endpoint="agentperformance")


def test_a_call_volume_file_written_before_endpoints_were_named_reads_as_call_volume(
    tmp_path: Path,
) -> None:
    cv = cvframe.records_to_frame(
        [{"_id": "x", "queueId": "qu-1", "__v": 0,
          "intervalStartTimeStamp": "2024-03-01T09:00:00Z",
          "intervalEndTimeStamp": "2024-03-01T09:15:00Z"}]
    )  # fmt: skip
    write_snapshot(cv, tmp_path)
    day = tmp_path / "date=2024-03-01" / "part-0.parquet"
    table = pq.read_table(day)
    meta = {k: v for k, v in table.schema.metadata.items() if k != b"cvframe.endpoint"}
    pq.write_table(table.replace_schema_metadata(meta), day)
    pd.testing.assert_frame_equal(read_snapshot(tmp_path), cv)
    write_snapshot(cv.assign(offered_contacts=pd.array([4], "Int64")), tmp_path)
    assert read_snapshot(tmp_path)["offered_contacts"].tolist() == [4]
    with pytest.raises(cvframe.SnapshotError, match="holds callvolume rows"):
        read_snapshot(tmp_path, endpoint="agentperformance")


@pytest.mark.parametrize("endpoint", ["queues", "agents"])
def test_directories_are_not_snapshots(tmp_path: Path, endpoint: str) -> None:
    frame = cvframe.records_to_frame([], endpoint=endpoint)
    with pytest.raises(ValueError, match=f"directory, not history.*read_{endpoint}"):
        write_snapshot(frame, tmp_path / "d", endpoint=endpoint)
    with pytest.raises(ValueError, match=f"read_{endpoint}"):
        read_snapshot(tmp_path, endpoint=endpoint)
    with pytest.raises(ValueError, match=f"read_{endpoint}"):
        cvframe.sync(tmp_path / "d", endpoint=endpoint, host="h", account_id="a", token="t")
    assert not (tmp_path / "d").exists()


def test_an_empty_window_of_an_agent_snapshot_reads_as_an_empty_frame_of_its_columns(
    tmp_path: Path, perf: pd.DataFrame
) -> None:
    write_snapshot(perf, tmp_path, endpoint="agentperformance")
    empty = read_snapshot(tmp_path, start="2025-01-01", end="2025-01-02")
    assert empty.empty
    assert list(empty.columns) == AGENT_PERFORMANCE.column_names()


def test_columns_are_checked_against_the_endpoint(tmp_path: Path, perf: pd.DataFrame) -> None:
    write_snapshot(perf, tmp_path, endpoint="agentperformance")
    part = read_snapshot(tmp_path, columns=["agent_id", "acw_duration"])
    assert list(part.columns) == ["agent_id", "acw_duration"]
    with pytest.raises(ValueError, match="not agent-performance columns"):
        read_snapshot(tmp_path, columns=["offered"])


def test_a_composite_key_is_one_string_no_two_keys_share() -> None:
    table = pa.table(
        {
            "agent_id": ["a", "a:1", "a", None, ""],
            "interval_start": pa.array([1, 1, 11, 1, 1], pa.timestamp("ms", tz="UTC")),
            "queue_id": ["1:q", "q", "q", "q", None],
        }
    )
    keys = row_keys(table, AGENT_PERFORMANCE).to_pylist()
    assert len(set(keys)) == len(keys)
    assert row_keys(table.slice(0, 1), AGENT_PERFORMANCE).to_pylist() == keys[:1]
    # One key column: the column itself, untouched (call volume's path).
    ids = pa.table({"id": ["a", "b"]})
    assert row_keys(ids, CALLVOLUME).to_pylist() == ["a", "b"]


def test_an_agents_events_of_one_second_keep_the_order_the_api_sent_them_in(
    tmp_path: Path,
) -> None:
    # notready then available at 09:00:00: the agent ends the second available. Sorting
    # the tie by activity's name put available first (review 13, finding 4).
    sent = activity(
        ("ag-1", "03/01/2024 9:00:00", "notready", "1"),
        ("ag-1", "03/01/2024 9:00:00", "available", None),
        ("ag-1", "03/01/2024 8:00:00", "busy", None),
    )
    assert sent["activity"].tolist() == ["busy", "notready", "available"]
    write_snapshot(sent, tmp_path, endpoint="agentactivity")
    assert read_snapshot(tmp_path)["activity"].tolist() == ["busy", "notready", "available"]
    stored = pq.read_table(tmp_path / "date=2024-03-01" / "part-0.parquet")
    assert stored["activity"].to_pylist() == ["busy", "notready", "available"]
    # A later write of the same events changes nothing, of one more event adds it.
    write_snapshot(sent, tmp_path, endpoint="agentactivity")
    more = activity(("ag-1", "03/01/2024 9:00:00", "acw", None))
    write_snapshot(more, tmp_path, endpoint="agentactivity")
    back = read_snapshot(tmp_path)["activity"].tolist()
    assert back == ["busy", "notready", "available", "acw"]
