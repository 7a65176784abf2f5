"""Service-level bounds hold whatever sub-millisecond rounding made the API's totals.

The README's promise ("Service level, honestly"): the waits behind a record's total
``S`` and longest ``M`` may have been rounded (or truncated, or rounded up) to the
millisecond one by one, or added up exactly and only the total rounded, and the
threshold ``T`` compared with the exact waits or with the rounded ones. The true
count, under either comparison, lies within the bounds, per record, per bucket of a
frame resampled without the counts, and in the counts ``resample_intervals`` carries.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvframe import kpis, resample_intervals
from tests._analytics_helpers import QUARTER, frame, record

#: Ways a wait (or a total) becomes whole milliseconds.
ROUNDINGS: dict[str, Callable[[float], int]] = {
    "nearest": lambda x: round(x),  # half to even, as Python and numpy do
    "half_up": lambda x: math.floor(x + 0.5),
    "down": math.floor,
    "up": math.ceil,
}
LEVELS = ["service_level_low", "service_level", "service_level_high"]


def sl_frame(rows: list[tuple[int, int, int]]) -> pd.DataFrame:
    """One quarter-hour record per (A, S, M), every contact answered, from 09:00 UTC."""
    start = pd.Timestamp("2024-01-01 09:00", tz="UTC")
    return frame(
        record(
            start + i * QUARTER,
            offered_contacts=a,
            answered_contacts=a,
            queue_hold_time_answered=s,
            max_queue_hold_time_answered=m,
        )
        for i, (a, s, m) in enumerate(rows)
    )


def levels(df: pd.DataFrame, threshold: str = "20s") -> tuple[float, float, float, bool]:
    out = kpis(df, sl_threshold=threshold, sl_denominator="answered").iloc[0]
    low, estimate, high = (float(out[c]) for c in LEVELS)
    return low, estimate, high, bool(out["service_level_exact"])


def test_a_total_rounded_down_and_a_longest_rounded_up_keep_the_truth_inside() -> None:
    # Waits 20000.028 and 20000.187 ms: both missed 20 s. Their total 40000.215 ms
    # recorded as 40000 and the longest as 20001 gave [0.5, 0.5] "exact".
    low, estimate, high, exact = levels(sl_frame([(2, 40_000, 20_001)]))
    assert low == 0.0
    assert low <= estimate <= high
    assert not exact


def test_a_longest_wait_rounded_to_the_threshold_is_not_exact() -> None:
    # One wait of 20000.4 ms recorded as 20000: compared exactly, it missed 20 s;
    # compared rounded, it made it. It gave [1, 1] "exact"; either may be true.
    low, estimate, high, exact = levels(sl_frame([(1, 20_000, 20_000)]))
    assert (low, high, exact) == (0.0, 1.0, False)
    assert low <= estimate <= high
    # One millisecond under the threshold, any rounding leaves it within: exact.
    assert levels(sl_frame([(1, 19_999, 19_999)])) == (1.0, 1.0, 1.0, True)


def test_the_carried_counts_of_a_resampled_frame_keep_the_truth_inside_too() -> None:
    hour = resample_intervals(sl_frame([(2, 40_000, 20_001)]), "1h", sl_threshold="20s")
    assert hour.loc[0, "answered_within_sl_low"] == 0
    one = resample_intervals(sl_frame([(1, 20_000, 20_000)]), "1h", sl_threshold="20s")
    assert (one.loc[0, "answered_within_sl_low"], one.loc[0, "answered_within_sl_high"]) == (0, 1)


@st.composite
def waits_near(draw: st.DrawFn, t: int) -> list[float]:
    """Real-valued waits (ms), many within a millisecond or two of ``t``."""
    longest = draw(st.floats(0.0, 400_000.0, allow_nan=False))
    wait = st.one_of(
        st.floats(0.0, 400_000.0, allow_nan=False),
        st.builds(lambda d: max(t + d, 0.0), st.floats(-2.0, 2.0, allow_nan=False)),
        st.just(float(t)),
        st.builds(lambda d: t + d, st.floats(0.0, 1.0, allow_nan=False, exclude_min=True)),
        st.just(longest),
        st.builds(lambda d: max(longest - d, 0.0), st.floats(0.0, 1.0, allow_nan=False)),
    )
    return draw(st.lists(wait, min_size=0, max_size=25))


@st.composite
def recorded_intervals(
    draw: st.DrawFn,
) -> tuple[int, list[tuple[list[float], int, int]], list[Callable[[float], int]]]:
    """A threshold, and records made from real waits as an API might round them.

    Per record: the waits, ``S`` and ``M``. ``M`` is the longest wait rounded one way;
    ``S`` is the sum of the waits rounded that way, or the exact total rounded any way.
    """
    t = draw(st.integers(1, 120_000))
    records: list[tuple[list[float], int, int]] = []
    roundings: list[Callable[[float], int]] = []
    for _ in range(draw(st.integers(1, 4))):
        waits = draw(waits_near(t))
        each = ROUNDINGS[draw(st.sampled_from(sorted(ROUNDINGS)))]
        if draw(st.booleans()):
            s = sum(each(w) for w in waits)
        else:
            s = ROUNDINGS[draw(st.sampled_from(sorted(ROUNDINGS)))](math.fsum(waits))
        m = max((each(w) for w in waits), default=0)
        records.append((waits, s, m))
        roundings.append(each)
    return t, records, roundings


def truths(waits: list[float], each: Callable[[float], int], t: int) -> set[int]:
    """Answered within ``t``: the exact waits compared, and the rounded ones."""
    return {sum(w <= t for w in waits), sum(each(w) <= t for w in waits)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=recorded_intervals())
def test_true_counts_lie_within_every_bound_whatever_the_rounding(case: Any) -> None:
    t, records, roundings = case
    threshold = pd.Timedelta(milliseconds=t)
    df = sl_frame([(len(w), s, m) for w, s, m in records])
    per_record = kpis(df, sl_threshold=threshold, sl_denominator="answered")
    answered = df["answered_contacts"].to_numpy(int)
    for i, ((waits, _, _), each) in enumerate(zip(records, roundings, strict=True)):
        if not waits:
            continue
        low, estimate, high = (float(per_record[c].iloc[i]) * len(waits) for c in LEVELS)
        for truth in truths(waits, each, t):
            assert low - 1e-9 <= truth <= high + 1e-9, (waits, records[i][1:], t)
        assert low - 1e-9 <= estimate <= high + 1e-9
        if per_record["service_level_exact"].iloc[i]:
            assert len(truths(waits, each, t)) == 1
    # One bucket of all the records: its own totals, and the counts it carries.
    bucket_truths = {
        sum(sum(w <= t for w in waits) for waits, _, _ in records),
        sum(
            sum(each(w) <= t for w in waits)
            for (waits, _, _), each in zip(records, roundings, strict=True)
        ),
    }
    hour = resample_intervals(df, "1h", sl_threshold=threshold)
    assert len(hour) == 1
    carried_low, carried_high = (
        int(hour.loc[0, c]) for c in ("answered_within_sl_low", "answered_within_sl_high")
    )
    for truth in bucket_truths:
        assert carried_low <= truth <= carried_high
    if answered.sum() == 0:
        return
    carried = [c for c in hour.columns if "_within_sl_" in c or c == "sl_threshold"]
    for frame_ in (hour, hour.drop(columns=carried)):
        out = kpis(frame_, sl_threshold=threshold, sl_denominator="answered").iloc[0]
        low, estimate, high = (float(out[c]) * answered.sum() for c in LEVELS)
        for truth in bucket_truths:
            assert low - 1e-9 <= truth <= high + 1e-9
        assert low - 1e-9 <= estimate <= high + 1e-9
        if out["service_level_exact"]:
            assert len(bucket_truths) == 1
