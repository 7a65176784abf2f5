"""The exchange a transport does: one request out, one whole answer back, as plain values.

A :class:`Transport` is the part of cvframe that touches the network, and the only
part that varies: :class:`cvframe.CallVolumeClient` takes one as ``transport=``
(the default sends with ``requests``), and tests hand it a fake. Everything else
(rate limit, retries and their waiting, status codes -> errors, redaction, JSON)
is the client's and the same for every transport.

A transport's whole contract::

    class Transport(Protocol):
        def handle(self, request: HttpRequest) -> HttpResponse: ...
        def close(self) -> None: ...

``handle`` returns the server's answer whatever its status (a 429 or a 500 is an
answer), with the whole body, decoded from any content coding. When no whole answer
arrives (a refused or reset connection, a timeout, a body cut short, the request's
``deadline`` passed) it raises :class:`cvframe.TransportError`, which the client
retries; an answer larger than ``request.max_body_bytes`` may be refused with
:class:`BodyTooLargeError` (the client checks the size again either way). A fake
for tests is a few lines: ``handle`` returns the next scripted ``HttpResponse``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from .._errors import TransportError

__all__ = [
    "BodyTooLargeError",
    "DeadlineError",
    "HttpRequest",
    "HttpResponse",
    "NoAnswerError",
    "RequestNotSentError",
    "Transport",
]


@dataclass(frozen=True)
class HttpRequest:
    """One request as the client means it, and the limits its answer must keep.

    What a :class:`Transport` is handed; the client builds it (the ``auth`` header,
    the JSON body or the query, the ``timeout``, ``deadline`` and ``max_page_bytes``
    it was given).

    Examples
    --------
    >>> from cvframe import HttpRequest
    >>> request = HttpRequest("POST", "https://platform.kore.ai/x", {"auth": "jwt"},
    ...                       b'{"skip": 0}', timeout=30.0, deadline=120.0,
    ...                       max_body_bytes=64 << 20)
    >>> request.method, request.deadline
    ('POST', 120.0)
    """

    method: str
    #: The whole URL, a GET's query included.
    url: str
    headers: Mapping[str, str]
    #: A POST's JSON body; empty for a GET.
    content: bytes
    #: Seconds to connect, and to wait for each next byte of the answer.
    timeout: float
    #: Seconds for the whole exchange: connecting, the headers and the whole body.
    deadline: float
    #: The largest body accepted, counted after decoding (gzip), in bytes.
    max_body_bytes: int


@dataclass(frozen=True)
class HttpResponse:
    """The server's whole answer: its status, its headers (names lower-cased), its body.

    What a :class:`Transport` hands back, whatever the status.

    Examples
    --------
    >>> from cvframe import HttpResponse
    >>> HttpResponse(429, {"Retry-After": "7"}).headers["retry-after"]
    '7'
    """

    status_code: int
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""

    def __post_init__(self) -> None:
        lowered = MappingProxyType({name.lower(): value for name, value in self.headers.items()})
        object.__setattr__(self, "headers", lowered)


class Transport(Protocol):
    """Sends an :class:`HttpRequest` and hands back the whole :class:`HttpResponse`.

    Hand one to :class:`cvframe.CallVolumeClient` as ``transport=`` (the default sends
    with ``requests``); its two methods below are the whole contract. The client
    keeps its rate limit, retries, errors and redaction whatever the transport.

    Examples
    --------
    A transport that answers every request with one empty page, as a test would:

    >>> import json
    >>> import cvframe
    >>> class OnePage:
    ...     def handle(self, request):
    ...         page = {"hasMore": False, "totalCount": 0, "CallVolumeUpdate": []}
    ...         return cvframe.HttpResponse(200, {}, json.dumps(page).encode())
    ...     def close(self):
    ...         pass
    >>> client = cvframe.CallVolumeClient("api.example.test", "acc-1", token="t",
    ...                                   transport=OnePage())
    >>> [len(p.records) for p in client.iter_pages("o-1", "2023-01-01", "2023-01-02")]
    [0]
    """

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and return the server's whole answer, whatever its status.

        A 429 or a 500 is an answer: return it. The body is whole and decoded from any
        content coding. When no whole answer arrives (a refused or reset connection, a
        timeout, a body cut short, ``request.deadline`` passed) raise
        :class:`cvframe.TransportError`, which the client retries; an answer larger
        than ``request.max_body_bytes`` may be refused with ``BodyTooLargeError`` (the
        client checks the size again either way).
        """
        ...

    def close(self) -> None:
        """Release what the transport holds (its connections or session)."""
        ...


class NoAnswerError(TransportError):
    """No whole answer arrived (refused, reset, timed out, cut short); worth a retry."""

    def __init__(self, cause: str) -> None:
        super().__init__(f"no answer ({cause})")
        #: What went wrong, as its exception's name (``"ConnectionError"``).
        self.cause = cause


class DeadlineError(NoAnswerError):
    """The whole answer did not arrive within the request's ``deadline``."""

    def __init__(self) -> None:
        super().__init__("deadline")


class RequestNotSentError(TransportError):
    """The request could not be sent at all (a bad URL or header); retrying cannot help.

    Its message is the sending library's, which may quote a header: the client
    redacts it before anyone sees it.
    """


class BodyTooLargeError(Exception):
    """The answer passes ``request.max_body_bytes``; ``size`` says by how much, in words."""

    def __init__(self, size: str) -> None:
        super().__init__(size)
        self.size = size
