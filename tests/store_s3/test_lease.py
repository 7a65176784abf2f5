"""One writer at a time without flock: the lease object, on moto's S3 server and memory://."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cvframe import LockError, SnapshotError
from cvframe._store._lease import (
    LEASE_OBJECT,
    LeaseRecord,
    ObjectLease,
    conditional_objects,
    lease_for,
)
from cvframe._store._location import SnapshotLocation, snapshot_location
from cvframe._store._lock import DatasetLock
from tests.s3server import SECRET_KEY, S3Server

#: A short time to live, so expiry and renewal happen within a test.
TTL = 2.0
#: The longest any test waits for anything: every wait below is bounded by it.
PATIENCE = 20.0

LeaseFactory = Callable[..., ObjectLease]


@pytest.fixture(params=["memory", "s3"])
def location(request: pytest.FixtureRequest) -> SnapshotLocation:
    """A fresh dataset root on each backend."""
    if request.param == "memory":
        return snapshot_location(request.getfixturevalue("memory_url"))
    url = request.getfixturevalue("s3_url")
    return snapshot_location(url, request.getfixturevalue("s3_options"))


@pytest.fixture
def make_lease(location: SnapshotLocation) -> LeaseFactory:
    made: list[ObjectLease] = []

    def make(**kwargs: Any) -> ObjectLease:
        kwargs.setdefault("ttl", TTL)
        kwargs.setdefault("timeout", 0)
        kwargs.setdefault("poll_interval", 0.05)
        lease = ObjectLease(location, **kwargs)
        made.append(lease)
        return lease

    yield make  # type: ignore[misc]
    for lease in made:
        lease.release()


def _stored(location: SnapshotLocation) -> LeaseRecord | None:
    current = conditional_objects(location).read(location.child(LEASE_OBJECT))
    return None if current is None else LeaseRecord.from_bytes(current[0])


def _plant(location: SnapshotLocation, *, owner: str, expires_at: float, ttl: float = TTL) -> None:
    """Leave a lease behind as a holder that died would."""
    record = LeaseRecord(owner=owner, token="dead", expires_at=expires_at, ttl=ttl)
    assert conditional_objects(location).create(location.child(LEASE_OBJECT), record.to_bytes())


def test_the_lease_names_its_owner_and_expiry_and_goes_at_release(
    location: SnapshotLocation, make_lease: LeaseFactory
) -> None:
    lease = make_lease(owner="worker-1:42")
    before = time.time()
    with lease:
        record = _stored(location)
        assert record is not None
        assert record.owner == "worker-1:42"
        assert record.ttl == TTL
        assert before + TTL <= record.expires_at <= time.time() + TTL
        assert lease.held
        lease.ensure_held()
    assert not lease.held
    assert _stored(location) is None
    # Released: the next holder takes it at once.
    with make_lease():
        pass


def test_a_second_holder_waits_up_to_its_timeout_then_lock_error(
    location: SnapshotLocation, make_lease: LeaseFactory
) -> None:
    with make_lease(owner="first:1"):
        second = make_lease(timeout=0.3)
        began = time.monotonic()
        with pytest.raises(LockError, match="holds the lock on") as info:
            second.acquire()
        assert time.monotonic() - began >= 0.3
        assert location.url in str(info.value)
        assert "first:1" in str(info.value)
        assert "did not finish within 0.3 s" in str(info.value)
        assert not second.held


def test_a_waiter_gets_the_lease_once_the_holder_releases_it(
    make_lease: LeaseFactory,
) -> None:
    first = make_lease()
    first.acquire()
    threading.Timer(0.3, first.release).start()
    second = make_lease(timeout=PATIENCE)
    second.acquire()
    assert second.held
    assert second.took_over_from is None  # released, not taken over


def test_of_racing_holders_exactly_one_wins(make_lease: LeaseFactory) -> None:
    leases = [make_lease(owner=f"racer:{i}") for i in range(6)]
    barrier = threading.Barrier(len(leases))
    outcome: dict[int, str] = {}

    def race(i: int) -> None:
        barrier.wait(PATIENCE)
        try:
            leases[i].acquire()
            outcome[i] = "won"
        except LockError:
            outcome[i] = "lost"

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(leases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert sorted(outcome.values()) == ["lost"] * (len(leases) - 1) + ["won"]


def test_renewal_keeps_the_lease_past_its_time_to_live(
    location: SnapshotLocation, make_lease: LeaseFactory
) -> None:
    with make_lease(owner="holder:1") as holder:
        first = _stored(location)
        time.sleep(1.5 * TTL)
        renewed = _stored(location)
        assert first is not None and renewed is not None
        assert renewed.expires_at > first.expires_at
        assert renewed.owner == "holder:1"
        holder.ensure_held()
        with pytest.raises(LockError, match="holds the lock on"):
            make_lease(timeout=0.2).acquire()
        assert holder.held


def test_an_expired_lease_is_taken_over_at_once(
    location: SnapshotLocation, make_lease: LeaseFactory
) -> None:
    _plant(location, owner="dead-worker:7", expires_at=time.time() - 1)
    with make_lease() as lease:
        assert lease.took_over_from == "dead-worker:7"
        assert _stored(location).owner == lease.owner  # type: ignore[union-attr]


def test_a_crashed_holders_lease_is_taken_over_only_after_it_expires(
    location: SnapshotLocation, make_lease: LeaseFactory
) -> None:
    _plant(location, owner="crashed:9", expires_at=time.time() + 2 * TTL)
    with pytest.raises(LockError, match="crashed:9"):
        make_lease(timeout=0.5).acquire()
    began = time.time()
    with make_lease(timeout=PATIENCE) as lease:
        assert lease.took_over_from == "crashed:9"
    assert time.time() >= began + 0.5  # not before the planted expiry


def test_a_lease_dated_by_a_clock_far_ahead_is_taken_over_after_watching_it(
    location: SnapshotLocation, make_lease: LeaseFactory
) -> None:
    # Its holder's clock runs an hour fast: by the dates it would never expire. Watched
    # unchanged for a whole time to live, it is a dead holder's all the same.
    _plant(location, owner="skewed:3", expires_at=time.time() + 3600)
    with make_lease(timeout=PATIENCE) as lease:
        assert lease.took_over_from == "skewed:3"


def test_an_object_that_is_no_lease_is_taken_over_after_watching_it(
    location: SnapshotLocation, make_lease: LeaseFactory
) -> None:
    assert conditional_objects(location).create(location.child(LEASE_OBJECT), b"not json")
    with make_lease(timeout=PATIENCE) as lease:
        assert lease.took_over_from == "unknown"


def test_a_holder_that_lost_its_lease_stops_and_spares_the_new_holder(
    location: SnapshotLocation, make_lease: LeaseFactory
) -> None:
    # A holder whose clock runs slow dates its lease in the past: a waiter takes over,
    # and the old holder learns at its next renewal.
    stale = make_lease(owner="slow:1", clock=lambda: time.time() - 3600)
    stale.acquire()
    with make_lease(owner="fresh:2", timeout=PATIENCE) as fresh:
        assert fresh.took_over_from == "slow:1"
        deadline = time.monotonic() + PATIENCE
        while stale.renew() and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(LockError, match="lost the lease on"):
            stale.ensure_held()
        stale.release()
        assert _stored(location).owner == "fresh:2"  # type: ignore[union-attr]
        fresh.ensure_held()


def test_a_holder_that_cannot_renew_in_time_says_so_before_writing(
    make_lease: LeaseFactory,
) -> None:
    now = [0.0]
    lease = make_lease(monotonic=lambda: now[0])
    lease.acquire()
    lease.ensure_held()
    now[0] += TTL  # no renewal went through for a whole time to live
    with pytest.raises(LockError, match="could not be renewed"):
        lease.ensure_held()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": -1}, "lock_timeout must be >= 0"),
        ({"ttl": 0}, "ttl must be > 0"),
        ({"poll_interval": 0}, "poll_interval must be > 0"),
    ],
)
def test_bad_settings_are_refused(
    location: SnapshotLocation, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ObjectLease(location, **kwargs)


class _IgnoresPreconditions:
    """A store that takes every write, as some S3-compatible servers do."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def create(self, path: str, data: bytes) -> str | None:
        self.objects[path] = data
        return str(len(self.objects))

    def read(self, path: str) -> tuple[bytes, str] | None:
        return (self.objects[path], "1") if path in self.objects else None

    def replace(self, path: str, data: bytes, etag: str) -> str | None:
        return self.create(path, data)

    def delete(self, path: str, etag: str) -> bool:
        return self.objects.pop(path, None) is not None


def test_a_store_that_ignores_conditional_writes_is_refused(memory_url: str) -> None:
    store = _IgnoresPreconditions()
    lease = ObjectLease(snapshot_location(memory_url), timeout=0, objects=store)
    with pytest.raises(SnapshotError, match=r"ignored a conditional write \(If-None-Match"):
        lease.acquire()
    assert not lease.held
    assert store.objects == {}  # its lease removed again


def test_a_local_directory_keeps_flock(tmp_path: Path) -> None:
    lock = lease_for(snapshot_location(tmp_path), timeout=0)
    assert isinstance(lock, DatasetLock)


def test_a_store_without_conditional_writes_is_refused_not_written_unlocked() -> None:
    location = SnapshotLocation(
        url="gs://bucket/history", protocol="gs", root="bucket/history", filesystem=object()
    )
    with pytest.raises(SnapshotError, match=r"gs://bucket/history.*does not implement"):
        lease_for(location)


# -- on the S3 server only ---------------------------------------------------------------


@pytest.fixture
def failing_fast(s3_server_clean: S3Server, s3_url: str) -> SnapshotLocation:
    """A location on the S3 server whose client does not retry."""
    location = snapshot_location(s3_url, s3_server_clean.fast_failing_options())
    location.filesystem.retries = 1
    return location


@pytest.mark.parametrize("fault", ["500", "503", "drop"])
def test_a_store_failure_is_a_snapshot_error_naming_the_url_without_credentials(
    s3_server_clean: S3Server, failing_fast: SnapshotLocation, fault: str
) -> None:
    pattern = failing_fast.child(LEASE_OBJECT)
    if fault == "drop":
        s3_server_clean.drop("PUT", pattern, times=5)
        said = "Connection was closed|Could not connect"
    else:
        code = "SlowDown" if fault == "503" else "InternalError"
        s3_server_clean.fail("PUT", pattern, status=int(fault), code=code, times=5)
        said = "Please reduce your request rate" if fault == "503" else "injected by the test"
    lease = ObjectLease(failing_fast, timeout=0, ttl=TTL)
    with pytest.raises(SnapshotError, match=said) as info:
        lease.acquire()
    assert not isinstance(info.value, LockError)
    assert failing_fast.child_url(LEASE_OBJECT) in str(info.value)
    assert SECRET_KEY not in str(info.value)
    assert not lease.held
    assert s3_server_clean.requests("PUT", pattern)  # the fault was met, not something else


def test_a_held_lease_costs_a_put_per_renewal_and_one_delete(
    s3_server_clean: S3Server, s3_url: str, s3_options: dict[str, Any]
) -> None:
    location = snapshot_location(s3_url, s3_options)
    with ObjectLease(location, timeout=0, ttl=TTL):
        pass
    path = location.child(LEASE_OBJECT)
    # The lease, and the check that the store refuses a second one; no renewal due yet.
    assert len(s3_server_clean.requests("PUT", path)) == 2
    assert len(s3_server_clean.requests("DELETE", path)) == 1
    assert s3_server_clean.requests("GET", path) == []  # free: no read needed


_CRASHING_HOLDER = """
import json, os, signal, sys
from cvframe._store._lease import ObjectLease
from cvframe._store._location import snapshot_location
job = json.loads(sys.argv[1])
lease = ObjectLease(snapshot_location(job["url"], job["options"]), ttl=job["ttl"], timeout=0,
                    owner="crashing-child")
lease.acquire()
print("held", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_holder_killed_with_sigkill_leaves_its_lease_to_expire(
    s3_url: str, s3_options: dict[str, Any]
) -> None:
    job = json.dumps({"url": s3_url, "options": s3_options, "ttl": TTL})
    child = subprocess.run(
        [sys.executable, "-c", _CRASHING_HOLDER, job],
        capture_output=True,
        text=True,
        timeout=PATIENCE * 3,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.strip() == "held"
    location = snapshot_location(s3_url, s3_options)
    assert _stored(location).owner == "crashing-child"  # type: ignore[union-attr]
    with ObjectLease(location, timeout=PATIENCE, ttl=TTL, poll_interval=0.05) as lease:
        assert lease.took_over_from == "crashing-child"
    assert _stored(location) is None
