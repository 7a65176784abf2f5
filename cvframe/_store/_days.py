"""A snapshot's day files, on a local disk or in an object store: one interface, two kinds.

Everything above this module (upserting, pruning, the high-water mark, reading) asks a
:class:`DayFiles` for the days there are, a day's file, and to replace or remove one;
it never touches a path or a filesystem itself.

- :class:`LocalDays`: a directory, with the code local snapshots always had
  (:mod:`._files`: a temporary file renamed over the old one, directories fsynced).
- :class:`ObjectDays`: a root in an fsspec filesystem (S3, GCS, Azure, memory). A day's
  file is serialised in memory and stored with one ``pipe_file`` (one PUT below 100 MiB,
  which an object store applies whole or not at all), so there is never a temporary
  object, and a failed or killed upload leaves the previous object in place. It never
  uses ``fs.open("wb")``: closing such a file on an exception can upload a partial one.
  Any error of the store (s3fs raises ``OSError``, botocore its own errors, aiohttp
  others) becomes a :class:`cvframe.SnapshotError` naming the URL, with every
  credential masked.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from .._endpoints import CALLVOLUME, Endpoint
from .._errors import CvframeError, SnapshotError
from .._frame import with_duration_units
from ._files import as_snapshot_error, prepare_root, remove_day, remove_stale_temp_files, write_day
from ._format import as_contract, check_file_schema, unreadable_day
from ._layout import PART_FILE, PARTITION_FIELD, day_file, directory_days
from ._location import SnapshotLocation, snapshot_location

if TYPE_CHECKING:
    # pyarrow.parquet is imported where a file is read or written, not with cvframe.
    import pyarrow.parquet as pq

__all__ = ["DayFiles", "LocalDays", "ObjectDays", "day_files", "snapshot_days"]


class DayFiles(Protocol):
    """The day files of one snapshot (see the module docstring)."""

    #: What messages and reports show for the snapshot (never a credential).
    url: str
    #: Where it is.
    location: SnapshotLocation
    #: The endpoint whose rows it holds (each file's metadata says so too).
    endpoint: Endpoint

    def exists(self) -> bool:
        """Whether there is a snapshot (a directory, or objects under the root)."""
        ...

    def prepare(self) -> None:
        """Make it ready to write into (a local directory is created; a file is refused)."""
        ...

    def days(self) -> list[str]:
        """The days (``YYYY-MM-DD``) holding a file, sorted."""
        ...

    def where(self, day: str) -> str:
        """The day's file as messages show it."""
        ...

    def open(self, day: str, purpose: str) -> contextlib.AbstractContextManager[pq.ParquetFile]:
        """The day's file, opened; a SnapshotError saying it cannot be read to ``purpose``
        (``unreadable_day``) if not."""
        ...

    def read(self, day: str) -> pa.Table | None:
        """The day's rows in the contract (to merge into), or None if it has no file."""
        ...

    def writing(self, day: str | None = None) -> contextlib.AbstractContextManager[None]:
        """Turn a store error met while changing ``day`` (or the root) into a SnapshotError."""
        ...

    def write(self, day: str, table: pa.Table) -> None:
        """Replace the day's file with ``table``, atomically."""
        ...

    def remove(self, day: str) -> None:
        """Remove the day's file (a day left without rows)."""
        ...

    def remove_leftovers(self) -> None:
        """Remove what a killed writer may have left (call with the lock held)."""
        ...


class LocalDays:
    """The day files of a snapshot in a local directory (today's code, unchanged)."""

    def __init__(self, location: SnapshotLocation, endpoint: Endpoint = CALLVOLUME) -> None:
        self.location = location
        self.endpoint = endpoint
        self.root = location.local_path
        self.url = str(self.root)

    def exists(self) -> bool:
        return self.root.is_dir()

    def prepare(self) -> None:
        prepare_root(self.root)

    def days(self) -> list[str]:
        return directory_days(self.root)

    def path(self, day: str) -> Path:
        return day_file(self.root, day)

    def where(self, day: str) -> str:
        return str(self.path(day))

    @contextlib.contextmanager
    def open(self, day: str, purpose: str) -> Iterator[pq.ParquetFile]:
        import pyarrow.parquet as pq

        where = self.path(day)
        try:
            with pq.ParquetFile(where) as file:
                yield file
        except (OSError, pa.ArrowException) as exc:
            raise unreadable_day(where, purpose, exc) from exc

    def read(self, day: str) -> pa.Table | None:
        import pyarrow.parquet as pq

        path = self.path(day)
        if not path.exists():
            return None
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise unreadable_day(path, "merge into it", exc) from exc
        check_file_schema(table.schema, path, self.endpoint)
        return as_contract(table, path, self.endpoint)

    def writing(self, day: str | None = None) -> contextlib.AbstractContextManager[None]:
        return as_snapshot_error(self.root, self.root if day is None else self.path(day))

    def write(self, day: str, table: pa.Table) -> None:
        write_day(with_duration_units(table), self.path(day))

    def remove(self, day: str) -> None:
        remove_day(self.path(day))

    def remove_leftovers(self) -> None:
        remove_stale_temp_files(self.root)


#: The errors of a store's request that become a SnapshotError. Any exception: s3fs
#: raises OSError, but botocore (ConnectionClosedError...) and aiohttp let their own
#: through, and each store's package has others. cvframe's own errors pass unchanged.
_STORE_ERRORS = (Exception,)


class ObjectDays:
    """The day files of a snapshot under a root in an object store (fsspec)."""

    def __init__(self, location: SnapshotLocation, endpoint: Endpoint = CALLVOLUME) -> None:
        self.location = location
        self.endpoint = endpoint
        self.fs = location.filesystem
        self.url = location.url

    def key(self, day: str) -> str:
        return self.location.child(f"{PARTITION_FIELD}={day}", PART_FILE)

    def where(self, day: str) -> str:
        return self.location.child_url(f"{PARTITION_FIELD}={day}", PART_FILE)

    def _error(self, what: str, exc: BaseException) -> SnapshotError:
        detail = self.location.redact(f"{type(exc).__name__}: {exc}")
        return SnapshotError(self.location.redact(f"{what} ({detail})"))

    def exists(self) -> bool:
        try:
            return bool(self.fs.exists(self.location.root))
        except _STORE_ERRORS as exc:
            raise self._error(f"cannot reach the snapshot at {self.url}", exc) from None

    def prepare(self) -> None:
        """Nothing to create: an object store has no directories."""

    def days(self) -> list[str]:
        prefix = f"{PARTITION_FIELD}="
        try:
            found = self.fs.glob(self.location.child(f"{prefix}*", PART_FILE))
        except FileNotFoundError:
            return []
        except _STORE_ERRORS as exc:
            raise self._error(f"cannot list the snapshot at {self.url}", exc) from None
        days = set()
        for key in found:
            folder = str(key).rstrip("/").rsplit("/", 2)[-2]
            if folder.startswith(prefix):
                days.add(folder[len(prefix) :])
        return sorted(days)

    def _unreadable(self, day: str, purpose: str, exc: BaseException) -> SnapshotError:
        detail = self.location.redact(f"{type(exc).__name__}: {exc}")
        return unreadable_day(self.where(day), purpose, Exception(detail))

    def _fetch(self, day: str, purpose: str) -> bytes:
        # One GET for the whole day file: day files are small, and a ranged read per
        # column chunk would cost a request each.
        try:
            return bytes(self.fs.cat_file(self.key(day)))
        except FileNotFoundError:
            raise
        except _STORE_ERRORS as exc:
            raise self._unreadable(day, purpose, exc) from None

    @contextlib.contextmanager
    def open(self, day: str, purpose: str) -> Iterator[pq.ParquetFile]:
        import pyarrow.parquet as pq

        try:
            data = self._fetch(day, purpose)
        except FileNotFoundError as exc:
            raise self._unreadable(day, purpose, exc) from None
        try:
            with pq.ParquetFile(pa.BufferReader(data)) as file:
                yield file
        except (OSError, pa.ArrowException) as exc:
            raise self._unreadable(day, purpose, exc) from None

    def read(self, day: str) -> pa.Table | None:
        import pyarrow.parquet as pq

        where = self.where(day)
        try:
            data = self._fetch(day, "merge into it")
        except FileNotFoundError:
            return None
        try:
            table = pq.read_table(pa.BufferReader(data))
        except (OSError, pa.ArrowException) as exc:
            raise self._unreadable(day, "merge into it", exc) from None
        check_file_schema(table.schema, where, self.endpoint)
        return as_contract(table, where, self.endpoint)

    @contextlib.contextmanager
    def writing(self, day: str | None = None) -> Iterator[None]:
        target = self.url if day is None else self.where(day)
        try:
            yield
        except CvframeError:
            raise
        except _STORE_ERRORS as exc:
            raise self._error(
                f"cannot write {target}; the snapshot at {self.url} is still whole and "
                "readable (that day keeps its previous object). To fix: check the store "
                "and the storage_options, then run again",
                exc,
            ) from None

    def write(self, day: str, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        sink = pa.BufferOutputStream()
        pq.write_table(with_duration_units(table), sink)
        # One PUT of the whole file: the object is replaced whole or not at all.
        self.fs.pipe_file(self.key(day), sink.getvalue().to_pybytes())

    def remove(self, day: str) -> None:
        self.fs.rm_file(self.key(day))

    def remove_leftovers(self) -> None:
        """Nothing to remove: a write never leaves a temporary object."""


def day_files(
    location: SnapshotLocation | str | os.PathLike[str], endpoint: Endpoint = CALLVOLUME
) -> LocalDays | ObjectDays:
    """The day files of the ``endpoint`` snapshot at ``location`` (a path or URL is resolved
    first)."""
    if not isinstance(location, SnapshotLocation):
        location = snapshot_location(location)
    kind = LocalDays if location.is_local else ObjectDays
    return kind(location, endpoint)


def snapshot_days(
    path: str | os.PathLike[str], *, storage_options: Mapping[str, Any] | None = None
) -> list[str]:
    """The UTC days (``YYYY-MM-DD``) the snapshot at ``path`` (a directory or a URL)
    holds a file for, sorted; none for a directory or root that is not a snapshot."""
    return day_files(snapshot_location(path, storage_options)).days()
