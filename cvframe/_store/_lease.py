"""One writer per snapshot in an object store: a lease object made by conditional writes.

An object store has no ``flock``. The writer instead creates ``<root>/.cvframe.lease``
with a write that succeeds only if the object does not exist yet (``If-None-Match: *``
on S3): of two writers, exactly one gets it, the other is told 412 Precondition Failed.
The object carries its owner (host, process, a random token) and an expiry; the holder
rewrites it every quarter of its time to live (conditional on the ETag it last wrote:
``If-Match``) from a background thread, and deletes it at the end (``If-Match`` again,
so it never deletes a lease another writer took over).

A waiter takes a lease over only once it has expired, with a write conditional on
the ETag it read, so of two waiters only one takes it. Expired means either:

- its ``expires_at`` has passed on the waiter's clock (a holder killed long ago is
  taken over at once; this needs the machines' clocks to agree within half the time
  to live, which NTP gives by far), or
- the waiter watched the same ETag for a whole time to live on its own monotonic clock
  (a live holder renews four times in that span, so this takes over only a dead one,
  whatever the clocks say).

What differs from the local ``flock`` (:mod:`._lock`):

- a process killed with ``kill -9`` leaves its lease behind; the next writer takes it
  over once it expires (at most ``ttl`` seconds, :data:`DEFAULT_LEASE_TTL`), where the
  kernel frees a ``flock`` at once;
- a holder that cannot renew in time (a network partition longer than ``ttl``) loses the
  lease; :meth:`ObjectLease.ensure_held` says so before the next write. The check and
  the write that follows are two requests: a holder paused longer than ``ttl`` between
  them (a stopped VM) can still write once after losing its lease, which no lease on
  plain object writes can prevent (object stores have no fencing tokens).

A store that ignores ``If-None-Match`` (some S3-compatible servers) would let two
writers both "win": each acquisition checks that a second create of its fresh lease is
refused, and refuses the store otherwise (one request).

The store is reached through :class:`ConditionalObjects`: S3 (s3fs's ``put_object``
with ``IfNoneMatch``/``IfMatch``) and fsspec's in-process ``memory://`` filesystem
(an exclusive create under a lock, for unit tests). GCS (generation preconditions) and
Azure (``If-None-Match`` on ``upload_blob``) are not written yet: :func:`lease_for`
refuses them with a :class:`~cvframe.SnapshotError` rather than write unlocked.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol

from .._errors import LockError, SnapshotError
from ._files import as_snapshot_error
from ._location import SnapshotLocation
from ._lock import DEFAULT_LOCK_TIMEOUT, LOCK_FILE, DatasetLock

__all__ = [
    "DEFAULT_LEASE_TTL",
    "LEASE_OBJECT",
    "ConditionalObjects",
    "LeaseRecord",
    "ObjectLease",
    "conditional_objects",
    "lease_for",
    "locked",
]

#: The lease object's name under the dataset root; the leading dot hides it from
#: Parquet readers, like the local lock file.
LEASE_OBJECT = ".cvframe.lease"
#: Seconds a lease lives without renewal. The holder renews every quarter of it.
DEFAULT_LEASE_TTL = 30.0
#: Seconds between attempts while waiting for another holder (each attempt is a request).
DEFAULT_POLL_INTERVAL = 0.5
#: S3 error codes meaning "the object is not in the state the request assumed".
_PRECONDITION_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
#: How often the holder renews within one time to live. ``ensure_held`` refuses once
#: the last renewal is older than all but one of these periods: that period is the
#: margin for the write that follows the check.
_RENEWALS_PER_TTL = 4
#: Seconds ``release`` waits for the renewal thread to stop (it wakes at once when told).
_RENEWAL_JOIN = 10.0


class ConditionalObjects(Protocol):
    """Small objects written only if they are in the state the caller last saw.

    ``path`` is a filesystem path (``bucket/history/.cvframe.lease``); an ``etag`` is
    whatever the store returns to tell versions apart.
    """

    def create(self, path: str, data: bytes) -> str | None:
        """Write a new object; its etag, or ``None`` if one exists already."""
        ...

    def read(self, path: str) -> tuple[bytes, str] | None:
        """The object's content and etag, or ``None`` if there is none."""
        ...

    def replace(self, path: str, data: bytes, etag: str) -> str | None:
        """Overwrite the object if its etag is still ``etag``; the new etag, or ``None``."""
        ...

    def delete(self, path: str, etag: str) -> bool:
        """Delete the object if its etag is still ``etag``; whether it did."""
        ...


def _precondition_failed(exc: BaseException) -> bool:
    """Whether an s3fs error (or the botocore error under it) is a 412/409 precondition."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        response = getattr(error, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _PRECONDITION_CODES or status in (409, 412):
                return True
        error = error.__cause__ or error.__context__
    return False


def _missing(exc: BaseException) -> bool:
    return isinstance(exc, FileNotFoundError)


class S3Objects:
    """:class:`ConditionalObjects` on S3 through an s3fs filesystem."""

    def __init__(self, filesystem: Any) -> None:
        self.filesystem = filesystem

    @staticmethod
    def _split(path: str) -> tuple[str, str]:
        bucket, _, key = path.lstrip("/").partition("/")
        return bucket, key

    def _put(self, path: str, data: bytes, **condition: str) -> str | None:
        bucket, key = self._split(path)
        try:
            response = self.filesystem.call_s3(
                "put_object", Bucket=bucket, Key=key, Body=data, **condition
            )
        except Exception as exc:
            if _precondition_failed(exc) or (condition.get("IfMatch") and _missing(exc)):
                return None
            raise
        return str(response["ETag"])

    def create(self, path: str, data: bytes) -> str | None:
        return self._put(path, data, IfNoneMatch="*")

    def replace(self, path: str, data: bytes, etag: str) -> str | None:
        return self._put(path, data, IfMatch=etag)

    def read(self, path: str) -> tuple[bytes, str] | None:
        bucket, key = self._split(path)

        async def get() -> tuple[bytes, str]:
            response = await self.filesystem._call_s3("get_object", Bucket=bucket, Key=key)
            body = response["Body"]
            try:
                data = await body.read()
            finally:
                body.close()
            return bytes(data), str(response["ETag"])

        # One GET gives the content and its ETag together (cat + info would be two
        # requests, and another writer may replace the object between them).
        from fsspec.asyn import sync

        try:
            return sync(self.filesystem.loop, get)
        except FileNotFoundError:
            return None

    def delete(self, path: str, etag: str) -> bool:
        bucket, key = self._split(path)
        try:
            self.filesystem.call_s3("delete_object", Bucket=bucket, Key=key, IfMatch=etag)
        except Exception as exc:
            if _precondition_failed(exc) or _missing(exc):
                return False
            raise
        return True


#: One lock for every in-process memory:// lease: fsspec's memory filesystem is one
#: dict per process, and its exclusive create is a check, then a write.
_MEMORY_LOCK = threading.Lock()


class MemoryObjects:
    """:class:`ConditionalObjects` on fsspec's ``memory://`` filesystem (one process)."""

    def __init__(self, filesystem: Any) -> None:
        self.filesystem = filesystem

    @staticmethod
    def _etag(data: bytes) -> str:
        return hashlib.md5(data, usedforsecurity=False).hexdigest()

    def _current(self, path: str) -> tuple[bytes, str] | None:
        try:
            data = bytes(self.filesystem.cat_file(path))
        except FileNotFoundError:
            return None
        return data, self._etag(data)

    def create(self, path: str, data: bytes) -> str | None:
        with _MEMORY_LOCK:
            if self._current(path) is not None:
                return None
            self.filesystem.pipe_file(path, data)
        return self._etag(data)

    def read(self, path: str) -> tuple[bytes, str] | None:
        with _MEMORY_LOCK:
            return self._current(path)

    def replace(self, path: str, data: bytes, etag: str) -> str | None:
        with _MEMORY_LOCK:
            current = self._current(path)
            if current is None or current[1] != etag:
                return None
            self.filesystem.pipe_file(path, data)
        return self._etag(data)

    def delete(self, path: str, etag: str) -> bool:
        with _MEMORY_LOCK:
            current = self._current(path)
            if current is None or current[1] != etag:
                return False
            self.filesystem.rm_file(path)
        return True


def conditional_objects(location: SnapshotLocation) -> ConditionalObjects:
    """The conditional-write access to ``location``'s store; a SnapshotError if none."""
    if location.protocol in {"s3", "s3a"}:
        return S3Objects(location.filesystem)
    if location.protocol == "memory":
        return MemoryObjects(location.filesystem)
    raise SnapshotError(
        f"writing to {location.url} needs a one-writer lease made by conditional writes, "
        f"which cvframe does not implement for {location.protocol}:// yet; "
        "write to s3:// or a local path"
    )


@dataclass(frozen=True)
class LeaseRecord:
    """What a lease object says: who holds it and until when (UTC epoch seconds)."""

    owner: str
    token: str
    expires_at: float
    ttl: float

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "owner": self.owner,
                "token": self.token,
                "expires_at": self.expires_at,
                "expires": datetime.fromtimestamp(self.expires_at, UTC).isoformat(),
                "ttl": self.ttl,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LeaseRecord | None:
        """The record, or ``None`` for content that is not a lease (it then expires by
        watching only)."""
        try:
            fields = json.loads(data)
            return cls(
                owner=str(fields["owner"]),
                token=str(fields["token"]),
                expires_at=float(fields["expires_at"]),
                ttl=float(fields["ttl"]),
            )
        except (ValueError, TypeError, KeyError):
            return None


def _default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ObjectLease:
    """Exclusive lease on a dataset in an object store, as a context manager.

    The same shape as :class:`._lock.DatasetLock`: ``timeout`` is how many seconds to
    wait for another holder (0: fail at once); :class:`cvframe.LockError` names the URL.
    ``ttl`` is how long the lease lives unrenewed; ``clock`` (UTC epoch seconds) and
    ``monotonic`` are for tests.
    """

    def __init__(
        self,
        location: SnapshotLocation,
        *,
        timeout: float = DEFAULT_LOCK_TIMEOUT,
        ttl: float = DEFAULT_LEASE_TTL,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        objects: ConditionalObjects | None = None,
        owner: str | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not timeout >= 0:
            raise ValueError(f"lock_timeout must be >= 0 seconds, got {timeout!r}")
        if not ttl > 0:
            raise ValueError(f"lease ttl must be > 0 seconds, got {ttl!r}")
        if not poll_interval > 0:
            raise ValueError(f"poll_interval must be > 0 seconds, got {poll_interval!r}")
        self.location = location
        self.path = location.child(LEASE_OBJECT)
        self.url = location.child_url(LEASE_OBJECT)
        self.timeout = float(timeout)
        self.ttl = float(ttl)
        self.poll_interval = float(poll_interval)
        self.owner = owner or _default_owner()
        self._objects = objects if objects is not None else conditional_objects(location)
        self._clock = clock
        self._monotonic = monotonic
        self._token = uuid.uuid4().hex
        self._etag: str | None = None
        self._held_until = 0.0  # monotonic: a waiter can take over from then on
        self._lost: str | None = None
        self._failure: str | None = None  # the last renewal's error, for ensure_held
        self._state = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        #: The owner of the expired lease this one took over, if it did.
        self.took_over_from: str | None = None

    # -- the record this holder writes -------------------------------------------------

    def _record(self) -> bytes:
        return LeaseRecord(
            owner=self.owner,
            token=self._token,
            expires_at=self._clock() + self.ttl,
            ttl=self.ttl,
        ).to_bytes()

    def _store_error(self, action: str, exc: Exception) -> SnapshotError:
        detail = self.location.redact(f"{type(exc).__name__}: {exc}")
        return SnapshotError(f"could not {action} the lease {self.url}: {detail}")

    # -- taking it ---------------------------------------------------------------------

    def acquire(self) -> None:
        """Take the lease, waiting up to ``timeout`` seconds for another holder."""
        if self._etag is not None:
            raise RuntimeError(f"the lease on {self.location.url} is held already")
        deadline = self._monotonic() + self.timeout
        watched: tuple[str, float] | None = None  # (etag, monotonic when first seen)
        holder: LeaseRecord | None = None
        while True:
            started = self._monotonic()
            released = False
            try:
                etag = self._objects.create(self.path, self._record())
                if etag is not None:
                    self._check_conditional_writes(etag)
                else:
                    current = self._objects.read(self.path)
                    released = current is None  # between the two requests
                    if current is not None:
                        data, seen = current
                        holder = LeaseRecord.from_bytes(data)
                        if watched is None or watched[0] != seen:
                            # Seen after it was written: its holder counts from earlier.
                            watched = (seen, self._monotonic())
                        if self._expired(holder, watched[1]):
                            etag = self._objects.replace(self.path, self._record(), seen)
                            if etag is not None:
                                self.took_over_from = holder.owner if holder else "unknown"
            except SnapshotError:
                raise
            except Exception as exc:
                raise self._store_error("take", exc) from None
            if etag is not None:
                self._hold(etag, started)
                return
            now = self._monotonic()
            if now >= deadline:
                raise LockError(self._busy_message(holder))
            if not released:
                time.sleep(min(self.poll_interval, deadline - now))

    def _check_conditional_writes(self, etag: str) -> None:
        """Refuse a store that ignores ``If-None-Match`` (some S3-compatible servers do):
        a second create of the lease just made must be refused, or two writers could
        both think they hold it. One request per acquisition."""
        again = self._objects.create(self.path, self._record())
        if again is None:
            return
        with contextlib.suppress(Exception):
            self._objects.delete(self.path, again)
        raise SnapshotError(
            f"the store of {self.location.url} ignored a conditional write "
            "(If-None-Match: *), so cvframe cannot keep to one writer at a time there; "
            "use a store that supports conditional writes (AWS S3 does) or a local path"
        )

    def _expired(self, holder: LeaseRecord | None, first_seen: float) -> bool:
        if holder is not None and self._clock() >= holder.expires_at:
            return True
        ttl = holder.ttl if holder is not None else self.ttl
        return self._monotonic() - first_seen >= ttl

    def _busy_message(self, holder: LeaseRecord | None) -> str:
        who = ""
        if holder is not None:
            expires = datetime.fromtimestamp(holder.expires_at, UTC).strftime("%H:%M:%S UTC")
            who = f" (its lease: {holder.owner}, expires {expires} unless renewed)"
        return (
            f"another cvframe sync or write holds the lock on {self.location.url}{who} "
            f"and did not finish within {self.timeout:g} s; try again later or raise "
            "lock_timeout"
        )

    def _hold(self, etag: str, written_from: float) -> None:
        # A waiter first sees this etag no earlier than the write began, so no one can
        # take over before ``written_from + ttl``, by either rule.
        with self._state:
            self._etag = etag
            self._held_until = written_from + self.ttl
            self._lost = None
        self._stop.clear()
        self._renewer = threading.Thread(
            target=self._renew_until_stopped,
            name=f"cvframe-lease-{self.location.url}",
            daemon=True,
        )
        self._renewer.start()

    # -- keeping it --------------------------------------------------------------------

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(self.ttl / _RENEWALS_PER_TTL):
            if not self.renew() and self._lost is not None:
                return  # taken over: nothing left to renew

    def renew(self) -> bool:
        """Rewrite the lease with a new expiry now (the background thread calls this);
        whether it is still held."""
        with self._state:
            etag = self._etag
            if etag is None or self._lost is not None:
                return False
            started = self._monotonic()
            try:
                new = self._objects.replace(self.path, self._record(), etag)
            except Exception as exc:
                # A failed request is retried at the next renewal; the lease is lost only
                # once its time ran out (ensure_held says so).
                self._failure = self.location.redact(f"{type(exc).__name__}: {exc}")
                return self._monotonic() < self._held_until
            if new is None:
                self._lost = "another writer took it over after it expired"
                return False
            self._etag = new
            self._held_until = started + self.ttl
            self._failure = None
            return True

    def ensure_held(self) -> None:
        """Raise :class:`cvframe.LockError` if the lease was lost (or about to be): call
        before each write."""
        with self._state:
            if self._etag is None:
                raise LockError(f"the lease on {self.location.url} is not held")
            lost = self._lost
            margin = self.ttl / _RENEWALS_PER_TTL
            if lost is None and self._monotonic() >= self._held_until - margin:
                lost = f"it could not be renewed for {self.ttl - margin:g} s"
                if self._failure:
                    lost += f" (last error: {self._failure})"
        if lost is not None:
            raise LockError(
                f"lost the lease on {self.location.url}: {lost}; nothing more is written"
            )

    # -- letting go --------------------------------------------------------------------

    def release(self) -> None:
        """Stop renewing and delete the lease (only if it is still this holder's)."""
        renewer, self._renewer = self._renewer, None
        self._stop.set()
        if renewer is not None:
            renewer.join(_RENEWAL_JOIN)
        with self._state:
            etag, self._etag = self._etag, None
            lost = self._lost
        if etag is None or lost is not None:
            return
        # A failed delete leaves the lease to expire by itself: the work is done (or
        # already failing), and raising here would hide why.
        with contextlib.suppress(Exception):
            self._objects.delete(self.path, etag)

    @property
    def held(self) -> bool:
        """Whether this object holds the lease (and has not lost it)."""
        return self._etag is not None and self._lost is None

    def __enter__(self) -> ObjectLease:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"ObjectLease({self.location.url!r}, owner={self.owner!r}, held={self.held})"


def lease_for(
    location: SnapshotLocation,
    *,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
    ttl: float = DEFAULT_LEASE_TTL,
) -> DatasetLock | ObjectLease:
    """The one-writer lock that fits ``location``: ``flock`` on a local directory, a
    lease object in an object store (a SnapshotError for a store without one)."""
    if location.is_local:
        return DatasetLock(location.local_path, timeout=timeout)
    return ObjectLease(location, timeout=timeout, ttl=ttl)


@contextlib.contextmanager
def locked(
    location: SnapshotLocation, timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Iterator[DatasetLock | ObjectLease]:
    """Hold the dataset's one-writer lock (:func:`lease_for`); an OSError taking a local
    lock becomes a SnapshotError. The lease's time to live is :data:`DEFAULT_LEASE_TTL`
    as it is when called (a test may shorten it)."""
    lock = lease_for(location, timeout=timeout, ttl=DEFAULT_LEASE_TTL)
    if isinstance(lock, DatasetLock):
        with as_snapshot_error(location.local_path, location.local_path / LOCK_FILE):
            lock.acquire()
    else:
        lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
