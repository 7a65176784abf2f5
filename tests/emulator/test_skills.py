"""The skill breakdown over loopback: asked for, each record gains its skills; per-skill
sums reach at least the queue's totals; without the flag nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cvframe._endpoints import CALLVOLUME, SKILL_VOLUME
from cvframe.emulator import Emulator
from tests.emulator._loopback import call, ok

WINDOW = {"fromTimeStamp": "2023-01-02T00:00:00Z", "toTimeStamp": "2023-01-03T00:00:00Z"}
FLAG = "includeSkillBreakdown"
#: Each skill's fields: the documented list (contact-volume page, newer revision).
SKILL_FIELDS = {
    "skillId", "skillName", "skillGroupId", "skillGroupName", "offeredContacts",
    "answeredContacts", "abandonedContacts", "completedContacts", "conversationHandleTime",
    "conversationTalkTime", "acwDuration", "holdDuration", "queueHoldTimeAnswered",
    "maxQueueHoldTimeAnswered", "queueHoldTimeAbandoned", "maxqueueHoldTimeAbandoned",
    "csatResponses", "csatScore",
}  # fmt: skip
SUMMED = (
    "offeredContacts", "answeredContacts", "abandonedContacts", "completedContacts",
    "conversationHandleTime", "conversationTalkTime", "acwDuration", "holdDuration",
    "queueHoldTimeAnswered", "queueHoldTimeAbandoned", "csatResponses",
)  # fmt: skip


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(days=1, queues=4) as served:
        yield served


def page(emu: Emulator, **body: Any) -> list[dict[str, Any]]:
    answer = ok(emu, CALLVOLUME, body={"orgId": emu.org_id, **WINDOW, "limit": 10_000, **body})
    assert answer["hasMore"] is False
    return list(answer["CallVolumeUpdate"])


def test_each_record_gains_its_skills_and_is_otherwise_unchanged(emu: Emulator) -> None:
    plain = page(emu)
    with_skills = page(emu, **{FLAG: True})
    assert [{k: v for k, v in r.items() if k != "skillBreakdown"} for r in with_skills] == plain
    assert with_skills == emu.records(*WINDOW.values(), skill_breakdown=True)
    counts = set()
    for record in with_skills:
        skills = record["skillBreakdown"]
        counts.add(len(skills))
        assert all(set(s) == SKILL_FIELDS for s in skills)
        assert all(
            s["skillId"].startswith("sk-") and s["skillGroupId"].startswith("sg-") for s in skills
        )
    assert counts <= {1, 2, 3} and len(counts) > 1
    assert [r.endpoint for r in emu.requests[-2:]] == ["callvolume", SKILL_VOLUME.name]


def test_without_the_flag_or_with_false_records_are_exactly_as_before(emu: Emulator) -> None:
    assert page(emu) == page(emu, **{FLAG: False}) == emu.records(*WINDOW.values())


def test_per_skill_sums_reach_the_queue_totals_and_pass_them_where_contacts_need_two(
    emu: Emulator,
) -> None:
    passed = 0
    for record in page(emu, **{FLAG: True}):
        skills = record["skillBreakdown"]
        for name in SUMMED:
            assert sum(s[name] for s in skills) >= record[name], name
        passed += sum(s["offeredContacts"] for s in skills) > record["offeredContacts"]
        for s in skills:
            assert s["offeredContacts"] == s["answeredContacts"] + s["abandonedContacts"]
            assert s["completedContacts"] <= s["answeredContacts"]
            assert s["conversationHandleTime"] == (
                s["conversationTalkTime"] + s["holdDuration"] + s["acwDuration"]
            )
            assert s["maxQueueHoldTimeAnswered"] <= record["maxQueueHoldTimeAnswered"]
            assert s["maxqueueHoldTimeAbandoned"] <= record["maxqueueHoldTimeAbandoned"]
            assert s["csatScore"] in (range(1, 6) if s["csatResponses"] else (0,))
    assert passed > 50


def test_a_queue_keeps_its_skills_and_a_touched_record_its_breakdown_rules(emu: Emulator) -> None:
    skills_of: dict[str, set[tuple[str, str]]] = {}
    for record in page(emu, **{FLAG: True}):
        names = {(s["skillId"], s["skillName"]) for s in record["skillBreakdown"]}
        assert skills_of.setdefault(record["queueId"], names) == names
    with Emulator(days=1, queues=1) as touched:
        first = touched.records()[0]
        touched.touch([first["_id"]], offeredContacts=first["offeredContacts"] + 40)
        again = touched.records(skill_breakdown=True)[0]
    assert sum(s["offeredContacts"] for s in again["skillBreakdown"]) >= again["offeredContacts"]


def test_a_flag_that_is_not_a_boolean_is_400(emu: Emulator) -> None:
    status, payload = call(emu, CALLVOLUME, body={"orgId": emu.org_id, **WINDOW, FLAG: "yes"})
    assert (status, payload["errors"][0]["msg"]) == (400, f"{FLAG} must be true or false")
