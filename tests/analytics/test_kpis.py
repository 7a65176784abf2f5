"""kpis: ratios of totals, NA for empty denominators, and service-level bounds that hold."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from cvframe import kpis, resample_intervals
from cvframe._analytics._kpis import KPI_COLUMNS
from cvframe._analytics._measures import FloatColumns
from cvframe._analytics._service_level import answered_within_threshold, missed_bounds
from tests._analytics_helpers import COUNTS, DURATIONS, MEASURES, frame, record, synthetic


def ms(value: float) -> pd.Timedelta:
    return pd.Timedelta(milliseconds=value)


def one_row(**fields: Any) -> pd.DataFrame:
    return frame([record("2024-01-01 09:00", **fields)])


# --------------------------------------------------------------------------- formulas


def test_averages_and_rates_are_ratios_of_the_rows_totals() -> None:
    out = kpis(
        one_row(
            offered_contacts=10,
            answered_contacts=8,
            abandoned_contacts=2,
            completed_contacts=6,
            conversation_handle_time=6 * 200_000,
            conversation_talk_time=6 * 150_000,
            hold_duration=6 * 20_000,
            acw_duration=6 * 30_000,
            queue_hold_time_answered=8 * 12_500,
            max_queue_hold_time_answered=19_000,
            queue_hold_time_abandoned=2 * 41_000,
            csat_responses=4,
            csat_score=4.25,
        )
    ).iloc[0]
    assert out["aht"] == ms(200_000)
    assert out["avg_talk_time"] == ms(150_000)
    assert out["avg_hold_time"] == ms(20_000)
    assert out["avg_acw_time"] == ms(30_000)
    assert out["asa"] == ms(12_500)
    assert out["avg_abandon_wait"] == ms(41_000)
    assert out["abandon_rate"] == 0.2
    assert out["answer_rate"] == 0.8
    assert out["csat_average"] == 4.25  # csat_score is the average of the 4 responses
    # max wait 19 s <= 20 s: every answered contact made it, exactly.
    assert out["service_level"] == out["service_level_low"] == out["service_level_high"] == 0.8
    assert out["service_level_exact"]


def test_kpi_columns_dtypes_and_the_input_left_alone() -> None:
    df = synthetic(np.random.default_rng(5), days=1)
    before = df.copy()
    out = kpis(df)
    pd.testing.assert_frame_equal(df, before)
    assert list(out.columns) == [*df.columns, *KPI_COLUMNS]
    for name in (
        "aht",
        "asa",
        "avg_abandon_wait",
        "avg_talk_time",
        "avg_hold_time",
        "avg_acw_time",
    ):
        assert str(out[name].dtype) == "timedelta64[ms]", name
    for name in (
        "abandon_rate",
        "answer_rate",
        "csat_average",
        "service_level_low",
        "service_level",
        "service_level_high",
    ):
        assert str(out[name].dtype) == "Float64", name
    assert out["service_level_exact"].dtype == bool
    # Computing twice replaces the columns rather than duplicating them.
    assert list(kpis(out).columns) == list(out.columns)


def test_averages_are_rounded_to_the_millisecond() -> None:
    out = kpis(one_row(completed_contacts=3, conversation_handle_time=1000))
    assert out.loc[0, "aht"] == ms(333)


def test_zero_denominators_give_na_never_inf_or_a_warning() -> None:
    zeros = {name: 0 for name in MEASURES}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = kpis(one_row(**zeros))
    for name in KPI_COLUMNS[:-1]:
        assert pd.isna(out.loc[0, name]), name
    assert not out.loc[0, "service_level_exact"]


def test_missing_inputs_give_na() -> None:
    out = kpis(
        one_row(
            offered_contacts=5,
            answered_contacts=None,
            completed_contacts=2,
            conversation_handle_time=None,
        )
    )
    assert pd.isna(out.loc[0, "aht"])
    assert pd.isna(out.loc[0, "answer_rate"])
    assert pd.isna(out.loc[0, "service_level"])


def test_kpis_of_a_resampled_frame_are_ratios_of_sums_not_averages_of_averages() -> None:
    df = frame(
        [
            record(
                "2024-01-01 09:00",
                answered_contacts=1,
                queue_hold_time_answered=100_000,
                max_queue_hold_time_answered=100_000,
            ),
            record(
                "2024-01-01 09:15",
                answered_contacts=9,
                queue_hold_time_answered=9_000,
                max_queue_hold_time_answered=1_000,
            ),
        ]
    )
    out = kpis(resample_intervals(df, "30min"))
    assert out.loc[0, "asa"] == ms(10_900)  # 109 s / 10, not (100 s + 1 s) / 2


# --------------------------------------------------------------------------- service level


def sl_row(answered: int, total: int, longest: int, *, abandoned: int = 0) -> pd.DataFrame:
    return one_row(
        offered_contacts=answered + abandoned,
        answered_contacts=answered,
        abandoned_contacts=abandoned,
        queue_hold_time_answered=total,
        max_queue_hold_time_answered=longest,
    )


def test_service_level_exact_when_the_longest_wait_is_within_the_threshold() -> None:
    out = kpis(sl_row(5, 50_000, 19_999, abandoned=5), sl_threshold="20s").iloc[0]
    assert out["service_level_exact"]
    assert out["service_level"] == 0.5  # 5 answered in time over 10 offered
    # A longest wait of exactly T may stand for 20000.4 ms, which missed T: not exact.
    out = kpis(sl_row(5, 50_000, 20_000, abandoned=5), sl_threshold="20s").iloc[0]
    assert not out["service_level_exact"]
    assert out["service_level_low"] < 0.5 == out["service_level_high"]


def documented_bounds(a: int, s: int, m: int | None, t: int) -> tuple[int, int]:
    """(fewest, most) missed, as the module docstring and the README state them.

    Exact rational arithmetic, independent of the implementation's floats, with the
    rounding margins of 2·A ms on ``S`` and 1 ms on ``M``: ``M + 1 ≤ T``: 0 and 0;
    else ``max(1 if M - 1 ≥ T else 0, ceil((S - 2A - A·T) / (M + 1 - T)))`` (clipped
    to the most) and ``min(A, ceil((S - M + 2A + 1) / T))``; ``M`` missing: 0 and
    ``min(A, ceil((S + 2A) / T) - 1)``.
    """
    if a == 0:
        return 0, 0
    if m is None:
        return 0, min(a, max(math.ceil(Fraction(s + 2 * a, t)) - 1, 0))
    if m + 1 <= t:
        return 0, 0
    high = min(a, max(math.ceil(Fraction(s - m + 2 * a + 1, t)), 0))
    low = max(1 if m - 1 >= t else 0, math.ceil(Fraction(s - 2 * a - a * t, m + 1 - t)))
    return min(low, high), high


def test_service_level_bounds_follow_the_documented_formula() -> None:
    # A = 10 answered, S = 130 s, M = 50 s, T = 20 s: at most
    # min(10, 1 + floor((130 - 50) / 20)) = 5 missed; at least
    # max(1, 1 + ceil((130 - 0.010 - 50 - 9 * 20) / 30)) = 1 (the other nine could
    # all have waited 20 s or less: they waited 80 s in all).
    assert documented_bounds(10, 130_000, 50_000, 20_000) == (1, 5)
    out = kpis(sl_row(10, 130_000, 50_000), sl_threshold=pd.Timedelta(seconds=20)).iloc[0]
    assert out["service_level_low"] == 0.5
    assert out["service_level_high"] == 0.9
    assert 0.5 <= out["service_level"] <= 0.9
    assert not out["service_level_exact"]
    # The estimate: half the bounds' midpoint (3 missed), half the longest as one miss
    # and the other nine waits (80/9 s on average) exponential cut at 50 s, its rate c
    # (per 50 s) solving the cut mean 1/c - 1/(e^c - 1) = (80/9) / 50, of which the
    # share over 20 s is (e^(-0.4c) - e^(-c)) / (1 - e^(-c)).
    c = brentq(lambda c: 1 / c - 1 / math.expm1(c) - (80 / 9) / 50, 1e-6, 100.0, xtol=1e-14)
    tail = (math.exp(-0.4 * c) - math.exp(-c)) / -math.expm1(-c)
    missed = 0.5 * 3 + 0.5 * min(max(1 + 9 * tail, 1), 5)
    assert out["service_level"] == pytest.approx((10 - missed) / 10, abs=1e-9)


def test_the_lower_bound_on_misses_is_strictly_tighter_than_one_on_a_busy_interval() -> None:
    # A = 4, S = 150 s, M = 60 s, T = 20 s. If only the 60 s wait had missed, the other
    # three would have waited at most 3 * 20 = 60 s, not the 90 s left: at least
    # 1 + ceil((150 - 0.004 - 60 - 3 * 20) / 40) = 2 missed, not just 1. At most
    # min(4, 1 + floor(90 / 20)) = 4: so 0 to 2 of 4 within T (it was 0 to 3).
    assert documented_bounds(4, 150_000, 60_000, 20_000) == (2, 4)
    out = kpis(sl_row(4, 150_000, 60_000), sl_threshold="20s", sl_denominator="answered")
    assert out.loc[0, "service_level_low"] == 0.0
    assert out.loc[0, "service_level_high"] == 0.5
    assert 0.0 <= out.loc[0, "service_level"] <= 0.5
    # Waits 60, 50, 20, 20 s reach that bound: two within T.
    truth, fields = true_and_aggregate(np.array([60_000, 50_000, 20_000, 20_000]), 20_000)
    assert truth == 2
    assert fields == {
        "answered_contacts": 4,
        "queue_hold_time_answered": 150_000,
        "max_queue_hold_time_answered": 60_000,
    }
    # The carried counts of resample_intervals(sl_threshold=...) tighten the same way.
    hour = resample_intervals(sl_row(4, 150_000, 60_000), "1h", sl_threshold="20s")
    assert hour.loc[0, "answered_within_sl_high"] == 2
    assert hour.loc[0, "answered_within_sl_low"] == 0


def test_the_rounding_margin_keeps_the_truth_inside_the_bounds() -> None:
    # Waits of 20000.4, 20000.4 and 30000 ms: their millisecond values 20000, 20000 and
    # 30000 are what T = 20 s is compared with (two within it), but an API that adds
    # up the exact waits reports S = round(70000.8) = 70001 ms. Without the margin the
    # bound would be 1 + ceil((70001 - 30000 - 2 * 20000) / 10000) = 2 missed, one
    # too many; with S - A = 69998 ms it is 1 + ceil(-0.0002) = 1.
    assert documented_bounds(3, 70_001, 30_000, 20_000) == (1, 3)
    out = kpis(sl_row(3, 70_001, 30_000), sl_threshold="20s", sl_denominator="answered")
    assert out.loc[0, "service_level_high"] == pytest.approx(2 / 3)


def test_at_most_every_answered_contact_missed() -> None:
    # A = 3, S = 900 s, M = 400 s: at most min(3, 1 + floor(500 / 20)) = 3 missed, and
    # the other two waited 500 s, each at most 400 s, so both more than 20 s: all
    # three missed, which the bounds now know exactly.
    out = kpis(sl_row(3, 900_000, 400_000), sl_threshold="20s").iloc[0]
    assert out["service_level_low"] == 0.0
    assert out["service_level_high"] == 0.0
    assert out["service_level"] == 0.0
    assert out["service_level_exact"]
    # With M = 490 s the other two waited 410 s, which one of them could have waited
    # alone: 2 or 3 missed.
    out = kpis(sl_row(3, 900_000, 400_000 + 90_000), sl_threshold="20s").iloc[0]
    assert out["service_level_low"] == 0.0
    assert out["service_level_high"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("denominator", "expected"),
    [("offered", 6 / 12), ("answered", 6 / 6), ("answered+abandoned", 6 / 10)],
)
def test_sl_denominator_choices(denominator: str, expected: float) -> None:
    # 12 offered: 6 answered (all within T, the longest wait being 2 s), 4 abandoned,
    # 2 left the queue some other way.
    df = one_row(
        offered_contacts=12,
        answered_contacts=6,
        abandoned_contacts=4,
        queue_hold_time_answered=6_000,
        max_queue_hold_time_answered=2_000,
    )
    out = kpis(df, sl_denominator=denominator).iloc[0]  # type: ignore[arg-type]
    assert out["service_level"] == pytest.approx(expected)
    assert out["service_level_exact"]


def true_and_aggregate(waits: np.ndarray, threshold_ms: int) -> tuple[int, dict[str, Any]]:
    """How many of ``waits`` were within the threshold, and the interval's aggregate fields."""
    fields = {
        "answered_contacts": len(waits),
        "queue_hold_time_answered": int(waits.sum()),
        "max_queue_hold_time_answered": int(waits.max()) if len(waits) else 0,
    }
    return int((waits <= threshold_ms).sum()), fields


#: Wait distributions of the simulated intervals: realistic ones, then adversarial ones
#: that sit on the bounds' edges (many waits exactly at T, waits 1 ms over T, all
#: waits equal, waits only at T or at the longest, which the lower bound attains).
WAIT_KINDS = [
    "exponential",
    "mostly_immediate",
    "uniform",
    "heavy_tail",
    "around_threshold",
    "at_threshold",
    "just_above",
    "all_equal",
    "threshold_or_longest",
    "busy",
]


def draw_waits(rng: np.random.Generator, kind: str, n: int, threshold: int = 20_000) -> np.ndarray:
    t = threshold
    if kind == "exponential":
        return rng.exponential(rng.choice([2_000, 15_000, 60_000]), n).astype(np.int64)
    if kind == "mostly_immediate":
        return (rng.exponential(40_000, n) * (rng.random(n) < 0.2)).astype(np.int64)
    if kind == "uniform":
        return rng.integers(0, 60_000, n)
    if kind == "heavy_tail":
        return rng.lognormal(8.5, 1.6, n).astype(np.int64)
    if kind == "around_threshold":  # a pile at T itself
        return rng.integers(t - 1_000, t + 1_001, n)
    if kind == "at_threshold":  # most exactly T, the rest far over it
        return np.where(rng.random(n) < 0.8, t, t + rng.integers(1, 120_000, n))
    if kind == "just_above":  # T or T + 1 ms: M - T is as small as it gets
        return t + rng.integers(0, 2, n)
    if kind == "all_equal":  # every wait equal to the longest
        return np.full(n, t + int(rng.choice([-1, 0, 1, 5, 40_000])), dtype=np.int64)
    if kind == "threshold_or_longest":  # S = (A - k)·T + k·M: the lower bound is tight
        return np.where(rng.random(n) < rng.random(), t, t + int(rng.integers(1, 90_000)))
    return rng.integers(t, 4 * t, n)  # "busy": every wait at or over T


@pytest.mark.parametrize("seed", [20240101, 1, 2, 3, 4, 5, 6, 7])
def test_true_service_level_of_simulated_contacts_always_lies_within_the_bounds(
    seed: int,
) -> None:
    """Draw each contact's wait, aggregate into intervals as the API does, compare."""
    rng = np.random.default_rng(seed)
    threshold = 20_000
    rows, within, answered_counts, offered_counts = [], [], [], []
    start = pd.Timestamp("2024-01-01", tz="UTC")
    for i in range(3000):
        n = int(rng.poisson(rng.choice([0.7, 3, 12, 60])))
        abandoned = int(rng.poisson(1))
        waits = draw_waits(rng, WAIT_KINDS[i % len(WAIT_KINDS)], n, threshold)
        true_within, fields = true_and_aggregate(waits, threshold)
        if seed % 2:
            # The waits compared with T are the exact ones rounded to the ms, but the API
            # reports the rounded total of the exact waits: up to ~A/2 ms more than theirs.
            exact = np.maximum(waits + rng.uniform(-0.499, 0.499, n), 0.0)
            fields["queue_hold_time_answered"] = round(math.fsum(exact))
        rows.append(
            record(
                start + i * pd.Timedelta("15min"),
                offered_contacts=n + abandoned,
                abandoned_contacts=abandoned,
                **fields,
            )
        )
        within.append(true_within)
        answered_counts.append(n)
        offered_counts.append(n + abandoned)
    df = frame(rows)
    within_arr = np.array(within, dtype=float)
    # The counts themselves: fewest <= true <= most answered within T.
    low_count, estimate_count, high_count, unknown = answered_within_threshold(
        FloatColumns(df), threshold
    )
    assert not unknown.any()
    assert (low_count <= within_arr).all()
    assert (within_arr <= high_count).all()
    assert ((low_count <= estimate_count) & (estimate_count <= high_count)).all()
    # Where every wait is T or the longest, the most within T is the true count.
    tight = np.array(
        [WAIT_KINDS[i % len(WAIT_KINDS)] == "threshold_or_longest" for i in range(3000)]
    )
    attained = tight & (
        df["max_queue_hold_time_answered"] // ms(1) > threshold + 4 * df["answered_contacts"]
    ).to_numpy(bool)
    assert attained.sum() > 100
    np.testing.assert_array_equal(high_count[attained], within_arr[attained])
    inexact = 0
    for denominator, base in [
        ("offered", np.array(offered_counts)),
        ("answered", np.array(answered_counts)),
        ("answered+abandoned", np.array(offered_counts)),
    ]:
        out = kpis(df, sl_threshold="20s", sl_denominator=denominator)  # type: ignore[arg-type]
        known = base > 0
        truth = within_arr[known] / base[known]
        low = out["service_level_low"].to_numpy(float)[known]
        high = out["service_level_high"].to_numpy(float)[known]
        estimate = out["service_level"].to_numpy(float)[known]
        exact = out["service_level_exact"].to_numpy()[known]
        assert (low <= truth + 1e-12).all()
        assert (truth <= high + 1e-12).all()
        assert ((low <= estimate) & (estimate <= high)).all()
        assert np.allclose(truth[exact], estimate[exact])
        assert out["service_level"].isna().to_numpy()[~known].all()
        inexact += int((~exact).sum())
    assert inexact > 1000  # the bounds were really exercised, not all exact


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    waits=st.lists(st.integers(0, 900_000), max_size=30),
    threshold=st.integers(1, 120_000),
)
def test_bounds_hold_for_any_waits(waits: list[int], threshold: int) -> None:
    truth, fields = true_and_aggregate(np.array(waits, dtype=np.int64), threshold)
    out = kpis(
        one_row(offered_contacts=len(waits), **fields),
        sl_threshold=ms(threshold),
        sl_denominator="answered",
    ).iloc[0]
    if not waits:
        assert pd.isna(out["service_level"])
        return
    assert out["service_level_low"] <= truth / len(waits) <= out["service_level_high"]
    assert out["service_level_low"] <= out["service_level"] <= out["service_level_high"]
    if out["service_level_exact"]:
        assert out["service_level"] == truth / len(waits)


#: Ways a wait becomes whole milliseconds.
ROUNDINGS: dict[str, Callable[[float], float]] = {
    "nearest": round,  # half to even, as Python and numpy do
    "half_up": lambda x: math.floor(x + 0.5),
    "down": math.floor,
    "up": math.ceil,
}


@st.composite
def waits_and_threshold(draw: st.DrawFn) -> tuple[list[float], int]:
    """A threshold T (whole ms) and waits, many of them on or within a ms or two of T."""
    t = draw(st.integers(1, 120_000))
    near = st.builds(lambda d: max(t + d, 0.0), st.floats(-2.0, 2.0, allow_nan=False))
    longest = draw(st.floats(0.0, 900_000.0, allow_nan=False))
    wait = st.one_of(
        st.integers(0, 900_000).map(float),
        st.floats(0.0, 900_000.0, allow_nan=False),
        st.just(float(t)),
        st.just(float(t + 1)),
        near,
        st.just(longest),
    )
    return draw(st.lists(wait, min_size=1, max_size=40)), t


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=waits_and_threshold(),
    rounding=st.sampled_from(sorted(ROUNDINGS)),
    total_of_exact_waits=st.booleans(),
)
def test_true_misses_lie_within_the_bounds_whatever_the_millisecond_rounding(
    case: tuple[list[float], int], rounding: str, total_of_exact_waits: bool
) -> None:
    """The API's S and M are whole ms, from waits rounded each, or their rounded total.

    The true misses are counted on the waits' millisecond values (what a platform
    may compare with T) and on the exact waits: both lie in [fewest, most] computed
    from (A, S, M) alone.
    """
    waits, t = case
    to_ms = ROUNDINGS[rounding]
    recorded = [int(to_ms(w)) for w in waits]
    a = len(waits)
    s = int(to_ms(math.fsum(waits))) if total_of_exact_waits else sum(recorded)
    m = max(recorded)
    low, estimate, high = (
        float(v[0])
        for v in missed_bounds(
            np.array([float(a)]),
            np.array([float(s)]),
            np.array([float(m)]),
            np.array([False]),
            float(t),
        )
    )
    assert (low, high) == documented_bounds(a, s, m, t)
    assert low <= estimate <= high
    assert low <= sum(r > t for r in recorded) <= high
    assert low <= sum(w > t for w in waits) <= high


@settings(max_examples=300, deadline=None)
@given(
    a=st.integers(0, 200),
    s=st.integers(0, 10**9),
    m=st.one_of(st.none(), st.integers(0, 10**7)),
    t=st.integers(1, 600_000),
)
def test_service_level_bounds_are_the_documented_formula_for_any_totals(
    a: int, s: int, m: int | None, t: int
) -> None:
    """Even for totals no waits could give (S > A·M, say), exactly the formula."""
    low, estimate, high = missed_bounds(
        np.array([float(a)]),
        np.array([float(s)]),
        np.array([float(m if m is not None else 0)]),
        np.array([m is None]),
        float(t),
    )
    assert (low[0], high[0]) == documented_bounds(a, s, m, t)
    assert low[0] <= estimate[0] <= high[0]


@settings(max_examples=200, deadline=None)
@given(
    a=st.integers(1, 60),
    k=st.integers(1, 60),
    t=st.integers(1, 120_000),
    over=st.integers(1, 600_000),
)
def test_the_fewest_misses_is_attained_when_the_others_waited_exactly_t(
    a: int, k: int, t: int, over: int
) -> None:
    """k waits of M, the other A - k exactly T: the bound finds all k (if M - T >= 3A)."""
    k = min(k, a)
    m = t + over
    low, _, high = missed_bounds(
        np.array([float(a)]),
        np.array([float((a - k) * t + k * m)]),
        np.array([float(m)]),
        np.array([False]),
        float(t),
    )
    assert low[0] <= k <= high[0]
    if over >= 3 * a:
        assert low[0] == k


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("threshold", ["0s", "-5s", pd.Timedelta(0)])
def test_non_positive_threshold_is_refused(threshold: Any) -> None:
    with pytest.raises(ValueError, match="positive duration"):
        kpis(one_row(offered_contacts=1), sl_threshold=threshold)


def test_bare_number_threshold_is_refused_as_ambiguous() -> None:
    with pytest.raises(ValueError, match="bare number"):
        kpis(one_row(offered_contacts=1), sl_threshold=20)  # type: ignore[arg-type]


def test_unknown_sl_denominator_is_refused() -> None:
    with pytest.raises(ValueError, match="sl_denominator must be one of"):
        kpis(one_row(offered_contacts=1), sl_denominator="queued")  # type: ignore[arg-type]


def test_missing_contract_columns_are_named() -> None:
    df = one_row(offered_contacts=1).drop(columns=["completed_contacts", "csat_score"])
    with pytest.raises(ValueError, match=r"\['completed_contacts', 'csat_score'\]"):
        kpis(df)


def test_duration_column_of_plain_numbers_is_refused() -> None:
    df = one_row(offered_contacts=1)
    df["hold_duration"] = df["hold_duration"].dt.total_seconds()
    with pytest.raises(ValueError, match="hold_duration must hold durations"):
        kpis(df)


# --------------------------------------------------------------------------- DuckDB


SQL = """
WITH slots AS (
    SELECT range AS bucket FROM range(
        (SELECT min(start_ms) // 1800000 * 1800000 FROM raw),
        (SELECT max(start_ms) // 1800000 * 1800000 + 1 FROM raw), 1800000)
),
grid AS (SELECT q.queue_id, s.bucket FROM (SELECT DISTINCT queue_id FROM raw) q, slots s),
sums AS (
    SELECT queue_id, start_ms // 1800000 * 1800000 AS bucket,
        sum(offered_contacts) AS offered, sum(answered_contacts) AS answered,
        sum(abandoned_contacts) AS abandoned, sum(completed_contacts) AS completed,
        sum(csat_responses) AS responses,
        sum(csat_score * csat_responses) / nullif(sum(csat_responses), 0) AS score,
        sum(queue_hold_time_answered) AS wait, max(max_queue_hold_time_answered) AS longest,
        sum(queue_hold_time_abandoned) AS abandon_wait,
        max(max_queue_hold_time_abandoned) AS longest_abandon,
        sum(conversation_handle_time) AS handle, sum(conversation_talk_time) AS talk,
        sum(hold_duration) AS hold, sum(acw_duration) AS acw
    FROM raw GROUP BY ALL
),
filled AS (
    SELECT g.queue_id, g.bucket,
        coalesce(offered, 0) AS offered, coalesce(answered, 0) AS answered,
        coalesce(abandoned, 0) AS abandoned, coalesce(completed, 0) AS completed,
        coalesce(responses, 0) AS responses, score,
        coalesce(wait, 0) AS wait, coalesce(longest, 0) AS longest,
        coalesce(abandon_wait, 0) AS abandon_wait,
        coalesce(longest_abandon, 0) AS longest_abandon,
        coalesce(handle, 0) AS handle, coalesce(talk, 0) AS talk,
        coalesce(hold, 0) AS hold, coalesce(acw, 0) AS acw
    FROM grid g LEFT JOIN sums s USING (queue_id, bucket)
),
most AS (
    SELECT *,
        CASE WHEN answered = 0 OR longest <= $t THEN 0
             ELSE least(answered, 1 + floor((wait - longest) / $t)) END AS missed_high
    FROM filled
),
missed AS (
    SELECT *,
        CASE WHEN answered = 0 OR longest <= $t THEN 0
             ELSE least(missed_high, greatest(1, 1 + ceil(
                 (wait - answered - longest - (answered - 1) * $t) / (longest - $t))))
             END AS missed_low
    FROM most
)
SELECT *,
    handle / nullif(completed, 0) AS aht_ms,
    wait / nullif(answered, 0) AS asa_ms,
    abandon_wait / nullif(abandoned, 0) AS abandon_wait_ms,
    abandoned / nullif(offered, 0) AS abandon_rate,
    answered / nullif(offered, 0) AS answer_rate,
    CASE WHEN responses > 0 THEN score END AS csat_average,
    (answered - missed_high) / nullif(answered + abandoned, 0) AS sl_low,
    (answered - missed_low) / nullif(answered + abandoned, 0) AS sl_high
FROM missed ORDER BY bucket, queue_id
"""


def test_resample_and_kpis_agree_with_an_independent_duckdb_query() -> None:
    df = synthetic(np.random.default_rng(42), queues=("q1", "q2", "q3", "q4"), days=5, keep=0.7)
    raw = pd.DataFrame(
        {
            "queue_id": df["queue_id"].astype(str),
            "start_ms": (df["interval_start"] - pd.Timestamp(0, tz="UTC")) // ms(1),
            **{c: df[c].astype("int64") for c in COUNTS},
            "csat_score": df["csat_score"].astype("float64"),
            **{c: df[c] // ms(1) for c in DURATIONS},
        }
    )
    con = duckdb.connect()
    con.register("raw", raw)
    expected = con.execute(SQL.replace("$t", "20000.0")).df()
    out = kpis(
        resample_intervals(df, "30min"), sl_threshold="20s", sl_denominator="answered+abandoned"
    )

    assert len(out) == len(expected)
    assert out["queue_id"].astype(str).tolist() == expected["queue_id"].tolist()
    start_ms = (out["interval_start"] - pd.Timestamp(0, tz="UTC")) // ms(1)
    assert start_ms.tolist() == expected["bucket"].tolist()
    pairs = {
        "offered_contacts": "offered",
        "answered_contacts": "answered",
        "abandoned_contacts": "abandoned",
        "completed_contacts": "completed",
        "csat_responses": "responses",
    }
    for ours, theirs in pairs.items():
        assert out[ours].astype("int64").tolist() == expected[theirs].astype("int64").tolist()
    np.testing.assert_allclose(
        out["csat_score"].to_numpy(float, na_value=np.nan),
        expected["score"].to_numpy(float, na_value=np.nan),
        rtol=1e-12,
    )
    for ours, theirs in {
        "queue_hold_time_answered": "wait",
        "max_queue_hold_time_answered": "longest",
        "max_queue_hold_time_abandoned": "longest_abandon",
        "conversation_handle_time": "handle",
        "acw_duration": "acw",
    }.items():
        assert (out[ours] // ms(1)).tolist() == expected[theirs].astype("int64").tolist()
    for ours, theirs in {
        "aht": "aht_ms",
        "asa": "asa_ms",
        "avg_abandon_wait": "abandon_wait_ms",
    }.items():
        ours_ms = (out[ours] / ms(1)).to_numpy(float, na_value=np.nan)
        theirs_ms = expected[theirs].to_numpy(float, na_value=np.nan)
        assert (np.isnan(ours_ms) == np.isnan(theirs_ms)).all(), ours
        assert np.nanmax(np.abs(ours_ms - theirs_ms)) <= 0.5, ours  # rounded to the ms
    for ours, theirs in {
        "abandon_rate": "abandon_rate",
        "answer_rate": "answer_rate",
        "csat_average": "csat_average",
        "service_level_low": "sl_low",
        "service_level_high": "sl_high",
    }.items():
        np.testing.assert_allclose(
            out[ours].to_numpy(float, na_value=np.nan),
            expected[theirs].to_numpy(float, na_value=np.nan),
            rtol=1e-12,
            err_msg=ours,
        )
    assert (out["offered_contacts"] == 0).sum() > 50  # gaps were filled in both


def test_local_daily_totals_agree_with_duckdb_time_bucket_in_new_york() -> None:
    df = synthetic(np.random.default_rng(7), start="2024-11-01", days=4, keep=0.9)
    raw = pd.DataFrame(
        {
            "queue_id": df["queue_id"].astype(str),
            "ts": df["interval_start"].dt.tz_convert("UTC").dt.tz_localize(None),
            "offered": df["offered_contacts"].astype("int64"),
        }
    )
    con = duckdb.connect()
    con.register("raw", raw)
    expected = con.execute("""
        SELECT queue_id,
               epoch_ms(time_bucket(INTERVAL '1 day', timezone('UTC', ts),
                                    'America/New_York')) AS day_ms,
               sum(offered) AS offered
        FROM raw GROUP BY ALL ORDER BY day_ms, queue_id
    """).df()
    out = resample_intervals(df, "D", tz="America/New_York", fill_gaps=False)
    day_ms = (out["interval_start"] - pd.Timestamp(0, tz="UTC")) // ms(1)
    assert day_ms.tolist() == expected["day_ms"].tolist()
    assert out["offered_contacts"].astype("int64").tolist() == expected["offered"].tolist()
    assert out["queue_id"].astype(str).tolist() == expected["queue_id"].tolist()
