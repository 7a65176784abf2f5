"""Scripted misbehaviour: the faults a test asks for, served in order, one per request."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = ["Fault", "FaultKind", "FaultScript", "error_body"]

FaultKind = Literal["status", "reset", "truncate", "timeout"]


@dataclass
class Fault:
    """A scripted misbehaviour for the next ``times`` requests.

    Kinds:

    - ``"status"``: answer ``status`` with ``body`` (a JSON error by default) and ``headers``;
    - ``"reset"``: start the real answer, then close the connection mid-body;
    - ``"truncate"``: send the real answer cut in half, as a complete 200 response;
    - ``"timeout"``: wait ``delay`` seconds, then send the real answer.
    """

    status: int
    times: int = 1
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    kind: FaultKind = "status"
    delay: float = 0.0


def error_body(status: int, message: str) -> bytes:
    """The API's JSON error body: ``{"errors": [{"msg": ..., "code": ...}]}``."""
    return json.dumps({"errors": [{"msg": message, "code": status}]}).encode()


class FaultScript:
    """The faults still to serve, first in first out; thread-safe."""

    def __init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()

    def add(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | float | None = None,
        body: bytes | str | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        kind: FaultKind = "status",
        delay: float = 0.0,
    ) -> None:
        """Script a :class:`Fault` (``retry_after`` becomes its ``Retry-After`` header)."""
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        extra = dict(headers or {})
        if retry_after is not None:
            extra["Retry-After"] = str(retry_after)
        if isinstance(body, dict):
            payload: bytes | None = json.dumps(body).encode()
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = body
        with self._lock:
            self._faults.append(Fault(status, times, payload, extra, kind, delay))

    def next_fault(self) -> Fault | None:
        """The fault for this request, if one is scripted (it counts as served once)."""
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.popleft()
            return fault
