"""kpis: ratios of totals, NA for empty denominators, and service-level bounds that hold."""

from __future__ import annotations

import math
import warnings
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvframe import kpis, resample_intervals
from cvframe._kpis import KPI_COLUMNS

from ._analytics_helpers import COUNTS, DURATIONS, MEASURES, frame, record, synthetic


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
            csat_score=17.0,
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
    assert out["csat_average"] == 4.25  # csat_score is the sum of 4 scores
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
    out = kpis(sl_row(5, 50_000, 20_000, abandoned=5), sl_threshold="20s").iloc[0]
    assert out["service_level_exact"]
    assert out["service_level"] == 0.5  # 5 answered in time over 10 offered


def test_service_level_bounds_follow_the_documented_formula() -> None:
    # A = 10 answered, S = 130 s, M = 50 s, T = 20 s: at least 1 missed, at most
    # min(10, 1 + floor((130 - 50) / 20)) = 5 missed.
    out = kpis(sl_row(10, 130_000, 50_000), sl_threshold=pd.Timedelta(seconds=20)).iloc[0]
    assert out["service_level_low"] == 0.5
    assert out["service_level_high"] == 0.9
    assert 0.5 <= out["service_level"] <= 0.9
    assert not out["service_level_exact"]
    # The estimate: 1 + 9 * exp(-20 / (80 / 9)) missed of 10.
    assert out["service_level"] == pytest.approx((10 - 1 - 9 * math.exp(-20 * 9 / 80)) / 10)


def test_at_most_every_answered_contact_missed() -> None:
    out = kpis(sl_row(3, 900_000, 400_000), sl_threshold="20s").iloc[0]
    assert out["service_level_low"] == 0.0
    assert out["service_level_high"] == pytest.approx(2 / 3)


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


def draw_waits(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    if kind == "exponential":
        return rng.exponential(rng.choice([2_000, 15_000, 60_000]), n).astype(np.int64)
    if kind == "mostly_immediate":
        return (rng.exponential(40_000, n) * (rng.random(n) < 0.2)).astype(np.int64)
    if kind == "uniform":
        return rng.integers(0, 60_000, n)
    if kind == "heavy_tail":
        return rng.lognormal(8.5, 1.6, n).astype(np.int64)
    return rng.integers(19_000, 21_001, n)  # "around_threshold": a pile at T itself


def test_true_service_level_of_simulated_contacts_always_lies_within_the_bounds() -> None:
    """Draw each contact's wait, aggregate into intervals as the API does, compare."""
    rng = np.random.default_rng(20240101)
    kinds = ["exponential", "mostly_immediate", "uniform", "heavy_tail", "around_threshold"]
    threshold = 20_000
    rows, within, answered_counts, offered_counts = [], [], [], []
    start = pd.Timestamp("2024-01-01", tz="UTC")
    for i in range(3000):
        n = int(rng.poisson(rng.choice([0.7, 3, 12, 60])))
        abandoned = int(rng.poisson(1))
        true_within, fields = true_and_aggregate(draw_waits(rng, kinds[i % 5], n), threshold)
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
        sum(csat_responses) AS responses, sum(csat_score) AS score,
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
        coalesce(responses, 0) AS responses, coalesce(score, 0) AS score,
        coalesce(wait, 0) AS wait, coalesce(longest, 0) AS longest,
        coalesce(abandon_wait, 0) AS abandon_wait,
        coalesce(longest_abandon, 0) AS longest_abandon,
        coalesce(handle, 0) AS handle, coalesce(talk, 0) AS talk,
        coalesce(hold, 0) AS hold, coalesce(acw, 0) AS acw
    FROM grid g LEFT JOIN sums s USING (queue_id, bucket)
),
missed AS (
    SELECT *,
        CASE WHEN answered = 0 OR longest <= $t THEN 0 ELSE 1 END AS missed_low,
        CASE WHEN answered = 0 OR longest <= $t THEN 0
             ELSE least(answered, 1 + floor((wait - longest) / $t)) END AS missed_high
    FROM filled
)
SELECT *,
    handle / nullif(completed, 0) AS aht_ms,
    wait / nullif(answered, 0) AS asa_ms,
    abandon_wait / nullif(abandoned, 0) AS abandon_wait_ms,
    abandoned / nullif(offered, 0) AS abandon_rate,
    answered / nullif(offered, 0) AS answer_rate,
    score / nullif(responses, 0) AS csat_average,
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
    assert out["csat_score"].astype(float).tolist() == expected["score"].tolist()
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
