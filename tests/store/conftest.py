"""The ``snapshot`` fixture: a fresh snapshot place on the local disk or on the S3 server.

Tests that show a guarantee (sync, kill, lock) take ``snapshot`` and run once per
backend: ``local`` (a directory under tmp_path) and ``s3`` (a fresh bucket on moto's
server on loopback, started by tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._store._location import snapshot_location

#: A short lease for the child processes of the kill tests: the rerun after a kill -9
#: takes the dead one's lease over once it expires, so it need not wait 30 s.
CHILD_LEASE_TTL = 2.0


@dataclass
class Snapshot:
    """Where a test's snapshot lives, and what reaching it takes."""

    backend: str
    path: str
    storage_options: dict[str, Any] | None

    def sync(self, **kwargs: Any) -> cvframe.SyncReport:
        return cvframe.sync(self.path, storage_options=self.storage_options, **kwargs)

    def read(self, **kwargs: Any) -> pd.DataFrame:
        return cvframe.read_snapshot(self.path, storage_options=self.storage_options, **kwargs)

    def write(self, df: pd.DataFrame, **kwargs: Any) -> None:
        cvframe.write_snapshot(df, self.path, storage_options=self.storage_options, **kwargs)

    def job(self) -> dict[str, Any]:
        """The path part of a job for tests/store/_sync_child.py."""
        if self.backend == "local":
            return {"path": self.path}
        return {
            "path": self.path,
            "storage_options": self.storage_options,
            "lease_ttl": CHILD_LEASE_TTL,
        }

    def states(self) -> dict[str, Any]:
        """Every file or object below the root -> what changes when it is rewritten."""
        if self.backend == "local":
            root = Path(self.path)
            return {
                str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
                for p in sorted(root.rglob("*"))
                if p.is_file()
            }
        location = snapshot_location(self.path, self.storage_options)
        fs, root = location.filesystem, location.root
        found = fs.find(root, detail=True)
        return {
            key[len(root) + 1 :]: (info.get("ETag"), info.get("LastModified"))
            for key, info in sorted(found.items())
        }

    def names(self) -> list[str]:
        """The files or objects below the root, relative, sorted."""
        return sorted(self.states())


@pytest.fixture(params=["local", "s3"])
def snapshot(request: pytest.FixtureRequest, tmp_path: Path) -> Snapshot:
    if request.param == "local":
        return Snapshot("local", str(tmp_path / "snap"), None)
    url = request.getfixturevalue("s3_url")
    options = request.getfixturevalue("s3_options")
    return Snapshot("s3", url, options)
