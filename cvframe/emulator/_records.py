"""The records an emulated account serves: synthetic days, later versions, inserted records.

:class:`ServedRecords` is the account's state as the platform would hold it; the
endpoint reads windows of it, tests change it (``touch``, ``advance``, ``insert``) as
if records were updated or arrived during a read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

from .._endpoints import CALLVOLUME
from ._data import SyntheticData, format_ts

__all__ = ["ServedRecords", "as_day", "parse_time"]

#: The API field a window selects records by (their interval start).
_INTERVAL_FIELD = CALLVOLUME.api_field("interval_start")
_ID_FIELD = CALLVOLUME.id_field
_VERSION_FIELD = CALLVOLUME.api_field("version")
#: The order the API serves records in: by interval start, then queue.
_API_ORDER = itemgetter(_INTERVAL_FIELD, CALLVOLUME.api_field("queue_id"))


def parse_time(value: Any, name: str) -> datetime:
    """An ISO 8601 string as an aware UTC datetime (naive is UTC), or ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def as_day(value: str | date | datetime) -> date:
    """The UTC day of ``value`` (``"2023-01-02"``, a date, or a datetime)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return parse_time(value if "T" in value else value + "T00:00:00Z", "date").date()


class ServedRecords:
    """The records of ``data`` on the UTC days ``[start, end)``, as currently served.

    Thread-safe: the endpoint reads windows while a test changes records.
    """

    def __init__(self, data: SyntheticData, start: date, end: date) -> None:
        self.data = data
        self.start = start
        self.end = end
        self._versions: dict[str, dict[str, Any]] = {}  # id -> its latest touched version
        self._inserted: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._generation = 0  # bumped by every change, so a cached window is never stale
        self._cached: tuple[tuple[Any, ...], list[dict[str, Any]]] | None = None

    def window(self, lo: datetime | None, hi: datetime | None) -> list[dict[str, Any]]:
        """The records whose interval starts in ``[lo, hi)`` (None: unbounded), in API order.

        The list is shared with later calls for the same window: do not change it.
        """
        with self._lock:
            key = (lo, hi, self._generation)
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
            out = self._read_window(lo, hi)
            self._cached = (key, out)
            return out

    def touch(self, ids: Iterable[str], **changes: Any) -> None:
        """Apply ``changes`` (API field names) to these records and bump their version."""
        wanted = set(ids)
        with self._lock:
            for original in self._synthetic():
                if original[_ID_FIELD] in wanted:
                    # Build on the latest served version, so a second touch bumps again.
                    record = self._versions.get(original[_ID_FIELD], original)
                    version = int(record.get(_VERSION_FIELD, 0)) + 1
                    self._versions[record[_ID_FIELD]] = {
                        **record,
                        **changes,
                        _VERSION_FIELD: version,
                    }
                    wanted.discard(record[_ID_FIELD])
            self._generation += 1
        if wanted:
            raise KeyError(f"no served records with ids {sorted(wanted)}")

    def advance(self, end: date) -> None:
        """Serve days up to (not including) ``end``."""
        with self._lock:
            self.end = end
            self._generation += 1

    def insert(self, records: Iterable[dict[str, Any]]) -> None:
        """Serve these extra records too, in their sorted place."""
        with self._lock:
            self._inserted.extend(dict(r) for r in records)
            self._generation += 1

    def _synthetic(self) -> Iterator[dict[str, Any]]:
        day = self.start
        while day < self.end:
            for queue in range(len(self.data.queues)):
                yield from self.data.day(queue, day)
            day += timedelta(days=1)

    def _read_window(self, lo: datetime | None, hi: datetime | None) -> list[dict[str, Any]]:
        first = self.start if lo is None else max(self.start, lo.date())
        last = self.end if hi is None else min(self.end, hi.date() + timedelta(days=1))
        lo_text = format_ts(lo) if lo is not None else ""
        hi_text = format_ts(hi) if hi is not None else "~"
        out: list[dict[str, Any]] = []
        day = first
        while day < last:
            todays: list[dict[str, Any]] = []
            for queue in range(len(self.data.queues)):
                todays.extend(self.data.day(queue, day))
            todays.sort(key=_API_ORDER)
            out.extend(
                self._versions.get(r[_ID_FIELD], r)
                for r in todays
                if lo_text <= r[_INTERVAL_FIELD] < hi_text
            )
            day += timedelta(days=1)
        extra = [r for r in self._inserted if lo_text <= r[_INTERVAL_FIELD] < hi_text]
        if extra:
            out = sorted(out + extra, key=_API_ORDER)
        return out
