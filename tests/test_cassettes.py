"""Replay recorded wire traffic (record mode ``none``: nothing leaves the process)."""

from __future__ import annotations

import jwt
import pandas as pd

import cvframe
from cvframe.emulator import Emulator
from tests._api_sample import SAMPLE_REQUEST
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


def test_cassettes_hold_no_credentials() -> None:
    secret = Emulator.client_secret
    token = jwt.encode({"appId": Emulator().client_id}, secret, algorithm="HS256")
    for path in CASSETTES.glob("*.yaml"):
        text = path.read_text()
        assert "auth:" not in text, path.name
        assert secret not in text and token not in text, path.name
