"""Shared fixtures: a clean environment, a fake clock, fake HTTP sessions, the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cvframe.emulator import Emulator

#: Long enough that pyjwt does not warn about short HMAC keys.
CLIENT_SECRET = "test-client-secret-0123456789abcdef-not-real"
CLIENT_ID = "cs-test-client"
URL = "https://api.example.test/agentassist/api/public/analytics/account/acc-1/callvolume"


_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def _is_loopback(host: object) -> bool:
    import ipaddress

    if not isinstance(host, str):
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """Fail any test that tries to connect anywhere but loopback (or resolve a name)."""
    import socket

    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise AssertionError(f"test tried to connect to {address[0]}: loopback only")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            raise AssertionError(f"test tried to resolve {host!r}: loopback only")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's own CVFRAME_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("CVFRAME_"):
            monkeypatch.delenv(name)


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = 0.0
        self.epoch = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def time(self) -> float:
        return self.epoch + self.now


def make_response(
    status: int, body: Any = None, headers: dict[str, str] | None = None
) -> requests.Response:
    """A requests.Response as the server would send it."""
    response = requests.Response()
    response.status_code = status
    if body is None:
        response._content = b""
    elif isinstance(body, bytes):
        response._content = body
    else:
        response._content = json.dumps(body).encode()
    response.headers.update(headers or {"Content-Type": "application/json"})
    response.url = URL
    return response


def page(records: list[dict[str, Any]], has_more: bool, total: int | None = None) -> dict:
    """A page body in the API's shape."""
    return {"hasMore": has_more, "CallVolumeUpdate": records, "totalCount": total}


class FakeSession:
    """Answers each POST with the next scripted response (or raises the next exception)."""

    def __init__(self, script: list[Any]) -> None:
        self.script = list(script)
        self.calls: list[dict[str, Any]] = []

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append({"url": url, **kwargs, "json": json.loads(kwargs["data"])})
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        pass


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def client_kwargs(**extra: Any) -> dict[str, Any]:
    """Settings for a client against the fake URL."""
    return {
        "host": "api.example.test",
        "account_id": "acc-1",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **extra,
    }


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One emulator for the session: 4 queues, 28 days from 2023-01-02. Do not mutate it."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def fresh_emulator() -> Iterator[Emulator]:
    """An emulator of one's own, to inject faults into or touch records of."""
    with Emulator(days=3, queues=2) as emu:
        yield emu
