"""Sockets only: an HTTP server on 127.0.0.1 that hands each request to one function."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._endpoint import Answer, Request

__all__ = ["LoopbackServer"]

#: How often ``serve_forever`` looks for a shutdown request, so :meth:`stop` is prompt.
_POLL_INTERVAL = 0.05


class LoopbackServer:
    """Serve ``handle`` (a :class:`Request` in, an :class:`Answer` out) on 127.0.0.1.

    Each request is answered in its own thread; :meth:`start` and :meth:`stop` may be
    called again (``port`` 0 picks a free port on each start).
    """

    def __init__(self, handle: Callable[[Request], Answer], port: int = 0) -> None:
        self.handle = handle
        self.requested_port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether it is serving."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The port it listens on (while running)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use `with`")
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Listen and serve in a background thread (an ``OSError`` if the port is taken)."""
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self.requested_port), _handler_of(self.handle))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name="cvframe-emulator",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _handler_of(handle: Callable[[Request], Answer]) -> type[BaseHTTPRequestHandler]:
    """A request handler class that reads each GET and POST, asks ``handle``, writes back."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "cvframe-emulator"

        def log_message(self, format: str, *args: Any) -> None:  # quiet by design
            return

        def do_GET(self) -> None:
            self._send(handle(self._request("GET")))

        def do_POST(self) -> None:
            self._send(handle(self._request("POST")))

        def _request(self, method: str) -> Request:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                headers.setdefault(name.lower(), value)  # the first, as Message.get has it
            return Request(method, self.path, headers, body)

        def _send(self, answer: Answer) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if answer.reset_mid_body:
                # Promise the whole body, send half of it, then drop the connection.
                self.wfile.write(answer.body[: len(answer.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(answer.body)

    return Handler
