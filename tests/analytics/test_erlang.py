"""Erlang C: a published worked example, pyworkforce over a grid, stability, staffing."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cvframe
from cvframe import erlang_c, required_agents, staffing
from tests._analytics_helpers import frame, record


def erlang_c_by_logs(agents: int, load: float) -> float:
    """The textbook formula (NOTES.md), evaluated in log space: an independent check."""
    log_terms = [k * math.log(load) - math.lgamma(k + 1) for k in range(agents)]
    log_top = agents * math.log(load) - math.lgamma(agents + 1) + math.log(agents / (agents - load))
    peak = max([*log_terms, log_top])
    below = sum(math.exp(t - peak) for t in log_terms)
    top = math.exp(log_top - peak)
    return top / (below + top)


# --------------------------------------------------------------------------- worked example


def test_call_centre_helper_worked_example() -> None:
    """Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example".

    callcentrehelper.com/erlang-c-formula-example-121281.htm: 100 calls in 30 minutes,
    AHT 180 s, 80% to be answered in 20 s, maximum occupancy 85%, shrinkage 30%. The
    article finds 10 Erlangs, a 68.21% chance of waiting with 11 agents, 14 agents to
    meet the target (occupancy 71.4%) and 20 agents to schedule after shrinkage.
    """
    load = erlang_c.offered_load(100, "180s", "30min")
    assert load == 10.0
    assert erlang_c.probability_of_waiting(11, load) == pytest.approx(0.6821, abs=5e-5)
    assert erlang_c.asa(11, load, "180s") == pd.Timedelta("122.781s")  # 0.6821 x 180 / 1
    assert erlang_c.service_level(13, load, "180s", sl_threshold="20s") < 0.80
    assert erlang_c.service_level(14, load, "180s", sl_threshold="20s") >= 0.80
    assert erlang_c.occupancy(14, load) == pytest.approx(0.714, abs=5e-4)
    kwargs: dict[str, Any] = {"sl_target": 0.8, "sl_threshold": "20s", "max_occupancy": 0.85}
    assert required_agents(100, "180s", "30min", **kwargs) == 14
    assert required_agents(100, "180s", "30min", **kwargs, shrinkage=0.3) == 20


# --------------------------------------------------------------------------- pyworkforce


def test_agrees_with_pyworkforce_over_a_grid_of_loads() -> None:
    queuing = pytest.importorskip("pyworkforce.queuing")
    checked = 0
    grid = itertools.product(
        [1, 7, 40, 100, 333, 900, 2500],  # contacts per interval
        [30, 95, 180, 420],  # AHT, seconds
        [15, 30, 60],  # interval, minutes
        [10, 20, 60],  # threshold, seconds
        [0.6, 0.8, 0.95],  # target
    )
    for volume, aht_s, interval_min, threshold_s, target in grid:
        model = queuing.ErlangC(
            transactions=volume,
            aht=aht_s / 60,
            asa=threshold_s / 60,
            interval=interval_min,
            shrinkage=0.0,
        )
        ours = required_agents(
            volume,
            f"{aht_s}s",
            f"{interval_min}min",
            sl_target=target,
            sl_threshold=f"{threshold_s}s",
        )
        theirs = model.required_positions(service_level=target, max_occupancy=1.0)
        load = erlang_c.offered_load(volume, f"{aht_s}s", f"{interval_min}min")
        # pyworkforce starts its search at round(load + 1); below that it cannot answer.
        if ours >= round(load + 1):
            assert ours == theirs["positions"], (volume, aht_s, interval_min, threshold_s)
        else:
            assert theirs["positions"] == round(load + 1)
        for agents in (ours, ours + 3):
            assert erlang_c.probability_of_waiting(agents, load) == pytest.approx(
                model.waiting_probability(agents), rel=1e-9, abs=1e-12
            )
            assert erlang_c.service_level(
                agents, load, f"{aht_s}s", sl_threshold=f"{threshold_s}s"
            ) == pytest.approx(model.service_level(agents), rel=1e-9, abs=1e-12)
        checked += 1
    assert checked == 7 * 4 * 3 * 3 * 3


@pytest.mark.parametrize(("max_occupancy", "shrinkage"), [(0.85, 0.3), (0.6, 0.0), (0.9, 0.15)])
def test_occupancy_cap_and_shrinkage_agree_with_pyworkforce(
    max_occupancy: float, shrinkage: float
) -> None:
    queuing = pytest.importorskip("pyworkforce.queuing")
    for volume in (12, 150, 800):
        model = queuing.ErlangC(
            transactions=volume, aht=4, asa=0.5, interval=30, shrinkage=shrinkage
        )
        theirs = model.required_positions(service_level=0.8, max_occupancy=max_occupancy)
        ours = required_agents(
            volume,
            "4min",
            "30min",
            sl_target=0.8,
            sl_threshold="30s",
            max_occupancy=max_occupancy,
            shrinkage=shrinkage,
        )
        assert ours == theirs["positions"], volume


# --------------------------------------------------------------------------- numerics


@pytest.mark.parametrize(
    ("agents", "load"), [(12, 10.0), (60, 52.5), (310, 290.0), (1050, 1000.0), (4000, 3900.0)]
)
def test_stable_for_hundreds_and_thousands_of_agents(agents: int, load: float) -> None:
    ours = erlang_c.probability_of_waiting(agents, load)
    assert 0.0 < ours < 1.0
    assert ours == pytest.approx(erlang_c_by_logs(agents, load), rel=1e-9)


def test_required_agents_for_a_very_large_queue_is_finite_and_just_above_the_load() -> None:
    agents = required_agents(60_000, "5min", "30min", sl_target=0.9, sl_threshold="20s")
    assert 10_000 < agents < 10_200  # 10,000 Erlangs: pooling leaves little headroom


def test_unstable_queue_waits_forever() -> None:
    assert erlang_c.probability_of_waiting(10, 10.0) == 1.0
    assert erlang_c.service_level(9, 10.0, "3min") == 0.0
    assert erlang_c.asa(10, 10.0, "3min") is pd.NaT
    assert erlang_c.occupancy(8, 10.0) == 1.0


def test_no_load_needs_no_agents_and_nobody_waits() -> None:
    assert required_agents(0, "3min", "30min") == 0
    assert erlang_c.probability_of_waiting(3, 0.0) == 0.0
    assert erlang_c.service_level(3, 0.0, "3min") == 1.0
    assert erlang_c.asa(3, 0.0, "3min") == pd.Timedelta(0)


def test_vectorised_over_series_matches_scalars_and_keeps_the_index() -> None:
    index = pd.Index(["a", "b", "c", "d"], name="queue")
    volume = pd.Series([100, 0, 640, None], index=index, dtype="Int64")
    aht = pd.Series(pd.to_timedelta([180, 200, 250, 180], unit="s"), index=index)
    out = required_agents(volume, aht, "30min", sl_target=0.8, sl_threshold="20s")
    assert out.index.equals(index)
    assert str(out.dtype) == "Int64"
    assert out.iloc[:3].tolist() == [
        required_agents(100, "180s", "30min"),
        0,
        required_agents(640, "250s", "30min"),
    ]
    assert pd.isna(out.iloc[3])

    agents = pd.Series([11, 12, 13], index=["x", "y", "z"])
    levels = erlang_c.service_level(agents, 10.0, "3min")
    assert levels.index.tolist() == ["x", "y", "z"]
    assert levels.tolist() == [erlang_c.service_level(n, 10.0, "3min") for n in (11, 12, 13)]
    waits = erlang_c.asa(agents, 10.0, "3min")
    assert str(waits.dtype) == "timedelta64[ms]"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sl_target": 1.0}, "sl_target must be between 0 and 1"),
        ({"sl_target": 0.0}, "sl_target must be between 0 and 1"),
        ({"shrinkage": 1.0}, "shrinkage must be in"),
        ({"max_occupancy": 0.0}, "max_occupancy must be in"),
        ({"sl_threshold": "0s"}, "positive duration"),
        ({"sl_threshold": 20}, "bare number"),
    ],
)
def test_bad_staffing_arguments_raise_value_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        required_agents(100, "3min", "30min", **kwargs)


def test_bad_inputs_raise_value_error() -> None:
    with pytest.raises(ValueError, match="agents must be whole numbers"):
        erlang_c.probability_of_waiting(10.5, 3.0)
    with pytest.raises(ValueError, match="volume must not be negative"):
        required_agents(-1, "3min", "30min")
    with pytest.raises(ValueError, match="aht must be a duration"):
        required_agents(10, 180, "30min")
    with pytest.raises(ValueError, match="different index"):
        erlang_c.probability_of_waiting(pd.Series([3, 4]), pd.Series([1.0, 2.0], index=[5, 6]))


# --------------------------------------------------------------------------- staffing


def test_staffing_uses_each_rows_volume_aht_and_length() -> None:
    df = frame(
        [
            record(
                "2024-01-01 09:00",
                offered_contacts=100,
                completed_contacts=50,
                conversation_handle_time=50 * 180_000,
                length=pd.Timedelta("30min"),
            ),
            record(
                "2024-01-01 09:30",
                offered_contacts=50,
                completed_contacts=10,
                conversation_handle_time=10 * 360_000,
                length=pd.Timedelta("1h"),
            ),
            record(
                "2024-01-01 10:30",
                offered_contacts=7,
                completed_contacts=0,
                conversation_handle_time=0,
            ),
            record(
                "2024-01-01 10:45",
                offered_contacts=0,
                completed_contacts=0,
                conversation_handle_time=0,
            ),
        ]
    )
    out = staffing(df, sl_target=0.8, sl_threshold="20s", shrinkage=0.3)
    assert out["offered_load"].tolist()[:2] == [10.0, 5.0]
    assert out.loc[0, "productive_agents"] == 14
    assert out.loc[0, "required_agents"] == 20
    assert out.loc[1, "productive_agents"] == required_agents(50, "6min", "1h")
    assert pd.isna(out.loc[2, "required_agents"])  # offered but no AHT to plan with
    assert out.loc[3, "required_agents"] == 0
    assert out.loc[0, "expected_service_level"] == pytest.approx(
        erlang_c.service_level(14, 10.0, "3min")
    )
    assert out.loc[0, "expected_asa"] == erlang_c.asa(14, 10.0, "3min")
    assert out.loc[0, "expected_occupancy"] == pytest.approx(10 / 14)


def test_staffing_with_a_planning_aht_and_after_resampling() -> None:
    df = frame(
        [
            record("2024-01-01 09:00", offered_contacts=60),
            record("2024-01-01 09:15", offered_contacts=40),
        ]
    )
    out = staffing(cvframe.resample_intervals(df, "30min"), aht="3min")
    assert out["required_agents"].tolist() == [14]
    assert out["productive_agents"].dtype == "Int64"


def test_staffing_names_missing_columns() -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=1)]).drop(columns=["offered_contacts"])
    with pytest.raises(ValueError, match=r"\['offered_contacts'\]"):
        staffing(df)


def test_staffing_of_every_row_equals_required_agents_row_by_row() -> None:
    rng = np.random.default_rng(11)
    rows = [
        record(
            pd.Timestamp("2024-01-01", tz="UTC") + i * pd.Timedelta("15min"),
            offered_contacts=int(v),
            completed_contacts=int(v),
            conversation_handle_time=int(v) * int(rng.integers(60_000, 600_000)),
        )
        for i, v in enumerate(rng.integers(1, 400, 40))
    ]
    out = staffing(frame(rows), sl_target=0.85, sl_threshold="15s", max_occupancy=0.9)
    for _, row in out.iterrows():
        aht = row["conversation_handle_time"] / row["completed_contacts"]
        assert row["productive_agents"] == required_agents(
            row["offered_contacts"],
            aht,
            "15min",
            sl_target=0.85,
            sl_threshold="15s",
            max_occupancy=0.9,
        )
    assert np.array_equal(out["productive_agents"].to_numpy(), out["required_agents"].to_numpy())


def test_bigger_queues_need_more_agents_but_fewer_per_erlang() -> None:
    loads = np.array([5, 50, 500])
    agents = required_agents(pd.Series(loads * 10), "3min", "30min").to_numpy(dtype=float)
    assert (np.diff(agents) > 0).all()
    assert (np.diff(agents / loads) < 0).all()  # the pooling effect


def test_erlang_c_is_a_public_module_that_shows_only_its_seven_functions() -> None:
    shown = {name for name in dir(erlang_c) if not name.startswith("_")}
    assert shown == set(erlang_c.__all__)
    assert erlang_c.__all__ == [
        "asa",
        "occupancy",
        "offered_load",
        "probability_of_waiting",
        "required_agents",
        "service_level",
        "staffing",
    ]
    assert erlang_c.required_agents is cvframe.required_agents
    assert erlang_c.staffing is cvframe.staffing


def test_erlang_c_is_cvframe_erlang_under_its_older_name() -> None:
    """cvframe.erlang_c keeps its names; they are cvframe.erlang's functions, Erlang C
    without a patience (every test above pins that behaviour through erlang_c)."""
    from cvframe import erlang

    for name in erlang_c.__all__:
        assert getattr(erlang_c, name) is getattr(erlang, name), name
    assert set(erlang_c.__all__) < set(erlang.__all__)
    assert erlang.service_level(14, 10.0, "3min", patience=None) == erlang_c.service_level(
        14, 10.0, "3min"
    )
