"""``media_type={...}`` maps some queues; the others get the documented default, voice."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

import cvframe


def two_queues() -> pd.DataFrame:
    return cvframe.records_to_frame(
        [
            {"_id": f"r{i}", "queueId": f"qu-{i}", "queueName": name, "__v": 0,
             "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
             "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
             "offeredContacts": 3, "completedContacts": 2, "conversationHandleTime": 68043}
            for i, name in enumerate(["Billing", "Chat Care"])
        ]
    )  # fmt: skip


def test_queues_left_out_of_the_mapping_are_voice(tmp_path: Path) -> None:
    """The README's snippet: only Chat Care mapped."""
    files = cvframe.write_wfm(two_queues(), tmp_path, "genesys", media_type={"Chat Care": "chat"})
    assert [f.name for f in files] == ["Billing_voice.csv", "Chat-Care_chat.csv"]


def test_a_key_naming_no_queue_is_said_on_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="cvframe")
    table = cvframe.to_wfm(two_queues(), "genesys", media_type={"Chat Kare": "chat"})
    assert set(table["Media Type"]) == {"voice"}
    assert "['Chat Kare']" in caplog.text and "match no queue" in caplog.text


@pytest.mark.parametrize("mapping", [{"Chat Care": "chat"}, {"qu-1": "chat", "Billing": "voice"}])
def test_a_mapping_by_name_or_id_raises_no_warning(mapping: dict[str, str]) -> None:
    # pandas 2.2 warned "Downcasting object dtype arrays on .fillna" on every export with
    # a mapping, a third-party warning the CLI would print on every run.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = cvframe.to_wfm(two_queues(), "genesys", media_type=mapping)
    assert sorted(set(table["Media Type"])) == ["chat", "voice"]
