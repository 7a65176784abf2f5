"""to_series: a wide, regular, zero-filled frame that forecasting libraries take as is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvframe import resample_intervals, to_series
from tests._analytics_helpers import QUARTER, frame, record, synthetic


def test_one_column_per_queue_regular_index_with_freq_and_zeros_for_gaps() -> None:
    df = frame(
        [
            record("2024-01-01 09:00", queue="q1", offered_contacts=4),
            record("2024-01-01 09:15", queue="q1", offered_contacts=1),
            record("2024-01-01 11:45", queue="q2", offered_contacts=7),
        ]
    )
    wide = to_series(df, "offered_contacts", "30min", label="id")
    assert list(wide.columns) == ["q1", "q2"]
    assert wide.columns.name == "queue_id"
    assert isinstance(wide.index, pd.DatetimeIndex)
    assert wide.index.freqstr == "30min"
    assert wide.index.name == "interval_start"
    assert str(wide.index.tz) == "UTC"
    assert len(wide) == 6  # 09:00 .. 11:30
    assert wide["q1"].tolist() == [5, 0, 0, 0, 0, 0]
    assert wide["q2"].tolist() == [0, 0, 0, 0, 0, 7]
    assert not wide.isna().any().any()


def test_values_equal_the_resampled_buckets() -> None:
    df = synthetic(np.random.default_rng(8), days=2)
    wide = to_series(df, "conversation_handle_time", "1h", label="id")
    long = resample_intervals(df, "1h")
    for queue, column in wide.items():
        expected = long[long["queue_id"] == queue].set_index("interval_start")
        assert column.tolist() == expected["conversation_handle_time"].tolist()
    assert str(wide.dtypes.unique()[0]) == "timedelta64[ms]"


def test_counts_become_plain_int64_numpy_arrays_for_statsmodels() -> None:
    wide = to_series(synthetic(np.random.default_rng(9), days=1), freq="1h", label="id")
    assert np.asarray(wide["q1"]).dtype == np.int64


def test_local_days_across_a_dst_change_keep_a_regular_daily_index() -> None:
    starts = pd.date_range(
        "2024-03-30", "2024-04-02", freq=QUARTER, tz="Europe/London", inclusive="left"
    ).tz_convert("UTC")
    wide = to_series(
        frame(record(t, offered_contacts=1) for t in starts),
        freq="D",
        tz="Europe/London",
        label="id",
    )
    assert wide.index.freqstr == "D"
    assert str(wide.index.tz) == "Europe/London"
    assert wide["q1"].tolist() == [96, 92, 96]
    assert (wide.index.hour == 0).all()


def test_weekly_and_monthly_indexes_have_their_freq() -> None:
    df = synthetic(np.random.default_rng(10), start="2024-01-25", days=20, keep=0.2)
    # A synthetic frame carries no read window; edges="keep" says not to doubt it.
    assert to_series(df, freq="W", edges="keep").index.freqstr == "W-MON"  # weeks start Monday
    assert to_series(df, freq="MS", edges="keep").index.freqstr == "MS"


def test_by_none_gives_one_column_named_after_the_metric() -> None:
    df = synthetic(np.random.default_rng(12), days=1)
    wide = to_series(df, "answered_contacts", "D", by=None)
    assert list(wide.columns) == ["answered_contacts"]
    assert wide.iloc[0, 0] == df["answered_contacts"].sum()


def test_buckets_that_a_dst_change_makes_uneven_are_refused() -> None:
    starts = pd.date_range("2024-03-09", "2024-03-12", freq=QUARTER, tz="UTC", inclusive="left")
    df = frame(record(t, offered_contacts=1) for t in starts)
    with pytest.raises(ValueError, match="not evenly spaced"):
        to_series(df, freq="2h", tz="America/New_York", edges="keep")
    assert to_series(df, freq="2h").index.freqstr == "2h"  # fine in UTC


def test_unknown_metric_is_refused() -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=1)])
    with pytest.raises(ValueError, match=r"metric must be one of .*'aht'.*got 'wait_time'"):
        to_series(df, "wait_time")


def test_empty_frame_gives_an_empty_regular_index() -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=1)]).iloc[:0]
    wide = to_series(df, freq="1h")
    assert len(wide) == 0
    assert wide.index.freqstr == "h"


def test_a_service_level_names_the_columns_of_its_definition() -> None:
    df = synthetic(np.random.default_rng(13), days=1)
    with pytest.raises(ValueError, match=r"sl_denominator must be one of \[.*'genesys'.*got 'x'"):
        to_series(df, "service_level", "D", sl_denominator="x")
    lacking = df.drop(columns=["queue_hold_time_abandoned", "max_queue_hold_time_abandoned"])
    with pytest.raises(ValueError, match=r"lacks \['queue_hold_time_abandoned', 'max_queue_"):
        to_series(lacking, "service_level", "D", sl_denominator="amazon_connect")
    level = to_series(df, "service_level", "D", sl_denominator="amazon_connect", edges="keep")
    assert level.notna().all().all()


@pytest.mark.parametrize("by", ["queue_id", ["queue_id", "source"]])
def test_queue_names_and_ids_label_columns_of_one_dtype(by: str | list[str]) -> None:
    # label="name" gave object labels on pandas 2.x where label="id" gave string ones.
    df = frame(
        [
            record("2024-01-01 09:00", queue="q1", name="Billing", offered_contacts=4),
            record("2024-01-01 09:15", queue="q2", name="Sales", offered_contacts=1),
        ]
    )
    by_id = to_series(df, "offered_contacts", "30min", label="id", by=by)
    by_name = to_series(df, "offered_contacts", "30min", label="name", by=by)
    if isinstance(by_id.columns, pd.MultiIndex):
        ids, names = by_id.columns.levels[0], by_name.columns.levels[0]
    else:
        ids, names = by_id.columns, by_name.columns
    assert list(names) == ["Billing", "Sales"]
    assert names.dtype == ids.dtype
    assert by_name.to_numpy().tolist() == by_id.to_numpy().tolist()
