"""One writer per snapshot: an advisory ``flock`` on a lock file inside the dataset.

The lock is held by an open file description, so the kernel releases it when the
process ends however it ends (even ``kill -9``): a crashed sync never leaves a
stale lock behind. ``flock`` is advisory and local: it does not protect a dataset
shared over NFS between machines.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType

from .._errors import LockError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_LOCK_TIMEOUT", "LOCK_FILE", "DatasetLock"]

#: The lock file's name inside the dataset; the leading dot hides it from Parquet readers.
LOCK_FILE = ".cvframe.lock"
#: Seconds a second sync or write waits for the first one before giving up.
DEFAULT_LOCK_TIMEOUT = 60.0
#: Seconds between attempts while waiting.
_POLL_INTERVAL = 0.05


class DatasetLock:
    """Exclusive lock on a dataset directory, as a context manager.

    ``timeout`` is how many seconds to wait for another holder (0: fail at once).
    Raises :class:`cvframe.LockError` naming the path.
    """

    def __init__(self, root: Path, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        if not timeout >= 0:
            raise ValueError(f"lock_timeout must be >= 0 seconds, got {timeout!r}")
        self.path = root / LOCK_FILE
        self.timeout = float(timeout)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds."""
        if fcntl is None:  # pragma: no cover - Windows
            raise LockError("snapshot locking needs a POSIX system (fcntl.flock)")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockError(
                        f"another cvframe sync or write holds the lock on "
                        f"{self.path.parent} and did not finish within {self.timeout:g} s; "
                        "try again later or raise lock_timeout"
                    ) from None
                time.sleep(_POLL_INTERVAL)
            except BaseException:
                os.close(fd)
                raise
        # Nothing is written into the lock file: a sync that changes nothing changes no file.
        self._fd = fd

    def ensure_held(self) -> None:
        """Nothing to check: the kernel keeps a ``flock`` until this process lets go
        (the object-store lease's counterpart can be lost)."""

    def release(self) -> None:
        """Let go of the lock (closing the file releases it)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __enter__(self) -> DatasetLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
