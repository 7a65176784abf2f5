"""The WFM scope agrees with itself through cvframe's own readers and frames.

The issue's "done when" test: one :class:`~cvframe.emulator.Emulator` over loopback,
one :class:`cvframe.CallVolumeClient` (one transport, one rate limit) reading every
endpoint with the public readers, on both dtype backends, and the frames checked
against each other (the emulator's tests check the same rules on the raw payloads;
these check that nothing between the wire and the frame breaks them):

- agent performance summed per queue and interval is call volume's record, exactly;
- an agent's state time in each 15-minute interval sums to the interval, and its
  "handling" time is its agent-performance handle time at the emulator's rounding;
- every agent and queue the history frames name is in the directories;
- the skill breakdown reaches each record's totals, and equals a one-skill record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import cvframe
from cvframe.emulator import Emulator

START, END = "2023-01-02", "2023-01-03"
INTERVAL = pd.Timedelta(minutes=15)
#: The state categories of cvframe.agent_state_intervals (logged-in: all but logged_out).
STATES = ["handling", "idle", "not_ready", "logged_out"]
#: What each agent's split of a call-volume record adds back up to.
SPLIT_MEASURES = [
    "answered_contacts",
    "completed_contacts",
    "conversation_handle_time",
    "conversation_talk_time",
    "hold_duration",
    "acw_duration",
]
#: Call-volume measures that add up over a record's skills (maxima and CSAT do not).
SUMMED_SKILL_MEASURES = [
    "offered_contacts",
    "answered_contacts",
    "completed_contacts",
    "abandoned_contacts",
    "csat_responses",
    "queue_hold_time_answered",
    "queue_hold_time_abandoned",
    "conversation_handle_time",
    "conversation_talk_time",
    "hold_duration",
    "acw_duration",
]
#: Every measure a skill row shares with its record.
SKILL_MEASURES = [
    *SUMMED_SKILL_MEASURES,
    "max_queue_hold_time_answered",
    "max_queue_hold_time_abandoned",
    "csat_score",
]


@dataclass(frozen=True)
class Scope:
    """Every frame of one account and window, read through one client."""

    callvolume: pd.DataFrame
    skills: pd.DataFrame
    performance: pd.DataFrame
    events: pd.DataFrame
    queues: pd.DataFrame
    agents: pd.DataFrame
    requests: int


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    # Three queues: the seed gives them one and three skills.
    with Emulator(days=2, queues=3) as emulator:
        yield emulator


@pytest.fixture(scope="module", params=["numpy_nullable", "pyarrow"])
def scope(request: pytest.FixtureRequest, emu: Emulator) -> Scope:
    backend = request.param
    window = {"dtype_backend": backend, "progress": False}
    with cvframe.CallVolumeClient(**emu.client_settings()) as client:
        read = {"client": client, **window}
        frames = Scope(
            callvolume=cvframe.read_callvolume(START, END, org_id=emu.org_id, **read),
            skills=cvframe.read_skill_volume(START, END, org_id=emu.org_id, **read),
            performance=cvframe.read_agent_performance(START, END, **read),
            events=cvframe.read_agent_activity(START, END, **read),
            queues=cvframe.read_queues(client=client, dtype_backend=backend),
            agents=cvframe.read_agents(**read),
            requests=client.transport.requests_sent,
        )
    for name, frame in vars(frames).items():
        if isinstance(frame, pd.DataFrame):
            assert len(frame) > 0, f"{name} is empty: the checks below would hold vacuously"
            assert frame.dtypes.iloc[0] == cvframe.contract_dtypes(backend)["queue_id"], name
    return frames


def plain_keys(index: pd.Index) -> pd.Index:
    """Key levels as numpy datetimes and Python strings, whatever the backend (so that
    the numpy-nullable states and pyarrow frames compare on pandas 2.2 as on 3)."""
    levels = []
    for i in range(index.nlevels):
        level = index.get_level_values(i)
        if level.dtype.kind == "M":
            levels.append(pd.Index(level.astype("datetime64[ms, UTC]"), name=level.name))
        else:
            levels.append(pd.Index(level.astype(object), dtype=object, name=level.name))
    return pd.MultiIndex.from_arrays(levels) if len(levels) > 1 else levels[0]


def ints(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as int64 and durations as int64 milliseconds, whatever the backend; keys
    as :func:`plain_keys`."""
    out = {}
    for name, column in frame.items():
        if column.dtype.kind == "m":  # timedelta64[ms] or pyarrow duration[ms]
            column = column.astype("timedelta64[ms]").to_numpy().astype(np.int64)
        out[name] = np.asarray(column, dtype=np.int64)
    return pd.DataFrame(out, index=plain_keys(frame.index))


def per_queue_and_interval(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return ints(frame.groupby(["queue_id", "interval_start"])[columns].sum())


def test_every_endpoint_was_read_through_one_client(scope: Scope) -> None:
    # 6 endpoints: at least one request each, all on the one transport.
    assert scope.requests >= 6


def test_agent_performance_adds_up_to_call_volume_per_queue_and_interval(scope: Scope) -> None:
    """Exact, in whole milliseconds: each record is split among its agents in integers."""
    agents = per_queue_and_interval(scope.performance, SPLIT_MEASURES)
    records = per_queue_and_interval(scope.callvolume, SPLIT_MEASURES)
    assert agents.index.isin(records.index).all()  # no work without a record
    # A record nobody worked on (nothing answered) has no agent row: it adds 0.
    pd.testing.assert_frame_equal(agents.reindex(records.index, fill_value=0), records)
    assert (agents["answered_contacts"] > 0).sum() > 50
    assert (records.loc[~records.index.isin(agents.index)] == 0).all().all()


def state_time(scope: Scope) -> pd.DataFrame:
    """(agent, interval) x state category -> milliseconds, from activity at 15 min."""
    states = cvframe.agent_state_intervals(scope.events, "15min", start=START, end=END)
    assert set(states["interval_end"] - states["interval_start"]) == {INTERVAL}
    wide = (
        states.groupby(["agent_id", "interval_start", "state"])["duration"].sum().unstack("state")
    )
    return ints(wide.reindex(columns=STATES).fillna(pd.Timedelta(0)))


def test_state_time_per_agent_and_interval_sums_to_the_interval(scope: Scope) -> None:
    """From an agent's first event to the window's end, every 15 minutes are accounted
    for (logged-out time is a state too), and every interval an agent booked work in
    agent performance is one it was logged in for, all of it."""
    states = state_time(scope)
    assert len(states) > 500
    assert set(states.sum(axis="columns")) == {INTERVAL // pd.Timedelta(milliseconds=1)}
    logged_in = states.index[states["logged_out"] == 0]
    worked = plain_keys(
        pd.MultiIndex.from_frame(
            scope.performance[["agent_id", "interval_start"]].drop_duplicates()
        )
    )
    assert worked.isin(logged_in).all()
    assert len(worked) > 100


def test_handling_time_is_agent_performance_handle_time_in_whole_seconds(scope: Scope) -> None:
    """Activity's times are whole seconds: per agent and interval, the emulator is busy
    for the agent's talk + hold (all its queues) rounded DOWN to the second, and in
    after-contact work for its ACW rounded down. So "handling" (busy + acw) equals
    ``floor_s(talk + hold) + floor_s(acw)`` of agent performance exactly, and so lies
    within 2 seconds below its handle time (talk + hold + acw)."""
    handling = state_time(scope)["handling"]
    perf = ints(
        scope.performance.groupby(["agent_id", "interval_start"])[
            ["conversation_talk_time", "hold_duration", "acw_duration", "conversation_handle_time"]
        ].sum()
    )
    second = 1000
    expected = (perf["conversation_talk_time"] + perf["hold_duration"]) // second * second + perf[
        "acw_duration"
    ] // second * second
    # Every interval with handling has performance, and every one with performance states.
    assert handling.index[handling > 0].isin(expected.index).all()
    pd.testing.assert_series_equal(
        handling.reindex(expected.index), expected, check_names=False, check_index=True
    )
    gap = perf["conversation_handle_time"] - expected
    assert gap.between(0, 2 * second - 1).all()
    assert (expected > 0).sum() > 100


def test_the_directories_know_every_agent_and_queue(scope: Scope) -> None:
    agents = set(scope.agents["agent_id"])
    queues = set(scope.queues["queue_id"])
    assert set(scope.performance["agent_id"]) <= agents
    assert set(scope.events["agent_id"]) <= agents
    assert set(scope.callvolume["queue_id"]) <= queues
    assert set(scope.performance["queue_id"]) <= queues
    assert set(scope.skills["queue_id"]) <= queues


def test_skill_rows_reach_their_records_totals_and_equal_a_one_skill_record(
    scope: Scope,
) -> None:
    """Summed over a record's skills, a measure is at least the record's (a contact that
    needed two skills counts under both); a record with one skill is that skill's row."""
    records = scope.callvolume.set_index("id")
    skills = scope.skills
    assert set(skills["id"]) == set(records.index)  # every record has its breakdown
    sums = ints(skills.groupby("id")[SUMMED_SKILL_MEASURES].sum())
    totals = ints(records.loc[sums.index, SUMMED_SKILL_MEASURES])
    assert (sums >= totals).all().all()
    count = skills.groupby("id").size()
    several = count.index[count > 1]
    assert len(several) > 10 and (sums.loc[several] > totals.loc[several]).any().any()

    single = count.index[count == 1]
    assert len(single) > 10
    alone = skills.set_index("id").loc[single, SKILL_MEASURES].sort_index()
    theirs = records.loc[single, SKILL_MEASURES].sort_index()
    pd.testing.assert_frame_equal(alone, theirs, check_names=False)
