"""sync(): keep a Parquet snapshot up to date from the API, safely and incrementally.

One run: take the dataset's lock; find its high-water mark (the latest interval time
stored before the run's window end, of the queues synced); read
``[high-water mark - lookback, end)`` with the endpoint's reader
(:func:`cvframe.read_callvolume`, or the skill-volume, agent-performance or
agent-activity reader; the first run reads from ``start``, or from the first record);
drop any row the API sent from outside that window; upsert the rows day by day,
making the window hold exactly what the read returned (``prune``: by default only
for an endpoint whose answer carries a count to check the read against); release
the lock.
All the HTTP is the reader's; all the writing is
:func:`~cvframe._store._upsert.upsert_table`'s. A snapshot holds one endpoint.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from .._api import (
    read_agent_activity,
    read_agent_performance,
    read_callvolume,
    read_skill_volume,
    resolve_org_id,
)
from .._arguments import queue_list
from .._durations import parse_duration
from .._endpoints import (
    AGENT_ACTIVITY,
    AGENT_PERFORMANCE,
    CALLVOLUME,
    SKILL_VOLUME,
    Endpoint,
    endpoint_named,
)
from .._errors import OutOfWindowWarning
from .._times import TimeLike, format_api_time, resolve_window
from ._contract import has_queues
from ._days import day_files
from ._format import frame_to_table
from ._layout import partition_column
from ._lease import locked
from ._location import snapshot_location
from ._lock import DEFAULT_LOCK_TIMEOUT
from ._prune import PruneScope
from ._read import high_water_mark
from ._upsert import upsert_table

__all__ = ["DEFAULT_LOOKBACK", "StartNeededError", "SyncReport", "sync"]

#: How far before the high-water mark a later sync starts reading again: the
#: platform keeps updating recent intervals (a record's ``__v`` goes up).
DEFAULT_LOOKBACK = "2h"


def _iso(moment: pd.Timestamp | None) -> str | None:
    return None if moment is None else format_api_time(moment)


@dataclass(frozen=True)
class SyncReport:
    """What one :func:`sync` run did. Prints as a short table; ``to_dict()`` for JSON.

    Attributes
    ----------
    path : str
        The dataset directory, or its URL (never a credential).
    initial : bool
        True when the dataset held no records (of the queues synced) before this run.
    window_start : pandas.Timestamp or None
        Start of the window read from the API (None: from the first record).
    window_end : pandas.Timestamp
        End of the window read (exclusive).
    rows_fetched : int
        Records the API returned for the window.
    rows_inserted : int
        Records the dataset did not have.
    rows_updated : int
        Stored records replaced by a newer version.
    partitions_rewritten : tuple of str
        The days (``YYYY-MM-DD``) whose file was rewritten, ascending.
    high_water_mark : pandas.Timestamp or None
        The latest ``interval_start`` stored before ``window_end`` after the run;
        the next run resumes from it minus the lookback.
    seconds : float
        Wall time the run took.
    rows_out_of_window : int
        Records the API sent from outside the window; dropped, with an
        :class:`cvframe.OutOfWindowWarning` (included in ``rows_fetched``).
    rows_removed : int
        Stored records inside the window (and of the queues synced) that the API no
        longer returned, removed (``prune=True``); and, pruning or not, the skill rows
        of a skill-volume record that a newer version of it no longer lists. A record
        that moved to another day is counted as updated, not removed.
    endpoint : str
        The endpoint synced (``"callvolume"``, ``"agentperformance"``...).

    Examples
    --------
    >>> import tempfile, cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=2, queues=2) as emu, tempfile.TemporaryDirectory() as path:
    ...     report = cvframe.sync(path, start="2023-01-02", end="2023-01-04",
    ...                           **emu.settings())
    >>> report.initial, report.rows_inserted == report.rows_fetched > 0
    (True, True)
    >>> report.partitions_rewritten
    ('2023-01-02', '2023-01-03')
    """

    path: str
    initial: bool
    window_start: pd.Timestamp | None
    window_end: pd.Timestamp
    rows_fetched: int
    rows_inserted: int
    rows_updated: int
    partitions_rewritten: tuple[str, ...]
    high_water_mark: pd.Timestamp | None
    seconds: float
    rows_out_of_window: int = 0
    rows_removed: int = 0
    endpoint: str = CALLVOLUME.name

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (times as ISO 8601 UTC strings)."""
        return {
            "path": self.path,
            "endpoint": self.endpoint,
            "initial": self.initial,
            "window_start": _iso(self.window_start),
            "window_end": _iso(self.window_end),
            "rows_fetched": self.rows_fetched,
            "rows_inserted": self.rows_inserted,
            "rows_updated": self.rows_updated,
            "partitions_rewritten": list(self.partitions_rewritten),
            "high_water_mark": _iso(self.high_water_mark),
            "seconds": round(self.seconds, 3),
            "rows_out_of_window": self.rows_out_of_window,
            "rows_removed": self.rows_removed,
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The report as a JSON object."""
        return json.dumps(self.to_dict(), indent=indent)

    def __str__(self) -> str:
        days = self.partitions_rewritten
        shown = ", ".join(days[:3]) + (f", ... {days[-1]}" if len(days) > 3 else "")
        window = f"{_iso(self.window_start) or 'first record'} .. {_iso(self.window_end)}"
        rows = [
            ("path", self.path),
            ("endpoint", self.endpoint),
            ("run", "initial sync" if self.initial else "incremental sync"),
            ("window", window),
            ("rows fetched", f"{self.rows_fetched:,}"),
            ("rows inserted", f"{self.rows_inserted:,}"),
            ("rows updated", f"{self.rows_updated:,}"),
            ("rows removed", f"{self.rows_removed:,}"),
            *(
                [("rows out of window", f"{self.rows_out_of_window:,} (dropped)")]
                if self.rows_out_of_window
                else []
            ),
            ("partitions rewritten", f"{len(days)}" + (f" ({shown})" if days else "")),
            ("high-water mark", _iso(self.high_water_mark) or "none (no data)"),
            ("seconds", f"{self.seconds:.2f}"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _lookback(value: str | timedelta | pd.Timedelta) -> pd.Timedelta:
    # cvframe's one duration reader: "2" (2 ns to pandas) is refused, "2h" is taken.
    return parse_duration(value, name="lookback", allow_zero=True)


def sync(
    path: str | os.PathLike[str],
    *,
    org_id: str | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    lookback: str | timedelta | pd.Timedelta = DEFAULT_LOOKBACK,
    queues: str | Iterable[str] | None = None,
    prune: bool | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    progress: bool | None = False,
    storage_options: Mapping[str, Any] | None = None,
    endpoint: str | Endpoint = "callvolume",
    time_zone: str | None = None,
    **client_settings: Any,
) -> SyncReport:
    """Bring the Parquet snapshot at ``path`` up to date with the API.

    The first run is the initial sync: it reads from ``start`` (or, when None,
    from the first record there is) up to ``end``. Later runs resume from the
    dataset's own high-water mark (its latest ``interval_start``) minus
    ``lookback``, because the platform keeps updating recent intervals. Records
    are upserted by ``id``, keeping the highest ``version``; only the days that
    change are rewritten, each atomically.

    ``endpoint`` chooses what is synced, each into a snapshot of its own (one
    ``path`` per endpoint: a path holding another endpoint's files is refused with a
    :class:`cvframe.SnapshotError` naming both):

    - ``"callvolume"`` (the default): :func:`cvframe.read_callvolume`, one row per
      record, upserted by ``id`` and ``version``;
    - ``"skillvolume"``: the skill breakdown (:func:`cvframe.read_skill_volume`), one
      row per record x skill, by ``id``, ``skill_id`` and ``version``;
    - ``"agentperformance"`` (:func:`cvframe.read_agent_performance`): one row per
      agent x interval x queue; rows have no version, so a row read again replaces
      the stored one when its values changed (the newer read wins);
    - ``"agentactivity"`` (:func:`cvframe.read_agent_activity`): one row per state
      change; the high-water mark is the latest ``event_time``, the lookback as
      above; ``time_zone`` is the zone its zone-less event times are in. Its API
      reads bounded windows, so the first run needs ``start``.

    ``"queues"`` and ``"agents"`` are directories, not history: a ``ValueError``
    says to read them whole with :func:`cvframe.read_queues` and
    :func:`cvframe.read_agents`.

    The window read then holds exactly what the server has (``prune=True``, the
    default for every endpoint but agent activity): a read is complete or raises, so a
    stored record inside the window
    (``window_start <= interval_start < window_end``, and of ``queues`` when given)
    that the read did not return was deleted upstream, or moved out of the window,
    and is removed; a record is held once in the whole dataset, so one that moved
    to another day (same ``id``, higher ``version``) leaves its old day, even one
    outside the window. Records outside the window are never touched. Repeated
    syncs whose windows cover a period therefore converge to the server's records
    of it exactly. ``prune=False`` keeps every record ever stored (an archive that
    outlives the API's own retention, say); a moved record may then be held twice.

    Agent activity is not pruned unless ``prune=True`` is given: its answer is a bare
    list of events with no count (no ``totalCount``, no paging), so nothing proves a
    read complete, and an answer of no events (``{"AgentUpdates": []}``, which a
    backend lagging behind sends) would otherwise delete every stored event of the
    window. Upserting only, a lagging answer changes nothing and the next run fills
    the window in; the cost is that an event the API dropped or changed upstream
    stays stored (a changed one beside its new version: every column is an event's
    key). Ask for ``prune=True`` (``--prune``) where the deployment's answers are
    known complete, or to clean a window up once.

    Records the API sends from outside the window read (an ``interval_start``
    before its start or at or after its end) are dropped with an
    :class:`cvframe.OutOfWindowWarning` naming how many, and counted in the report:
    one record dated 2099 would otherwise become the high-water mark and every later
    run would read nothing. For the same reason the high-water mark is the latest
    ``interval_start`` stored *before* ``end``.

    A run killed at any instant (even ``kill -9``) leaves a readable dataset, and
    the next run completes it with every record present exactly once. Two runs on
    one path never interleave: the second waits up to ``lock_timeout`` seconds,
    then fails with :class:`cvframe.LockError`.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset directory, created on the first run; or an object-store URL
        (``s3://bucket/prefix``, ``gs://``, ``abfs://``, ``memory://``): see
        :func:`write_snapshot` for what differs there.
    org_id : str, optional
        The organization id; ``$CVFRAME_ORG_ID`` when None. Needed by call volume and
        skill volume; the agent endpoints take none (it is then not sent, as their
        readers do).
    start : str, datetime or Timestamp, optional
        Where the first run starts (UTC when naive). Later runs never read before it.
    end : str, datetime or Timestamp, optional
        Where the window ends (exclusive); None is now.
    lookback : str or timedelta, default "2h"
        How far before the high-water mark a later run reads again.
    queues : str or list of str, optional
        Sync only these queues, given by queue id or queue name (as
        :func:`cvframe.read_callvolume` filters): the high-water mark is theirs and
        pruning removes only their records. Not for agent activity (its rows are of
        no queue).
    prune : bool, optional
        Remove stored records of the window read that the server no longer returns,
        and older copies of a record that moved to another day. False: upsert only,
        never remove a record (a skill-volume record's rows still follow its newest
        version: a skill it no longer lists goes). None (the default): True for the
        endpoints whose answers carry a count the read is checked against (call
        volume, skill volume, agent performance), False for agent activity, whose
        answers carry none (see above).
    lock_timeout : float, default 60.0
        Seconds to wait for another sync on the same path (0: fail at once).
    progress : bool, optional
        Show a progress bar while reading (default off, for cron and Airflow logs).
    storage_options : dict, optional
        For a URL: the fsspec filesystem's options (credentials, ``endpoint_url``...).
        Never shown in the report, logs or messages.
    endpoint : str, default "callvolume"
        ``"callvolume"``, ``"skillvolume"``, ``"agentperformance"`` or
        ``"agentactivity"`` (see above).
    time_zone : str, optional
        Agent activity only: the IANA zone its event times are sent in (default UTC).
    **client_settings
        Connection settings of :func:`cvframe.read_callvolume` (``host``,
        ``account_id``, ``client_id``, ``client_secret``, ``token``, ``page_size``
        (a number or ``"auto"``), ``client``, ...), each falling back to its
        ``CVFRAME_*`` variable.

    Returns
    -------
    SyncReport
        Rows fetched, inserted, updated and removed, days rewritten, the new
        high-water mark and the time taken. It holds no credentials.

    Warns
    -----
    cvframe.OutOfWindowWarning
        When the API sent records outside the window read (they are dropped).

    Raises
    ------
    cvframe.LockError
        Another sync kept the lock longer than ``lock_timeout``.
    cvframe.SnapshotError
        Writing failed (disk full, permission denied: the message names the path
        and what to do). Days already written stay written, the day being written
        keeps its previous file, and the next run picks up from there.
    cvframe.CvframeError
        As :func:`cvframe.read_callvolume` raises; the dataset is left as it was.
    ValueError
        For bad arguments: an option that does not apply to ``endpoint`` (``queues``
        for agent activity, ``time_zone`` for any other), a directory endpoint, a
        first agent-activity run without ``start``.

    Examples
    --------
    >>> import tempfile, cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=2, queues=2) as emu, tempfile.TemporaryDirectory() as tmp:
    ...     first = cvframe.sync(tmp, start="2023-01-02", end="2023-01-04",
    ...                          **emu.settings())
    ...     again = cvframe.sync(tmp, end="2023-01-04", **emu.settings())
    >>> first.initial, first.partitions_rewritten
    (True, ('2023-01-02', '2023-01-03'))
    >>> again.initial, again.rows_inserted, again.partitions_rewritten
    (False, 0, ())
    >>> print(again)  # doctest: +ELLIPSIS
    path                  ...
    endpoint              callvolume
    run                   incremental sync
    window                2023-01-03T21:45:00Z .. 2023-01-04T00:00:00Z
    rows fetched          9
    rows inserted         0
    rows updated          0
    rows removed          0
    partitions rewritten  0
    high-water mark       2023-01-03T23:45:00Z
    seconds               ...
    """
    began = time.monotonic()
    declared = endpoint_named(endpoint)
    column = partition_column(declared)  # a directory endpoint is refused here
    back = _lookback(lookback)
    if prune is None:
        prune = _prunes_by_default(declared)
    elif not isinstance(prune, bool):
        raise ValueError(
            f"prune must be True or False (or None: the endpoint's default), got {prune!r}"
        )
    wanted = queue_list(queues)
    _check_applies(declared, queues=wanted, time_zone=time_zone)
    floor, stop = resolve_window(start, end)
    # The API is sent whole milliseconds: the window pruned is the one it was asked for.
    stop = stop.floor("ms")
    floor = None if floor is None else floor.floor("ms")
    location = snapshot_location(path, storage_options)
    if declared.org_key is not None:
        # Fail before creating anything, naming every missing setting at once.
        settings = None if "client" in client_settings else client_settings
        org_id = resolve_org_id(org_id, settings=settings)
    days = day_files(location, declared)
    if declared is AGENT_ACTIVITY and floor is None and not days.days():
        # Fail before creating anything: a first sync has no latest event to go on from.
        raise StartNeededError(declared.name, stop, first_sync=True)
    days.prepare()
    with locked(location, lock_timeout) as lock:
        mark = high_water_mark(days, before=stop, queues=wanted)
        begin = floor if mark is None else mark - back
        if floor is not None and begin is not None:
            begin = max(begin, floor)
        stray = 0
        if begin is None and declared is AGENT_ACTIVITY:  # no paging: a window is needed
            raise StartNeededError(declared.name, stop, first_sync=not days.days())
        if begin is not None and begin >= stop:
            fetched = 0
            result = None
        else:
            df = _read_window(
                declared,
                begin,
                stop,
                org_id=org_id,
                queues=wanted,
                time_zone=time_zone,
                progress=progress,
                client_settings=client_settings,
            )
            fetched = len(df)
            df, stray = _inside_window(df, begin, stop, column)
            scope = PruneScope(begin, stop, None if wanted is None else tuple(wanted), column)
            # The reader has just validated the frame, and read the window whole.
            result = upsert_table(
                days,
                frame_to_table(df, endpoint=declared, validate=False),
                prune=scope if prune else None,
                ensure_held=lock.ensure_held,
            )
        new_mark = (
            high_water_mark(days, before=stop, queues=wanted)
            if result and result.partitions
            else mark
        )
    return SyncReport(
        path=days.url,
        initial=mark is None,
        window_start=begin,
        window_end=stop,
        rows_fetched=fetched,
        rows_inserted=result.inserted if result else 0,
        rows_updated=result.updated if result else 0,
        partitions_rewritten=result.partitions if result else (),
        high_water_mark=new_mark,
        seconds=time.monotonic() - began,
        rows_out_of_window=stray,
        rows_removed=result.removed if result else 0,
        endpoint=declared.name,
    )


def _prunes_by_default(endpoint: Endpoint) -> bool:
    """Whether :func:`sync` prunes ``endpoint``'s window when ``prune`` is not given.

    Only when its answer carries a count of the window's records (``totalCount``),
    which the read is checked against: then a read that returns is complete, and a
    stored row it lacks was deleted upstream. Agent activity's answer is a bare list
    (no count, no paging): an empty one from a lagging backend cannot be told from
    "no events", and pruning on it would delete every stored event of the window.

    >>> from cvframe._endpoints import AGENT_ACTIVITY, CALLVOLUME
    >>> _prunes_by_default(CALLVOLUME), _prunes_by_default(AGENT_ACTIVITY)
    (True, False)
    """
    return endpoint.total_key is not None


def _takes_time_zone(endpoint: Endpoint) -> bool:
    """Whether the endpoint sends zone-less times (whose zone is a setting)."""
    return any(column.time_format is not None for column in endpoint.columns)


def _check_applies(endpoint: Endpoint, *, queues: list[str] | None, time_zone: str | None) -> None:
    """ValueError for an option given that the endpoint does not take."""
    if queues is not None and not has_queues(endpoint):
        raise ValueError(f"queues= does not apply to {endpoint.name}: its rows are of no queue")
    if time_zone is not None and not _takes_time_zone(endpoint):
        raise ValueError(
            f"time_zone= does not apply to {endpoint.name} (its times are sent in UTC); "
            "it is agent activity's setting"
        )


class StartNeededError(ValueError):
    """A sync of an endpoint read in bounded windows had no ``start=`` to begin from.

    Its API has no paging, so "from the first record" means nothing; a later sync goes
    on from the snapshot's latest record before ``end=``, and there was none: the
    snapshot is new (``first_sync``), or all it holds is at or after ``end=``. The
    message is told in the library's words; :meth:`told` words it for the CLI.
    """

    def __init__(self, endpoint: str, stop: pd.Timestamp, *, first_sync: bool) -> None:
        self.endpoint, self.stop, self.first_sync = endpoint, stop, first_sync
        super().__init__(self.told("start=", "end="))

    def told(self, start: str, end: str) -> str:
        """The message with ``start`` and ``end`` as the window's bounds are called."""
        why = "its API reads bounded windows (no paging), so there is no 'from the first record'"
        if self.first_sync:
            example = f"{start}{'' if start.endswith('=') else ' '}2024-03-04"
            return (
                f"the first sync of {self.endpoint} needs {start}: {why}; pass e.g. "
                f"{example} (later runs go on from the snapshot)"
            )
        return (
            f"the snapshot holds no {self.endpoint} event before {end}"
            f"{'' if end.endswith('=') else ' '}{format_api_time(self.stop)} (what it holds "
            f"is later), so there is no latest event to go on from, and {why}; pass "
            f"{start} for this window"
        )


def _read_window(
    endpoint: Endpoint,
    begin: pd.Timestamp | None,
    stop: pd.Timestamp,
    *,
    org_id: str | None,
    queues: list[str] | None,
    time_zone: str | None,
    progress: bool | None,
    client_settings: Mapping[str, Any],
) -> pd.DataFrame:
    """The validated frame of ``[begin, stop)`` from the endpoint's reader."""
    # Each reader is looked up here, when called: tests hook this module's names.
    if endpoint is AGENT_ACTIVITY:
        assert begin is not None, "sync() asks for start= first"
        return read_agent_activity(
            begin,
            stop,
            time_zone=time_zone or "UTC",
            progress=progress,
            validate=True,
            **client_settings,
        )
    readers: dict[str, Callable[..., pd.DataFrame]] = {
        CALLVOLUME.name: read_callvolume,
        SKILL_VOLUME.name: read_skill_volume,
        AGENT_PERFORMANCE.name: read_agent_performance,
    }
    reader = readers[endpoint.name]
    return reader(
        begin,
        stop,
        org_id=org_id,
        queues=queues,
        progress=progress,
        validate=True,
        **client_settings,
    )


def _inside_window(
    df: pd.DataFrame, begin: pd.Timestamp | None, stop: pd.Timestamp, column: str
) -> tuple[pd.DataFrame, int]:
    """``df`` without the rows whose ``column`` is outside ``[begin, stop)``, and how many."""
    starts = df[column]
    inside = starts < stop
    if begin is not None:
        inside &= starts >= begin
    inside = inside.fillna(False).astype(bool)
    stray = int((~inside).sum())
    if not stray:
        return df, 0
    outside = starts[~inside]
    window = f"{_iso(begin) or 'the first record'} .. {_iso(stop)}"
    warnings.warn(
        f"the API sent {stray} record(s) from outside the window read ({window}), with "
        f"{column} from {_iso(outside.min())} to {_iso(outside.max())}; sync dropped "
        "them so that they cannot move the high-water mark. Read that period with its "
        "own window if it is real; report it to Kore.ai if it persists",
        OutOfWindowWarning,
        stacklevel=3,
    )
    return df[inside].reset_index(drop=True), stray
