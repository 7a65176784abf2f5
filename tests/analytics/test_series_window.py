"""The read's window vouches for a frame only while the frame keeps the rows it was read with.

pandas carries ``attrs`` through boolean filtering, so a frame cut down after the read
would otherwise still claim the read's window, and ``to_series`` would take a half-read
edge bucket for a complete one (review finding 16).
"""

from __future__ import annotations

import pandas as pd
import pytest

import cvframe
from cvframe._frame import frame_window, with_window
from cvframe.emulator import Emulator
from tests._analytics_helpers import frame, record

START, END = "2023-01-02", "2023-01-05"


@pytest.fixture(scope="module")
def read() -> pd.DataFrame:
    with Emulator(days=3, queues=1) as emu:
        df = cvframe.read_callvolume(START, END, progress=False, **emu.settings())
    return with_window(df, START, END)


def test_a_frame_filtered_after_the_read_no_longer_claims_its_window(read: pd.DataFrame) -> None:
    assert frame_window(read) is not None
    assert frame_window(read.copy()) is not None  # same rows: still the read's
    cut = read[read["interval_start"] >= pd.Timestamp("2023-01-02 12:00", tz="UTC")]
    assert cut.attrs == read.attrs  # pandas carries attrs through the filter ...
    assert frame_window(cut) is None  # ... but the rows changed, so the window is unknown


def test_to_series_does_not_take_a_filtered_edge_day_for_a_whole_one(read: pd.DataFrame) -> None:
    cut = read[read["interval_start"] >= pd.Timestamp("2023-01-02 12:00", tz="UTC")]
    with pytest.warns(UserWarning, match="first bucket"):
        days = cvframe.to_series(cut, freq="D", layout="long", edges="flag")
    first = days["ds"] == days["ds"].min()
    assert first.any() and days.loc[first, "partial"].all()  # flagged, not passed as whole
    # Its window kept (the rows it was read with), the same first day is whole.
    whole = cvframe.to_series(read, freq="D", layout="long", edges="flag")
    assert not whole["partial"].any()


def test_the_partial_edge_warning_names_the_freq_the_index_carries() -> None:
    # 'W' is pandas' W-SUN; cvframe's weeks start on Monday and the index says W-MON.
    df = frame(
        [
            record("2024-01-03 09:00", queue="q1", offered_contacts=4),
            record("2024-01-10 09:15", queue="q1", offered_contacts=1),
        ]
    )
    df.attrs.clear()  # no read window: the edges are unsure
    with pytest.warns(UserWarning, match="may be partial") as caught:
        wide = cvframe.to_series(df, "offered_contacts", "W")
    message = str(caught[0].message)
    assert wide.index.freqstr == "W-MON"
    assert "freq 'W-MON'" in message and "W-SUN" not in message
