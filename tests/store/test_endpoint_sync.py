"""sync of the other history endpoints against the emulator: skill volume, agent
performance (rows without a version) and agent activity (a high-water mark of event
times): idempotent, updated, pruned, killed and rerun, one endpoint per path, the CLI.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._endpoints import endpoint_named
from cvframe._store import read_snapshot, sync
from cvframe._store._layout import sort_keys
from cvframe.emulator import Emulator
from tests.fakes import EditingTransport

CHILD = Path(__file__).with_name("_sync_child.py")
DAY = "2023-01-02T00:00:00Z"
NEXT_DAY = "2023-01-03T00:00:00Z"
#: The endpoints synced here (call volume's own tests are in test_sync.py).
ENDPOINTS = ["skillvolume", "agentperformance", "agentactivity"]
#: The list of items in each endpoint's answer, as the emulator spells it.
ITEMS_KEY = {
    "skillvolume": "CallVolumeUpdate",
    "agentperformance": "AgentPerformance",
    "agentactivity": "AgentUpdates",
}
Edit = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """Three days of two queues; never changed (edits go through a transport)."""
    with Emulator(days=3, queues=2) as emulator:
        yield emulator


def served_items(emu: Emulator, endpoint: str, start: str, end: str) -> list[dict[str, Any]]:
    """The items the emulator serves for ``[start, end)``, as the endpoint answers them."""
    if endpoint == "skillvolume":
        return emu.records(start, end, skill_breakdown=True)
    if endpoint == "agentperformance":
        return emu.agent_performance(start, end)
    return emu.agent_activity(start, end)


def as_frame(endpoint: str, items: list[dict[str, Any]]) -> pd.DataFrame:
    """What a snapshot holding exactly ``items`` reads as."""
    df = cvframe.records_to_frame(items, endpoint=endpoint)
    order = [name for name, _ in sort_keys(endpoint_named(endpoint))]
    return df.sort_values(order, ignore_index=True)


def states(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*.parquet"))
    }


def late(endpoint: str, item: dict[str, Any]) -> bool:
    """Whether ``item`` lies in the last two hours of the first day (the lookback)."""
    if endpoint == "agentactivity":
        when = pd.to_datetime(item["EventTime"], format="%m/%d/%Y %H:%M:%S", utc=True)
    else:
        when = pd.Timestamp(item["intervalStartTimeStamp"])
    return pd.Timestamp("2023-01-02T22:00:00Z") <= when < pd.Timestamp(NEXT_DAY)


def _rows(
    endpoint: str, items: list[dict[str, Any]]
) -> Iterator[tuple[Any, dict[str, Any], list[dict[str, Any]]]]:
    """``(identity, row, the list holding it)`` for each late row of ``items``: an
    agent's interval, a call-volume record (with its skills), an activity event."""
    for item in list(items):
        if endpoint == "agentperformance":
            for interval in list(item["intervals"]):
                if late(endpoint, interval):
                    key = (item["agentId"], interval["intervalStartTimeStamp"])
                    yield key, interval, item["intervals"]
        elif late(endpoint, item):
            key = item["_id"] if endpoint == "skillvolume" else tuple(sorted(item.items()))
            yield key, item, items


def _edit_target(
    endpoint: str, served: list[dict[str, Any]], change: Callable[[dict[str, Any]], bool]
) -> Edit:
    """An edit applying ``change`` to the first late row of ``served`` it can change,
    wherever a page holds that row (``change`` returns False where it cannot; a row
    it marks ``__drop`` leaves its list)."""
    rows = _rows(endpoint, copy.deepcopy(served))
    target = next(key for key, row, _ in rows if change(row))

    def edit(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items = copy.deepcopy(items)
        for key, row, holder in _rows(endpoint, items):
            if key == target:
                change(row)
                if row.get("__drop"):
                    holder.remove(row)
        return items

    return edit


def change_one(endpoint: str, served: list[dict[str, Any]]) -> Edit:
    """One late row changed upstream: a new value (for skill volume a new version of its
    record; for activity an event whose activity changed)."""

    def change(row: dict[str, Any]) -> bool:
        if endpoint == "agentperformance":
            row["queues"][0]["conversationHandleTime"] += 1000
        elif endpoint == "skillvolume":
            row["__v"] += 1
            row["skillBreakdown"][0]["offeredContacts"] += 5
        else:
            row["Activity"] = "acw" if row["Activity"] != "acw" else "busy"
        return True

    return _edit_target(endpoint, served, change)


def drop_one(endpoint: str, served: list[dict[str, Any]]) -> Edit:
    """Late rows gone upstream: an interval of an agent (with others left), a skill of a
    record, an event."""

    def change(row: dict[str, Any]) -> bool:
        if endpoint == "skillvolume":
            if len(row["skillBreakdown"]) < 2:
                return False
            del row["skillBreakdown"][0]
        else:
            row["__drop"] = True
        return True

    return _edit_target(endpoint, served, change)


@contextlib.contextmanager
def editing(endpoint: str, edit: Edit) -> Iterator[EditingTransport]:
    """A transport: the emulator's answers of ``endpoint`` with ``edit`` applied to their items."""

    def on_body(body: dict[str, Any]) -> dict[str, Any]:
        key = ITEMS_KEY[endpoint]
        if key in body:
            body[key] = edit(body[key])
        return body

    transport = EditingTransport(on_body)
    try:
        yield transport
    finally:
        transport.close()


def first_sync(emu: Emulator, path: Path, endpoint: str) -> cvframe.SyncReport:
    return sync(path, start=DAY, end=NEXT_DAY, endpoint=endpoint, **emu.settings())


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_second_sync_changes_nothing_and_the_snapshot_is_what_the_api_serves(
    emu: Emulator, tmp_path: Path, endpoint: str
) -> None:
    first = first_sync(emu, tmp_path, endpoint)
    expected = as_frame(endpoint, served_items(emu, endpoint, DAY, NEXT_DAY))
    assert (first.initial, first.endpoint) == (True, endpoint)
    assert first.rows_fetched == first.rows_inserted == len(expected) > 0
    assert first.partitions_rewritten == ("2023-01-02",)
    column = endpoint_named(endpoint).interval_column
    assert column is not None
    assert first.high_water_mark == expected[column].max()
    pd.testing.assert_frame_equal(read_snapshot(tmp_path), expected)

    before = states(tmp_path)
    again = sync(tmp_path, end=NEXT_DAY, endpoint=endpoint, **emu.settings())
    assert not again.initial
    assert again.window_start == first.high_water_mark - pd.Timedelta("2h")
    assert again.rows_fetched > 0
    assert (again.rows_inserted, again.rows_updated, again.rows_removed) == (0, 0, 0)
    assert again.partitions_rewritten == ()
    assert states(tmp_path) == before
    assert again.to_dict()["endpoint"] == endpoint


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_row_changed_upstream_is_replaced(emu: Emulator, tmp_path: Path, endpoint: str) -> None:
    first_sync(emu, tmp_path, endpoint)
    edit = change_one(endpoint, served_items(emu, endpoint, DAY, NEXT_DAY))
    # Agent activity is pruned only when asked (its answers carry no count): see
    # test_an_activity_sync_answered_nothing_keeps_the_stored_events_unless_asked_to_prune.
    with editing(endpoint, edit) as transport:
        report = sync(tmp_path, end=NEXT_DAY, endpoint=endpoint, transport=transport,
                      prune=True if endpoint == "agentactivity" else None,
                      **emu.settings())  # fmt: skip
    original = as_frame(endpoint, served_items(emu, endpoint, DAY, NEXT_DAY))
    expected = as_frame(endpoint, edit(served_items(emu, endpoint, DAY, NEXT_DAY)))
    pd.testing.assert_frame_equal(read_snapshot(tmp_path), expected)
    hashes = pd.util.hash_pandas_object(expected, index=False)
    changed = expected[~hashes.isin(pd.util.hash_pandas_object(original, index=False))]
    if endpoint == "agentactivity":
        # Every column is the key of an event: the changed one is a new event, and the
        # one the API no longer has is removed.
        assert (report.rows_inserted, report.rows_updated, report.rows_removed) == (1, 0, 1)
    else:
        # By version (skill volume: each skill row of the record has the new version)
        # or, without versions, by agent x interval x queue.
        if endpoint == "agentperformance":
            assert len(changed) == 1
        else:
            (record,) = set(changed["id"])
            assert len(changed) == (expected["id"] == record).sum() >= 1
        counts = (report.rows_inserted, report.rows_updated, report.rows_removed)
        assert counts == (0, len(changed), 0)
    assert report.partitions_rewritten == ("2023-01-02",)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_row_gone_upstream_within_the_window_is_pruned(
    emu: Emulator, tmp_path: Path, endpoint: str
) -> None:
    first_sync(emu, tmp_path, endpoint)
    edit = drop_one(endpoint, served_items(emu, endpoint, DAY, NEXT_DAY))
    with editing(endpoint, edit) as transport:
        report = sync(tmp_path, end=NEXT_DAY, endpoint=endpoint, transport=transport,
                      prune=True if endpoint == "agentactivity" else None,
                      **emu.settings())  # fmt: skip
    original = as_frame(endpoint, served_items(emu, endpoint, DAY, NEXT_DAY))
    expected = as_frame(endpoint, edit(served_items(emu, endpoint, DAY, NEXT_DAY)))
    assert len(original) > len(expected)
    gone = len(original) - len(expected)
    assert (report.rows_inserted, report.rows_updated, report.rows_removed) == (0, 0, gone)
    pd.testing.assert_frame_equal(read_snapshot(tmp_path), expected)


def test_later_activity_syncs_resume_from_the_latest_event_time(
    emu: Emulator, tmp_path: Path
) -> None:
    first = first_sync(emu, tmp_path, "agentactivity")
    assert first.high_water_mark is not None
    assert first.high_water_mark.second != 0 or first.high_water_mark.minute % 15 != 0
    report = sync(tmp_path, end="2023-01-04", lookback="30min", endpoint="agentactivity",
                  **emu.settings())  # fmt: skip
    assert report.window_start == first.high_water_mark - pd.Timedelta("30min")
    query = emu.requests[-1].query
    assert query is not None
    # The lookback re-read the first day's last half hour, unchanged: not rewritten.
    assert report.partitions_rewritten == ("2023-01-03",)
    expected = as_frame("agentactivity", served_items(emu, "agentactivity", DAY, "2023-01-04"))
    pd.testing.assert_frame_equal(read_snapshot(tmp_path), expected)


def test_an_activity_sync_with_no_stored_event_before_its_end_asks_for_start(
    emu: Emulator, tmp_path: Path
) -> None:
    # The snapshot holds a day, but none of its events is before end=: there is no
    # high-water mark to go on from, and this is no first sync (it used to say so).
    first_sync(emu, tmp_path, "agentactivity")
    before = len(emu.requests)
    with pytest.raises(ValueError, match="holds no agentactivity event before end=") as told:
        sync(tmp_path, end=DAY, endpoint="agentactivity", **emu.settings())
    assert "first sync" not in str(told.value)
    assert "pass start=" in str(told.value)
    assert len(emu.requests) == before


def test_activity_times_are_read_in_the_time_zone_given(tmp_path: Path) -> None:
    zone, end = "America/New_York", "2023-01-02T12:00:00Z"
    with Emulator(days=1, queues=1, activity_time_zone=zone) as emu:
        report = sync(tmp_path / "ny", start=DAY, end=end, endpoint="agentactivity",
                      time_zone=zone, **emu.settings())  # fmt: skip
        as_utc = sync(tmp_path / "utc", start=DAY, end=end, endpoint="agentactivity",
                      **emu.settings())  # fmt: skip
        served = emu.agent_activity(DAY, end)
    expected = cvframe.records_to_frame(served, endpoint="agentactivity", time_zone=zone)
    expected = expected.sort_values(["event_time", "agent_id"], ignore_index=True)
    assert report.rows_inserted == len(expected) > 0
    pd.testing.assert_frame_equal(read_snapshot(tmp_path / "ny"), expected)
    # Read as UTC, the same wall times are five hours earlier: another window's events.
    assert as_utc.high_water_mark is not None and report.high_water_mark is not None
    assert report.high_water_mark - as_utc.high_water_mark == pd.Timedelta("5h")
    assert read_snapshot(tmp_path / "utc")["event_time"].min() >= pd.Timestamp(DAY)


def test_options_that_do_not_apply_are_refused_before_anything_is_read(
    emu: Emulator, tmp_path: Path
) -> None:
    before = len(emu.requests)
    with pytest.raises(ValueError, match="first sync of agentactivity needs start"):
        sync(tmp_path / "a", end=NEXT_DAY, endpoint="agentactivity", **emu.settings())
    with pytest.raises(ValueError, match="queues= does not apply to agentactivity"):
        sync(tmp_path / "b", start=DAY, end=NEXT_DAY, endpoint="agentactivity",
             queues=["Sales"], **emu.settings())  # fmt: skip
    with pytest.raises(ValueError, match="time_zone= does not apply to agentperformance"):
        sync(tmp_path / "c", start=DAY, end=NEXT_DAY, endpoint="agentperformance",
             time_zone="UTC", **emu.settings())  # fmt: skip
    with pytest.raises(ValueError, match="endpoint must be one of"):
        sync(tmp_path / "d", end=NEXT_DAY, endpoint="calls", **emu.settings())
    assert len(emu.requests) == before
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()


def test_agent_performance_needs_no_org_id(emu: Emulator, tmp_path: Path) -> None:
    settings = emu.client_settings()
    assert "org_id" not in settings
    report = sync(tmp_path, start=DAY, end="2023-01-02T02:00:00Z", endpoint="agentperformance",
                  **settings)  # fmt: skip
    assert report.rows_inserted > 0


def test_a_queue_filtered_agent_performance_sync_keeps_only_its_queue(
    emu: Emulator, tmp_path: Path
) -> None:
    name = emu.queues()[0]["Description"]
    report = sync(tmp_path, start=DAY, end=NEXT_DAY, endpoint="agentperformance",
                  queues=[name], **emu.settings())  # fmt: skip
    stored = read_snapshot(tmp_path)
    assert set(stored["queue_name"]) == {name}
    assert report.rows_inserted == len(stored) > 0
    assert len(read_snapshot(tmp_path, queues=[name])) == len(stored)


def test_one_path_holds_one_endpoint(emu: Emulator, tmp_path: Path) -> None:
    first_sync(emu, tmp_path, "agentperformance")
    before = states(tmp_path)
    for other in ("callvolume", "skillvolume", "agentactivity"):
        with pytest.raises(cvframe.SnapshotError, match=f"agentperformance rows, not {other}"):
            sync(tmp_path, start=DAY, end=NEXT_DAY, endpoint=other, **emu.settings())
    assert states(tmp_path) == before


# Where a sync is killed: (step, occurrence); the run writes days 2023-01-02 to 04 (the
# window is short, for time: it touches three days all the same).
KILL_START, KILL_END = "2023-01-02T20:00:00Z", "2023-01-04T04:00:00Z"
KILL_POINTS = [
    ("before_upsert", 1),
    ("partial_temp", 1),
    ("temp_written", 2),
    ("before_commit", 3),
    ("after_commit", 1),
    ("after_commit", 3),
]


@pytest.mark.parametrize(("step", "n"), KILL_POINTS, ids=[f"{s}-{n}" for s, n in KILL_POINTS])
def test_an_agent_performance_sync_killed_with_sigkill_then_rerun_has_every_row_once(
    emu: Emulator, tmp_path: Path, step: str, n: int
) -> None:
    job = {
        "path": str(tmp_path),
        "settings": emu.settings(),
        "start": KILL_START,
        "end": KILL_END,
        "endpoint": "agentperformance",
        "kill": {"step": step, "n": n},
    }
    # The child imports the cvframe this test runs (not another install of it).
    root = str(Path(cvframe.__file__).resolve().parent.parent)
    path = os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])
    killed = subprocess.run(
        [sys.executable, str(CHILD)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert killed.returncode == -9, killed.stderr
    if tmp_path.exists() and any(tmp_path.glob("date=*/part-0.parquet")):
        partial = read_snapshot(tmp_path)
        keys = ["agent_id", "interval_start", "queue_id"]
        assert not partial.duplicated(keys).any()
        assert len(pd.read_parquet(tmp_path)) == len(partial)
    report = sync(tmp_path, start=KILL_START, end=KILL_END, lock_timeout=5,
                  endpoint="agentperformance", **emu.settings())  # fmt: skip
    expected = as_frame(
        "agentperformance", served_items(emu, "agentperformance", KILL_START, KILL_END)
    )
    pd.testing.assert_frame_equal(read_snapshot(tmp_path), expected)
    assert report.high_water_mark == expected["interval_start"].max()
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".parquet"
                and p.name != ".cvframe.lock"]  # fmt: skip


def test_agent_performance_syncs_to_s3_like_call_volume(
    emu: Emulator, s3_url: str, s3_options: dict[str, Any]
) -> None:
    url = f"{s3_url}/agentperformance"
    first = sync(url, start=DAY, end=NEXT_DAY, endpoint="agentperformance",
                 storage_options=s3_options, **emu.settings())  # fmt: skip
    expected = as_frame("agentperformance", served_items(emu, "agentperformance", DAY, NEXT_DAY))
    assert first.rows_inserted == len(expected)
    pd.testing.assert_frame_equal(read_snapshot(url, storage_options=s3_options), expected)
    again = sync(url, end=NEXT_DAY, endpoint="agentperformance", storage_options=s3_options,
                 **emu.settings())  # fmt: skip
    assert (again.rows_inserted, again.rows_updated, again.partitions_rewritten) == (0, 0, ())
    for secret in s3_options.values():
        if isinstance(secret, str) and len(secret) > 8 and "://" not in secret:
            assert secret not in str(first) + first.to_json()


def test_an_activity_sync_answered_nothing_keeps_the_stored_events_unless_asked_to_prune(
    emu: Emulator, tmp_path: Path
) -> None:
    # Agent activity's answer carries no count: {"AgentUpdates": []} from a backend that
    # lags looks like "no events". Nothing proves the read complete, so sync upserts only
    # unless prune=True is asked for.
    first_sync(emu, tmp_path, "agentactivity")
    stored = read_snapshot(tmp_path)
    lagging = ["2023-01-02T22:00:00Z", NEXT_DAY]  # the lookback's window
    in_window = int(stored["event_time"].between(*map(pd.Timestamp, lagging), "left").sum())
    assert in_window > 0
    before = states(tmp_path)
    with editing("agentactivity", lambda items: []) as transport:
        report = sync(tmp_path, end=NEXT_DAY, endpoint="agentactivity", transport=transport,
                      **emu.settings())  # fmt: skip
    assert (report.rows_fetched, report.rows_removed, report.partitions_rewritten) == (0, 0, ())
    assert states(tmp_path) == before
    pd.testing.assert_frame_equal(read_snapshot(tmp_path), stored)
    with editing("agentactivity", lambda items: []) as transport:
        asked = sync(tmp_path, end=NEXT_DAY, endpoint="agentactivity", transport=transport,
                     prune=True, **emu.settings())  # fmt: skip
    assert asked.window_start is not None
    window = stored["event_time"].between(asked.window_start, pd.Timestamp(NEXT_DAY), "left")
    assert asked.rows_removed == int(window.sum()) >= in_window
    pd.testing.assert_frame_equal(read_snapshot(tmp_path), stored[~window].reset_index(drop=True))


@pytest.mark.parametrize("endpoint", ["skillvolume", "agentperformance"])
def test_a_counted_endpoint_still_prunes_by_default(
    emu: Emulator, tmp_path: Path, endpoint: str
) -> None:
    # Their pages carry totalCount, which the read is checked against: a complete read.
    # (Call volume's own: test_sync.py::test_prune_false_keeps_records_deleted_upstream.)
    first_sync(emu, tmp_path, endpoint)
    edit = drop_one(endpoint, served_items(emu, endpoint, DAY, NEXT_DAY))
    with editing(endpoint, edit) as transport:
        report = sync(tmp_path, end=NEXT_DAY, endpoint=endpoint, transport=transport,
                      **emu.settings())  # fmt: skip
    assert report.rows_removed > 0
