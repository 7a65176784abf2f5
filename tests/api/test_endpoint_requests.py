"""One client, every endpoint: the URL and method each declares, one rate limiter for all."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

import cvframe
from cvframe._api import CallVolumeClient
from cvframe._api._transport import RATE_WINDOW_MARGIN
from tests.fakes import FakeClock, FakeTransport, answer, client_kwargs, page

BASE = "https://api.example.test/agentassist/api/public/analytics/account/acc-1"


def _client(script: list, **extra: object) -> tuple[CallVolumeClient, FakeTransport, FakeClock]:
    wire, clock = FakeTransport(script), FakeClock()
    client = CallVolumeClient(**client_kwargs(transport=wire, clock=clock, **extra))
    return client, wire, clock


def test_each_endpoint_has_its_own_url_under_the_account() -> None:
    client, _, _ = _client([])
    assert client.url_for("queues") == f"{BASE}/queues"
    assert client.url_for("agentperformance") == f"{BASE}/agentperformance"
    # The skill breakdown is call volume with one more body key: the same URL.
    assert client.url_for("skillvolume") == client.url_for("callvolume") == client.transport.url


def test_a_get_sends_its_query_percent_encoded_and_no_body() -> None:
    client, wire, _ = _client([answer(200, {"accountId": "acc-1", "AgentUpdates": []})])
    start = pd.Timestamp("2024-03-04T00:00:00Z")
    pieces = list(client.iter_activity(start, start + pd.Timedelta("6h"), chunk=pd.Timedelta("6h")))
    assert [updates for _, _, updates in pieces] == [[]]
    (request,) = wire.requests
    parts = urlsplit(request.url)
    assert request.method == "GET" and request.content == b""
    assert parts.path.endswith("/agentactivity")
    # ":" is escaped in the query, and the values decode back to the ISO times.
    assert "%3A" in parts.query and ":" not in parts.query
    assert parse_qs(parts.query) == {
        "fromTimeStamp": ["2024-03-04T00:00:00Z"],
        "toTimeStamp": ["2024-03-04T06:00:00Z"],
    }
    assert "auth" in request.headers and "Content-Type" not in request.headers


def test_agent_performance_posts_its_window_without_an_org_id() -> None:
    client, wire, _ = _client(
        [answer(200, {"hasMore": False, "totalCount": 0, "AgentPerformance": []})]
    )
    list(client.iter_pages(None, "2024-03-01", "2024-03-02", endpoint="agentperformance"))
    (body,) = wire.bodies
    assert body == {
        "fromTimeStamp": "2024-03-01T00:00:00Z",
        "toTimeStamp": "2024-03-02T00:00:00Z",
        "skip": 0,
        "limit": 1000,
    }
    assert wire.requests[0].method == "POST"


def test_skill_volume_asks_for_the_breakdown_with_the_org_id() -> None:
    client, wire, _ = _client([answer(200, page([], False, 0))])
    list(client.iter_pages("o-1", "2024-03-01", "2024-03-02", endpoint="skillvolume"))
    (body,) = wire.bodies
    assert body["orgId"] == "o-1" and body["includeSkillBreakdown"] is True


def test_reads_of_several_endpoints_share_one_rate_limiter() -> None:
    """The 60 requests a minute are the account's: a fourth request waits out the minute
    whichever endpoints the first three went to."""
    queues = answer(200, [{"accountId": "acc-1", "collectionPointId": "qu-1"}])
    agents = answer(200, [{"accountId": "acc-1", "agentId": "a-1"}])
    # The short page of agents is followed by one more request, answered empty.
    client, wire, clock = _client([queues, agents, answer(200, []), queues], requests_per_minute=3)
    client.list_queues()
    list(client.iter_directory_pages(page_size=10))
    assert clock.sleeps == []  # three requests fit in the minute
    client.list_queues()
    assert len(wire.requests) == 4
    assert clock.sleeps == [pytest.approx(60.0 + RATE_WINDOW_MARGIN)]
    assert client.transport.requests_sent == 4


def test_iter_pages_refuses_an_endpoint_that_pages_otherwise() -> None:
    client, wire, _ = _client([])
    with pytest.raises(ValueError, match="'agents' pages otherwise"):
        list(client.iter_pages("o-1", endpoint="agents"))
    with pytest.raises(ValueError, match="must be one of"):
        list(client.iter_pages("o-1", endpoint="calls"))
    assert wire.requests == []


def test_a_get_with_a_body_is_a_value_error() -> None:
    client, _, _ = _client([])
    with pytest.raises(ValueError, match="query="):
        client.transport.request_json({"skip": 0}, method="GET")


def test_errors_of_a_new_endpoint_are_the_same_classes() -> None:
    client, _, _ = _client([answer(401, {"errors": [{"msg": "bad token"}]})])
    with pytest.raises(cvframe.AuthenticationError, match="HTTP 401"):
        client.list_queues()
