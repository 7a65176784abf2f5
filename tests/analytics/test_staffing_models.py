"""staffing's queue models: Erlang A with an estimated patience, and concurrency.

Checked against the seeded simulation of ``tests/_queue_sim.py`` (an exact M/M/N+M
FCFS queue) and on emulator data. Simulated proportions are compared within 4
standard errors, the errors from batch means (20 batches of consecutive contacts:
the waits of neighbouring contacts are correlated, so the binomial error would be
several times too small).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cvframe
from cvframe import erlang
from cvframe.emulator import Emulator
from tests._analytics_helpers import frame, record
from tests._queue_sim import Contacts, simulate_queue

#: Batches of the batch-means standard error.
BATCHES = 20
#: What estimate_patience gives where nobody abandoned: the estimate is unbounded.
UNBOUNDED = pd.Timedelta.max.floor("ms")


def batch_mean_and_error(hits: np.ndarray) -> tuple[float, float]:
    """The mean of ``hits`` and its standard error from :data:`BATCHES` batch means."""
    means = np.array([chunk.mean() for chunk in np.array_split(hits, BATCHES)])
    return float(hits.mean()), float(means.std(ddof=1) / math.sqrt(BATCHES))


def answered_within(contacts: Contacts, threshold_s: float) -> np.ndarray:
    return contacts.answered & (contacts.wait <= threshold_s)


# --------------------------------------------------------------------------- concurrency


def test_concurrency_plans_the_fewest_agents_whose_slots_meet_the_target_in_simulation() -> None:
    """N agents with k slots each ARE N·k servers: that is the model staffing states.

    So the simulation of the plan is the M/M/(N·k) queue: with the planned N the
    simulated service level reaches the target, with N - 1 agents ((N - 1)·k slots)
    it does not, each within 4 standard errors (200,000 contacts, 20·AHT warm-up).
    """
    aht_s, load, k, target = 300.0, 24.0, 3, 0.8
    rate = load / aht_s
    agents = cvframe.required_agents(
        rate * 1800, f"{aht_s}s", "30min", concurrency=k, sl_target=target, sl_threshold="20s"
    )
    single = cvframe.required_agents(rate * 1800, f"{aht_s}s", "30min", sl_target=target)
    assert agents == math.ceil(single / k)  # the fewest N with N·k >= the slots needed
    levels = {}
    for n in (agents, agents - 1):
        contacts = simulate_queue(
            arrival_rate=rate,
            aht=aht_s,
            patience=math.inf,
            servers=n * k,
            contacts=200_000,
            seed=14 + n,
        ).measured(20 * aht_s)
        level, error = batch_mean_and_error(answered_within(contacts, 20.0))
        predicted = erlang.service_level(n * k, load, f"{aht_s}s", sl_threshold="20s")
        assert abs(level - predicted) < 4 * error, (n, level, predicted, error)
        levels[n] = (level, error)
    assert levels[agents][0] > target - 4 * levels[agents][1]
    assert levels[agents - 1][0] + 4 * levels[agents - 1][1] < target


def test_concurrency_divides_the_slots_and_the_occupancy_is_per_slot() -> None:
    df = frame(
        [
            record(
                "2024-01-01T09:00",
                length=pd.Timedelta("30min"),
                offered_contacts=300,
                completed_contacts=300,
                conversation_handle_time=300 * 360_000,
            )
        ]
    )
    one = cvframe.staffing(df)
    three = cvframe.staffing(df, concurrency=3, max_occupancy=0.85)
    slots = int(one["productive_agents"].iloc[0])
    assert three["productive_agents"].iloc[0] == max(math.ceil(slots / 3), math.ceil(60 / 3 / 0.85))
    n = int(three["productive_agents"].iloc[0])
    assert three["expected_occupancy"].iloc[0] == pytest.approx(60.0 / (3 * n))
    assert three["expected_service_level"].iloc[0] == pytest.approx(
        erlang.service_level(3 * n, 60.0, "6min")
    )
    assert list(three.columns) == list(one.columns)  # Erlang C's output, unchanged


# --------------------------------------------------------------------------- Erlang A


def simulated_quarter_hours(contacts: Contacts, start: float) -> pd.DataFrame:
    """The contacts as the API aggregates them: one record per quarter hour of arrival."""
    slot = ((contacts.arrival - start) // 900).astype(int)
    records = []
    begin = pd.Timestamp("2024-03-04T00:00", tz="UTC")
    for q in range(int(slot.max()) + 1):
        mine = slot == q
        ok, gone = mine & contacts.answered, mine & ~contacts.answered
        ms = np.rint(contacts.wait * 1000).astype(np.int64)
        handle = np.rint(contacts.handle * 1000).astype(np.int64)
        records.append(
            record(
                begin + q * pd.Timedelta("15min"),
                offered_contacts=int(mine.sum()),
                answered_contacts=int(ok.sum()),
                completed_contacts=int(ok.sum()),
                abandoned_contacts=int(gone.sum()),
                queue_hold_time_answered=int(ms[ok].sum()),
                max_queue_hold_time_answered=int(ms[ok].max()) if ok.any() else 0,
                queue_hold_time_abandoned=int(ms[gone].sum()),
                max_queue_hold_time_abandoned=int(ms[gone].max()) if gone.any() else 0,
                conversation_handle_time=int(handle[ok].sum()),
            )
        )
    return frame(records)


@pytest.fixture(scope="module")
def simulated() -> tuple[pd.DataFrame, Contacts]:
    """An understaffed queue (20 Erlangs, 19 agents) whose callers wait 2 min on average."""
    aht_s, load = 300.0, 20.0
    contacts = simulate_queue(
        arrival_rate=load / aht_s, aht=aht_s, patience=120.0, servers=19, contacts=40_000, seed=3
    )
    warmup = 20 * aht_s
    kept = contacts.measured(warmup)
    return simulated_quarter_hours(kept, warmup), kept


def test_estimated_patience_of_simulated_quarter_hours_is_the_true_one(
    simulated: tuple[pd.DataFrame, Contacts],
) -> None:
    """The pooled MLE is within 4 standard errors (patience / sqrt(abandons)) of 120 s."""
    df, contacts = simulated
    abandons = int((~contacts.answered).sum())
    assert abandons > 2000  # abandonment is material here: ~6% of ~39,000
    pooled = erlang.estimate_patience(df, by="queue_id")
    assert pooled.index.tolist() == ["q1"] and pooled.dtype == "timedelta64[ms]"
    seconds = pooled.iloc[0].total_seconds()
    assert abs(seconds - 120.0) < 4 * 120.0 / math.sqrt(abandons), seconds
    # The same totals, summed by hand: total wait of everyone / abandoned contacts.
    by_hand = contacts.wait.sum() / abandons
    assert seconds == pytest.approx(by_hand, abs=0.002 * len(df))  # ms rounding per record

    rows = erlang.estimate_patience(df)
    assert rows.index.equals(df.index) and rows.name == "patience"
    no_abandon = df["abandoned_contacts"] == 0
    assert (rows[no_abandon] == UNBOUNDED).all() and (rows[~no_abandon] < UNBOUNDED).all()


def test_erlang_a_staffing_of_simulated_quarter_hours(
    simulated: tuple[pd.DataFrame, Contacts],
) -> None:
    df, contacts = simulated
    per_row = cvframe.staffing(df, model="erlang_a")
    expected_columns = [*cvframe.staffing(df).columns, "expected_abandon_rate", "patience"]
    assert list(per_row.columns) == expected_columns
    assert per_row["patience"].dtype == "timedelta64[ms]"
    pd.testing.assert_series_equal(per_row["patience"], erlang.estimate_patience(df))
    assert per_row["expected_abandon_rate"].between(0, 1).all()

    pooled = erlang.estimate_patience(df, by="queue_id")
    plan_a = cvframe.staffing(df, model="erlang_a", patience=pooled)
    plan_c = cvframe.staffing(df)
    assert (plan_a["patience"] == pooled.iloc[0]).all()
    assert (plan_a["productive_agents"] <= plan_c["productive_agents"]).all()
    assert (plan_a["productive_agents"] < plan_c["productive_agents"]).any()

    # With the agents the queue had (19) and the estimated patience, the model's
    # abandonment is the simulated one within 4 standard errors of each (the estimate's
    # own error carried through the model by its two ends).
    rate, error = batch_mean_and_error(~contacts.answered)
    low_high = [
        erlang.abandonment(19, 20.0, "300s", patience=pd.Timedelta(seconds=s))
        for s in (
            pooled.iloc[0].total_seconds() * (1 + f * 4 / math.sqrt((~contacts.answered).sum()))
            for f in (1, -1)
        )
    ]
    assert min(low_high) - 4 * error < rate < max(low_high) + 4 * error, (rate, low_high)


def test_a_patience_given_as_a_column_a_series_or_a_mapping_is_the_same_plan(
    simulated: tuple[pd.DataFrame, Contacts],
) -> None:
    df = simulated[0].head(8).copy()
    df["planned_patience"] = pd.Series(pd.Timedelta("2min"), index=df.index).astype(
        "timedelta64[ms]"
    )
    want = cvframe.staffing(df, model="erlang_a", patience="2min")
    for given in (
        "planned_patience",
        df["planned_patience"],
        {"q1": "2min"},
        {"Queue q1": pd.Timedelta("2min")},
    ):
        got = cvframe.staffing(df, model="erlang_a", patience=given)
        pd.testing.assert_frame_equal(
            got.drop(columns="planned_patience"), want.drop(columns="planned_patience")
        )


def test_rows_without_abandons_are_planned_with_erlang_c_and_missing_totals_give_na() -> None:
    base: dict[str, Any] = {
        "offered_contacts": 40,
        "completed_contacts": 38,
        "answered_contacts": 38,
        "conversation_handle_time": 38 * 240_000,
        "queue_hold_time_answered": 38 * 15_000,
        "queue_hold_time_abandoned": 2 * 40_000,
        "abandoned_contacts": 2,
    }
    df = frame(
        [
            record("2024-01-01T09:00", **base),
            record(
                "2024-01-01T09:15",
                **{
                    **base,
                    "abandoned_contacts": 0,
                    "queue_hold_time_abandoned": 0,
                    "answered_contacts": 40,
                },
            ),
            record("2024-01-01T09:30", **base),
        ]
    )
    df["queue_hold_time_abandoned"] = df["queue_hold_time_abandoned"].mask(df.index == 2)
    out = cvframe.staffing(df, model="erlang_a")
    plan_c = cvframe.staffing(df)
    assert out["patience"].iloc[0] == pd.Timedelta(seconds=(38 * 15 + 2 * 40) / 2)
    # No abandon: the MLE is infinite, the row is Erlang C and says so.
    assert out["patience"].iloc[1] == UNBOUNDED
    assert out["expected_abandon_rate"].iloc[1] == 0.0
    assert out["productive_agents"].iloc[1] == plan_c["productive_agents"].iloc[1]
    assert out["expected_service_level"].iloc[1] == pytest.approx(
        plan_c["expected_service_level"].iloc[1], rel=1e-12
    )
    # A total the estimate needs is NA: the row's plan is NA, not Erlang C.
    assert (
        out.loc[2, ["productive_agents", "required_agents", "expected_abandon_rate"]].isna().all()
    )
    assert out["patience"].isna().iloc[2]
    assert out["productive_agents"].iloc[0] <= plan_c["productive_agents"].iloc[0]


def test_na_concurrency_gives_na_and_a_patience_of_nat_is_unknown() -> None:
    df = frame(
        [
            record(
                f"2024-01-01T09:{m:02d}",
                offered_contacts=60,
                completed_contacts=60,
                conversation_handle_time=60 * 200_000,
            )
            for m in (0, 15)
        ]
    )
    df["slots"] = pd.array([2, None], dtype="Int64")
    out = cvframe.staffing(df, concurrency="slots")
    assert out["productive_agents"].iloc[0] == math.ceil(
        cvframe.staffing(df)["productive_agents"].iloc[0] / 2
    )
    assert out["productive_agents"].isna().iloc[1] and out["required_agents"].isna().iloc[1]
    nat = pd.Series(pd.to_timedelta([None, None]), index=df.index).astype("timedelta64[ms]")
    a = cvframe.staffing(df, model="erlang_a", patience=nat)
    assert a["productive_agents"].isna().all() and a["expected_abandon_rate"].isna().all()
    assert erlang.service_level(pd.Series([12, 13]), 13.3, "200s", patience=nat).isna().all()
    # Nobody hangs up is said with math.inf, or the unbounded estimate in a duration column.
    unbounded = pd.Series(UNBOUNDED, index=df.index).astype("timedelta64[ms]")
    c = cvframe.staffing(df)
    for nobody in (math.inf, unbounded):
        a = cvframe.staffing(df, model="erlang_a", patience=nobody)
        assert a["productive_agents"].tolist() == c["productive_agents"].tolist()
        assert a["expected_abandon_rate"].tolist() == [0.0, 0.0]
        assert (a["patience"] == UNBOUNDED).all()
    assert (
        erlang.service_level(pd.Series([12, 13]), 13.3, "200s", patience=unbounded).tolist()
        == erlang.service_level(pd.Series([12, 13]), 13.3, "200s").tolist()
    )


# --------------------------------------------------------------------------- emulator


@pytest.fixture(scope="module")
def half_hours() -> Iterator[pd.DataFrame]:
    """Two days of four emulator queues (Billing, Tech Support, Sales, Chat Care), by 30 min."""
    with Emulator(days=2, queues=4) as emu:
        df = cvframe.read_callvolume("2023-01-02", "2023-01-04", progress=False, **emu.settings())
    yield cvframe.resample_intervals(df, "30min", by="queue_id")


def test_per_queue_concurrency_by_name_on_emulator_data(half_hours: pd.DataFrame) -> None:
    names = sorted(half_hours["queue_name"].unique())
    assert "Chat Care" in names
    per_queue = {name: 3 if name == "Chat Care" else 1 for name in names}
    out = cvframe.staffing(half_hours, concurrency=per_queue, shrinkage=0.3)
    plain = cvframe.staffing(half_hours, shrinkage=0.3)
    chat = half_hours["queue_name"] == "Chat Care"
    slots = plain["productive_agents"].astype("float64")
    want = np.where(chat, np.ceil(slots / 3), slots)
    np.testing.assert_array_equal(out["productive_agents"].astype("float64").to_numpy(), want)
    assert (out.loc[chat, "required_agents"] < plain.loc[chat, "required_agents"]).any()
    assert out.loc[~chat].equals(plain.loc[~chat])

    by_id = dict(zip(half_hours["queue_id"], half_hours["queue_name"].map(per_queue), strict=True))
    pd.testing.assert_frame_equal(
        cvframe.staffing(half_hours, concurrency=by_id, shrinkage=0.3), out
    )
    with pytest.raises(ValueError, match=r"no value for the queue\(s\) \['Chat Care'\]"):
        cvframe.staffing(half_hours, concurrency={n: 1 for n in names if n != "Chat Care"})


def test_a_very_large_patience_is_erlang_c_on_emulator_data(half_hours: pd.DataFrame) -> None:
    c = cvframe.staffing(half_hours, max_occupancy=0.85)
    a = cvframe.staffing(half_hours, model="erlang_a", patience="1000D", max_occupancy=0.85)
    assert a["productive_agents"].equals(c["productive_agents"])
    np.testing.assert_allclose(
        a["expected_service_level"].to_numpy(float, na_value=np.nan),
        c["expected_service_level"].to_numpy(float, na_value=np.nan),
        atol=1e-6,
    )
    assert (a["expected_abandon_rate"].dropna() < 1e-5).all()


def test_erlang_a_needs_fewer_or_equal_agents_where_callers_hang_up(
    half_hours: pd.DataFrame,
) -> None:
    c = cvframe.staffing(half_hours)
    a = cvframe.staffing(half_hours, model="erlang_a")
    pooled = cvframe.staffing(
        half_hours, model="erlang_a", patience=erlang.estimate_patience(half_hours, by="queue_id")
    )
    known = c["productive_agents"].notna()
    assert (a["productive_agents"] <= c["productive_agents"])[known].all()
    assert (pooled["productive_agents"] <= c["productive_agents"])[known].all()
    material = (half_hours["abandoned_contacts"] / half_hours["offered_contacts"]) > 0.05
    assert material.sum() > 20
    assert (a["productive_agents"] < c["productive_agents"])[material & known].any()
    # Erlang A's own service level of its plan reaches the target too.
    assert (a["expected_service_level"].dropna() >= 0.8).all()


# --------------------------------------------------------------------------- arguments


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return frame(
        [
            record(
                "2024-01-01T09:00",
                queue=q,
                name=f"Queue {q}",
                offered_contacts=30,
                completed_contacts=30,
                answered_contacts=28,
                abandoned_contacts=2,
                queue_hold_time_answered=28 * 10_000,
                queue_hold_time_abandoned=2 * 30_000,
                conversation_handle_time=30 * 200_000,
            )
            for q in ("q1", "q2")
        ]
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "erlang_b"}, r"model must be one of \['erlang_c', 'erlang_a'\]"),
        ({"patience": "90s"}, "pass model='erlang_a'"),
        ({"model": "erlang_a", "patience": 90}, "patience=90 is a bare number"),
        ({"model": "erlang_a", "patience": "-5s"}, "patience"),
        ({"concurrency": 0}, "concurrency must be a whole number >= 1"),
        ({"concurrency": 1.5}, "concurrency must be a whole number >= 1"),
        ({"concurrency": True}, "concurrency must be a whole number >= 1"),
        ({"concurrency": "slots"}, "concurrency names the column 'slots'"),
        ({"concurrency": {"q1": 2}}, r"no value for the queue\(s\) \['q2'\]"),
        ({"concurrency": {"q1": 2, "q2": 0}}, "concurrency must be a whole number"),
        ({"concurrency": pd.Series([1, 2], index=[5, 6])}, "index is not the frame's rows"),
        ({"sl_denominator": "genesys"}, "sl_denominator of a queue model"),
        ({"model": "erlang_a", "patience": pd.Series(["2min"], index=["x"])}, "patience"),
    ],
)
def test_staffing_refuses_bad_model_arguments(
    small: pd.DataFrame, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cvframe.staffing(small, **kwargs)


def test_a_concurrency_column_names_the_bad_row(small: pd.DataFrame) -> None:
    df = small.assign(slots=pd.array([2, 0], dtype="Int64"))
    with pytest.raises(ValueError, match=r"1 row\(s\) are not \(index: value\) \{1: 0.0\}"):
        cvframe.staffing(df, concurrency="slots")


def test_estimated_patience_needs_the_wait_columns(small: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="queue_hold_time_abandoned"):
        cvframe.staffing(small.drop(columns="queue_hold_time_abandoned"), model="erlang_a")
    with pytest.raises(ValueError, match="abandoned_contacts"):
        erlang.estimate_patience(small.drop(columns="abandoned_contacts"))
    with pytest.raises(ValueError, match="by must name key columns"):
        erlang.estimate_patience(small, by="agent")


def test_required_agents_and_the_functions_refuse_bad_model_arguments() -> None:
    with pytest.raises(ValueError, match="needs patience"):
        cvframe.required_agents(100, "3min", "30min", model="erlang_a")
    with pytest.raises(ValueError, match="pass model='erlang_a'"):
        cvframe.required_agents(100, "3min", "30min", patience="1min")
    with pytest.raises(ValueError, match="concurrency must be a whole number"):
        cvframe.required_agents(100, "3min", "30min", concurrency=pd.Series([1, 0]))
    with pytest.raises(ValueError, match="needs aht"):
        erlang.probability_of_waiting(10, 9.0, patience="1min")
    with pytest.raises(ValueError, match="needs aht"):
        erlang.occupancy(10, 9.0, patience="1min")
    with pytest.raises(ValueError, match="sl_denominator"):
        erlang.service_level(10, 9.0, "3min", sl_denominator="cisco_negative")


def test_required_agents_with_concurrency_and_patience_broadcast() -> None:
    volume = pd.Series([0.0, 40.0, 100.0, None])
    got = cvframe.required_agents(
        volume, "3min", "30min", model="erlang_a", patience="90s", concurrency=2
    )
    assert got.dtype == "Int64" and got.index.equals(volume.index)
    assert got.iloc[0] == 0 and got.isna().iloc[3]
    c = cvframe.required_agents(volume, "3min", "30min", concurrency=2)
    assert (got <= c).iloc[:3].all()
    assert cvframe.required_agents(100, "3min", "30min", model="erlang_a", patience=math.inf) == 14


# --------------------------------------------------------------------------- unknown vs none


def _half_hours(n: int, start: str = "2024-01-01T09:00", **changes: Any) -> list[dict[str, Any]]:
    """``n`` half hours of q1: 100 offered, 90 answered after 30 s, 10 hung up after 60 s."""
    base: dict[str, Any] = {
        "offered_contacts": 100,
        "answered_contacts": 90,
        "completed_contacts": 90,
        "abandoned_contacts": 10,
        "conversation_handle_time": 90 * 180_000,
        "queue_hold_time_answered": 90 * 30_000,
        "queue_hold_time_abandoned": 10 * 60_000,
    }
    starts = pd.date_range(start, periods=n, freq="30min")
    return [record(s, length=pd.Timedelta("30min"), **{**base, **changes}) for s in starts]


def test_a_pooled_patience_with_a_record_missing_a_total_is_not_erlang_c() -> None:
    """Review finding 2: one record without queue_hold_time_abandoned made the whole
    queue's pooled patience NaT, which staffing planned as "nobody hangs up"."""
    df = frame(_half_hours(8))
    df["queue_hold_time_abandoned"] = df["queue_hold_time_abandoned"].mask(df.index == 3)
    pooled = erlang.estimate_patience(df, by="queue_id")
    # Pooled over the 7 complete rows: (90·30 s + 10·60 s) / 10 per row.
    assert pooled.loc["q1"] == pd.Timedelta("5min30s")
    plan = cvframe.staffing(df, model="erlang_a", patience=pooled)
    assert (plan["patience"] == pd.Timedelta("5min30s")).all()
    assert (plan["expected_abandon_rate"] > 0).all()
    per_row = cvframe.staffing(df, model="erlang_a")
    complete = df.index != 3
    assert plan["productive_agents"][complete].tolist() == (
        per_row["productive_agents"][complete].tolist()
    )
    assert per_row["productive_agents"].isna().iloc[3]


def test_unknown_and_no_abandons_are_apart_on_the_per_row_and_pooled_paths() -> None:
    """NaT is unknown (NA rows); nobody abandoned is the unbounded estimate (Erlang C)."""
    nobody = {"abandoned_contacts": 0, "answered_contacts": 100, "completed_contacts": 100}
    df = frame(
        [
            *_half_hours(1),
            *_half_hours(1, "2024-01-01T09:30", **nobody, queue_hold_time_abandoned=0),
            *_half_hours(1, "2024-01-01T10:00"),
        ]
    )
    df["queue_hold_time_answered"] = df["queue_hold_time_answered"].mask(df.index == 2)
    estimate = erlang.estimate_patience(df)
    assert estimate.iloc[0] == pd.Timedelta("5min30s")
    assert estimate.iloc[1] == UNBOUNDED
    assert estimate.isna().iloc[2]
    per_row = cvframe.staffing(df, model="erlang_a")
    given = cvframe.staffing(df, model="erlang_a", patience=estimate)
    pd.testing.assert_frame_equal(per_row, given)
    pd.testing.assert_series_equal(per_row["patience"], estimate)
    plan_c = cvframe.staffing(df)
    assert per_row["productive_agents"].iloc[1] == plan_c["productive_agents"].iloc[1]
    assert per_row["expected_abandon_rate"].iloc[1] == 0.0
    assert per_row.loc[2, ["productive_agents", "expected_abandon_rate"]].isna().all()

    # Pooled: a queue with no complete record is unknown, one with no abandon unbounded.
    quiet = frame(_half_hours(2, abandoned_contacts=0, queue_hold_time_abandoned=0))
    assert erlang.estimate_patience(quiet, by="queue_id").tolist() == [UNBOUNDED]
    blind = frame(_half_hours(2))
    blind["queue_hold_time_abandoned"] = blind["queue_hold_time_abandoned"].mask(blind.index >= 0)
    pooled = erlang.estimate_patience(blind, by="queue_id")
    assert pooled.isna().all()
    plan = cvframe.staffing(blind, model="erlang_a", patience=pooled)
    assert plan["productive_agents"].isna().all() and plan["patience"].isna().all()
    # A given NaT (scalar, Series, mapping) is unknown too; None and math.inf are Erlang C.
    assert (
        cvframe.staffing(blind, model="erlang_a", patience={"q1": pd.NaT})["productive_agents"]
        .isna()
        .all()
    )
    assert math.isnan(erlang.service_level(12, 10.0, "3min", patience=pd.NaT))
    assert erlang.service_level(12, 10.0, "3min", patience=UNBOUNDED) == erlang.service_level(
        12, 10.0, "3min"
    )


def test_abandons_without_a_recorded_wait_cannot_be_estimated_on_either_path() -> None:
    """Review finding 3: abandons with 0 recorded wait gave an estimate of 0, which
    staffing planned as 1 ms and a given patience refused without naming the row."""
    df = frame(
        [
            *_half_hours(1),
            *_half_hours(
                1, "2024-01-01T09:30", queue_hold_time_answered=0, queue_hold_time_abandoned=0
            ),
        ]
    )
    estimate = erlang.estimate_patience(df)
    assert estimate.iloc[0] == pd.Timedelta("5min30s") and estimate.isna().iloc[1]
    per_row = cvframe.staffing(df, model="erlang_a")
    assert per_row["productive_agents"].isna().iloc[1] and per_row["patience"].isna().iloc[1]
    pd.testing.assert_frame_equal(
        per_row, cvframe.staffing(df, model="erlang_a", patience=estimate)
    )
    # Pooled, the untimed row is left out (as a row missing a total is); alone, unknown.
    assert erlang.estimate_patience(df, by="queue_id").tolist() == [pd.Timedelta("5min30s")]
    zero = df.iloc[[1]]
    assert erlang.estimate_patience(zero, by="queue_id").isna().all()
    pooled = cvframe.staffing(
        zero, model="erlang_a", patience=erlang.estimate_patience(zero, by="queue_id")
    )
    assert pooled["productive_agents"].isna().all()


def test_a_bad_given_patience_names_its_row_or_queue() -> None:
    df = frame(_half_hours(3))
    bad = pd.Series(pd.to_timedelta(["1min", "0s", "-5s"]), index=df.index)
    with pytest.raises(ValueError, match=r"patience must be a positive.*2 row\(s\).*\{1: "):
        cvframe.staffing(df, model="erlang_a", patience=bad)
    with pytest.raises(ValueError, match=r"patience must be a positive.*'q1'"):
        cvframe.staffing(df, model="erlang_a", patience={"q1": "0s"})


def test_an_erlang_c_plan_of_an_erlang_a_plan_drops_the_erlang_a_columns() -> None:
    # Review finding 17: staffing(model="erlang_c") on staffing(model="erlang_a")'s output
    # kept the old expected_abandon_rate and patience beside the new Erlang C plan.
    df = frame(
        [
            record(
                "2024-01-01T09:00:00Z",
                length=pd.Timedelta("30min"),
                offered_contacts=110,
                answered_contacts=100,
                completed_contacts=100,
                abandoned_contacts=10,
                conversation_handle_time=100 * 180_000,
                queue_hold_time_answered=100 * 20_000,
                queue_hold_time_abandoned=10 * 30_000,
            )
        ]
    )
    a = cvframe.staffing(df, model="erlang_a")
    assert {"expected_abandon_rate", "patience"} <= set(a.columns)
    c = cvframe.staffing(a, model="erlang_c")
    assert "expected_abandon_rate" not in c.columns and "patience" not in c.columns
    pd.testing.assert_frame_equal(c, cvframe.staffing(df, model="erlang_c"))
