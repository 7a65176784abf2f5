"""The server's rate limit: at most so many requests in any sliding window, 429 beyond."""

from __future__ import annotations

import threading
import time
from collections import deque

__all__ = ["RateLimit"]


class RateLimit:
    """Accept at most ``requests_per_minute`` requests in any ``window`` (60) seconds.

    A request counts when it arrives (as a server counts it), not when the client sent
    it. A fractional rate (``0.5``) is one request per ``60 / 0.5`` seconds: the window
    stretches so that it holds at least one request. A shorter ``window`` (a test's)
    counts the same number of requests over fewer seconds.

    >>> limit = RateLimit(2)
    >>> limit.refusal(), limit.refusal(), limit.refusal() is not None
    (None, None, True)
    """

    def __init__(self, requests_per_minute: float, *, window: float = 60.0) -> None:
        self.capacity = max(1, int(requests_per_minute))
        self.window = window * self.capacity / requests_per_minute
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()

    def refusal(self) -> float | None:
        """Seconds to wait if a request now is over the limit; else None, and it counts."""
        with self._lock:
            now = time.monotonic()
            while self._accepted and now - self._accepted[0] >= self.window:
                self._accepted.popleft()
            if len(self._accepted) >= self.capacity:
                return self.window - (now - self._accepted[0])
            self._accepted.append(now)
            return None
