"""The S3 test server itself: what the object-store tests rely on it for.

Each behaviour here is one that phase 2's snapshot tests stand on: a PUT is all or
nothing (a cut-off upload leaves the previous object), botocore retries a lone 500,
the request log counts GETs per object.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError

from cvframe._store._location import SnapshotLocation, snapshot_location
from tests.s3server import S3Server

PATIENCE = 20.0


@pytest.fixture
def s3(s3_server_clean: S3Server, s3_url: str) -> SnapshotLocation:
    return snapshot_location(s3_url, s3_server_clean.storage_options())


@pytest.fixture
def s3_no_retry(s3_server_clean: S3Server, s3_url: str) -> SnapshotLocation:
    location = snapshot_location(s3_url, s3_server_clean.fast_failing_options())
    location.filesystem.retries = 1
    return location


def test_the_server_listens_on_loopback_only(s3_server: S3Server) -> None:
    assert s3_server.endpoint_url.startswith("http://127.0.0.1:")


def test_the_log_counts_gets_per_object(s3_server_clean: S3Server, s3: SnapshotLocation) -> None:
    fs = s3.filesystem
    for day in ("2023-01-02", "2023-01-03"):
        fs.pipe_file(s3.child(f"date={day}", "part-0.parquet"), day.encode())
    s3_server_clean.clear_requests()
    assert fs.cat_file(s3.child("date=2023-01-03", "part-0.parquet")) == b"2023-01-03"
    gets = s3_server_clean.requests("GET", s3.child("date=*", "part-0.parquet"))
    assert [r.path for r in gets] == [s3.child("date=2023-01-03", "part-0.parquet")]


def test_a_lone_500_is_retried_by_the_client_and_the_put_lands(
    s3_server_clean: S3Server, s3: SnapshotLocation
) -> None:
    s3_server_clean.fail("PUT", s3.child("day"), times=1)
    s3.filesystem.pipe_file(s3.child("day"), b"new")
    assert s3.filesystem.cat_file(s3.child("day")) == b"new"
    assert len(s3_server_clean.requests("PUT", s3.child("day"))) == 2


@pytest.mark.parametrize("fault", ["500", "503", "drop"])
def test_a_failed_put_leaves_the_previous_object_whole(
    s3_server_clean: S3Server, s3_no_retry: SnapshotLocation, fault: str
) -> None:
    fs = s3_no_retry.filesystem
    fs.pipe_file(s3_no_retry.child("day"), b"old" * 1000)
    if fault == "drop":
        # aiohttp resends an idempotent request once on a dropped pooled connection.
        s3_server_clean.drop("PUT", s3_no_retry.child("day"), times=3)
    else:
        s3_server_clean.fail("PUT", s3_no_retry.child("day"), status=int(fault), code="SlowDown")
    # s3fs turns an S3 error into an OSError, but lets botocore's connection errors
    # (ConnectionClosedError, a BotoCoreError) through as they are.
    with pytest.raises((OSError, BotoCoreError)):
        fs.pipe_file(s3_no_retry.child("day"), b"new" * 1000)
    assert fs.cat_file(s3_no_retry.child("day")) == b"old" * 1000


def test_an_upload_held_half_way_is_invisible_and_lands_whole_or_not_at_all(
    s3_server_clean: S3Server, s3_no_retry: SnapshotLocation
) -> None:
    fs = s3_no_retry.filesystem
    fs.pipe_file(s3_no_retry.child("day"), b"old")
    stall = s3_server_clean.stall("PUT", s3_no_retry.child("day"))
    outcome: list[Any] = []

    def upload() -> None:
        try:
            fs.pipe_file(s3_no_retry.child("day"), b"new" * 100_000)
            outcome.append("landed")
        except (OSError, BotoCoreError) as exc:
            outcome.append(exc)

    uploader = threading.Thread(target=upload)
    uploader.start()
    stall.wait_reached(PATIENCE)
    # Half the body is in: the object is still the old one.
    assert fs.cat_file(s3_no_retry.child("day")) == b"old"
    stall.release.set()
    uploader.join(PATIENCE)
    # The cut-off request never lands; the client's one resend (aiohttp's, on a dropped
    # pooled connection) lands whole.
    assert len(outcome) == 1
    expected = b"new" * 100_000 if outcome[0] == "landed" else b"old"
    assert fs.cat_file(s3_no_retry.child("day")) == expected
