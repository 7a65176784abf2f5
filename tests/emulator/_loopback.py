"""Real HTTP requests to a running emulator, signed as cvframe's client signs them."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlencode

import jwt

from cvframe._endpoints import Endpoint
from cvframe.emulator import Emulator


def token(emu: Emulator) -> str:
    """A JWT from the emulator's own client settings (the client makes the same)."""
    settings = emu.settings()
    return jwt.encode(
        {"appId": settings["client_id"]}, settings["client_secret"], algorithm="HS256"
    )


def call(
    emu: Emulator,
    endpoint: Endpoint,
    *,
    body: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, Any]:
    """One request to ``endpoint`` over loopback: (status, the answer's JSON)."""
    status, raw = call_raw(emu, endpoint, body=body, query=query, headers=headers, method=method)
    return status, json.loads(raw or b"null")


def call_raw(
    emu: Emulator,
    endpoint: Endpoint,
    *,
    body: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, bytes]:
    """One request to ``endpoint`` over loopback (its declared method unless told):
    (status, the answer's bytes)."""
    path = endpoint.path_for(emu.account_id)
    if query:
        path += "?" + urlencode(query)
    sent = {"auth": token(emu), "Content-Type": "application/json"}
    if emu.require_instance_id:
        sent["iId"] = emu.instance_id
    sent.update(headers or {})
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30)
    try:
        raw = None if body is None else json.dumps(body).encode()
        connection.request(method or endpoint.method, path, body=raw, headers=sent)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def ok(emu: Emulator, endpoint: Endpoint, **request: Any) -> Any:
    """The answer's JSON of a request that must succeed."""
    status, payload = call(emu, endpoint, **request)
    assert status == 200, payload
    return payload
