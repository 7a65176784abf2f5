"""The whole account is fixed by its seed, whichever endpoint or window is asked, and
serving call volume alone never makes the agents' data."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cvframe._endpoints import AGENT_ACTIVITY, AGENT_PERFORMANCE, AGENTS, CALLVOLUME, QUEUES
from cvframe.emulator import Emulator
from tests.emulator._loopback import ok

DAY = {"fromTimeStamp": "2023-01-03T00:00:00Z", "toTimeStamp": "2023-01-04T00:00:00Z"}


def everything(emu: Emulator) -> str:
    """A digest of every endpoint's answer for one day, over loopback."""
    answers: list[Any] = [
        ok(emu, QUEUES),
        ok(emu, AGENTS, query={"limit": 10_000}),
        ok(emu, AGENT_PERFORMANCE, body={**DAY, "limit": 10_000}),
        ok(emu, AGENT_ACTIVITY, query=DAY),
        ok(emu, CALLVOLUME, body={"orgId": emu.org_id, **DAY, "includeSkillBreakdown": True}),
    ]
    return hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest()


def test_the_same_seed_serves_the_same_payloads_and_another_seed_others() -> None:
    with Emulator(days=3, queues=2) as one, Emulator(days=3, queues=2) as two:
        first = everything(one)
        # Asked in another order, after other days were made: the same answers.
        two.agent_activity("2023-01-02", "2023-01-05")
        assert everything(two) == first
    with Emulator(days=3, queues=2, seed=1) as other:
        assert everything(other) != first


def test_serving_call_volume_alone_makes_no_agent_data() -> None:
    with Emulator(days=2, queues=2) as emu:
        ok(emu, CALLVOLUME, body={"orgId": emu.org_id, **DAY})
        ok(emu, QUEUES)
        assert emu._workforce_data is None  # the agents are made on first need
        ok(emu, AGENTS)
        assert emu._workforce_data is not None


def test_the_agent_pool_staffs_every_day_of_several_seeds() -> None:
    # A day that its pool cannot staff raises: the busiest days (Monday to Thursday)
    # of six queues, two more seeds.
    for seed in (1, 2):
        emu = Emulator(seed=seed, queues=6, days=4)
        items = emu.agent_performance()
        assert len(items) > 100
        known = {a["agentId"] for a in emu.agents()}
        assert {i["agentId"] for i in items} <= known
