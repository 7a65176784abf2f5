"""read_snapshot records the window it read (start= and end=), and none without one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import cvframe
from cvframe._frame import frame_window, with_window
from cvframe.emulator import Emulator


def test_read_snapshot_records_its_window_only_when_both_sides_are_given(
    tmp_path: Path,
) -> None:
    with Emulator(days=3, queues=1) as emu:
        df = cvframe.read_callvolume("2023-01-02", "2023-01-05", progress=False, **emu.settings())
    cvframe.write_snapshot(df, tmp_path)
    part = cvframe.read_snapshot(tmp_path, start="2023-01-03", end="2023-01-04 12:00+01:00")
    assert frame_window(part) == (
        pd.Timestamp("2023-01-03", tz="UTC"),
        pd.Timestamp("2023-01-04 11:00", tz="UTC"),
    )
    assert len(part) > 0
    assert frame_window(cvframe.read_snapshot(tmp_path)) is None
    assert frame_window(cvframe.read_snapshot(tmp_path, start="2023-01-03")) is None
    assert frame_window(cvframe.read_snapshot(tmp_path, end="2023-01-04")) is None


def test_to_series_of_a_windowed_snapshot_read_keeps_its_quiet_ended_last_day(
    tmp_path: Path,
) -> None:
    with Emulator(days=3, queues=1) as emu:
        df = cvframe.read_callvolume("2023-01-02", "2023-01-05", progress=False, **emu.settings())
    cvframe.write_snapshot(with_window(df, None, None), tmp_path)
    back = cvframe.read_snapshot(tmp_path, start="2023-01-02", end="2023-01-05")
    daily = cvframe.to_series(back, "offered_contacts", "D")
    assert len(daily) == 3  # the last day's quiet last quarter hour does not make it partial
