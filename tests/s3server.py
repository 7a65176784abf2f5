"""A real S3 API on loopback for the tests: moto's standalone server, with a request log
and faults to inject.

:class:`S3Server` runs moto's S3 (the same WSGI app ``moto.server`` serves) in a
thread, bound to 127.0.0.1 on a free port: nothing leaves the machine. Between the
server and the app sits a small middleware that

- logs every request (method, bucket/key, query), so a test can count the GETs a read
  sends (:meth:`S3Server.requests`);
- answers chosen requests with an S3 error (a 500 ``InternalError``, a 503
  ``SlowDown``) or drops the connection half way through the request body
  (:meth:`S3Server.fail`, :meth:`S3Server.drop`), each a bounded number of times;
- holds a request half way through its body until the test lets it go
  (:meth:`S3Server.stall`): the moment to ``kill -9`` a client mid-upload.

The clients' side needs only :meth:`S3Server.storage_options`: the endpoint, dummy
keys and a region, so botocore never looks for real credentials (environment, files,
or the EC2 metadata service, which tests/conftest.py would refuse as a non-loopback
connection anyway).
"""

from __future__ import annotations

import fnmatch
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: Dummy credentials moto accepts; never real ones.
ACCESS_KEY = "cvframe-test-access-key"
SECRET_KEY = "cvframe-test-secret-key-0123456789"
REGION = "us-east-1"
#: The environment botocore reads, pointed away from anything real while the server runs.
_ENVIRONMENT = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
#: How long stopping the server may take before the test run gives up on it.
_STOP_TIMEOUT = 10.0
#: The longest a stalled request waits to be let go before it drops by itself.
_STALL_LIMIT = 60.0

_ERROR_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>{code}</Code><Message>{message}</Message>"
    "<RequestId>cvframe-fault</RequestId></Error>"
)
_STATUS_TEXT = {500: "500 Internal Server Error", 503: "503 Slow Down"}


@dataclass(frozen=True)
class Request:
    """One request the server received: ``GET``, ``bucket/key`` (no leading ``/``), query."""

    method: str
    path: str
    query: str


@dataclass
class _Fault:
    method: str
    pattern: str
    remaining: int
    action: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and method == self.method and fnmatch.fnmatch(path, self.pattern)


def _error_response(status: int, code: str, message: str) -> Callable[..., Iterable[bytes]]:
    def respond(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = _ERROR_BODY.format(code=code, message=message).encode()
        _drain(environ)
        start_response(
            _STATUS_TEXT.get(status, f"{status} Error"),
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return respond


def _drain(environ: dict[str, Any]) -> None:
    """Read the request body, so the client is not left writing into a closed socket."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    while length > 0:
        chunk = stream.read(min(length, 65536))
        if not chunk:
            break
        length -= len(chunk)


def _drop_connection(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Read half the body, then shut the socket down: the client sees the connection drop."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > 1:
        environ["wsgi.input"].read(length // 2)
    sock = environ.get("werkzeug.socket")
    if sock is None:  # pragma: no cover - werkzeug always sets it in its dev server
        raise RuntimeError("cannot drop the connection: no werkzeug.socket in the environ")
    sock.shutdown(socket.SHUT_RDWR)
    # werkzeug's own write of this answer then meets a broken pipe, which it takes
    # quietly as a dropped connection.
    start_response("500 Internal Server Error", [("Content-Length", "0")])
    return [b""]


@dataclass
class Stall:
    """A request held half way through its body: ``reached`` is set once it is, and it
    drops its connection once ``release`` is set (or after a minute)."""

    reached: threading.Event
    release: threading.Event

    def wait_reached(self, timeout: float) -> None:
        """Wait until a request is held; AssertionError after ``timeout`` seconds."""
        if not self.reached.wait(timeout):
            raise AssertionError(f"no request reached the stall within {timeout:g} s")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > 1:
            environ["wsgi.input"].read(length // 2)
        self.reached.set()
        self.release.wait(_STALL_LIMIT)
        return _drop_connection(environ, start_response)


class S3Server:
    """moto's S3 on 127.0.0.1 in a thread, with a request log and injectable faults.

    Use as a context manager (or :meth:`start` / :meth:`stop`). Buckets made with
    :meth:`create_bucket` live until the server stops.
    """

    def __init__(self) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._log: list[Request] = []
        self._faults: list[_Fault] = []
        self._guard = threading.Lock()
        self._saved_environment: dict[str, str | None] = {}
        self._saved_log_level = logging.NOTSET
        self.endpoint_url = ""

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> S3Server:
        """Start serving on a free loopback port; returns self."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        for name, value in _ENVIRONMENT.items():
            self._saved_environment[name] = os.environ.get(name)
            os.environ[name] = value
        # werkzeug logs every request at INFO: noise in a failing test's output.
        werkzeug_log = logging.getLogger("werkzeug")
        self._saved_log_level = werkzeug_log.level
        werkzeug_log.setLevel(logging.WARNING)
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            "127.0.0.1",
            0,
            self._middleware(app),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        host, port = self._server.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-s3-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and put the environment back."""
        self.clear_faults()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT)
            self._thread = None
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment.clear()
        logging.getLogger("werkzeug").setLevel(self._saved_log_level)

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what clients need -------------------------------------------------------------

    def storage_options(self, **extra: Any) -> dict[str, Any]:
        """``storage_options`` for s3fs (and so for pandas, Dask, cvframe) to reach this server."""
        return {
            "key": ACCESS_KEY,
            "secret": SECRET_KEY,
            "endpoint_url": self.endpoint_url,
            "client_kwargs": {"region_name": REGION},
            **extra,
        }

    def fast_failing_options(self, **extra: Any) -> dict[str, Any]:
        """Like :meth:`storage_options`, with botocore's retries off and a filesystem of
        its own: a fault test fails in one request instead of a minute of backoff. (Set
        ``filesystem.retries = 1`` on the filesystem too: s3fs retries on its own.)"""
        return self.storage_options(
            config_kwargs={"retries": {"total_max_attempts": 1}},
            skip_instance_cache=True,
            **extra,
        )

    def create_bucket(self, name: str | None = None) -> str:
        """Make a bucket (a fresh unique name unless given); its name."""
        import boto3

        name = name or f"cvframe-{uuid.uuid4().hex[:12]}"
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )
        client.create_bucket(Bucket=name)
        return name

    # -- the request log ---------------------------------------------------------------

    def requests(self, method: str | None = None, pattern: str = "*") -> list[Request]:
        """The requests received so far, optionally only one method and matching paths."""
        with self._guard:
            log = list(self._log)
        return [
            r
            for r in log
            if (method is None or r.method == method) and fnmatch.fnmatch(r.path, pattern)
        ]

    def clear_requests(self) -> None:
        """Forget the requests logged so far (count from here on)."""
        with self._guard:
            self._log.clear()

    # -- faults ------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        pattern: str,
        *,
        status: int = 500,
        code: str = "InternalError",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with an S3 error (500, or 503 SlowDown)."""
        message = "injected by the test" if status != 503 else "Please reduce your request rate."
        self._add_fault(method, pattern, times, _error_response(status, code, message))

    def drop(self, method: str, pattern: str, *, times: int = 1) -> None:
        """Drop the connection half way through the next ``times`` matching requests."""
        self._add_fault(method, pattern, times, _drop_connection)

    def stall(self, method: str, pattern: str) -> Stall:
        """Hold the next matching request half way through its body until released, then
        drop it: the moment to kill a client mid-upload."""
        stall = Stall(threading.Event(), threading.Event())
        self._add_fault(method, pattern, 1, stall)
        return stall

    def clear_faults(self) -> None:
        """Remove every fault not yet used, and let every stalled request go."""
        with self._guard:
            for fault in self._faults:
                if isinstance(fault.action, Stall):
                    fault.action.release.set()
            self._faults.clear()

    def _add_fault(
        self,
        method: str,
        pattern: str,
        times: int,
        action: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]],
    ) -> None:
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        with self._guard:
            self._faults.append(_Fault(method.upper(), pattern, times, action))

    def _middleware(self, app: Callable[..., Any]) -> Callable[..., Any]:
        def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            method = environ["REQUEST_METHOD"]
            path = environ.get("PATH_INFO", "").lstrip("/")
            with self._guard:
                self._log.append(Request(method, path, environ.get("QUERY_STRING", "")))
                fault = next((f for f in self._faults if f.matches(method, path)), None)
                if fault is not None:
                    fault.remaining -= 1
            if fault is not None:
                return fault.action(environ, start_response)
            return app(environ, start_response)

        return logged


def running_server() -> Iterator[S3Server]:
    """A generator for a session fixture: one server, started and stopped around it."""
    with S3Server() as server:
        yield server
