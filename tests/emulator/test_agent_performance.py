"""Agent performance over loopback: pages count agents, and the agents' work adds up
exactly to the call volume of their queues (checked on the raw payloads)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from cvframe._endpoints import AGENT_PERFORMANCE, AGENTS, CALLVOLUME
from cvframe.emulator import Emulator
from cvframe.emulator._agents import AGENT_CAPACITY_MS
from tests.emulator._loopback import call, call_raw, ok

DAY = {"fromTimeStamp": "2023-01-02T00:00:00Z", "toTimeStamp": "2023-01-03T00:00:00Z"}
#: The measures split exactly among agents: sums per queue and interval are the record's.
SPLIT = (
    "answeredContacts",
    "completedContacts",
    "conversationHandleTime",
    "conversationTalkTime",
    "holdDuration",
    "acwDuration",
)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(days=1, queues=3) as served:
        yield served


def read_all(emu: Emulator, body: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Every agent of the window, page by page (bounded: at most 100 pages)."""
    items: list[dict[str, Any]] = []
    for _ in range(100):
        page = ok(emu, AGENT_PERFORMANCE, body={**body, "skip": len(items), "limit": limit})
        items += page["AgentPerformance"]
        if not page["hasMore"]:
            assert page["totalCount"] == len(items)
            return items
    raise AssertionError("agent performance did not end within 100 pages")


def call_volume(emu: Emulator) -> list[dict[str, Any]]:
    page = ok(emu, CALLVOLUME, body={"orgId": emu.org_id, **DAY, "limit": 10_000})
    assert page["hasMore"] is False
    return list(page["CallVolumeUpdate"])


def test_a_page_has_the_documented_shape_and_counts_agents(emu: Emulator) -> None:
    page = ok(emu, AGENT_PERFORMANCE, body={**DAY, "skip": 0, "limit": 4})
    assert sorted(page) == ["AgentPerformance", "hasMore", "totalCount"]
    assert len(page["AgentPerformance"]) == 4 and page["hasMore"] is True
    agent = page["AgentPerformance"][0]
    assert sorted(agent) == ["agentId", "intervals"]
    interval = agent["intervals"][0]
    assert sorted(interval) == ["intervalEndTimeStamp", "intervalStartTimeStamp", "queues"]
    documented = {
        "queueId", "queueName", "offeredContacts", "answeredContacts", "abandonedContacts",
        "completedContacts", "transferredContacts", "conversationHandleTime",
        "conversationTalkTime", "acwDuration", "holdDuration",
    }  # fmt: skip
    for queue in interval["queues"]:
        assert documented <= set(queue) <= documented | {"csatScore"}
    assert page["totalCount"] == len(
        emu.agent_performance(DAY["fromTimeStamp"], DAY["toTimeStamp"])
    )


def test_paging_over_agents_is_complete_and_as_served(emu: Emulator) -> None:
    items = read_all(emu, DAY, limit=9)
    assert items == emu.agent_performance(DAY["fromTimeStamp"], DAY["toTimeStamp"])
    ids = [item["agentId"] for item in items]
    assert ids == sorted(set(ids))
    directory = {a["agentId"] for a in ok(emu, AGENTS, query={"limit": 10_000})}
    assert set(ids) <= directory


def test_the_agents_work_adds_up_to_the_call_volume_of_each_queue_and_interval(
    emu: Emulator,
) -> None:
    assert AGENT_CAPACITY_MS <= 0.9 * 15 * 60 * 1000
    sums: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(SPLIT, 0))
    for item in read_all(emu, DAY, limit=50):
        for interval in item["intervals"]:
            handled = 0
            for queue in interval["queues"]:
                key = (interval["intervalStartTimeStamp"], queue["queueId"])
                for name in SPLIT:
                    sums[key][name] += queue[name]
                assert queue["conversationHandleTime"] == (
                    queue["conversationTalkTime"] + queue["holdDuration"] + queue["acwDuration"]
                )
                assert queue["offeredContacts"] == queue["answeredContacts"]
                assert queue["abandonedContacts"] == 0
                assert 0 <= queue["transferredContacts"] <= queue["completedContacts"]
                assert queue["completedContacts"] <= queue["answeredContacts"]
                assert queue.get("csatScore", 3) in range(1, 6)
                handled += queue["conversationHandleTime"]
            assert handled <= AGENT_CAPACITY_MS  # no agent carries more than 90% of 15 min
    records = call_volume(emu)
    assert len(records) > 200
    for record in records:
        key = (record["intervalStartTimeStamp"], record["queueId"])
        assert sums.pop(key, dict.fromkeys(SPLIT, 0)) == {n: record[n] for n in SPLIT}, key
    assert sums == {}  # no agent work where the queue had none


def test_some_agents_take_contacts_from_two_queues(emu: Emulator) -> None:
    items = emu.agent_performance()
    queues_of = {
        i["agentId"]: {q["queueId"] for v in i["intervals"] for q in v["queues"]} for i in items
    }
    assert any(len(q) == 2 for q in queues_of.values())
    assert all(len(q) <= 2 for q in queues_of.values())


def test_any_split_of_a_window_gives_the_same_items() -> None:
    with Emulator(days=2, queues=2) as emu:
        whole = read_all(
            emu,
            {"fromTimeStamp": "2023-01-02T06:00:00Z", "toTimeStamp": "2023-01-03T18:00:00Z"},
            25,
        )
        halves: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for lo, hi in (
            ("2023-01-02T06:00:00Z", "2023-01-03T02:15:00Z"),
            ("2023-01-03T02:15:00Z", "2023-01-03T18:00:00Z"),
        ):
            for item in read_all(emu, {"fromTimeStamp": lo, "toTimeStamp": hi}, 7):
                halves[item["agentId"]] += item["intervals"]
    assert [{"agentId": a, "intervals": v} for a, v in sorted(halves.items())] == whole


def test_without_a_start_the_window_begins_with_the_data(emu: Emulator) -> None:
    page = ok(emu, AGENT_PERFORMANCE, body={"toTimeStamp": DAY["toTimeStamp"], "limit": 3})
    assert page["AgentPerformance"] == emu.agent_performance(None, DAY["toTimeStamp"])[:3]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"fromTimeStamp": DAY["fromTimeStamp"]}, "toTimeStamp is required"),
        ({**DAY, "fromTimeStamp": DAY["toTimeStamp"]}, "must be before toTimeStamp"),
        ({**DAY, "skip": -3}, "skip must be an integer >= 0"),
        ({**DAY, "limit": 2.5}, "limit must be an integer >= 1"),
    ],
)
def test_a_bad_body_is_400(emu: Emulator, body: dict[str, Any], message: str) -> None:
    status, payload = call(emu, AGENT_PERFORMANCE, body=body)
    assert status == 400 and message in payload["errors"][0]["msg"]


def test_page_cap_and_paging_lies_apply_to_agent_performance() -> None:
    with Emulator(days=1, queues=1, max_page_size=5) as emu:
        total = len(emu.agent_performance())
        capped = ok(emu, AGENT_PERFORMANCE, body={**DAY, "limit": 50})
        assert len(capped["AgentPerformance"]) == 5 and capped["totalCount"] == total
        emu.lie_has_more, emu.total_count_drift = True, 2
        past = ok(emu, AGENT_PERFORMANCE, body={**DAY, "skip": total})
    assert (past["AgentPerformance"], past["hasMore"]) == ([], True)
    assert past["totalCount"] == total + 2 * 2  # the second request answered


def test_a_fault_and_the_shared_rate_limit_reach_agent_performance() -> None:
    with Emulator(days=1, queues=1, requests_per_minute=2) as emu:
        assert call(emu, AGENT_PERFORMANCE, body=DAY)[0] == 200
        assert call(emu, CALLVOLUME, body={"orgId": emu.org_id, **DAY})[0] == 200
        status, payload = call(emu, AGENT_PERFORMANCE, body=DAY)
        assert (status, payload["errors"][0]["code"]) == (429, 429)  # one limit per account
    with Emulator(days=1, queues=1) as emu:
        whole = call_raw(emu, AGENT_PERFORMANCE, body=DAY)[1]
        emu.inject(503, retry_after=2)
        emu.inject(200, kind="truncate")
        assert call(emu, AGENT_PERFORMANCE, body=DAY)[0] == 503
        assert call_raw(emu, AGENT_PERFORMANCE, body=DAY) == (200, whole[: len(whole) // 2])
        assert [r.endpoint for r in emu.requests] == ["agentperformance"] * 3
