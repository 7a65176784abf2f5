"""Service level through resampling: each record's bounds summed, true levels inside them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cvframe
from cvframe import IntervalSchema, kpis, resample_intervals, staffing, to_series
from cvframe._analytics._measures import FloatColumns
from cvframe._analytics._service_level import (
    SL_CARRIED_COUNTS,
    SL_COUNT_COLUMNS,
    SL_THRESHOLD_COLUMN,
    answered_within_threshold,
)
from cvframe._errors import SchemaError
from cvframe.emulator._data import SyntheticData, default_queues
from tests._analytics_helpers import QUARTER, frame, record, synthetic

SL_COLUMNS = [*SL_CARRIED_COUNTS, SL_THRESHOLD_COLUMN]
LEVELS = ["service_level_low", "service_level", "service_level_high"]
DENOMINATORS = ["offered", "answered", "answered+abandoned"]
ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Kathmandu"]
WAIT_KINDS = ["busy_exponential", "mostly_immediate", "heavy_tail", "around_threshold"]


def ms(value: float) -> pd.Timedelta:
    return pd.Timedelta(milliseconds=value)


def without_sl(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=SL_COLUMNS)


# --------------------------------------------------------------------------- simulation


@dataclass
class Simulated:
    """Quarter-hour records built from each contact's wait, and those waits."""

    records: pd.DataFrame
    queue: np.ndarray  # per record
    start: pd.DatetimeIndex  # per record, UTC
    waits: list[np.ndarray]  # per record: each answered contact's wait (ms)
    offered: np.ndarray
    abandoned: np.ndarray

    def truth(self, threshold_ms: int, freq: str, tz: str) -> pd.DataFrame:
        """Per (queue_id, local bucket start): answered within T, answered, offered."""
        local = self.start.tz_convert(tz)
        bucket = local.floor(freq, ambiguous="infer") if freq != "D" else local.normalize()
        within = np.array([int((w <= threshold_ms).sum()) for w in self.waits])
        answered = np.array([len(w) for w in self.waits])
        table = pd.DataFrame(
            {
                "queue_id": self.queue,
                "interval_start": bucket,
                "within": within,
                "answered": answered,
                "offered": self.offered,
                "abandoned": self.abandoned,
            }
        )
        sums = table.groupby(["queue_id", "interval_start"], as_index=False).sum()
        return sums.sort_values(["interval_start", "queue_id"], ignore_index=True)


#: Adversarial waits, on the bounds' edges for a threshold ``t`` (ms): most exactly at
#: it, at it or 1 ms over, all equal to the longest, only at it or at the longest (the
#: fewest-misses bound is then the truth), all at or over it.
ADVERSARIAL_KINDS = ["at_threshold", "just_above", "all_equal", "threshold_or_longest", "busy"]


def draw_waits(
    rng: np.random.Generator, kind: str, load: float, n: int, t: int = 20_000
) -> np.ndarray:
    """Per-contact waits (ms) of one quarter-hour; longer when the queue is busy."""
    if kind == "busy_exponential":  # the emulator's model
        return np.rint(rng.exponential(4_000 + 55_000 * load**2, n)).astype(np.int64)
    if kind == "mostly_immediate":
        return (rng.exponential(40_000, n) * (rng.random(n) < 0.3)).astype(np.int64)
    if kind == "heavy_tail":
        return rng.lognormal(8.5 + 1.5 * load, 1.4, n).astype(np.int64)
    if kind == "at_threshold":
        return np.where(rng.random(n) < 0.8, t, t + rng.integers(1, 120_000, n))
    if kind == "just_above":
        return t + rng.integers(0, 2, n)
    if kind == "all_equal":
        return np.full(n, t + int(rng.choice([-1, 0, 1, 5, 40_000])), dtype=np.int64)
    if kind == "threshold_or_longest":
        return np.where(rng.random(n) < load, t + int(rng.integers(1, 90_000)), t)
    if kind == "busy":
        return rng.integers(t, 4 * t, n)
    return rng.integers(15_000, 25_001, n)  # "around_threshold": a pile near 20 s


def simulate(
    rng: np.random.Generator,
    *,
    queues: tuple[str, ...] = ("q1", "q2", "q3", "q4"),
    start: str = "2024-03-07",
    days: int = 6,
    keep: float = 0.9,
    kinds: list[str] = WAIT_KINDS,
    threshold_ms: int = 20_000,
) -> Simulated:
    """Contacts on a daily curve, aggregated into quarter-hour records as the API does.

    Queue ``i`` draws its waits from ``kinds[i % len(kinds)]`` (adversarial kinds
    around ``threshold_ms``).
    """
    slots = pd.date_range(start, periods=days * 96, freq=QUARTER, tz="UTC")
    hours = slots.hour + slots.minute / 60
    loads = 0.05 + 0.95 * np.exp(-(((hours - 14.0) / 3.5) ** 2))
    rows, queue, begin, waits, offered, abandoned = [], [], [], [], [], []
    for i, name in enumerate(queues):
        kind = kinds[i % len(kinds)]
        for slot, load in zip(slots, loads, strict=True):
            if rng.random() > keep:
                continue
            answered_waits = draw_waits(
                rng, kind, float(load), int(rng.poisson(30 * load)), threshold_ms
            )
            gave_up = int(rng.poisson(2 * load))
            n = len(answered_waits)
            rows.append(
                record(
                    slot,
                    queue=name,
                    offered_contacts=n + gave_up,
                    answered_contacts=n,
                    abandoned_contacts=gave_up,
                    queue_hold_time_answered=int(answered_waits.sum()),
                    max_queue_hold_time_answered=int(answered_waits.max()) if n else 0,
                )
            )
            queue.append(name)
            begin.append(slot)
            waits.append(answered_waits)
            offered.append(n + gave_up)
            abandoned.append(gave_up)
    return Simulated(
        frame(rows),
        np.array(queue),
        pd.DatetimeIndex(begin),
        waits,
        np.array(offered),
        np.array(abandoned),
    )


@pytest.fixture(scope="module")
def simulated() -> Simulated:
    return simulate(np.random.default_rng(20240307))


def denominator_of(truth: pd.DataFrame, sl_denominator: str) -> np.ndarray:
    if sl_denominator == "offered":
        return truth["offered"].to_numpy(float)
    if sl_denominator == "answered":
        return truth["answered"].to_numpy(float)
    return (truth["answered"] + truth["abandoned"]).to_numpy(float)


# --------------------------------------------------------------------------- truth and tightness


@pytest.mark.parametrize("sl_denominator", DENOMINATORS)
@pytest.mark.parametrize(
    ("freq", "tz"),
    [("D", "UTC"), ("D", "America/New_York"), ("1h", "UTC"), ("D", "Asia/Kathmandu")],
)
@pytest.mark.parametrize("threshold_ms", [10_000, 20_000, 60_000])
def test_true_service_level_of_simulated_contacts_lies_within_the_carried_bounds(
    simulated: Simulated, sl_denominator: str, freq: str, tz: str, threshold_ms: int
) -> None:
    threshold = ms(threshold_ms)
    buckets = resample_intervals(
        simulated.records, freq, tz=tz, fill_gaps=False, sl_threshold=threshold
    )
    out = kpis(buckets, sl_threshold=threshold, sl_denominator=sl_denominator)  # type: ignore[arg-type]
    truth = simulated.truth(threshold_ms, freq, tz)
    assert out["queue_id"].astype(str).tolist() == truth["queue_id"].tolist()
    assert (out["interval_start"] == truth["interval_start"]).all()

    base = denominator_of(truth, sl_denominator)
    known = base > 0
    true_level = truth["within"].to_numpy(float)[known] / base[known]
    low, estimate, high = (out[c].to_numpy(float, na_value=np.nan)[known] for c in LEVELS)
    assert (low <= true_level + 1e-12).all()
    assert (true_level <= high + 1e-12).all()
    assert ((low <= estimate) & (estimate <= high)).all()
    exact = out["service_level_exact"].to_numpy()[known]
    np.testing.assert_allclose(estimate[exact], true_level[exact])
    # The counts themselves bound the true count.
    within = truth["within"].to_numpy()
    assert (buckets["answered_within_sl_low"].to_numpy(int) <= within).all()
    assert (within <= buckets["answered_within_sl_high"].to_numpy(int)).all()


@pytest.mark.parametrize("seed", range(8))
def test_true_counts_lie_within_the_carried_bounds_for_adversarial_waits_and_many_seeds(
    seed: int,
) -> None:
    """Waits piled on T, 1 ms over it, all equal, or only at T and at the longest."""
    rng = np.random.default_rng(seed)
    threshold_ms = int(rng.choice([5_000, 20_000, 45_000]))
    sim = simulate(
        rng,
        queues=tuple(f"q{i}" for i in range(len(ADVERSARIAL_KINDS))),
        days=2,
        kinds=ADVERSARIAL_KINDS,
        threshold_ms=threshold_ms,
    )
    threshold = ms(threshold_ms)
    quarters = resample_intervals(sim.records, "15min", fill_gaps=False, sl_threshold=threshold)
    within = sim.truth(threshold_ms, "15min", "UTC")["within"].to_numpy()
    low, high = (
        quarters[c].to_numpy(int) for c in ("answered_within_sl_low", "answered_within_sl_high")
    )
    assert (low <= within).all()
    assert (within <= high).all()
    # Only at T and at the longest (more than 4·A ms over T, past the rounding margins):
    # the most within T is the truth.
    longest = quarters["max_queue_hold_time_answered"] // ms(1)
    tight = (
        (quarters["queue_id"] == f"q{ADVERSARIAL_KINDS.index('threshold_or_longest')}")
        & (longest > threshold_ms + 4 * quarters["answered_contacts"])
    ).to_numpy(bool)
    assert tight.sum() > 20
    np.testing.assert_array_equal(high[tight], within[tight])
    # The total forces more than the one longest wait's miss in many quarter-hours.
    assert (quarters["answered_contacts"].to_numpy(int) - high > 1).sum() > 100
    for freq, tz in [("1h", "UTC"), ("D", "America/New_York")]:
        buckets = resample_intervals(
            sim.records, freq, tz=tz, fill_gaps=False, sl_threshold=threshold
        )
        truth = sim.truth(threshold_ms, freq, tz)
        counts = truth["within"].to_numpy()
        assert (buckets["answered_within_sl_low"].to_numpy(int) <= counts).all()
        assert (counts <= buckets["answered_within_sl_high"].to_numpy(int)).all()
        for sl_denominator in DENOMINATORS:
            out = kpis(buckets, sl_threshold=threshold, sl_denominator=sl_denominator)  # type: ignore[arg-type]
            base = denominator_of(truth, sl_denominator)
            known = base > 0
            level = counts[known] / base[known]
            lo, est, hi = (out[c].to_numpy(float, na_value=np.nan)[known] for c in LEVELS)
            assert (lo <= level + 1e-12).all()
            assert (level <= hi + 1e-12).all()
            assert ((lo <= est) & (est <= hi)).all()
            # A bucket's own totals bound it too, never more tightly than the counts.
            plain = kpis(without_sl(buckets), sl_threshold=threshold, sl_denominator=sl_denominator)  # type: ignore[arg-type]
            p_lo, p_hi = (
                plain[c].to_numpy(float, na_value=np.nan)[known] for c in (LEVELS[0], LEVELS[2])
            )
            assert (p_lo <= level + 1e-12).all()
            assert (level <= p_hi + 1e-12).all()
            assert (p_lo <= lo).all()
            assert (hi <= p_hi).all()


@pytest.mark.parametrize("freq", ["1h", "D", "W"])
@pytest.mark.parametrize("sl_denominator", DENOMINATORS)
def test_carried_bounds_are_never_wider_than_those_of_the_buckets_own_totals(
    simulated: Simulated, freq: str, sl_denominator: str
) -> None:
    buckets = resample_intervals(simulated.records, freq, tz="Europe/London", sl_threshold="20s")
    carried = kpis(buckets, sl_denominator=sl_denominator)  # type: ignore[arg-type]
    plain = kpis(without_sl(buckets), sl_denominator=sl_denominator)  # type: ignore[arg-type]
    assert (carried["service_level_low"] >= plain["service_level_low"]).all()
    assert (carried["service_level_high"] <= plain["service_level_high"]).all()
    # Both exact, or neither exact and the carried range inside; same NA rows.
    assert (carried["service_level_low"].isna() == plain["service_level_low"].isna()).all()
    assert (plain["service_level_exact"] <= carried["service_level_exact"]).all()
    # And on this data, much tighter where it matters: at the daily grain.
    if freq == "D":
        width = (carried["service_level_high"] - carried["service_level_low"]).dropna()
        plain_width = (plain["service_level_high"] - plain["service_level_low"]).dropna()
        assert width.mean() < 0.8 * plain_width.mean()
        assert (width < plain_width).all()


def billing_week() -> pd.DataFrame:
    """Five weekdays of the emulator's Billing and Tech Support queues (seed 7)."""
    data = SyntheticData(seed=7, queues=default_queues(2, 7), org_id="o", instance_id="i")
    records = [r for day in range(4, 9) for q in range(2) for r in data.day(q, date(2024, 3, day))]
    return cvframe.validate(cvframe.records_to_frame(records))


def test_a_realistic_day_gets_strictly_tighter_bounds() -> None:
    """Billing on Monday 2024-03-04: the day's one longest wait allows [0, 0.890]."""
    df = billing_week()
    daily = resample_intervals(df, "D", by="queue_name", sl_threshold="20s")
    carried = kpis(daily, sl_threshold="20s")
    plain = kpis(resample_intervals(df, "D", by="queue_name"), sl_threshold="20s")
    monday = (carried["queue_name"] == "Billing") & (
        carried["interval_start"] == pd.Timestamp("2024-03-04", tz="UTC")
    )
    assert monday.sum() == 1
    before = plain.loc[monday, ["service_level_low", "service_level_high"]].iloc[0].astype(float)
    after = carried.loc[monday, ["service_level_low", "service_level_high"]].iloc[0].astype(float)
    # The upper bounds count the fewest misses that the waits' total forces (834
    # answered waited 9:18:49.662 in all, the longest 7:21.180): without that, only the
    # longest wait's, they were 0.935 and 0.891.
    assert before.round(3).tolist() == [0.0, 0.890]
    assert after.round(3).tolist() == [0.182, 0.771]
    # Every day of both queues is strictly tighter, at both ends.
    assert (carried["service_level_low"] > plain["service_level_low"]).all()
    assert (carried["service_level_high"] < plain["service_level_high"]).all()


# --------------------------------------------------------------------------- identities


def test_per_record_counts_are_kpis_own_bounds_and_estimate() -> None:
    df = synthetic(np.random.default_rng(11), days=1)
    quarters = resample_intervals(df, "15min", fill_gaps=False, sl_threshold="20s")
    for sl_denominator in DENOMINATORS:
        ours = kpis(quarters, sl_denominator=sl_denominator)  # type: ignore[arg-type]
        theirs = kpis(df, sl_denominator=sl_denominator)  # type: ignore[arg-type]
        for column in [*LEVELS, "service_level_exact"]:
            np.testing.assert_array_equal(
                ours[column].to_numpy(na_value=np.nan),
                theirs[column].to_numpy(na_value=np.nan),
                err_msg=column,
            )
    low, estimate, high, _ = answered_within_threshold(FloatColumns(df), 20_000.0)
    np.testing.assert_array_equal(quarters["answered_within_sl_low"].to_numpy(float), low)
    np.testing.assert_array_equal(quarters["answered_within_sl_estimate"].to_numpy(float), estimate)
    np.testing.assert_array_equal(quarters["answered_within_sl_high"].to_numpy(float), high)


def test_columns_dtypes_order_and_the_recorded_threshold(simulated: Simulated) -> None:
    out = resample_intervals(simulated.records, "D", sl_threshold=pd.Timedelta(seconds=20))
    IntervalSchema.validate(out)
    assert list(out.columns[-len(SL_COLUMNS) :]) == SL_COLUMNS
    assert str(out["answered_within_sl_low"].dtype) == "Int64"
    assert str(out["answered_within_sl_estimate"].dtype) == "Float64"
    assert str(out["answered_within_sl_high"].dtype) == "Int64"
    assert str(out["sl_threshold"].dtype) == "timedelta64[ms]"
    assert (out["sl_threshold"] == pd.Timedelta("20s")).all()
    low, estimate, high = (out[c].astype(float) for c in SL_COUNT_COLUMNS)
    assert (low <= estimate).all()
    assert (estimate <= high).all()
    assert (high <= out["answered_contacts"]).all()
    with_kpis = kpis(out)
    assert (
        with_kpis["service_level_exact"] == (low == high) & with_kpis["service_level"].notna()
    ).all()
    # Without sl_threshold, nothing changes: no new columns.
    assert not set(SL_COLUMNS) & set(resample_intervals(simulated.records, "D").columns)


def test_counts_are_conserved_whatever_the_bucket(simulated: Simulated) -> None:
    quarters = resample_intervals(simulated.records, "15min", fill_gaps=False, sl_threshold="20s")
    for freq, tz in [
        ("1h", "UTC"),
        ("D", "America/New_York"),
        ("W", "Asia/Kathmandu"),
        ("MS", "UTC"),
    ]:
        out = resample_intervals(simulated.records, freq, tz=tz, sl_threshold="20s")
        for name in ("answered_within_sl_low", "answered_within_sl_high"):
            assert out[name].sum() == quarters[name].sum(), (freq, name)
        assert out["answered_within_sl_estimate"].sum() == pytest.approx(
            quarters["answered_within_sl_estimate"].sum(), rel=1e-12
        )


def test_filled_gaps_are_zero_counts_with_the_threshold() -> None:
    df = frame(
        [
            record(
                "2024-01-01 09:00",
                offered_contacts=4,
                answered_contacts=4,
                queue_hold_time_answered=90_000,
                max_queue_hold_time_answered=60_000,
            ),
            record(
                "2024-01-01 12:00",
                offered_contacts=1,
                answered_contacts=1,
                queue_hold_time_answered=3_000,
                max_queue_hold_time_answered=3_000,
            ),
        ]
    )
    out = resample_intervals(df, "1h", sl_threshold="20s")
    assert out["answered_within_sl_low"].tolist() == [2, 0, 0, 1]
    assert out["answered_within_sl_high"].tolist() == [3, 0, 0, 1]
    assert out["answered_within_sl_estimate"].iloc[1:3].tolist() == [0.0, 0.0]
    assert (out["sl_threshold"] == pd.Timedelta("20s")).all()
    levels = kpis(out)
    assert levels["service_level"].isna().tolist() == [False, True, True, False]


def test_a_record_missing_its_answered_count_or_total_wait_makes_its_bucket_unknown() -> None:
    df = frame(
        [
            record("2024-01-01 09:00", offered_contacts=3, answered_contacts=None),
            record("2024-01-01 09:15", offered_contacts=2, answered_contacts=2),
            record(
                "2024-01-01 10:00",
                offered_contacts=2,
                answered_contacts=2,
                queue_hold_time_answered=None,
            ),
            record(
                "2024-01-01 11:00",
                offered_contacts=2,
                answered_contacts=2,
                queue_hold_time_answered=50_000,
                max_queue_hold_time_answered=None,  # bounded by the total wait alone
            ),
        ]
    )
    out = resample_intervals(df, "1h", sl_threshold="20s")
    assert out["answered_within_sl_low"].isna().tolist() == [True, True, False]
    assert out["answered_within_sl_estimate"].isna().tolist() == [True, True, False]
    # 50 s in all, longest unknown: at most floor(50 / 20) = 2 missed.
    assert out.loc[2, ["answered_within_sl_low", "answered_within_sl_high"]].tolist() == [0, 2]
    assert kpis(out)["service_level"].isna().tolist() == [True, True, False]


def test_a_daily_frame_resampled_again_keeps_its_counts_without_the_threshold() -> None:
    df = synthetic(np.random.default_rng(12), days=14, queues=("q1",))
    daily = resample_intervals(df, "D", sl_threshold="20s")
    weekly_from_days = resample_intervals(daily, "W")
    weekly_from_days_again = resample_intervals(daily, "W", sl_threshold="20000ms")
    weekly = resample_intervals(df, "W", sl_threshold="20s")
    pd.testing.assert_frame_equal(weekly_from_days, weekly)
    pd.testing.assert_frame_equal(weekly_from_days_again, weekly)


# --------------------------------------------------------------------------- properties


@st.composite
def contact_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Quarter-hour records of up to 3 queues over 3 days around a DST change, from waits."""
    base = draw(st.sampled_from(["2024-03-09", "2024-03-30", "2024-10-26", "2024-11-02"]))
    cells = draw(
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3 * 96 - 1)), unique=True, max_size=40)
    )
    rows = []
    for queue, slot in cells:
        waits = draw(st.lists(st.integers(0, 300_000), max_size=8))
        abandoned = draw(st.integers(0, 3))
        rows.append(
            record(
                pd.Timestamp(base, tz="UTC") + slot * QUARTER,
                queue=f"q{queue}",
                offered_contacts=len(waits) + abandoned,
                answered_contacts=len(waits),
                abandoned_contacts=abandoned,
                queue_hold_time_answered=sum(waits),
                max_queue_hold_time_answered=max(waits, default=0),
            )
        )
    return frame(rows)


THRESHOLDS = st.sampled_from(["5s", "20s", "45s", "2min"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=contact_frames(), tz=st.sampled_from(ZONES), fill_gaps=st.booleans(), t=THRESHOLDS)
def test_15_to_30_to_60_minutes_equals_15_to_60_with_the_counts(
    df: pd.DataFrame, tz: str, fill_gaps: bool, t: str
) -> None:
    direct = resample_intervals(df, "1h", tz=tz, fill_gaps=fill_gaps, sl_threshold=t)
    half_hours = resample_intervals(df, "30min", tz=tz, fill_gaps=fill_gaps, sl_threshold=t)
    stepwise = resample_intervals(half_hours, "1h", fill_gaps=fill_gaps)
    pd.testing.assert_frame_equal(stepwise, direct, check_exact=False, rtol=1e-12)
    IntervalSchema.validate(stepwise)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=contact_frames(), tz=st.sampled_from(ZONES), t=THRESHOLDS)
def test_quarter_hours_to_hours_to_local_days_equals_quarter_hours_to_local_days_with_the_counts(
    df: pd.DataFrame, tz: str, t: str
) -> None:
    direct = resample_intervals(df, "D", tz=tz, sl_threshold=t)
    stepwise = resample_intervals(resample_intervals(df, "1h", tz=tz, sl_threshold=t), "D")
    pd.testing.assert_frame_equal(stepwise, direct, check_exact=False, rtol=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    df=contact_frames(),
    freq=st.sampled_from(["1h", "D", "W"]),
    tz=st.sampled_from(ZONES),
    t=THRESHOLDS,
    sl_denominator=st.sampled_from(DENOMINATORS),
)
def test_carried_bounds_never_wider_for_any_records(
    df: pd.DataFrame, freq: str, tz: str, t: str, sl_denominator: Any
) -> None:
    buckets = resample_intervals(df, freq, tz=tz, sl_threshold=t)
    carried = kpis(buckets, sl_threshold=t, sl_denominator=sl_denominator)
    plain = kpis(without_sl(buckets), sl_threshold=t, sl_denominator=sl_denominator)
    known = carried["service_level"].notna()
    assert (known == plain["service_level"].notna()).all()
    c, p = carried[known], plain[known]
    assert (c["service_level_low"] >= p["service_level_low"]).all()
    assert (c["service_level_high"] <= p["service_level_high"]).all()
    assert (c["service_level_low"] <= c["service_level"]).all()
    assert (c["service_level"] <= c["service_level_high"]).all()


# --------------------------------------------------------------------------- other helpers


def test_kpis_staffing_and_to_series_accept_a_frame_that_carries_the_counts() -> None:
    df = synthetic(np.random.default_rng(13), days=2)
    hourly = resample_intervals(df, "1h", sl_threshold="20s")
    staffed = staffing(hourly, sl_target=0.8, sl_threshold="20s")
    pd.testing.assert_frame_equal(staffed[hourly.columns], hourly)
    pd.testing.assert_frame_equal(
        staffed.drop(columns=SL_COLUMNS),
        staffing(without_sl(hourly), sl_target=0.8, sl_threshold="20s"),
    )
    # kpis keeps the columns (a copy of the frame, KPIs added), so it can be resampled on.
    assert set(SL_COLUMNS) <= set(kpis(hourly).columns)
    # to_series takes one measure; the counts do not get in its way.
    pd.testing.assert_frame_equal(
        to_series(hourly, "offered_contacts", "D"), to_series(df, "offered_contacts", "D")
    )


def test_dask_resamples_a_frame_that_carries_the_counts_like_pandas() -> None:
    dd = pytest.importorskip("dask.dataframe")
    import cvframe.dask

    hourly = resample_intervals(
        synthetic(np.random.default_rng(14), days=2), "1h", sl_threshold="20s"
    )
    expected = resample_intervals(hourly, "D")
    got = cvframe.dask.resample_intervals(dd.from_pandas(hourly, npartitions=2), "D").compute()
    got = got.sort_values(["interval_start", "queue_id"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


# --------------------------------------------------------------------------- errors


def test_kpis_refuses_a_threshold_other_than_the_recorded_one() -> None:
    daily = resample_intervals(
        synthetic(np.random.default_rng(15), days=1), "D", sl_threshold="20s"
    )
    with pytest.raises(ValueError, match=r"'30s' differs from the 20 seconds .* resample"):
        kpis(daily, sl_threshold="30s")
    # Dropping the counts falls back to the bucket's own longest wait.
    assert kpis(without_sl(daily), sl_threshold="30s")["service_level"].notna().any()
    kpis(daily, sl_threshold=pd.Timedelta(milliseconds=20_000))  # the same threshold


def test_resampling_again_refuses_another_threshold() -> None:
    daily = resample_intervals(
        synthetic(np.random.default_rng(16), days=1), "D", sl_threshold="20s"
    )
    with pytest.raises(ValueError, match=r"differs from the 20 seconds .* 15-minute records"):
        resample_intervals(daily, "W", sl_threshold="30s")


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ("0s", "positive duration"),
        ("-5s", "positive duration"),
        (20, "bare number"),
        ("banana", "must be a duration"),
        ("1500us", "whole number of milliseconds"),
    ],
)
def test_bad_sl_threshold_is_refused(threshold: Any, message: str) -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=1)])
    with pytest.raises(ValueError, match=message):
        resample_intervals(df, "1h", sl_threshold=threshold)


def test_some_but_not_all_of_the_columns_are_refused() -> None:
    hourly = resample_intervals(
        synthetic(np.random.default_rng(17), days=1), "1h", sl_threshold="20s"
    )
    partial = hourly.drop(columns=["answered_within_sl_estimate"])
    with pytest.raises(ValueError, match="go together"):
        resample_intervals(partial, "D")
    with pytest.raises(ValueError, match="go together"):
        kpis(partial)


def test_counts_for_two_thresholds_are_not_added_up() -> None:
    df = synthetic(np.random.default_rng(18), days=2, queues=("q1",))
    first, second = df.iloc[: len(df) // 2], df.iloc[len(df) // 2 :]
    mixed = pd.concat(
        [
            resample_intervals(first, "1h", sl_threshold="20s"),
            resample_intervals(second, "1h", sl_threshold="30s"),
        ],
        ignore_index=True,
    )
    with pytest.raises(ValueError, match="several thresholds"):
        resample_intervals(mixed, "D")
    with pytest.raises(ValueError, match="several thresholds"):
        kpis(mixed, sl_threshold="20s")


def test_an_empty_frame_keeps_the_columns_and_needs_a_threshold_to_fill() -> None:
    empty = resample_intervals(cvframe.empty_frame(), "1h", sl_threshold="20s")
    assert list(empty.columns[-len(SL_COLUMNS) :]) == SL_COLUMNS
    assert len(resample_intervals(empty, "D")) == 0
    with pytest.raises(ValueError, match="no row to tell"):
        resample_intervals(empty, "D", by=None, start="2024-01-01", end="2024-01-03")
    filled = resample_intervals(
        empty, "D", by=None, start="2024-01-01", end="2024-01-03", sl_threshold="20s"
    )
    assert filled["answered_within_sl_high"].tolist() == [0, 0]


def broken(hourly: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
    out = hourly.copy()
    out.loc[0, column] = value
    return out


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [
        ("answered_within_sl_low", 10**6, "_low <= _estimate"),
        ("answered_within_sl_estimate", 10.0**6, "_low <= _estimate"),
        ("answered_within_sl_high", -1, "greater_than_or_equal_to"),
        ("sl_threshold", pd.Timedelta("30s"), "one sl_threshold"),
    ],
)
def test_interval_schema_checks_the_counts(column: str, value: Any, check: str) -> None:
    hourly = resample_intervals(
        synthetic(np.random.default_rng(19), days=1), "1h", sl_threshold="20s"
    )
    IntervalSchema.validate(hourly)
    with pytest.raises(Exception, match=check):
        IntervalSchema.validate(broken(hourly, column, value))


def test_interval_schema_checks_the_counts_dtypes_and_that_they_come_together() -> None:
    hourly = resample_intervals(
        synthetic(np.random.default_rng(20), days=1), "1h", sl_threshold="20s"
    )
    with pytest.raises(Exception, match="dtype Int64"):
        IntervalSchema.validate(hourly.astype({"answered_within_sl_low": "float64"}))
    with pytest.raises(Exception, match="together or not at all"):
        IntervalSchema.validate(hourly.drop(columns=["sl_threshold"]))


def test_resampling_counts_out_of_order_is_refused() -> None:
    hourly = resample_intervals(
        synthetic(np.random.default_rng(21), days=1), "1h", sl_threshold="20s"
    )
    bad = broken(hourly, "answered_within_sl_high", 10**6)
    with pytest.raises((ValueError, SchemaError), match="answered_within_sl_high <= answered"):
        resample_intervals(bad, "D")
