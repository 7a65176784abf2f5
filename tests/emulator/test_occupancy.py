"""The emulator's agents are staffed close to the need, as a contact centre is: measured
occupancy (through cvframe's readers and ``agent_occupancy``) is that of a busy centre
during the working day, lower at night, with in-shift shrinkage of a plausible size."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import cvframe
from cvframe.emulator import Emulator

#: A Monday, and one second past it: the shifts that end at midnight log out then.
START, END, ACTIVITY_END = "2023-01-02", "2023-01-03", "2023-01-03T00:00:01Z"


def measured(seed: int) -> pd.DataFrame:
    """Half-hourly occupancy of the whole centre (four queues) over the day."""
    with Emulator(queues=4, days=1, seed=seed) as emu:
        settings = {"progress": False, **emu.settings()}
        performance = cvframe.read_agent_performance(START, END, **settings)
        activity = cvframe.read_agent_activity(START, ACTIVITY_END, **settings)
    states = cvframe.agent_state_intervals(activity, "15min", end=ACTIVITY_END)
    with warnings.catch_warnings():
        warnings.simplefilter("error", cvframe.OccupancyWarning)  # the sources agree
        out = cvframe.agent_occupancy(performance, states, "30min")
    return out[out["interval_start"] < pd.Timestamp(END, tz="UTC")]  # not the logouts' second


def ratio(rows: pd.DataFrame, numerator: str, denominator: str) -> float:
    return float(rows[numerator].sum() / rows[denominator].sum())


@pytest.mark.parametrize("seed", [0, 1])
def test_a_weekday_is_busy_by_day_quiet_at_night_with_plausible_shrinkage(seed: int) -> None:
    out = measured(seed)
    hour = out["interval_start"].dt.hour
    day = out[(hour >= 8) & (hour < 18)]
    night = out[(hour < 6) | (hour >= 22)]
    assert (len(out), len(day), len(night)) == (48, 20, 16)
    # 08:00-18:00 UTC: about 75% (the agents are sized at 85% of each interval).
    assert 0.70 <= ratio(day, "handle_time", "available_time") <= 0.85
    assert 0.55 <= ratio(out, "handle_time", "available_time") <= 0.80
    assert ratio(night, "handle_time", "available_time") < 0.40  # a few agents, 24/7
    assert day["occupancy"].min() >= 0.45  # no half hour of the working day is idle
    assert out["occupancy"].max() <= 0.90  # nor beyond what agents carry
    # Breaks, lunch, meetings and offline work: an hour or two of an eight-hour shift.
    assert 0.12 <= ratio(out, "not_ready_time", "logged_in_time") <= 0.28
