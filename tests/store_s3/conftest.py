"""Fixtures for the object-store tests: moto's S3 server on loopback, fresh roots.

The server starts once per session, on first use, and stops at the end of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.s3server import S3Server, running_server


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
