"""The readers record the window they read in ``DataFrame.attrs`` (for ``to_series``)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pandas as pd
import pytest

import cvframe
from cvframe._frame import frame_window
from cvframe.emulator import Emulator

START, END = "2023-01-02", "2023-01-05"
WINDOW = (pd.Timestamp(START, tz="UTC"), pd.Timestamp(END, tz="UTC"))


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(days=3, queues=1) as emulator:
        yield emulator


@pytest.mark.parametrize(
    "reader",
    [
        cvframe.read_callvolume,
        cvframe.read_skill_volume,
        cvframe.read_agent_performance,
        cvframe.read_agent_activity,
    ],
)
def test_each_window_reader_records_the_window_it_sent(emu: Emulator, reader: object) -> None:
    df = reader(START, END, progress=False, **emu.settings())  # type: ignore[operator]
    assert frame_window(df) == WINDOW
    # The same instants as sent to the API: a zone-aware start is converted to UTC.
    other = reader(  # type: ignore[operator]
        "2023-01-02 01:00+01:00", END, progress=False, **emu.settings()
    )
    assert frame_window(other) == WINDOW


def test_a_read_without_a_start_records_no_window(emu: Emulator) -> None:
    df = cvframe.read_callvolume(None, END, progress=False, **emu.settings())
    assert len(df) > 0 and frame_window(df) is None


def test_the_directories_record_no_window(emu: Emulator) -> None:
    assert frame_window(cvframe.read_queues(**emu.settings())) is None
    assert frame_window(cvframe.read_agents(progress=False, **emu.settings())) is None


def test_to_series_keeps_a_complete_day_whose_last_quarter_hour_was_quiet(
    emu: Emulator,
) -> None:
    df = cvframe.read_callvolume(START, END, progress=False, **emu.settings())
    # The emulator's nights are quiet: no record for the window's last quarter hour.
    assert df["interval_end"].max() < WINDOW[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a known window: nothing is unsure
        daily = cvframe.to_series(df, "offered_contacts", "D")
    assert list(daily.index) == list(pd.date_range(START, periods=3, freq="D", tz="UTC"))
    assert int(daily.to_numpy().sum()) == int(df["offered_contacts"].sum())
    # Control: without the recorded window the last day cannot be told complete.
    df.attrs.clear()
    with pytest.warns(UserWarning, match="may be partial"):
        cvframe.to_series(df, "offered_contacts", "D")
