"""The readers of the other endpoints against fakes: paging, completeness, bounds, errors."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest

import cvframe
from cvframe._api import (
    CallVolumeClient,
    read_agent_activity,
    read_agent_performance,
    read_agents,
    read_queues,
)
from tests.fakes import (
    CLIENT_SECRET,
    FakeAgentPerformance,
    FakeClock,
    FakeTransport,
    RouteTransport,
    answer,
    client_kwargs,
    make_agent,
)


def _client(wire: Any, **extra: Any) -> CallVolumeClient:
    return CallVolumeClient(**client_kwargs(transport=wire, clock=FakeClock(), **extra))


class _Bars:
    """Stands in for tqdm: records each bar's total, unit and updates."""

    def __init__(self) -> None:
        self.made: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> _Bars:
        self.made.append({**kwargs, "updates": []})
        return self

    def update(self, n: int) -> None:
        self.made[-1]["updates"].append(n)

    def close(self) -> None:
        pass


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> _Bars:
    made = _Bars()
    monkeypatch.setattr("cvframe._api._read.progress_bar_class", lambda: made)
    monkeypatch.setattr("cvframe._api._readers.progress_bar_class", lambda: made)
    return made


# --- agent performance: pages count agents --------------------------------------------


def test_agent_performance_pages_of_two_agents_hold_many_rows(bars: _Bars) -> None:
    api = FakeAgentPerformance(make_agent(n) for n in range(5))
    wire = RouteTransport({"agentperformance": api})
    df = read_agent_performance(
        "2024-03-01", "2024-03-02", page_size=2, concurrency=1, progress=True, client=_client(wire)
    )
    assert len(df) == 5 * 8 * 2  # agents x intervals x queues
    assert not df.duplicated(["agent_id", "interval_start", "queue_id"]).any()
    assert df["agent_id"].nunique() == 5
    assert df["conversation_handle_time"].iloc[0] == pd.Timedelta(minutes=3)
    # skip/limit are counted in agents (each page overlaps the one before by one
    # agent, asked for on top: ceil(5 / 2) requests), and so is the progress bar.
    assert [(b["skip"], b["limit"]) for b in api.bodies] == [(0, 2), (1, 3), (3, 3)]
    (bar,) = bars.made
    assert (bar["total"], bar["unit"], sum(bar["updates"])) == (5, "agent", 5)


def test_an_agent_without_intervals_still_counts_towards_total_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """totalCount counts agents: an agent with no rows must not look missing (no re-read)."""
    agents = [make_agent(0), {"agentId": "ag-idle", "intervals": []}, make_agent(2)]
    api = FakeAgentPerformance(agents)
    with caplog.at_level(logging.WARNING, logger="cvframe"):
        df = read_agent_performance(
            "2024-03-01",
            "2024-03-02",
            page_size=10,
            progress=False,
            client=_client(RouteTransport({"agentperformance": api})),
        )
    assert len(api.bodies) == 1 and caplog.records == []
    assert set(df["agent_id"]) == {"ag-0000", "ag-0002"}


def test_a_shifted_agent_page_is_read_again(caplog: pytest.LogCaptureFixture) -> None:
    api = FakeAgentPerformance(make_agent(n) for n in range(6))

    def delete_the_first_two(number: int) -> None:
        if number == 2:
            del api.agents[:2]

    api.before_answer = delete_the_first_two
    with caplog.at_level(logging.INFO, logger="cvframe"):
        df = read_agent_performance(
            "2024-03-01",
            "2024-03-02",
            page_size=2,
            concurrency=1,
            progress=False,
            client=_client(RouteTransport({"agentperformance": api})),
        )
    assert any("reading again" in r.getMessage() for r in caplog.records)
    assert {f"ag-{n:04d}" for n in range(2, 6)} <= set(df["agent_id"])
    assert not df.duplicated(["agent_id", "interval_start", "queue_id"]).any()


def test_agent_completeness_is_checked_in_agents(caplog: pytest.LogCaptureFixture) -> None:
    """A totalCount one agent too high: two agreeing passes end the read with a warning."""
    api = FakeAgentPerformance(make_agent(n) for n in range(3))
    api.total_bias = 1
    with caplog.at_level(logging.WARNING, logger="cvframe"):
        df = read_agent_performance(
            "2024-03-01",
            "2024-03-02",
            page_size=10,
            progress=False,
            client=_client(RouteTransport({"agentperformance": api})),
        )
    assert len(api.bodies) == 2 and df["agent_id"].nunique() == 3
    assert "agree on 3 distinct agents" in caplog.records[-1].getMessage()
    assert "totalCount says 4" in caplog.records[-1].getMessage()


def test_agent_performance_without_its_list_names_the_keys() -> None:
    wire = FakeTransport([answer(200, {"hasMore": False, "totalCount": 0, "agents": []})])
    with pytest.raises(cvframe.ResponseError, match=r"no 'AgentPerformance' list .*'agents'"):
        read_agent_performance("2024-03-01", "2024-03-02", progress=False, client=_client(wire))


def test_an_agent_without_an_id_is_a_response_error() -> None:
    body = {"hasMore": False, "totalCount": 1, "AgentPerformance": [{"intervals": []}]}
    wire = FakeTransport([answer(200, body)])
    with pytest.raises(cvframe.ResponseError, match=r"agent 0 of the page at skip=0 has no"):
        read_agent_performance("2024-03-01", "2024-03-02", progress=False, client=_client(wire))


# --- agents: offset/limit, bounded ----------------------------------------------------


def _agents_route(agents: list[dict[str, Any]], *, ignore_offset: bool = False) -> Any:
    def route(request: Any) -> Any:
        query = dict(parse_qsl(urlsplit(request.url).query))
        offset, limit = int(query["offset"]), int(query["limit"])
        start = 0 if ignore_offset else offset
        return answer(200, agents[start : start + limit])

    return route


def _people(count: int) -> list[dict[str, Any]]:
    return [
        {"accountId": "acc-1", "agentId": f"ag-{n:04d}", "firstName": f"F{n}", "lastName": "L"}
        for n in range(count)
    ]


@pytest.mark.parametrize(("count", "offsets"), [(5, [0, 2, 4, 5]), (4, [0, 2, 4]), (0, [0])])
def test_agents_page_until_an_empty_page(count: int, offsets: list[int]) -> None:
    wire = RouteTransport({"agents": _agents_route(_people(count))})
    df = read_agents(page_size=2, progress=False, client=_client(wire))
    assert list(df["agent_id"]) == [f"ag-{n:04d}" for n in range(count)]
    assert [int(wire.query(i)["offset"]) for i in range(len(wire.requests))] == offsets
    assert {wire.query(i)["limit"] for i in range(len(wire.requests))} == {"2"}
    assert all(r.method == "GET" and r.content == b"" for r in wire.requests)


def test_agents_a_server_capping_limit_loses_no_agent() -> None:
    """A server answering at most 2 of the 5 asked: short pages are not the end."""
    people = _people(7)

    def capped(request: Any) -> Any:
        query = dict(parse_qsl(urlsplit(request.url).query))
        offset, limit = int(query["offset"]), int(query["limit"])
        return answer(200, people[offset : offset + min(limit, 2)])

    wire = RouteTransport({"agents": capped})
    df = read_agents(page_size=5, progress=False, client=_client(wire))
    assert list(df["agent_id"]) == [p["agentId"] for p in people]
    # Only the empty answer at offset=7 ends the read.
    assert [int(wire.query(i)["offset"]) for i in range(len(wire.requests))] == [0, 2, 4, 6, 7]


def test_agents_a_short_page_repeated_ends_the_read() -> None:
    """A server ignoring offset on a small directory: the same short page again is the end."""
    wire = RouteTransport({"agents": _agents_route(_people(3), ignore_offset=True)})
    df = read_agents(page_size=5, progress=False, client=_client(wire))
    assert list(df["agent_id"]) == ["ag-0000", "ag-0001", "ag-0002"]
    assert [int(wire.query(i)["offset"]) for i in range(len(wire.requests))] == [0, 3]


def test_agents_a_server_ignoring_offset_is_stopped() -> None:
    wire = RouteTransport({"agents": _agents_route(_people(5), ignore_offset=True)})
    with pytest.raises(cvframe.ResponseError, match=r"same page of agents again at offset=2"):
        read_agents(page_size=2, progress=False, client=_client(wire))
    assert len(wire.requests) == 2


def test_agents_pages_that_bring_little_new_are_stopped() -> None:
    """Each page repeats all but one agent of the one before: more pages than ids fill."""
    people = _people(200)

    def creeping(request: Any) -> Any:
        page = len(wire.requests) - 1  # whatever offset asks for
        return answer(200, people[page : page + 10])

    wire = RouteTransport({"agents": creeping})
    with pytest.raises(cvframe.ResponseError, match=r"took \d+ pages of limit=10 for \d+ distinct"):
        read_agents(page_size=10, progress=False, client=_client(wire))
    assert len(wire.requests) < 10


def test_an_agent_without_agent_id_names_the_page() -> None:
    people = _people(3)
    del people[2]["agentId"]
    wire = RouteTransport({"agents": _agents_route(people)})
    with pytest.raises(cvframe.ResponseError, match=r"agent 0 of the page at offset=2 has no"):
        read_agents(page_size=2, progress=False, client=_client(wire))


# --- queues -----------------------------------------------------------------------------


def test_queues_accept_either_spelling_of_description() -> None:
    body = [
        {"accountId": "acc-1", "collectionPointId": "qu-2", "Description": "Billing"},
        {"accountId": "acc-1", "collectionPointId": "qu-1", "description": "Sales"},
    ]
    df = read_queues(client=_client(FakeTransport([answer(200, body)])))
    assert list(df["queue_id"]) == ["qu-1", "qu-2"]
    assert list(df["description"]) == ["Sales", "Billing"]


def test_queues_not_an_array_says_what_arrived() -> None:
    wire = FakeTransport([answer(200, {"queues": [], "total": 0})])
    with pytest.raises(cvframe.ResponseError, match=r"JSON array of queues, got a JSON object"):
        read_queues(client=_client(wire))


# --- agent activity: chunks -------------------------------------------------------------


def _event(agent: str, when: pd.Timestamp, activity: str = "busy") -> dict[str, str]:
    # The sample's spelling: MM/DD/YYYY, an unpadded hour, no zone.
    text = f"{when.month:02d}/{when.day:02d}/{when.year} {when.hour}:{when:%M:%S}"
    return {"AgentId": agent, "EventTime": text, "Activity": activity, "ReasonCode": ""}


class _ActivityAPI:
    """Answers every event in [from, to] (both ends: boundary events arrive twice)."""

    def __init__(self, events: list[tuple[str, pd.Timestamp]], spell: str = "mixed") -> None:
        self.events = events
        self.spell = spell
        self.windows: list[tuple[pd.Timestamp, pd.Timestamp]] = []

    def __call__(self, request: Any) -> Any:
        query = dict(parse_qsl(urlsplit(request.url).query))
        low, high = pd.Timestamp(query["fromTimeStamp"]), pd.Timestamp(query["toTimeStamp"])
        self.windows.append((low, high))
        inside = [_event(a, t) for a, t in self.events if low <= t <= high]
        key = "AgentUpdates" if len(self.windows) % 2 else "agentUpdates"
        return answer(200, {"accountId": "acc-1", key: inside})


def test_activity_windows_tile_the_window_and_a_boundary_event_is_kept_once(
    bars: _Bars,
) -> None:
    start, end = pd.Timestamp("2024-03-04", tz="UTC"), pd.Timestamp("2024-03-05T03:00Z")
    events = [
        ("ag-1", start),  # the window's first instant: in
        ("ag-1", start + pd.Timedelta("6h")),  # on a chunk boundary: sent twice
        ("ag-2", start + pd.Timedelta("13h")),
        ("ag-2", end),  # the window's end: out
        ("ag-3", start - pd.Timedelta("1s")),  # before it: out
    ]
    api = _ActivityAPI(events)
    df = read_agent_activity(
        start, end, progress=True, client=_client(RouteTransport({"agentactivity": api}))
    )
    assert api.windows[0][0] == start and api.windows[-1][1] == end
    assert all(a[1] == b[0] for a, b in zip(api.windows, api.windows[1:], strict=False))
    assert all(high - low <= pd.Timedelta("6h") for low, high in api.windows)
    assert len(api.windows) == 5
    assert list(df["event_time"]) == [
        start,
        start + pd.Timedelta("6h"),
        start + pd.Timedelta("13h"),
    ]
    (bar,) = bars.made
    assert (bar["total"], bar["unit"], sum(bar["updates"])) == (5, "chunk", 5)


def test_activity_chunk_overrides_and_is_checked() -> None:
    api = _ActivityAPI([])
    wire = RouteTransport({"agentactivity": api})
    read_agent_activity(
        "2024-03-04", "2024-03-04T03:00", chunk="1h", progress=False, client=_client(wire)
    )
    assert len(api.windows) == 3
    for bad in ("0s", "soon", -pd.Timedelta("1h"), 6):
        with pytest.raises(ValueError, match="chunk must be"):
            read_agent_activity("2024-03-04", "2024-03-05", chunk=bad, client=_client(wire))
    with pytest.raises(ValueError, match="time_zone"):
        read_agent_activity(
            "2024-03-04", "2024-03-05", time_zone="Mars/Olympus", client=_client(wire)
        )
    assert len(api.windows) == 3  # no request for a bad argument


def test_activity_without_either_list_key_names_the_keys() -> None:
    wire = FakeTransport([answer(200, {"accountId": "acc-1", "updates": []})])
    with pytest.raises(
        cvframe.ResponseError, match=r"no 'agentUpdates' \(or 'AgentUpdates'\).*'updates'"
    ):
        read_agent_activity("2024-03-04", "2024-03-04T06:00", progress=False, client=_client(wire))


def test_activity_too_large_says_to_pass_a_smaller_chunk() -> None:
    big = {"accountId": "acc-1", "AgentUpdates": [_event("ag-1", pd.Timestamp("2024-03-04"))] * 50}
    wire = FakeTransport([answer(200, big)])
    with pytest.raises(cvframe.ResponseError, match=r"max_page_bytes.*smaller chunk="):
        read_agent_activity(
            "2024-03-04",
            "2024-03-04T06:00",
            progress=False,
            client=_client(wire, max_page_bytes=1000),
        )


# --- errors on the new endpoints --------------------------------------------------------


def test_a_429_on_queues_ends_in_a_rate_limit_error() -> None:
    busy = answer(429, {"errors": [{"msg": "slow down"}]}, {"Retry-After": "1"})
    wire = FakeTransport([busy, busy])
    with pytest.raises(cvframe.RateLimitError, match="429"):
        read_queues(client=_client(wire, max_retries=1))
    assert len(wire.requests) == 2


def test_faults_on_agents_are_retried_then_read() -> None:
    wire = FakeTransport([answer(503), answer(200, _people(1)), answer(200, [])])
    df = read_agents(progress=False, client=_client(wire))
    assert list(df["agent_id"]) == ["ag-0000"]


def test_a_401_on_activity_is_an_authentication_error_without_the_secret() -> None:
    echo = answer(401, {"errors": [{"msg": f"bad secret {CLIENT_SECRET}"}]})
    wire = FakeTransport([echo])
    with pytest.raises(cvframe.AuthenticationError) as info:
        read_agent_activity("2024-03-04", "2024-03-04T06:00", progress=False, client=_client(wire))
    assert CLIENT_SECRET not in str(info.value)
    (request,) = wire.requests
    assert CLIENT_SECRET not in request.url and "auth" in request.headers


def test_readers_take_a_client_or_settings_not_both() -> None:
    wire = FakeTransport([])
    for read in (read_queues, read_agents):
        with pytest.raises(ValueError, match="either client="):
            read(client=_client(wire), host="api.example.test")
    with pytest.raises(ValueError, match="page_size"):
        read_agent_performance(page_size=0, client=_client(wire))
    with pytest.raises(ValueError, match="end"):
        read_agent_performance("2024-03-02", "2024-03-01", client=_client(wire))
    assert wire.requests == []


def test_the_literal_docs_sample_of_queues_is_refused_as_not_json() -> None:
    # The API page's sample as printed: an unquoted key, so not JSON at all.
    sample = b'[{accountId: "636f5b36bcf8a8c7101exxxx", "collectionPointId": "qu-1"}]'
    wire = FakeTransport([answer(200, sample)])
    with pytest.raises(cvframe.ResponseError, match="not JSON"):
        read_queues(client=_client(wire, max_retries=0))


def test_activity_times_are_read_in_the_zone_given() -> None:
    """The API sends zone-less times: ``time_zone`` says which zone; the frame is UTC."""
    body = {
        "accountId": "acc-1",
        "agentUpdates": [
            {
                "agentId": "ag-1",
                "eventTime": "03/04/2024 02:00:00",
                "activity": "busy",
                "reasonCode": "",
            }
        ],
    }
    for zone, utc in (("UTC", "2024-03-04T02:00Z"), ("America/New_York", "2024-03-04T07:00Z")):
        wire = FakeTransport([answer(200, body)])
        df = read_agent_activity(
            "2024-03-04",
            "2024-03-05",
            chunk="1D",
            time_zone=zone,
            progress=False,
            client=_client(wire),
        )
        assert list(df["event_time"]) == [pd.Timestamp(utc)], zone
