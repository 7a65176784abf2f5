"""Done a block of rows at a time, resample_intervals and kpis give what one pass gives.

The long-column steps (the checks, bucket lookup, the KPIs and service-level bounds)
read :data:`cvframe._analytics._blocks.BLOCK_ROWS` rows at a time, on two threads
from :data:`~cvframe._analytics._blocks.THREAD_ROWS` rows. Shrunk to a few rows,
every test frame crosses many block boundaries (and uses the threads), and the frames
must equal (exactly) those of a single block; so must the errors, which name the
first bad row wherever it lies.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import cvframe
from cvframe._analytics import _blocks


def _records(n_queues: int = 3, n_slots: int = 24, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for slot in range(n_slots):
        for q in range(n_queues):
            start = pd.Timestamp("2024-03-01", tz="UTC") + pd.Timedelta(minutes=15 * slot)
            answered = int(rng.integers(0, 9))
            wait = answered * int(rng.integers(1_000, 40_000))
            responses = int(rng.integers(0, answered + 1))
            rows.append(
                {
                    "_id": f"r{slot}-{q}",
                    "queueId": f"q{q}",
                    "queueName": f"Queue {q}" if slot % 5 else None,
                    "intervalStartTimeStamp": start.isoformat(),
                    "intervalEndTimeStamp": (start + pd.Timedelta(minutes=15)).isoformat(),
                    "offeredContacts": answered + 1,
                    "answeredContacts": answered,
                    "abandonedContacts": 1,
                    "completedContacts": answered,
                    "queueHoldTimeAnswered": wait,
                    "maxQueueHoldTimeAnswered": wait // max(answered, 1) * 2,
                    "queueHoldTimeAbandoned": 25_000,
                    "maxqueueHoldTimeAbandoned": 25_000,
                    "conversationHandleTime": answered * 200_000,
                    "csatResponses": responses,
                    "csatScore": float(rng.integers(1, 6)) if responses else 0.0,
                }
            )
    return cvframe.records_to_frame(rows)


def _with_gaps(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.loc[out.index[::7], "answered_contacts"] = pd.NA
    out.loc[out.index[3::11], "csat_score"] = pd.NA
    out.loc[out.index[5::13], "max_queue_hold_time_answered"] = pd.NaT
    return out


CASES = {
    "1h": lambda df: cvframe.kpis(cvframe.resample_intervals(df, "1h")),
    "2h, sl_threshold": lambda df: cvframe.kpis(
        cvframe.resample_intervals(df, "2h", sl_threshold="20s"),
        sl_threshold="20s",
        sl_denominator="amazon_connect",
    ),
    "shuffled, no gaps filled": lambda df: cvframe.kpis(
        cvframe.resample_intervals(df.sample(frac=1.0, random_state=2), "1h", fill_gaps=False)
    ),
    "kpis of records": lambda df: cvframe.kpis(df, sl_denominator="cisco_ignore_abandons"),
}


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "with NA"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_blocks_give_the_frame_of_one_pass(
    case: str, missing: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = _records()
    if missing:
        df = _with_gaps(df)
    whole = CASES[case](df)
    monkeypatch.setattr(_blocks, "BLOCK_ROWS", 5)  # 72 rows: many blocks, a short last one
    pd.testing.assert_frame_equal(CASES[case](df), whole, check_exact=True)
    monkeypatch.setattr(_blocks, "THREAD_ROWS", 10)  # and the blocks shared by two threads
    pd.testing.assert_frame_equal(CASES[case](df), whole, check_exact=True)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("offered_contacts", -1, "offered_contacts is negative in 1 row"),
        ("interval_end", None, "every record needs interval_end > interval_start"),
    ],
)
def test_blocks_find_a_bad_row_past_the_first_block(
    column: str, value: object, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = _records()
    row = df.index[61]  # in the 13th block of 5
    changed = df[column].copy()
    changed.iloc[61] = df["interval_start"].iloc[61] if value is None else value
    df[column] = changed
    monkeypatch.setattr(_blocks, "BLOCK_ROWS", 5)
    with pytest.raises(ValueError, match=message) as caught:
        cvframe.resample_intervals(df, "1h")
    assert f"{row}:" in str(caught.value)  # the row is named, wherever its block lies


def test_a_record_straddling_buckets_past_the_first_block_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    df = _records()
    end = df["interval_end"].copy()
    end.iloc[47] += pd.Timedelta(minutes=15)  # 30 minutes from :45, past the hour
    df["interval_end"] = end
    monkeypatch.setattr(_blocks, "BLOCK_ROWS", 5)
    with pytest.raises(ValueError, match=r"\[2024-03-01 03:45:00\+00:00, .* straddles two"):
        cvframe.resample_intervals(df, "1h")


def _repeated_id(df: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([df, df.iloc[[30]]], ignore_index=True)  # row 30's record twice


def _straddling(df: pd.DataFrame) -> pd.DataFrame:
    end = df["interval_end"].copy()
    end.iloc[47] += pd.Timedelta(minutes=15)
    return df.assign(interval_end=end)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (_repeated_id, "1 id.s. appear more than once"),
        (_straddling, "straddles two"),
        # Both: the repeated id is named, as when it was checked before the work.
        (lambda df: _straddling(_repeated_id(df)), "1 id.s. appear more than once"),
        (lambda df: _repeated_id(df).assign(offered_contacts=-1), "offered_contacts is negative"),
    ],
    ids=["repeated id", "straddling", "both", "negative count first"],
)
def test_ids_checked_alongside_raise_as_in_line(
    break_it: Any, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = break_it(_records())
    monkeypatch.setattr(_blocks, "THREAD_ROWS", 10)  # the ids checked on another thread
    monkeypatch.setattr(_blocks, "workers", lambda: 2)
    with pytest.raises(ValueError, match=message):
        cvframe.resample_intervals(df, "1h")
    monkeypatch.setattr(_blocks, "THREAD_ROWS", 1 << 40)  # in line: the same error
    with pytest.raises(ValueError, match=message):
        cvframe.resample_intervals(df, "1h")


def test_ids_checked_alongside_give_the_same_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    df = _records()
    whole = cvframe.resample_intervals(df, "1h")
    monkeypatch.setattr(_blocks, "THREAD_ROWS", 10)
    monkeypatch.setattr(_blocks, "workers", lambda: 2)
    pd.testing.assert_frame_equal(cvframe.resample_intervals(df, "1h"), whole, check_exact=True)
