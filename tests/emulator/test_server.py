"""The loopback server is sockets only: it hands each request to one function."""

from __future__ import annotations

import http.client

import pytest

from cvframe.emulator._endpoint import Answer, Request
from cvframe.emulator._server import LoopbackServer


def test_the_server_hands_over_the_request_and_writes_the_answer() -> None:
    seen: list[Request] = []

    def handle(request: Request) -> Answer:
        seen.append(request)
        return Answer(201, {"X-Seen": "yes"}, b'{"ok": true}')

    server = LoopbackServer(handle)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.port
    server.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("POST", "/any/path?q=1", body=b"[1]", headers={"Auth": "t", "iId": "i"})
        response = connection.getresponse()
        assert (response.status, response.read()) == (201, b'{"ok": true}')
        assert response.getheader("X-Seen") == "yes"
        assert response.getheader("Content-Type") == "application/json"
        connection.close()
    finally:
        server.stop()
    assert not server.running
    (request,) = seen
    assert (request.method, request.path, request.body) == ("POST", "/any/path?q=1", b"[1]")
    assert request.headers["auth"] == "t" and request.headers["iid"] == "i"


def test_a_reset_answer_sends_half_its_body_then_drops_the_connection() -> None:
    server = LoopbackServer(lambda request: Answer(200, {}, b"x" * 100, reset_mid_body=True))
    server.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("POST", "/")
        response = connection.getresponse()
        with pytest.raises(http.client.IncompleteRead) as info:
            response.read()
        assert len(info.value.partial) == 50
    finally:
        server.stop()
