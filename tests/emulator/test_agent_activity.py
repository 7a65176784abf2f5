"""Agent activity over loopback: the sample's quirks, and states that account for the
agents' work second by second (checked on the raw payloads)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cvframe._endpoints import AGENT_ACTIVITY, AGENT_PERFORMANCE, AGENTS
from cvframe.emulator import Emulator
from tests.emulator._loopback import call, ok

#: One UTC day, and the second after it: the shifts ending at midnight log out then.
DAY = {"fromTimeStamp": "2023-01-02T00:00:00Z", "toTimeStamp": "2023-01-03T00:00:01Z"}
INTERVAL = 900
ACTIVITIES = {"available", "busy", "acw", "notready", "logout"}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(days=1, queues=2) as served:
        yield served


def seconds(event_time: str, zone: str = "UTC") -> int:
    local = datetime.strptime(event_time, "%m/%d/%Y %H:%M:%S").replace(tzinfo=ZoneInfo(zone))
    return int(local.timestamp())


def state_time(events: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, int]]:
    """(agent, interval start) -> seconds in each state: a state lasts to the agent's
    next event; logged-out time counts nowhere."""
    by_agent: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for e in events:
        by_agent[e["AgentId"]].append((seconds(e["EventTime"]), e["Activity"]))
    out: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for agent, changes in by_agent.items():
        assert changes == sorted(changes) and changes[-1][1] == "logout"
        for (start, state), (end, _) in pairwise(changes):
            moment = start
            while state != "logout" and moment < end:
                edge = min(end, (moment // INTERVAL + 1) * INTERVAL)
                out[agent, moment // INTERVAL * INTERVAL][state] += edge - moment
                moment = edge
    return out


def test_the_answer_has_the_samples_shape_and_spelling(emu: Emulator) -> None:
    answer = ok(emu, AGENT_ACTIVITY, query=DAY)
    assert sorted(answer) == ["AgentUpdates", "accountId"] and answer["accountId"] == emu.account_id
    events = answer["AgentUpdates"]
    assert events == emu.agent_activity(DAY["fromTimeStamp"], DAY["toTimeStamp"])
    assert all(sorted(e) == ["Activity", "AgentId", "EventTime", "ReasonCode"] for e in events)
    assert {e["Activity"] for e in events} == ACTIVITIES
    reasons = {e["Activity"]: set() for e in events}
    for e in events:
        reasons[e["Activity"]].add(e["ReasonCode"])
    assert reasons.pop("notready") <= {"1", "2", "3"}
    assert all(codes == {"0"} for codes in reasons.values())
    # The sample's time format: zero-padded date, unpadded hour, no zone.
    assert "01/02/2023 0:00:00" in {e["EventTime"] for e in events}
    times = [seconds(e["EventTime"]) for e in events]
    assert times == sorted(times)
    directory = {a["agentId"] for a in ok(emu, AGENTS, query={"limit": 10_000})}
    assert {e["AgentId"] for e in events} <= directory


def test_state_time_per_agent_and_interval_is_the_interval_and_matches_performance(
    emu: Emulator,
) -> None:
    states = state_time(ok(emu, AGENT_ACTIVITY, query=DAY)["AgentUpdates"])
    assert len(states) > 500
    assert {sum(s.values()) for s in states.values()} == {INTERVAL}
    page = ok(emu, AGENT_PERFORMANCE, body={**DAY, "limit": 10_000})
    assert page["hasMore"] is False
    worked = 0
    for item in page["AgentPerformance"]:
        for interval in item["intervals"]:
            start = datetime.fromisoformat(
                interval["intervalStartTimeStamp"].replace("Z", "+00:00")
            )
            talk_hold = sum(
                q["conversationTalkTime"] + q["holdDuration"] for q in interval["queues"]
            )
            acw = sum(q["acwDuration"] for q in interval["queues"])
            assert (item["agentId"], int(start.timestamp())) in states  # logged in then
            state = states[item["agentId"], int(start.timestamp())]
            # Whole seconds: busy and acw are the milliseconds rounded down.
            assert (state["busy"], state["acw"]) == (talk_hold // 1000, acw // 1000)
            assert state["notready"] == 0  # no work on a break
            worked += talk_hold > 0
    assert worked > 200
    assert all(s["busy"] == s["acw"] == 0 for s in states.values() if s["notready"])


def test_shifts_start_with_a_state_end_with_logout_and_take_breaks(emu: Emulator) -> None:
    events = ok(emu, AGENT_ACTIVITY, query=DAY)["AgentUpdates"]
    by_agent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for e in events:
        by_agent[e["AgentId"]].append((e["Activity"], e["ReasonCode"]))
    for states in by_agent.values():
        assert states[0][0] in {"available", "busy"} and states[-1][0] == "logout"
        assert [s for s, _ in states].count("logout") == 1  # one shift a day
        assert all(a != b for a, b in pairwise(states))  # an event is a change of state
    breaks = [e for e in events if e["Activity"] == "notready"]
    assert {e["ReasonCode"] for e in breaks} >= {"1", "2"}
    for e in breaks:  # breaks fill whole intervals
        assert seconds(e["EventTime"]) % INTERVAL == 0


def test_another_zone_shifts_the_event_times_and_nothing_else() -> None:
    window = {"fromTimeStamp": "2023-01-02T10:00:00Z", "toTimeStamp": "2023-01-02T11:00:00Z"}
    with (
        Emulator(days=1, queues=1) as utc,
        Emulator(days=1, queues=1, activity_time_zone="America/New_York") as eastern,
    ):
        in_utc = ok(utc, AGENT_ACTIVITY, query=window)["AgentUpdates"]
        in_eastern = ok(eastern, AGENT_ACTIVITY, query=window)["AgentUpdates"]
    assert in_utc and len(in_utc) == len(in_eastern)
    for a, b in zip(in_utc, in_eastern, strict=True):
        assert seconds(a["EventTime"]) == seconds(b["EventTime"], "America/New_York")
        assert {**a, "EventTime": ""} == {**b, "EventTime": ""}
    assert in_eastern[0]["EventTime"].startswith("01/02/2023 5:")  # EST, unpadded hour
    with pytest.raises(ValueError, match="not an IANA time zone"):
        Emulator(activity_time_zone="Mars/Olympus")


def test_camel_case_serves_the_field_tables_spelling() -> None:
    with Emulator(days=1, queues=1, camel_case=True) as emu:
        answer = ok(emu, AGENT_ACTIVITY, query=DAY)
    assert sorted(answer) == ["accountId", "agentUpdates"]
    assert sorted(answer["agentUpdates"][0]) == ["activity", "agentId", "eventTime", "reasonCode"]


def test_any_split_of_a_window_gives_the_same_events(emu: Emulator) -> None:
    whole = ok(emu, AGENT_ACTIVITY, query=DAY)["AgentUpdates"]
    start = datetime(2023, 1, 2, tzinfo=UTC)
    parts: list[dict[str, Any]] = []
    for hours in range(0, 24, 6):  # the client's six-hour chunks
        lo, hi = start + timedelta(hours=hours), start + timedelta(hours=hours + 6)
        if hours == 18:
            hi += timedelta(seconds=1)
        query = {"fromTimeStamp": lo.isoformat(), "toTimeStamp": hi.isoformat()}
        parts += ok(emu, AGENT_ACTIVITY, query=query)["AgentUpdates"]
    assert parts == whole


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"toTimeStamp": DAY["toTimeStamp"]}, "fromTimeStamp is required"),
        ({"fromTimeStamp": DAY["fromTimeStamp"]}, "toTimeStamp is required"),
        ({**DAY, "fromTimeStamp": "10/20/2020 2:13:12"}, "is not an ISO 8601 timestamp"),
        ({**DAY, "toTimeStamp": DAY["fromTimeStamp"]}, "must be before toTimeStamp"),
    ],
)
def test_a_missing_or_bad_window_is_400(emu: Emulator, query: dict[str, str], message: str) -> None:
    status, payload = call(emu, AGENT_ACTIVITY, query=query)
    assert status == 400 and message in payload["errors"][0]["msg"]


def test_auth_faults_and_methods_apply_to_agent_activity() -> None:
    with Emulator(days=1, queues=1) as emu:
        assert call(emu, AGENT_ACTIVITY, query=DAY, headers={"auth": ""})[0] == 401
        emu.inject(500, body={"errors": [{"msg": "boom", "code": 500}]})
        assert call(emu, AGENT_ACTIVITY, query=DAY) == (
            500,
            {"errors": [{"msg": "boom", "code": 500}]},
        )
        assert emu.requests[-1].query == DAY and emu.requests[-1].endpoint == "agentactivity"
        wrong = call(emu, AGENT_ACTIVITY, query=DAY, method="POST")
    assert wrong == (405, {"errors": [{"msg": "use GET", "code": 405}]})
