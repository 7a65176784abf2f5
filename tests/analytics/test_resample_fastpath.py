"""The latest queue name of rows in time order is looked for from the end, block by block.

A name missing from a series' last rows sends the search back through earlier blocks
(past the first, of 65,536 rows here); a series without any name gets NA. The answer
is the one a plain pandas ``groupby(...).last()`` over the named rows gives.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from cvframe import resample_intervals

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from _frames import interval_frame


def latest_names(df: pd.DataFrame) -> pd.Series:
    """Each queue's name from its latest record with one, the obvious way."""
    named = df[df["queue_name"].notna()].sort_values("interval_start", kind="stable")
    return named.groupby("queue_id")["queue_name"].last()


def test_a_name_missing_from_the_last_blocks_is_found_further_back() -> None:
    df = interval_frame(4, 300).copy(deep=True)  # 115,200 rows in time order
    assert len(df) - 65_536 > 1_000  # queue 1's names lie before the last block
    queue = df["queue_id"].str.extract(r"qu-0*(\d+)-", expand=False).fillna("0").astype(int)
    names = df["queue_name"].copy()
    names[(queue == 1) & (df.index >= 1_000)] = pd.NA  # named only in the first rows
    names[queue == 0] = pd.NA  # never named
    last = df.index[queue == 2][-1]
    names[last] = "Renamed"  # renamed in its very last record
    df["queue_name"] = names
    out = resample_intervals(df, "1h", fill_gaps=False)
    got = out.groupby("queue_id")["queue_name"].agg(lambda s: s.iloc[0])
    expected = latest_names(df).reindex(got.index)
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert got.isna().sum() == 1  # queue 0
    assert "Renamed" in set(got.dropna())
    # Every row of a series carries the one name.
    assert (out.groupby("queue_id")["queue_name"].nunique(dropna=False) == 1).all()


def test_rows_in_time_order_and_shuffled_give_the_same_names() -> None:
    df = interval_frame(3, 250).copy(deep=True)
    df.loc[df.index[-5:], "queue_name"] = pd.NA
    shuffled = df.sample(frac=1.0, random_state=0).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        resample_intervals(df, "1h", fill_gaps=False),
        resample_intervals(shuffled, "1h", fill_gaps=False),
    )
