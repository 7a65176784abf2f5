"""Run one cvframe.sync in a child process, optionally killing itself at a chosen step.

Reads a JSON job from stdin::

    {"path": ..., "settings": {...}, "start": ..., "end": ..., "lookback": "2h",
     "endpoint": "agentperformance",                # optional: default callvolume
     "kill": {"step": "after_commit", "n": 2},      # optional: SIGKILL itself there
     "pause": {"ready": FILE, "release": FILE},     # optional: hold the lock until told
     "storage_options": {...}, "lease_ttl": 2.0,    # optional: for an object-store URL
     "ready": FILE}                                 # optional: written once locked

Steps, counted per run: ``before_upsert`` (fetched, nothing written),
``partial_temp`` (the n-th temporary file is half written), ``temp_written`` (the
n-th temporary file is complete and flushed, not yet renamed), ``before_commit``,
``after_commit`` (the n-th day has been moved into place; on an object store the
two commit steps are either side of the day's one PUT). The kill is SIGKILL:
no ``finally``, no ``atexit``, exactly like ``kill -9``.

With ``--serve`` it is a fork server for the randomized crash test: it imports
cvframe once, then reads one JSON job per line and forks a child per job, so each
run costs a fork instead of a fresh interpreter. A job::

    {"path": ..., "settings": {...}, "start": ..., "end": ..., "lookback": "2h",
     "events": FILE,          # the child appends "<n> <event>" here, flushed, per event
     "kill_at": 17,           # optional: SIGKILL itself at the 17th event
     "kill_after": 0.12}      # optional: the server SIGKILLs the child after 0.12 s

Events (see ``HOOKS``) are the calls along the write path, before and after each;
``write_chunk`` comes before each quarter of a Parquet file reaches its temporary
file, so a kill there leaves a partial file. The answer is one JSON line:
``{"signal": 9 or null, "returncode": 0/1 or null}``; a failing child writes its
traceback to ``EVENTS.err``.
"""

from __future__ import annotations

import functools
import io
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import pyarrow.parquet as pq

import cvframe
import cvframe._atomic as atomic
import cvframe._store._files as files
import cvframe._store._lease as lease_module
import cvframe._store._sync as sync_module
from cvframe._store._days import LocalDays, ObjectDays
from cvframe._store._lock import DatasetLock


def main() -> int:
    job = json.load(sys.stdin)
    kill: dict[str, Any] = job.get("kill") or {}
    counts: dict[str, int] = {}

    def reached(step: str) -> bool:
        counts[step] = counts.get(step, 0) + 1
        return kill.get("step") == step and counts[step] == kill.get("n", 1)

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    def hit(step: str) -> None:
        if reached(step):
            die()

    write_temp, commit, upsert = atomic.write_temp, atomic.commit, sync_module.upsert_table

    def patched_write_temp(final: Path, write: Callable[[Any], object]) -> Path:
        tmp = write_temp(final, write)
        if reached("partial_temp"):
            size = tmp.stat().st_size
            with open(tmp, "r+b") as fh:
                fh.truncate(size // 2)
            die()
        hit("temp_written")
        return tmp

    def patched_commit(tmp: Path, final: Path) -> None:
        hit("before_commit")
        commit(tmp, final)
        hit("after_commit")

    def patched_upsert(*args: Any, **kwargs: Any) -> Any:
        hit("before_upsert")
        return upsert(*args, **kwargs)

    put = ObjectDays.write

    def patched_put(self: ObjectDays, day: str, table: Any) -> None:
        # An object store's day is one PUT: "commit" is that PUT.
        hit("before_commit")
        put(self, day, table)
        hit("after_commit")

    ObjectDays.write = patched_put  # type: ignore[method-assign]
    atomic.write_temp = patched_write_temp  # type: ignore[assignment]
    atomic.commit = patched_commit  # type: ignore[assignment]
    sync_module.upsert_table = patched_upsert

    pause = job.get("pause")
    if pause:
        mark = sync_module.high_water_mark

        def paused_mark(path: str | os.PathLike[str], **kwargs: Any) -> Any:
            # Called first thing once the lock is held.
            Path(pause["ready"]).write_text("locked")
            while not Path(pause["release"]).exists():
                time.sleep(0.01)
            return mark(path, **kwargs)

        sync_module.high_water_mark = paused_mark

    if job.get("lease_ttl"):
        # An object store's lease: a short one, so that the next run need not wait 30 s
        # for the lease of a killed one.
        lease_module.DEFAULT_LEASE_TTL = job["lease_ttl"]
    if job.get("ready"):
        # The lock is taken: say so (a second sync started after this waits for it).
        take = lease_module.lease_for

        def announced(*args: Any, **kwargs: Any) -> Any:
            lock = take(*args, **kwargs)
            acquire = lock.acquire

            def acquire_and_say() -> None:
                acquire()
                Path(job["ready"]).write_text("locked")

            lock.acquire = acquire_and_say  # type: ignore[method-assign]
            return lock

        lease_module.lease_for = announced  # type: ignore[assignment]
    report = cvframe.sync(
        job["path"],
        start=job.get("start"),
        end=job.get("end"),
        lookback=job.get("lookback", "2h"),
        lock_timeout=job.get("lock_timeout", 60.0),
        storage_options=job.get("storage_options"),
        endpoint=job.get("endpoint", "callvolume"),
        **job["settings"],
    )
    print(report.to_json())
    return 0


# --------------------------------------------------------------------------- fork server

#: (owner, attribute, event name): the calls of a sync's write path a kill may land
#: before or after. Patched only in forked children.
HOOKS: list[tuple[Any, str, str]] = [
    (DatasetLock, "acquire", "lock"),
    (sync_module, "high_water_mark", "mark"),
    (sync_module, "read_callvolume", "fetch"),
    (sync_module, "read_agent_performance", "fetch"),
    (sync_module, "upsert_table", "upsert"),
    (LocalDays, "remove_leftovers", "cleanup"),
    (LocalDays, "read", "read_day"),
    (os, "mkdir", "mkdir"),
    (tempfile, "mkstemp", "mkstemp"),
    (os, "fsync", "fsync"),
    (os, "replace", "replace"),
    # Where each caller looks it up: a rename's (cvframe._atomic), a new or removed day's.
    (atomic, "fsync_directory", "fsync_dir"),
    (files, "fsync_directory", "fsync_dir"),
    (DatasetLock, "release", "unlock"),
]
#: A Parquet file reaches its temporary file in this many pieces.
WRITE_CHUNKS = 4


class Events:
    """Counts the events of one run, logs each (flushed) and dies at ``kill_at``."""

    def __init__(self, log: TextIO, kill_at: int | None) -> None:
        self.log = log
        self.kill_at = kill_at
        self.count = 0

    def __call__(self, name: str) -> None:
        self.count += 1
        self.log.write(f"{self.count} {name} {time.monotonic():.3f}\n")
        self.log.flush()
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(self, func: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(func)
        def hooked(*args: Any, **kwargs: Any) -> Any:
            self(f"{name}:before")
            result = func(*args, **kwargs)
            self(f"{name}:after")
            return result

        return hooked


def _install(events: Events) -> None:
    for owner, attribute, name in HOOKS:
        setattr(owner, attribute, events.wrap(getattr(owner, attribute), name))
    write_table = pq.write_table

    def chunked_write_table(table: Any, where: Any, **kwargs: Any) -> None:
        buffer = io.BytesIO()
        write_table(table, buffer, **kwargs)
        data = buffer.getvalue()
        step = -(-len(data) // WRITE_CHUNKS)
        for offset in range(0, len(data), step):
            events("write_chunk")
            where.write(data[offset : offset + step])
            where.flush()

    pq.write_table = chunked_write_table


def _run_forked(job: dict[str, Any]) -> int:
    """The body of a forked child: one hooked sync. Returns the exit code."""
    events_path = Path(job["events"])
    with open(events_path, "w", encoding="utf-8") as log:
        events = Events(log, job.get("kill_at"))
        _install(events)
        try:
            cvframe.sync(
                job["path"],
                start=job.get("start"),
                end=job.get("end"),
                lookback=job.get("lookback", "2h"),
                lock_timeout=job.get("lock_timeout", 10.0),
                endpoint=job.get("endpoint", "callvolume"),
                **job["settings"],
            )
        except BaseException:
            events_path.with_suffix(".err").write_text(traceback.format_exc())
            return 1
    return 0


def _wait(pid: int, kill_after: float | None) -> int:
    """Wait for the child, SIGKILLing it after ``kill_after`` seconds; its wait status."""
    if kill_after is not None:
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            time.sleep(0.001)
        os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def serve() -> int:
    """Fork one hooked sync per job line; answer each with how the child ended."""
    # Build the pandera schema (it imports much on first use) once, before forking.
    cvframe.validate(cvframe.empty_frame())
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: run the job, never return into the server loop
            code = 1
            try:
                code = _run_forked(job)
            finally:
                os._exit(code)
        status = _wait(pid, job.get("kill_after"))
        answer = {
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "returncode": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        }
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve() if sys.argv[1:] == ["--serve"] else main())
