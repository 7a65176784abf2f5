"""Run one cvframe.sync in a child process, optionally killing itself at a chosen step.

Reads a JSON job from stdin::

    {"path": ..., "settings": {...}, "start": ..., "end": ...,
     "kill": {"step": "after_commit", "n": 2},      # optional: SIGKILL itself there
     "pause": {"ready": FILE, "release": FILE}}     # optional: hold the lock until told

Steps, counted per run: ``before_upsert`` (fetched, nothing written),
``partial_temp`` (the n-th temporary file is half written), ``temp_written`` (the
n-th temporary file is complete and flushed, not yet renamed), ``before_commit``,
``after_commit`` (the n-th day has been moved into place). The kill is SIGKILL:
no ``finally``, no ``atexit``, exactly like ``kill -9``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import cvframe
import cvframe._snapshot as snapshot
import cvframe._sync as sync_module


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

    write_temp, commit, upsert = snapshot._write_temp, snapshot._commit, sync_module.upsert_table

    def patched_write_temp(table: Any, final: Path) -> Path:
        tmp = write_temp(table, final)
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

    snapshot._write_temp = patched_write_temp
    snapshot._commit = patched_commit
    sync_module.upsert_table = patched_upsert

    pause = job.get("pause")
    if pause:
        mark = sync_module.high_water_mark

        def paused_mark(root: Path) -> Any:
            # Called first thing once the lock is held.
            Path(pause["ready"]).write_text("locked")
            while not Path(pause["release"]).exists():
                time.sleep(0.01)
            return mark(root)

        sync_module.high_water_mark = paused_mark

    report = cvframe.sync(
        job["path"],
        start=job.get("start"),
        end=job.get("end"),
        lock_timeout=job.get("lock_timeout", 60.0),
        **job["settings"],
    )
    print(report.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
