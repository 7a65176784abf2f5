"""Items as pages send them -> rows: nesting, other spellings, drift, and one row per key."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import cvframe
from cvframe._frame import keep_latest_versions, queue_mask, records_to_table
from tests.frame._samples import (
    AGENT_ACTIVITY_RESPONSE,
    AGENT_PERFORMANCE_RESPONSE,
    QUEUES_RESPONSE,
    SKILL_BREAKDOWN_RESPONSE,
)


def agents() -> list[dict[str, Any]]:
    return copy.deepcopy(AGENT_PERFORMANCE_RESPONSE["AgentPerformance"])


def skill_records() -> list[dict[str, Any]]:
    return copy.deepcopy(SKILL_BREAKDOWN_RESPONSE["CallVolumeUpdate"])


def event(**fields: Any) -> dict[str, Any]:
    return {**AGENT_ACTIVITY_RESPONSE["AgentUpdates"][0], **fields}


T0945, T1000, T1015 = "2023-01-07T09:45:00Z", "2023-01-07T10:00:00Z", "2023-01-07T10:15:00Z"


def interval(start: str, end: str, *queues: dict[str, Any]) -> dict[str, Any]:
    return {"intervalStartTimeStamp": start, "intervalEndTimeStamp": end, "queues": list(queues)}


def queue(queue_id: str, offered: int = 1) -> dict[str, Any]:
    return {"queueId": queue_id, "queueName": queue_id.upper(), "offeredContacts": offered}


def test_every_agent_interval_and_queue_is_a_row_and_empty_lists_give_none() -> None:
    items = [
        {
            "agentId": "a-2",
            "intervals": [
                interval(T0945, T1000, queue("q-1"), queue("q-2")),
                interval(T1000, T1015, queue("q-1", 4)),
                interval(T1015, "2023-01-07T10:30:00Z"),  # no queues
            ],
        },
        {"agentId": "a-3", "intervals": []},  # no intervals: no row
        {
            "agentId": "a-1",
            "intervals": [interval(T0945, T1000, queue("q-2"))],
        },
    ]
    df = cvframe.records_to_frame(items, endpoint="agentperformance")
    got = list(
        zip(df["interval_start"].dt.strftime("%H:%M"), df["agent_id"], df["queue_id"], strict=True)
    )
    # Sorted by interval, agent, queue.
    assert got == [
        ("09:45", "a-1", "q-2"),
        ("09:45", "a-2", "q-1"),
        ("09:45", "a-2", "q-2"),
        ("10:00", "a-2", "q-1"),
    ]
    assert df["offered_contacts"].tolist() == [1, 1, 1, 4]
    assert df["queue_name"].tolist() == ["Q-2", "Q-1", "Q-2", "Q-1"]
    cvframe.validate(df, endpoint="agentperformance")


@pytest.mark.parametrize(
    ("item", "named"),
    [
        ({"agentId": "a-9"}, r"agent 'a-9': 'intervals' is None, not a list"),
        ({"agentId": "a-9", "intervals": {"x": 1}}, r"agent 'a-9': 'intervals' is \{'x': 1\}"),
        ({"agentId": "a-9", "intervals": ["soon"]}, r"agent 'a-9': 'intervals' is \['soon'\]"),
        (
            {"agentId": "a-9", "intervals": [{"intervalStartTimeStamp": "2023-01-07T09:45:00Z"}]},
            r"agent 'a-9', interval '2023-01-07T09:45:00Z': 'queues' is None, not a list",
        ),
        (
            {"agentId": "a-9", "intervals": [{"queues": [1, 2]}]},
            r"agent 'a-9', interval None: 'queues' is \[1, 2\]",
        ),
    ],
)
def test_a_missing_or_malformed_nesting_list_is_a_response_error_naming_the_agent(
    item: dict[str, Any], named: str
) -> None:
    with pytest.raises(cvframe.ResponseError, match=named):
        records_to_table([*agents(), item], endpoint="agentperformance")


def test_a_bad_value_in_a_nested_queue_names_the_agent_interval_and_queue() -> None:
    items = agents()
    items[0]["intervals"][0]["queues"][1]["acwDuration"] = "slow"
    with pytest.raises(cvframe.ResponseError) as info:
        records_to_table(items, endpoint="agentperformance")
    message = str(info.value)
    for part in (
        "'acwDuration'",
        "agent 'a-xxxx-1'",
        "'2023-01-07T09:45:00.000Z'",
        "'qu-xxxx-2'",
        "'slow'",
    ):
        assert part in message, part


def test_unknown_keys_at_every_level_are_named_with_their_path_in_one_warning() -> None:
    items = agents()
    items[0]["team"] = "north"
    items[0]["intervals"][0]["timezone"] = "UTC"
    items[0]["intervals"][0]["queues"][0]["callbacks"] = 2
    items[0]["intervals"][0]["queues"][1]["callbacks"] = 0
    with pytest.warns(cvframe.SchemaDriftWarning) as caught:
        df = cvframe.records_to_frame(items, endpoint="agentperformance")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "intervals.queues.callbacks, intervals.timezone, team;" in message
    assert len(df) == 2 and "callbacks" not in df.columns


def test_the_nesting_keys_and_the_sample_fields_are_not_drift() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cvframe.records_to_frame(agents(), endpoint="agentperformance")
        cvframe.records_to_frame(skill_records(), endpoint="skillvolume")


def test_skill_rows_carry_their_record_and_a_record_without_skills_gives_none() -> None:
    base = skill_records()[0]
    second_skill = {**base["skillBreakdown"][0], "skillId": "sk-0", "offeredContacts": 4}
    records = [
        {**base, "__v": 1, "skillBreakdown": [base["skillBreakdown"][0], second_skill]},
        {**base, "_id": "r-empty", "skillBreakdown": []},
        {**{k: v for k, v in base.items() if k != "skillBreakdown"}, "_id": "r-none"},
        {**base, "_id": "r-null", "skillBreakdown": None},
    ]
    df = cvframe.records_to_frame(records, endpoint="skillvolume")
    assert df["skill_id"].tolist() == ["sk-0", "sk-xxxx-1"]
    assert df["id"].tolist() == [base["_id"]] * 2
    assert df["version"].tolist() == [1, 1]
    assert df["offered_contacts"].tolist() == [4, 6]
    cvframe.validate(df, endpoint="skillvolume")


def test_the_records_own_call_volume_fields_are_known_but_an_unknown_one_is_named() -> None:
    records = skill_records()
    records[0].update(orgId="o-1", source="rtm", iId="st-1", messageCount=0, futureField=1)
    records[0]["skillBreakdown"][0]["skillLevel"] = 3
    with pytest.warns(cvframe.SchemaDriftWarning) as caught:
        cvframe.records_to_frame(records, endpoint="skillvolume")
    assert [str(w.message).split(";")[0] for w in caught] == [
        "the API sent field(s) cvframe does not know: futureField, skillBreakdown.skillLevel"
    ]


def test_a_skill_breakdown_that_is_not_a_list_is_a_response_error_naming_the_record() -> None:
    records = skill_records()
    records[0]["skillBreakdown"] = {"skillId": "sk-1"}
    with pytest.raises(
        cvframe.ResponseError, match=r"record '647868bfc0cf4c7b7671xxxx'.*skillBreakdown"
    ):
        records_to_table(records, endpoint="skillvolume")


def test_a_bad_skill_value_names_the_record_and_the_skill() -> None:
    records = skill_records()
    records[0]["skillBreakdown"][0]["offeredContacts"] = 1.5
    with pytest.raises(
        cvframe.ResponseError,
        match=r"'offeredContacts' of record '6478\w+' \(skill 'sk-xxxx-1'\) is 1\.5",
    ):
        records_to_table(records, endpoint="skillvolume")


@pytest.mark.parametrize("same", [True, False])
def test_a_field_in_both_spellings_is_one_field_when_they_agree_and_an_error_when_not(
    same: bool,
) -> None:
    both = event(agentId="a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx" if same else "a-other")
    if same:
        df = cvframe.records_to_frame([both], endpoint="agentactivity")
        assert df["agent_id"].tolist() == ["a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx"]
        return
    with pytest.raises(cvframe.ResponseError) as info:
        records_to_table([event(), both], endpoint="agentactivity")
    message = str(info.value)
    assert "'AgentId' ('a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx')" in message
    assert "'agentId' ('a-other')" in message and "event #1" in message


def test_queues_description_conflict_names_both_spellings() -> None:
    conflicting = {**QUEUES_RESPONSE[0], "description": "Another name"}
    with pytest.raises(cvframe.ResponseError, match=r"'Description'.*'description'"):
        records_to_table([conflicting], endpoint="queues")


def test_both_spellings_in_one_page_make_one_table_and_the_items_are_not_changed() -> None:
    items = [
        event(),
        {"agentId": "a-2", "eventTime": "10/20/2020 3:00:00", "activity": "available"},
    ]
    sent = copy.deepcopy(items)
    table = records_to_table(items, endpoint="agentactivity")
    assert table["agent_id"].to_pylist() == ["a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx", "a-2"]
    assert table["reason_code"].to_pylist() == ["1", None]
    assert items == sent  # the page's own dicts are read, never rewritten


def test_a_repeated_agent_interval_and_queue_keeps_the_last_received() -> None:
    first, again = agents(), agents()
    again[0]["intervals"][0]["queues"][0]["offeredContacts"] = 7
    tables = [
        records_to_table(first, endpoint="agentperformance"),
        records_to_table(again, endpoint="agentperformance"),
    ]
    df = cvframe._frame.frame_from_tables(tables, endpoint="agentperformance")
    assert len(df) == 2
    assert df["offered_contacts"].tolist() == [7, 1]
    cvframe.validate(df, endpoint="agentperformance")


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_a_repeated_record_and_skill_keeps_the_highest_version(order: list[int]) -> None:
    versions = []
    for version in range(3):
        record = skill_records()[0]
        record["__v"] = version
        record["skillBreakdown"][0]["offeredContacts"] = 10 * version
        versions.append(record)
    df = cvframe.records_to_frame([versions[i] for i in order], endpoint="skillvolume")
    assert df[["version", "offered_contacts"]].values.tolist() == [[2, 20]]


def test_a_repeated_event_is_one_row_even_without_a_reason_code() -> None:
    quiet = {"agentId": "a-1", "eventTime": "10/20/2020 3:00:00", "activity": "available"}
    events = [event(), quiet, event(), dict(quiet), {**quiet, "reasonCode": "2"}]
    df = cvframe.records_to_frame(events, endpoint="agentactivity")
    assert len(df) == 3
    # Sorted by time, then agent; the same second's events in the order they arrived.
    assert df.loc[0, "reason_code"] == "1" and pd.isna(df.loc[1, "reason_code"])
    assert df.loc[2, "reason_code"] == "2"
    cvframe.validate(df, endpoint="agentactivity")


def test_a_multi_column_key_that_never_repeats_hands_back_the_table_itself() -> None:
    table = records_to_table(agents(), endpoint="agentperformance")
    assert keep_latest_versions(table, endpoint="agentperformance") is table
    empty = cvframe._frame.arrow_schema("agentperformance").empty_table()
    assert keep_latest_versions(empty, endpoint="agentperformance") is empty


def test_rows_with_a_null_required_key_are_all_kept_for_the_schema_to_flag() -> None:
    nameless = {"eventTime": "10/20/2020 3:00:00", "activity": "available"}
    df = cvframe.records_to_frame([nameless, dict(nameless), event()], endpoint="agentactivity")
    assert df["agent_id"].isna().sum() == 2
    with pytest.raises(cvframe.SchemaError, match="agent_id"):
        cvframe.validate(df, endpoint="agentactivity")


def test_events_are_sorted_by_time_then_agent_and_ties_keep_the_order_they_arrived_in() -> None:
    events = [
        {"agentId": "a-2", "eventTime": "10/20/2020 3:00:00", "activity": "busy"},
        {"agentId": "a-1", "eventTime": "10/20/2020 3:00:00", "activity": "x", "reasonCode": "2"},
        {"agentId": "a-1", "eventTime": "10/20/2020 3:00:00", "activity": "x", "reasonCode": "1"},
        {"agentId": "a-9", "eventTime": "10/20/2020 2:00:00", "activity": "available"},
    ]
    df = cvframe.records_to_frame(events, endpoint="agentactivity")
    assert df["agent_id"].tolist() == ["a-9", "a-1", "a-1", "a-2"]
    assert df["reason_code"].tolist()[1:3] == ["2", "1"]


@pytest.mark.parametrize("repeated", [False, True])
def test_an_agents_same_second_events_keep_the_order_the_api_sent(repeated: bool) -> None:
    at_nine = {"agentId": "a1", "eventTime": "06/03/2024 9:00:00"}
    sent = [
        {**at_nine, "activity": "notready", "reasonCode": "1"},
        {**at_nine, "activity": "available"},
    ]
    if repeated:  # a piece read twice: the dedupe must not reorder them either
        sent = [*sent, *copy.deepcopy(sent)]
    tables = [records_to_table(sent, endpoint="agentactivity")]
    df = cvframe._frame.frame_from_tables(tables, endpoint="agentactivity")
    assert df["activity"].tolist() == ["notready", "available"]


def test_the_queue_rule_works_on_agent_performance_and_on_the_queues_directory() -> None:
    perf = records_to_table(agents(), endpoint="agentperformance")
    assert perf.filter(queue_mask(perf, ["Billing Support"]))["queue_id"].to_pylist() == [
        "qu-xxxx-2"
    ]
    directory = records_to_table(QUEUES_RESPONSE, endpoint="queues")  # queue_id, no queue_name
    assert queue_mask(directory, ["qu-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx"]).to_pylist() == [True]
    with pytest.raises(ValueError, match="queue_id or queue_name"):
        queue_mask(pa.table({"agent_id": ["a-1"]}), ["q-1"])


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_a_skill_the_records_newer_version_no_longer_lists_is_dropped(order: list[int]) -> None:
    old, new = skill_records()[0], skill_records()[0]
    skill = old["skillBreakdown"][0]
    old.update(__v=1, skillBreakdown=[{**skill, "offeredContacts": 5}, {**skill, "skillId": "B"}])
    new.update(__v=2, skillBreakdown=[{**skill, "offeredContacts": 6}])
    tables = [records_to_table([r], endpoint="skillvolume") for r in (old, new)]
    df = cvframe._frame.frame_from_tables([tables[i] for i in order], endpoint="skillvolume")
    assert df[["skill_id", "version", "offered_contacts"]].values.tolist() == [
        [skill["skillId"], 2, 6]
    ]


def test_a_queue_the_agents_interval_no_longer_lists_when_read_again_is_dropped() -> None:
    first, again = agents(), agents()
    del again[0]["intervals"][0]["queues"][1]  # the second read has the first queue only
    again[0]["intervals"][0]["queues"][0]["offeredContacts"] = 7
    tables = [records_to_table(items, endpoint="agentperformance") for items in (first, again)]
    df = cvframe._frame.frame_from_tables(tables, endpoint="agentperformance")
    assert df[["queue_id", "offered_contacts"]].values.tolist() == [["qu-xxxx-1", 7]]


def test_one_record_read_twice_in_one_version_keeps_all_its_skills() -> None:
    record = skill_records()[0]
    skill = record["skillBreakdown"][0]
    record["skillBreakdown"] = [skill, {**skill, "skillId": "B"}]
    df = cvframe.records_to_frame([record, copy.deepcopy(record)], endpoint="skillvolume")
    assert sorted(df["skill_id"]) == ["B", skill["skillId"]]


def test_a_page_whose_records_with_contacts_all_lack_their_breakdown_is_refused() -> None:
    records = skill_records()
    for record in records:
        del record["skillBreakdown"]  # a deployment that ignores includeSkillBreakdown
    quiet = {**records[0], "_id": "r-quiet", "offeredContacts": 0}
    with pytest.raises(cvframe.ResponseError) as info:
        records_to_table([*records, quiet], endpoint="skillvolume")
    message = str(info.value)
    assert "includeSkillBreakdown" in message and "skillBreakdown" in message
    assert "647868bfc0cf4c7b7671xxxx" in message  # names a record


def test_records_without_contacts_or_with_an_empty_breakdown_are_no_skills_not_an_error() -> None:
    base = skill_records()[0]
    quiet = {k: v for k, v in base.items() if k != "skillBreakdown"}
    quiet.update(offeredContacts=0, answeredContacts=0, abandonedContacts=0)
    table = records_to_table([quiet, {**base, "skillBreakdown": []}], endpoint="skillvolume")
    assert table.num_rows == 0
