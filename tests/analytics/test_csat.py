"""csat_score is read as the average score of the interval's responses, by default.

The newer API pages (agent performance, skill breakdown) call ``csatScore`` the
average CSAT score, and their samples (3 responses, score 4) only make sense so; the
call-volume page's sample (1 response, score 1) fits both readings. ``csat="average"``
(the default) makes resampling take the response-weighted mean and ``kpis`` report it
as it is; ``csat="sum"`` keeps the other reading (sum, then divide).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

import cvframe
from cvframe import kpis, resample_intervals
from cvframe.emulator._data import SyntheticData, default_queues
from tests._analytics_helpers import frame, record


def two_quarters(
    first: tuple[float | None, int | None], second: tuple[float | None, int | None]
) -> pd.DataFrame:
    (score_a, responses_a), (score_b, responses_b) = first, second
    return frame(
        [
            record(
                "2024-01-01 09:00",
                offered_contacts=3,
                csat_score=score_a,
                csat_responses=responses_a,
            ),
            record(
                "2024-01-01 09:15",
                offered_contacts=2,
                csat_score=score_b,
                csat_responses=responses_b,
            ),
        ]
    )


def test_by_default_a_bucket_takes_the_response_weighted_average() -> None:
    df = two_quarters((4.0, 2), (5.0, 1))  # averages: 4.0 over 2 responses, 5.0 over 1
    out = resample_intervals(df, "30min")
    assert out.loc[0, "csat_responses"] == 3
    assert out.loc[0, "csat_score"] == pytest.approx((4.0 * 2 + 5.0 * 1) / 3)
    assert kpis(out).loc[0, "csat_average"] == pytest.approx(13 / 3)
    # Each record's own average is its score, not the score over its responses.
    assert kpis(df)["csat_average"].tolist() == [4.0, 5.0]


def test_the_sum_reading_sums_and_divides() -> None:
    df = two_quarters((8.0, 2), (5.0, 1))
    out = resample_intervals(df, "30min", csat="sum")
    assert out.loc[0, "csat_score"] == 13.0
    assert kpis(out, csat="sum").loc[0, "csat_average"] == pytest.approx(13 / 3)
    assert kpis(df, csat="sum")["csat_average"].tolist() == [4.0, 5.0]


def test_a_bucket_without_responses_has_no_average() -> None:
    df = two_quarters((0.0, 0), (0.0, 0))
    out = resample_intervals(df, "30min")
    assert pd.isna(out.loc[0, "csat_score"])
    assert out.loc[0, "csat_responses"] == 0
    assert pd.isna(kpis(out).loc[0, "csat_average"])
    assert kpis(df)["csat_average"].isna().all()
    # Filled gaps have no responses, so no average either (the counts are zeros).
    gaps = resample_intervals(
        frame([record("2024-01-01 09:00", csat_score=4.0, csat_responses=1)]),
        "1h",
        start="2024-01-01 08:00",
        end="2024-01-01 10:00",
    )
    assert gaps["csat_responses"].tolist() == [0, 1]
    assert pd.isna(gaps.loc[0, "csat_score"])
    assert gaps.loc[1, "csat_score"] == 4.0


def test_a_record_without_responses_does_not_weigh_in_even_with_a_score() -> None:
    out = resample_intervals(two_quarters((3.0, 0), (5.0, 2)), "30min")
    assert out.loc[0, "csat_score"] == 5.0
    out = resample_intervals(two_quarters((None, 0), (5.0, 2)), "30min")
    assert out.loc[0, "csat_score"] == 5.0


def test_a_missing_score_or_count_that_weighs_in_makes_the_average_missing() -> None:
    assert pd.isna(
        resample_intervals(two_quarters((None, 2), (5.0, 1)), "30min").loc[0, "csat_score"]
    )
    assert pd.isna(
        resample_intervals(two_quarters((4.0, None), (5.0, 1)), "30min").loc[0, "csat_score"]
    )


def test_resampling_averages_again_weights_by_the_buckets_responses() -> None:
    rng = np.random.default_rng(5)
    starts = pd.date_range("2024-01-01", periods=96, freq="15min", tz="UTC")
    responses = rng.integers(0, 6, len(starts))
    scores = [float(rng.integers(1, 6, n).mean()) if n else 0.0 for n in responses]
    df = frame(
        record(t, csat_score=s, csat_responses=int(n))
        for t, s, n in zip(starts, scores, responses, strict=True)
    )
    direct = resample_intervals(df, "D")
    stepwise = resample_intervals(resample_intervals(df, "1h"), "D")
    expected = sum(s * n for s, n in zip(scores, responses, strict=True)) / responses.sum()
    assert direct.loc[0, "csat_score"] == pytest.approx(expected, rel=1e-12)
    assert stepwise.loc[0, "csat_score"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("csat", ["mean", "", None, "AVERAGE"])
def test_an_unknown_csat_reading_is_refused(csat: object) -> None:
    df = two_quarters((4.0, 2), (5.0, 1))
    with pytest.raises(ValueError, match=r"csat must be one of \['average', 'sum'\]"):
        resample_intervals(df, "30min", csat=csat)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"csat must be one of \['average', 'sum'\]"):
        kpis(df, csat=csat)  # type: ignore[arg-type]


def test_the_emulator_sends_averages_on_the_one_to_five_scale() -> None:
    data = SyntheticData(seed=7, queues=default_queues(2, 7), org_id="o", instance_id="i")
    records = [r for q in range(2) for r in data.day(q, date(2024, 3, 4))]
    df = cvframe.records_to_frame(records)
    answered = df[df["csat_responses"] > 0]
    assert len(answered) > 50
    assert answered["csat_score"].between(1, 5).all()
    assert (answered["csat_score"] == answered["csat_score"].round()).all()  # "Integer"
    daily = kpis(resample_intervals(df, "D", by="queue_name"))
    assert daily["csat_average"].between(3.5, 4.6).all()  # ratings 1-5, mostly 4 and 5
