"""Shared fixtures: loopback only, a clean environment, a fake clock, the emulator, and
moto's S3 server on loopback (started once per session, on first use; stopped at its end).

The fakes themselves live in :mod:`tests.fakes`; tests import them from there.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from cvframe.emulator import Emulator
from tests.fakes import FakeClock
from tests.s3server import S3Server, running_server

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


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    for server in running_server():
        # The first request builds moto's backend and the client's session (about a
        # second): pay it here, not inside a test that counts seconds of a lease.
        server.create_bucket()
        yield server


@pytest.fixture
def s3_server_clean(s3_server: S3Server) -> Iterator[S3Server]:
    """The session's server with no fault left over and an empty request log."""
    s3_server.clear_faults()
    s3_server.clear_requests()
    yield s3_server
    s3_server.clear_faults()


@pytest.fixture
def s3_url(s3_server_clean: S3Server) -> str:
    """``s3://<a fresh bucket>/history``."""
    return f"s3://{s3_server_clean.create_bucket()}/history"


@pytest.fixture
def s3_options(s3_server_clean: S3Server) -> dict[str, Any]:
    return s3_server_clean.storage_options()


@pytest.fixture
def memory_url() -> Iterator[str]:
    """``memory://<a fresh name>/history``, removed afterwards."""
    import fsspec

    bucket = f"cvframe-{uuid.uuid4().hex[:12]}"
    yield f"memory://{bucket}/history"
    memory = fsspec.filesystem("memory")
    if memory.exists(f"/{bucket}"):
        memory.rm(f"/{bucket}", recursive=True)
