"""Replay recorded wire traffic (record mode ``none``: nothing leaves the process)."""

from __future__ import annotations

from typing import Any

import jwt
import pandas as pd
import pytest

import cvframe
from cvframe._api import (
    read_agent_activity,
    read_agent_performance,
    read_agents,
    read_queues,
    read_skill_volume,
)
from cvframe.emulator import Emulator
from tests._api_sample import (
    ACTIVITY_SAMPLE_WINDOW,
    AGENTS_SAMPLE_LIMIT,
    AGENTS_SAMPLE_TEXT,
    PERFORMANCE_SAMPLE_REQUEST,
    QUEUES_SAMPLE_TEXT,
    SAMPLE_ACCOUNT,
    SAMPLE_REQUEST,
)
from tests._cassettes import CASSETTES, make_vcr
from tests.record_cassettes import EMULATOR_PAGE_SIZE, EMULATOR_WINDOW


def test_replays_the_api_pages_own_sample() -> None:
    with make_vcr().use_cassette("api_page_sample.yaml") as cassette:
        df = cvframe.read_callvolume(
            SAMPLE_REQUEST["fromTimeStamp"],
            SAMPLE_REQUEST["toTimeStamp"],
            org_id=SAMPLE_REQUEST["orgId"],
            page_size=SAMPLE_REQUEST["limit"],
            progress=False,
            host="platform.kore.ai",
            account_id="636f5b36bcf8a8c7101exxxx",
            token="eyJhbGciOiJIUzI1NiJ9.not-a-real-token.x",
        )
    assert cassette.all_played
    assert len(df) == 1
    row = df.iloc[0]
    assert row["id"] == "647868bfc0cf4c7b7671xxxx"
    assert row["queue_name"] == "custom day"
    assert row["instance_id"] == "st-b6ff0557-e54b-5ac1-946f-2b003d9exxxx"
    assert row["max_queue_hold_time_abandoned"] == pd.Timedelta(milliseconds=180150)
    assert row["conversation_handle_time"] == pd.Timedelta(milliseconds=68043)
    assert row["csat_score"] == 1.0
    assert row["interval_end"] - row["interval_start"] == pd.Timedelta(minutes=15)


def test_replays_a_paged_emulator_read() -> None:
    with make_vcr().use_cassette("emulator_two_days.yaml") as cassette:
        df = cvframe.read_callvolume(
            *EMULATOR_WINDOW,
            page_size=EMULATOR_PAGE_SIZE,
            progress=False,
            host="http://127.0.0.1:8765",
            account_id=Emulator().account_id,
            org_id=Emulator().org_id,
            token="replayed-token-is-never-checked",
        )
        pages = cassette.play_count
    assert cassette.all_played and pages > 1
    # The recording holds exactly what the emulator serves for that window today.
    expected = Emulator(days=3, queues=2).records(*EMULATOR_WINDOW)
    assert len(df) == len(expected)
    assert set(df["id"]) == {r["_id"] for r in expected}


#: Settings that replay the docs' samples (the token is never checked on replay).
SAMPLE_SETTINGS = {
    "host": "platform.kore.ai",
    "account_id": SAMPLE_ACCOUNT,
    "token": "eyJhbGciOiJIUzI1NiJ9.not-a-real-token.x",
}


def test_replays_the_queues_sample() -> None:
    with make_vcr().use_cassette("queues_sample.yaml") as cassette:
        df = read_queues(**SAMPLE_SETTINGS)
    assert cassette.all_played
    assert df.to_dict("records") == [
        {
            "account_id": "63fb9a0f90425b644d3exxxx",
            "queue_id": "qu-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
            "description": "Default Queue",  # sent as "Description"
        }
    ]


def test_replays_the_agents_sample() -> None:
    with make_vcr().use_cassette("agents_sample.yaml") as cassette:
        df = read_agents(page_size=AGENTS_SAMPLE_LIMIT, progress=False, **SAMPLE_SETTINGS)
    # One agent, fewer than the limit: asked once more from there, the empty page ends it.
    assert cassette.all_played and cassette.play_count == 2
    assert df.to_dict("records") == [
        {
            "account_id": "63fb9a0f90425b644d3exxxx",
            "agent_id": "a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
            "first_name": "Tony",
            "last_name": "Stark",
        }
    ]


@pytest.mark.parametrize(
    ("read", "text"), [(read_queues, QUEUES_SAMPLE_TEXT), (read_agents, AGENTS_SAMPLE_TEXT)]
)
def test_the_directory_samples_as_printed_are_not_json(read: Any, text: str) -> None:
    """The pages print ``accountId:`` unquoted: such a body is refused, saying why."""

    def printed(request: Any) -> Any:
        return cvframe.HttpResponse(200, {"Content-Type": "application/json"}, text.encode())

    wire = type("Printed", (), {"handle": staticmethod(printed), "close": lambda self: None})()
    with pytest.raises(cvframe.ResponseError, match=r"a body that is not JSON .*accountId"):
        read(transport=wire, max_retries=0, **SAMPLE_SETTINGS)


def test_replays_the_agent_activity_sample() -> None:
    start, end = ACTIVITY_SAMPLE_WINDOW
    with make_vcr().use_cassette("agent_activity_sample.yaml") as cassette:
        df = read_agent_activity(start, end, chunk="1D", progress=False, **SAMPLE_SETTINGS)
    assert cassette.all_played
    assert df.to_dict("records") == [
        {
            "agent_id": "a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
            # "10/20/2020 2:13:12": no zone (UTC by default), an unpadded hour.
            "event_time": pd.Timestamp("2020-10-20T02:13:12Z"),
            "activity": "notready",
            "reason_code": "1",
        }
    ]


def test_replays_the_agent_performance_sample() -> None:
    with make_vcr().use_cassette("agent_performance_sample.yaml") as cassette:
        df = read_agent_performance(
            PERFORMANCE_SAMPLE_REQUEST["fromTimeStamp"],
            PERFORMANCE_SAMPLE_REQUEST["toTimeStamp"],
            page_size=PERFORMANCE_SAMPLE_REQUEST["limit"],
            progress=False,
            **SAMPLE_SETTINGS,
        )
    assert cassette.all_played
    # One agent, one interval, two queues: two rows, flattened from three deep.
    assert list(df["queue_name"]) == ["General Information", "Billing Support"]
    assert set(df["agent_id"]) == {"a-xxxx-1"}
    first = df.iloc[0]
    assert first["transferred_contacts"] == 1
    assert first["conversation_handle_time"] == pd.Timedelta(milliseconds=95000)
    assert first["interval_end"] - first["interval_start"] == pd.Timedelta(minutes=15)
    assert list(df["csat_score"]) == [4.0, 5.0]


def test_replays_the_skill_breakdown_sample() -> None:
    with make_vcr().use_cassette("skill_volume_sample.yaml") as cassette:
        df = read_skill_volume(
            SAMPLE_REQUEST["fromTimeStamp"],
            SAMPLE_REQUEST["toTimeStamp"],
            org_id=SAMPLE_REQUEST["orgId"],
            page_size=SAMPLE_REQUEST["limit"],
            progress=False,
            **SAMPLE_SETTINGS,
        )
    assert cassette.all_played
    (row,) = df.to_dict("records")
    assert (row["id"], row["skill_id"], row["skill_group_name"]) == (
        "647868bfc0cf4c7b7671xxxx",
        "sk-xxxx-1",
        "Languages",
    )
    # The skill's own counts, not the queue's (10 offered): a contact counts per skill.
    assert row["offered_contacts"] == 6
    assert row["max_queue_hold_time_abandoned"] == pd.Timedelta(milliseconds=15000)


def test_cassettes_hold_no_credentials() -> None:
    secret = Emulator.client_secret
    token = jwt.encode({"appId": Emulator().client_id}, secret, algorithm="HS256")
    for path in CASSETTES.glob("*.yaml"):
        text = path.read_text()
        assert "auth:" not in text, path.name
        assert secret not in text and token not in text, path.name
