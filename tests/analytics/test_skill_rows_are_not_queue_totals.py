"""No queue helper adds skill-breakdown rows up into queue totals (one contact, many skills)."""

from __future__ import annotations

import pandas as pd
import pytest

import cvframe

SKILL_RECORD = {
    "_id": "r1",
    "__v": 0,
    "queueId": "qu-1",
    "queueName": "Billing",
    "intervalStartTimeStamp": "2024-03-04T09:00:00.000Z",
    "intervalEndTimeStamp": "2024-03-04T09:15:00.000Z",
    "skillBreakdown": [
        {
            "skillId": f"sk-{i}",
            "skillName": name,
            "offeredContacts": 3,
            "answeredContacts": 3,
            "completedContacts": 3,
            "abandonedContacts": 0,
            "conversationHandleTime": 90000,
        }
        for i, name in enumerate(["English", "Billing"])
    ],
}


def _skill_frame_with_every_call_volume_column() -> pd.DataFrame:
    """A skill frame padded to look like call volume: only its skill_id gives it away."""
    skills = cvframe.records_to_frame([SKILL_RECORD], endpoint="skillvolume")
    frame = cvframe.empty_frame().reindex(range(len(skills)))
    for name in frame.columns:
        if name in skills.columns:
            frame[name] = skills[name].to_numpy()
    frame["id"] = (skills["id"] + "/" + skills["skill_id"]).to_numpy()
    frame["skill_id"] = skills["skill_id"].to_numpy()
    return frame


@pytest.mark.parametrize(
    "call",
    [
        lambda df: cvframe.resample_intervals(df, "30min"),
        lambda df: cvframe.kpis(df),
        lambda df: cvframe.to_series(df, "offered_contacts", freq="30min"),
    ],
    ids=["resample_intervals", "kpis", "to_series"],
)
def test_a_skill_breakdown_is_refused_by_the_queue_helpers(call) -> None:  # type: ignore[no-untyped-def]
    frame = _skill_frame_with_every_call_volume_column()
    with pytest.raises(ValueError, match=r"skill_id.*once per skill.*read_callvolume"):
        call(frame)


def test_the_skill_frame_as_read_is_refused_for_the_same_reason() -> None:
    skills = cvframe.records_to_frame([SKILL_RECORD], endpoint="skillvolume")
    assert len(skills) == 2  # one row per skill, the same contacts in both
    with pytest.raises(ValueError, match="skill_id"):
        cvframe.kpis(skills)
