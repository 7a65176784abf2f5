"""The skill breakdown of a call-volume record (``includeSkillBreakdown: true``).

Each queue needs one to three skills (fixed by the seed and the queue id). A record's
contacts are split exactly among the skills (each contact's first skill); then a
share of the contacts of each other skill needed this one too, and count again under
it with their waits and durations. So every measure summed over a record's skills is
at least the record's (the queue row counts unique contacts), and more where
contacts needed two skills. Per skill: offered = answered + abandoned, completed <=
answered, handle = talk + hold + after-call work, a maximum wait is at most the
record's; ``csatScore`` is the record's average where the skill has CSAT responses,
0 otherwise (as records have it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._data import stable_hex, uuidish
from ._split import split_exactly

__all__ = ["skill_breakdown", "skills_of"]

#: (skill group, its skills): the names skills are drawn from.
_SKILL_GROUPS = (
    ("Languages", ("English", "Spanish", "Italian Market", "German")),
    ("Products", ("Broadband", "Mobile", "Payments", "Insurance")),
    ("Tiers", ("Tier 1", "Tier 2", "VIP")),
)
#: The measures split with each kind of contact: (count field, summed durations).
_COMPLETED_DURATIONS = ("conversationTalkTime", "holdDuration", "acwDuration")
_MAXIMA = (
    ("maxQueueHoldTimeAnswered", "queueHoldTimeAnswered"),
    ("maxqueueHoldTimeAbandoned", "queueHoldTimeAbandoned"),
)


def skills_of(seed: int, queue_id: str) -> list[dict[str, str]]:
    """The skills a queue's contacts need: ``{skillId, skillName, skillGroupId,
    skillGroupName}``, one to three of them."""
    draw = int(stable_hex(seed, "skills", queue_id, length=8), 16)
    out = []
    for k in range(1 + draw % 3):
        group, names = _SKILL_GROUPS[(draw // 3 + k) % len(_SKILL_GROUPS)]
        name = names[(draw // 9 + k) % len(names)]
        out.append(
            {
                "skillId": uuidish("sk", seed, queue_id, k),
                "skillName": name,
                "skillGroupId": uuidish("sg", seed, group),
                "skillGroupName": group,
            }
        )
    return out


def skill_breakdown(seed: int, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``skillBreakdown`` list of one record (fields it lacks count as 0)."""
    skills = skills_of(seed, str(record.get("queueId", "")))
    rng = np.random.default_rng(
        int(stable_hex(seed, "breakdown", record.get("_id"), length=12), 16)
    )
    weights = list(rng.uniform(0.3, 1.0, len(skills)))
    overlap = list(rng.uniform(0.05, 0.3, len(skills)))

    def value(name: str) -> int:
        return int(record.get(name) or 0)

    answered, completed = value("answeredContacts"), value("completedContacts")
    kinds = {  # a contact's kind -> the summed durations that go with it
        "completedContacts": ("conversationTalkTime", "holdDuration", "acwDuration"),
        "_open": (),  # answered, not completed
        "abandonedContacts": ("queueHoldTimeAbandoned",),
        "_other": (),  # offered, neither answered nor abandoned (a changed record)
    }
    abandoned = value("abandonedContacts")
    totals = {
        "completedContacts": completed,
        "_open": answered - completed,
        "abandonedContacts": abandoned,
        "_other": value("offeredContacts") - answered - abandoned,
    }
    first: dict[str, list[int]] = {}
    for kind, count in totals.items():
        first[kind] = split_exactly(max(0, count), weights)
        for name in kinds[kind]:
            first[name] = split_exactly(value(name), weights)
    # Waits of answered contacts follow the answered ones (completed or not).
    answered_first = [
        c + o for c, o in zip(first["completedContacts"], first["_open"], strict=True)
    ]
    first["queueHoldTimeAnswered"] = split_exactly(value("queueHoldTimeAnswered"), answered_first)
    first["csatResponses"] = split_exactly(value("csatResponses"), first["completedContacts"])
    counted = {name: list(shares) for name, shares in first.items()}
    if len(skills) > 1:  # some contacts of the next skill need this one too
        for k in range(len(skills)):
            other = (k + 1) % len(skills)
            for name, shares in first.items():
                counted[name][k] += int(shares[other] * overlap[k])
    out = []
    for k, skill in enumerate(skills):
        done, still, gone, other = (
            counted[n][k] for n in ("completedContacts", "_open", "abandonedContacts", "_other")
        )
        talk, hold, acw = (counted[n][k] for n in _COMPLETED_DURATIONS)
        entry: dict[str, Any] = {
            **skill,
            "offeredContacts": done + still + gone + other,
            "answeredContacts": done + still,
            "abandonedContacts": gone,
            "completedContacts": done,
            "conversationHandleTime": talk + hold + acw,
            "conversationTalkTime": talk,
            "acwDuration": acw,
            "holdDuration": hold,
            "queueHoldTimeAnswered": counted["queueHoldTimeAnswered"][k],
            "queueHoldTimeAbandoned": counted["queueHoldTimeAbandoned"][k],
        }
        for longest, total in _MAXIMA:
            entry[longest] = min(value(longest), entry[total])
        entry["csatResponses"] = counted["csatResponses"][k]
        entry["csatScore"] = value("csatScore") if entry["csatResponses"] else 0
        out.append(entry)
    return out
