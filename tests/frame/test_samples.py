"""Each documented sample answer of the WFM pages parses into the right frame (one test each)."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pandas as pd
import pytest

import cvframe
from tests.frame._samples import (
    AGENT_ACTIVITY_RESPONSE,
    AGENT_PERFORMANCE_RESPONSE,
    AGENTS_RESPONSE,
    QUEUES_RESPONSE,
    SKILL_BREAKDOWN_RESPONSE,
)

BACKENDS = ["numpy_nullable", "pyarrow"]


def frame(items: Any, endpoint: str, backend: str, **options: Any) -> pd.DataFrame:
    """The validated frame of ``items``; any drift warning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = cvframe.records_to_frame(
            copy.deepcopy(items), endpoint=endpoint, dtype_backend=backend, **options
        )
    assert list(df.columns) == list(cvframe.contract_dtypes(backend, endpoint=endpoint))
    assert (df.dtypes == pd.Series(cvframe.contract_dtypes(backend, endpoint=endpoint))).all()
    assert isinstance(df.index, pd.RangeIndex)
    return cvframe.validate(df, endpoint=endpoint)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_agent_performance_sample_gives_a_row_per_agent_interval_and_queue(
    backend: str,
) -> None:
    df = frame(AGENT_PERFORMANCE_RESPONSE["AgentPerformance"], "agentperformance", backend)
    assert len(df) == 2  # one agent, one interval, two queues
    assert df["agent_id"].tolist() == ["a-xxxx-1", "a-xxxx-1"]
    assert df["queue_id"].tolist() == ["qu-xxxx-1", "qu-xxxx-2"]
    assert df["queue_name"].tolist() == ["General Information", "Billing Support"]
    assert (df["interval_start"] == utc("2023-01-07 09:45")).all()
    assert (df["interval_end"] == utc("2023-01-07 10:00")).all()
    first = df.iloc[0]
    assert first["transferred_contacts"] == 1 and first["completed_contacts"] == 2
    # The page states milliseconds: 95000 ms of handle time is 95 seconds.
    assert first["conversation_handle_time"] == pd.Timedelta(seconds=95)
    assert first["conversation_handle_time"] == (
        first["conversation_talk_time"] + first["acw_duration"] + first["hold_duration"]
    )
    assert df["csat_score"].tolist() == [4.0, 5.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_agent_activity_sample_in_pascal_case_gives_one_event_in_utc(backend: str) -> None:
    df = frame(AGENT_ACTIVITY_RESPONSE["AgentUpdates"], "agentactivity", backend)
    assert df.to_dict("records") == [
        {
            "agent_id": "a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
            "event_time": utc("2020-10-20 02:13:12"),  # the unpadded hour, read as UTC
            "activity": "notready",
            "reason_code": "1",
        }
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_agent_activity_field_tables_camel_case_gives_the_same_frame(backend: str) -> None:
    camel = [
        {
            "agentId": e["AgentId"],
            "eventTime": e["EventTime"],
            "activity": e["Activity"],
            "reasonCode": e["ReasonCode"],
        }
        for e in AGENT_ACTIVITY_RESPONSE["AgentUpdates"]
    ]
    pd.testing.assert_frame_equal(
        frame(camel, "agentactivity", backend),
        frame(AGENT_ACTIVITY_RESPONSE["AgentUpdates"], "agentactivity", backend),
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_queues_sample_with_a_capital_description(backend: str) -> None:
    df = frame(QUEUES_RESPONSE, "queues", backend)
    assert df.to_dict("records") == [
        {
            "account_id": "63fb9a0f90425b644d3exxxx",
            "queue_id": "qu-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
            "description": "Default Queue",
        }
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_queues_field_tables_lower_case_description_gives_the_same_frame(
    backend: str,
) -> None:
    lower = [
        {
            "accountId": q["accountId"],
            "collectionPointId": q["collectionPointId"],
            "description": q["Description"],
        }
        for q in QUEUES_RESPONSE
    ]
    pd.testing.assert_frame_equal(
        frame(lower, "queues", backend), frame(QUEUES_RESPONSE, "queues", backend)
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_agents_sample(backend: str) -> None:
    df = frame(AGENTS_RESPONSE, "agents", backend)
    assert df.to_dict("records") == [
        {
            "account_id": "63fb9a0f90425b644d3exxxx",
            "agent_id": "a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
            "first_name": "Tony",
            "last_name": "Stark",
        }
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_contact_volume_skill_breakdown_sample_gives_a_row_per_record_and_skill(
    backend: str,
) -> None:
    df = frame(SKILL_BREAKDOWN_RESPONSE["CallVolumeUpdate"], "skillvolume", backend)
    assert len(df) == 1
    row = df.iloc[0]
    # The record's identity beside the skill's own fields and measures.
    assert row["id"] == "647868bfc0cf4c7b7671xxxx"
    assert row["queue_id"] == "qu-xxxx" and row["queue_name"] == "General Information"
    assert row["interval_start"] == utc("2023-06-01 09:45")
    assert (row["skill_id"], row["skill_name"]) == ("sk-xxxx-1", "Italian Market")
    assert (row["skill_group_id"], row["skill_group_name"]) == ("sg-xxxx", "Languages")
    # The skill's counts, not the record's (10 offered to the queue, 6 with this skill).
    assert row["offered_contacts"] == 6 and row["answered_contacts"] == 5
    assert row["conversation_handle_time"] == pd.Timedelta(seconds=190)
    assert row["max_queue_hold_time_abandoned"] == pd.Timedelta(seconds=15)
    assert (row["csat_responses"], row["csat_score"]) == (3, 4.0)
    assert pd.isna(row["version"])  # the sample record carries no __v


def test_the_skill_breakdown_sample_still_reads_as_call_volume_with_the_breakdown_named() -> None:
    records = copy.deepcopy(SKILL_BREAKDOWN_RESPONSE["CallVolumeUpdate"])
    with pytest.warns(cvframe.SchemaDriftWarning, match="skillBreakdown"):
        df = cvframe.records_to_frame(records)
    assert df.loc[0, "offered_contacts"] == 10  # the queue's own count
