"""Shared fixtures: loopback only, a clean environment, a fake clock, the emulator.

The fakes themselves live in :mod:`tests.fakes`; tests import them from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cvframe.emulator import Emulator
from tests.fakes import FakeClock

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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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
