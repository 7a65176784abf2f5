"""to_series as forecasting libraries take it: long layout, KPI series, names, edges, tz-naive.

The emulator's three queues over three weeks are read once for the module (about 1.5 s)
and carry the read's window, as cvframe's readers record it; statsforecast (one small
fit: its first fit compiles with numba) and statsmodels take the output as it comes,
without any reshaping.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import cvframe
from cvframe import kpis, resample_intervals, to_series
from cvframe._analytics._series import series_labels
from cvframe._frame import frame_window, with_window
from cvframe.emulator import Emulator
from tests._analytics_helpers import COUNTS, DURATIONS, QUARTER, frame, record

START, END = "2023-01-02", "2023-01-23"  # UTC days: New York's clock reads 19:00 at each
NY = "America/New_York"
NAMES = ["Billing", "Sales", "Tech Support"]


@pytest.fixture(scope="module")
def records() -> Iterator[pd.DataFrame]:
    """The read, with its window recorded (the readers do it; set here so as not to rely on it)."""
    with Emulator(days=21, queues=3) as emu:
        read = cvframe.read_callvolume(START, END, progress=False, **emu.settings())
    yield with_window(read, START, END)


@pytest.fixture
def bare(records: pd.DataFrame) -> pd.DataFrame:
    """The same records with no window: as a frame built by hand would come."""
    return with_window(records.copy(), None, None)


def test_the_read_is_complete_yet_its_last_quarter_hour_is_quiet(records: pd.DataFrame) -> None:
    # What makes the edge tests below mean something: the records end a quarter hour
    # before the window, though every day was read whole.
    assert records["interval_start"].min() == pd.Timestamp(START, tz="UTC")
    assert records["interval_end"].max() == pd.Timestamp("2023-01-22 23:45", tz="UTC")
    assert frame_window(records) == (pd.Timestamp(START, tz="UTC"), pd.Timestamp(END, tz="UTC"))


# ------------------------------------------------------------------ forecasting libraries


def test_the_long_layout_is_what_nixtla_libraries_take(records: pd.DataFrame) -> None:
    long = to_series(records, "offered_contacts", "30min", layout="long")
    assert list(long.columns) == ["unique_id", "ds", "y"]
    assert long["y"].dtype == np.float64
    assert sorted(long["unique_id"].unique()) == NAMES
    # Every queue, every half hour of the window, zero-filled: the quiet last one too.
    assert len(long) == 3 * 21 * 48
    assert long["ds"].max() == pd.Timestamp("2023-01-22 23:30", tz="UTC")
    assert long.equals(long.sort_values(["unique_id", "ds"], ignore_index=True))


def test_a_daily_series_in_new_york_feeds_statsforecast(records: pd.DataFrame) -> None:
    statsforecast = pytest.importorskip("statsforecast")
    from statsforecast.models import SeasonalNaive

    daily = to_series(records, "offered_contacts", "D", tz=NY, layout="long", tz_naive=True)
    # 19:00 on Jan 1 to 19:00 on Jan 22, New York: the two partial days are trimmed.
    assert daily["ds"].min() == pd.Timestamp("2023-01-02")
    assert daily["ds"].max() == pd.Timestamp("2023-01-21")
    sf = statsforecast.StatsForecast(models=[SeasonalNaive(season_length=7)], freq="D")
    forecast = sf.forecast(df=daily, h=7)
    forecast = forecast.reset_index() if "unique_id" not in forecast.columns else forecast
    assert len(forecast) == 3 * 7
    assert sorted(forecast["unique_id"].unique()) == NAMES
    assert pd.Timestamp(forecast["ds"].min()) == pd.Timestamp("2023-01-22")
    for name, got in forecast.groupby("unique_id"):
        history = daily[daily["unique_id"] == name]
        # A seasonal naive repeats the last week: the values arrived in their order.
        assert got["SeasonalNaive"].tolist() == history["y"].iloc[-7:].tolist()


def test_a_wide_column_feeds_statsmodels_without_reshaping(records: pd.DataFrame) -> None:
    pytest.importorskip("statsmodels")
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    wide = to_series(records, "offered_contacts", "D", tz=NY)
    assert list(wide.columns) == NAMES
    assert wide.index.freqstr == "D"
    fit = ExponentialSmoothing(wide["Sales"], trend="add", seasonal="add", seasonal_periods=7).fit()
    forecast = fit.forecast(7)
    assert len(forecast) == 7
    assert not forecast.isna().any()
    assert forecast.index[0] == wide.index[-1] + pd.Timedelta(days=1)

    level = to_series(records, "service_level", "D", tz=NY, sl_threshold="20s")
    fit = ExponentialSmoothing(level["Billing"], seasonal="add", seasonal_periods=7).fit()
    assert not fit.forecast(7).isna().any()


# ------------------------------------------------------------------------------ KPI series


def _per_ny_day(records: pd.DataFrame) -> pd.DataFrame:
    """The records with their New York day, for totals grouped by hand."""
    day = records["interval_start"].dt.tz_convert(NY).dt.tz_localize(None).dt.floor("D")
    return records.assign(day=day)


def test_kpi_series_are_ratios_of_each_buckets_sums(records: pd.DataFrame) -> None:
    by_day = _per_ny_day(records).groupby(["queue_name", "day"])
    sums = by_day[["conversation_handle_time", "completed_contacts"]].sum()
    sums = sums.assign(abandoned=by_day["abandoned_contacts"].sum())
    sums = sums.assign(offered=by_day["offered_contacts"].sum())
    sums = sums.assign(wait=by_day["queue_hold_time_answered"].sum())
    sums = sums.assign(answered=by_day["answered_contacts"].sum())
    expected = {
        "aht": sums["conversation_handle_time"]
        / pd.Timedelta(seconds=1)
        / sums["completed_contacts"],
        "asa": sums["wait"] / pd.Timedelta(seconds=1) / sums["answered"],
        "abandon_rate": sums["abandoned"] / sums["offered"],
    }
    for metric, ratio in expected.items():
        long = to_series(records, metric, "D", tz=NY, layout="long", tz_naive=True)
        got = long.set_index(["unique_id", "ds"])["y"]
        want = ratio.astype(float).reindex(got.index)
        # Durations are kept to the millisecond: 0.5 ms over seconds-long averages.
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=5e-4)


def test_a_buckets_kpi_is_not_the_mean_of_its_records_kpis(records: pd.DataFrame) -> None:
    rows = kpis(records)
    per_record = (
        _per_ny_day(rows)
        .assign(aht=rows["aht"] / pd.Timedelta(seconds=1))
        .groupby(["queue_name", "day"])["aht"]
        .mean()
    )
    long = to_series(records, "aht", "D", tz=NY, layout="long", tz_naive=True)
    got = long.set_index(["unique_id", "ds"])["y"]
    gap = (got - per_record.reindex(got.index)).abs()
    # Quarter hours of 1 and of 30 contacts weigh alike in the mean: it is another number.
    assert (gap > 1.0).mean() > 0.5


def test_the_kpi_series_equal_kpis_of_the_resampled_buckets(records: pd.DataFrame) -> None:
    buckets = resample_intervals(records, "D", tz=NY, sl_threshold="30s")
    table = kpis(buckets, sl_threshold="30s", sl_denominator="answered")
    for metric in ("aht", "asa", "service_level", "abandon_rate"):
        kwargs = {"sl_threshold": "30s", "sl_denominator": "answered"}
        wide = to_series(
            records,
            metric,
            "D",
            tz=NY,
            edges="keep",
            **(kwargs if metric == "service_level" else {}),
        )
        for name in NAMES:
            want = table[table["queue_name"] == name].set_index("interval_start")[metric]
            pd.testing.assert_series_equal(
                wide[name], want.rename(name), check_names=False, check_freq=False
            )
    assert wide.dtypes.unique().tolist() == [pd.Float64Dtype()]
    level = table["service_level"]
    assert ((table["service_level_low"] <= level) & (level <= table["service_level_high"])).all()
    aht = to_series(records, "aht", "D", tz=NY)
    assert str(aht.dtypes.unique()[0]) == "timedelta64[ms]"  # durations stay durations


def test_an_undefined_kpi_is_nan_while_counts_are_zero_filled() -> None:
    zero = dict.fromkeys(COUNTS, 0) | dict.fromkeys(DURATIONS, 0)
    df = frame(
        [
            record("2024-01-01 09:00", **zero | {"offered_contacts": 2, "answered_contacts": 2,
                   "queue_hold_time_answered": 10_000, "max_queue_hold_time_answered": 6_000}),
            record("2024-01-01 10:15", **zero | {"offered_contacts": 1, "abandoned_contacts": 1}),
        ]
    )  # fmt: skip
    asa = to_series(df, "asa", "30min", layout="long")
    assert asa["y"].tolist()[0] == 5.0  # seconds
    assert np.isnan(asa["y"].tolist()[1:]).all()  # nothing answered: no average wait
    offered = to_series(df, "offered_contacts", "30min", layout="long")
    assert offered["y"].tolist() == [2.0, 0.0, 1.0]
    wide = to_series(df, "abandon_rate", "30min")
    assert wide.iloc[:, 0].isna().tolist() == [False, True, False]


# ---------------------------------------------------------------------------------- labels


def _colliding() -> pd.DataFrame:
    return frame(
        [
            record("2024-01-01 09:00", queue="q-7f3a11c2-aaaa", name="Billing", offered_contacts=1),
            record("2024-01-01 09:00", queue="q-7f3a11c2-bbbb", name="Billing", offered_contacts=2),
            record("2024-01-01 09:00", queue="q-0042", name="Sales", offered_contacts=3),
            record("2024-01-01 09:15", queue="q-9", name=None, offered_contacts=4),
        ]
    )


def test_series_are_named_by_queue_name_with_the_id_where_names_collide() -> None:
    df = _colliding().assign(queue_name=lambda d: d["queue_name"].mask(d["queue_id"] == "q-9"))
    wide = to_series(df, freq="30min")
    assert wide.columns.name == "queue"
    assert list(wide.columns) == [
        "Billing (q-7f3a11c2-a…)",
        "Billing (q-7f3a11c2-b…)",
        "Sales",
        "q-9",  # no name: the id
    ]
    assert wide.iloc[0].tolist() == [1, 2, 3, 4]
    long = to_series(df, freq="30min", layout="long")
    assert long["unique_id"].tolist() == list(wide.columns)
    nameless = df.assign(queue_name=pd.Series(pd.NA, index=df.index, dtype=df["queue_name"].dtype))
    pd.testing.assert_frame_equal(
        to_series(nameless, freq="30min"), to_series(df, freq="30min", label="id")
    )
    ids = to_series(df, freq="30min", label="id")
    assert ids.columns.name == "queue_id"
    assert list(ids.columns) == ["q-0042", "q-7f3a11c2-aaaa", "q-7f3a11c2-bbbb", "q-9"]


def test_labels_are_deterministic_and_unique() -> None:
    labels = series_labels
    ids, names = ["b-123456789", "b-123456780", "x"], ["A", "A", "A (b-123456…)"]
    assert labels(ids, names) == labels(ids[::-1], names[::-1])[::-1]
    assert len(set(labels(ids, names))) == 3
    assert labels(["short", "shirt"], ["A", "A"]) == ["A (short)", "A (shirt)"]


def test_several_keys_join_their_labels_in_the_long_unique_id() -> None:
    df = _colliding()
    long = to_series(df, freq="30min", by=["queue_id", "queue_name"], layout="long")
    assert "Sales / Sales" in set(long["unique_id"])  # queue label, then the name key


# ----------------------------------------------------------------------------------- edges


def test_a_complete_read_keeps_every_day_and_week_though_its_end_is_quiet(
    records: pd.DataFrame,
) -> None:
    # Review finding 4: the records' own span (to 23:45) made the 22nd and the third
    # week look partial, and the default trim dropped them.
    days = to_series(records, freq="D")
    assert len(days) == 21
    assert days.index[-1] == pd.Timestamp("2023-01-22", tz="UTC")
    sums = records.groupby("queue_name")["offered_contacts"].sum()
    assert days.sum().to_dict() == sums.to_dict()  # nothing read is lost
    weeks = to_series(records, freq="W")
    assert weeks.index.tolist() == list(
        pd.date_range("2023-01-02", periods=3, freq="W-MON", tz="UTC")
    )
    assert weeks.sum().to_dict() == sums.to_dict()
    flagged = to_series(records, freq="W", layout="long", edges="flag")
    assert not flagged["partial"].any()


def test_a_new_york_day_read_from_19_00_is_trimmed_flagged_or_kept(records: pd.DataFrame) -> None:
    trimmed = to_series(records, freq="D", tz=NY, layout="long")
    flagged = to_series(records, freq="D", tz=NY, layout="long", edges="flag")
    kept = to_series(records, freq="D", tz=NY, layout="long", edges="keep")
    assert list(flagged.columns) == ["unique_id", "ds", "y", "partial"]
    partial_days = flagged.loc[flagged["partial"], "ds"].dt.strftime("%Y-%m-%d %H:%M%z")
    assert set(partial_days) == {"2023-01-01 00:00-0500", "2023-01-22 00:00-0500"}
    assert len(kept) == len(flagged) == len(trimmed) + 2 * 3
    pd.testing.assert_frame_equal(kept, flagged.drop(columns="partial"))
    pd.testing.assert_frame_equal(
        trimmed, flagged[~flagged["partial"]].drop(columns="partial").reset_index(drop=True)
    )
    # The kept first "day" is the five hours from 19:00: less than any whole day.
    first = kept[kept["ds"] == kept["ds"].min()].set_index("unique_id")["y"]
    evening = records[records["interval_start"] < pd.Timestamp("2023-01-02 05:00", tz="UTC")]
    assert first.to_dict() == evening.groupby("queue_name")["offered_contacts"].sum().to_dict()
    whole = trimmed.groupby("unique_id")["y"].min()
    assert (first < whole.reindex(first.index)).all()


def test_an_unknown_window_keeps_the_edge_buckets_and_warns_naming_them(
    bare: pd.DataFrame,
) -> None:
    with pytest.warns(UserWarning, match=r"the last bucket \(freq 'D'\) starting 2023-01-22 ") as w:
        days = to_series(bare, freq="D")
    assert len(w) == 1
    assert "pass start=/end=" in str(w[0].message).lower()
    assert "cvframe's readers" in str(w[0].message)
    assert len(days) == 21  # kept: nothing dropped on a guess
    # In New York both edge days may be partial: one warning names both; "trim" keeps
    # them, "flag" marks them, "keep" keeps them quietly.
    with pytest.warns(UserWarning, match="first bucket.*2023-01-01 00:00:00-05:00.*last bucket"):
        ny = to_series(bare, freq="D", tz=NY)
    assert len(ny) == 22
    with pytest.warns(UserWarning, match="flagged partial"):
        flagged = to_series(bare, freq="D", tz=NY, layout="long", edges="flag")
    assert flagged.loc[flagged["partial"], "ds"].dt.day.unique().tolist() == [1, 22]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(to_series(bare, freq="D", tz=NY, edges="keep")) == 22
        # Records that reach both edges of their buckets leave nothing to doubt.
        assert len(to_series(bare, freq="D", end="2023-01-23")) == 21


def test_start_and_end_override_the_recorded_window(records: pd.DataFrame) -> None:
    cut = with_window(records.copy(), START, "2023-01-22 12:00")  # a window said half a day
    assert len(to_series(cut, freq="D")) == 20  # the 22nd reaches past it: partial
    days = to_series(cut, freq="D", end=END)  # the caller knows better
    assert len(days) == 21
    late = to_series(records, freq="D", start="2023-01-09")
    assert late.index[0] == pd.Timestamp("2023-01-09", tz="UTC")
    assert len(late) == 14


def test_start_and_end_state_the_read_window() -> None:
    # A queue that was quiet until 09:00: without a window its day may be partial.
    df = frame([record("2024-01-01 09:00", offered_contacts=3)])
    with pytest.warns(
        UserWarning, match=r"the only bucket \(freq 'D'\) starting 2024-01-01 00:00:00"
    ):
        assert to_series(df, freq="D").iloc[:, 0].tolist() == [3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        day = to_series(df, freq="D", start="2024-01-01", end="2024-01-02")
    assert day.iloc[:, 0].tolist() == [3]
    read_late = with_window(df.copy(), "2024-01-01 09:00", "2024-01-02")
    assert to_series(read_late, freq="D").empty  # the window says the day was read in part
    with pytest.raises(ValueError, match="is not a boundary"):
        to_series(df, freq="D", start="2024-01-01 09:00")


def test_flag_is_refused_in_the_wide_layout() -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=3)])
    with pytest.raises(ValueError, match="edges='flag' needs layout='long'"):
        to_series(df, freq="30min", edges="flag")


# -------------------------------------------------------------------------------- tz_naive


def _quarters(first: str, last: str) -> pd.DataFrame:
    starts = pd.date_range(first, last, freq=QUARTER, tz=NY, inclusive="left").tz_convert("UTC")
    return frame(record(t, offered_contacts=1) for t in starts)


def test_tz_naive_days_across_dst_changes_are_local_midnights() -> None:
    df = _quarters("2023-03-11", "2023-03-14")  # spring forward on the 12th
    wide = to_series(df, freq="D", tz=NY, tz_naive=True)
    assert wide.index.tz is None
    assert wide.index.freqstr == "D"
    assert wide.index.tolist() == list(pd.date_range("2023-03-11", periods=3, freq="D"))
    assert wide.iloc[:, 0].tolist() == [96, 92, 96]
    long = to_series(
        _quarters("2023-11-04", "2023-11-07"), freq="D", tz=NY, layout="long", tz_naive=True
    )
    assert long["ds"].dt.tz is None
    assert long["y"].tolist() == [96.0, 100.0, 96.0]  # the autumn day has 25 hours


def test_tz_naive_half_hours_across_a_dst_change_are_refused_not_repeated() -> None:
    autumn = _quarters("2023-11-05 00:00", "2023-11-05 04:00")
    with pytest.raises(ValueError, match=r"shows 2023-11-05 01:00:00 twice"):
        to_series(autumn, freq="30min", tz=NY, layout="long", tz_naive=True)
    spring = _quarters("2023-03-12 00:00", "2023-03-12 05:00")
    with pytest.raises(ValueError, match=r"skips from 2023-03-12 01:30:00 to 2023-03-12 03:00:00"):
        to_series(spring, freq="30min", tz=NY, tz_naive=True)
    # With the zone kept, or on UTC's clock, the same buckets are fine.
    assert to_series(autumn, freq="30min", tz=NY, layout="long")["ds"].is_unique
    utc = to_series(autumn, freq="30min", tz="UTC", tz_naive=True)
    assert utc.index.tz is None and utc.index.freqstr == "30min"


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layout": "tidy"}, r"layout must be one of \['wide', 'long'\], got 'tidy'"),
        ({"label": "uuid"}, r"label must be one of \['name', 'id'\], got 'uuid'"),
        ({"edges": "drop"}, r"edges must be one of \['trim', 'flag', 'keep'\], got 'drop'"),
        ({"metric": "occupancy"}, r"metric must be one of \[.*'service_level'.*got 'occupancy'"),
        ({"sl_threshold": "30s"}, r"apply to metric='service_level' only"),
        ({"tz_naive": "yes"}, r"tz_naive must be True or False"),
    ],
)
def test_bad_arguments_name_every_accepted_value(kwargs: dict[str, object], message: str) -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=3)])
    with pytest.raises(ValueError, match=message):
        to_series(df, **{"freq": "30min", **kwargs})  # type: ignore[arg-type]


def test_a_kpi_on_a_frame_lacking_its_columns_names_them() -> None:
    df = frame([record("2024-01-01 09:00", offered_contacts=3)]).drop(
        columns=["completed_contacts"]
    )
    with pytest.raises(
        ValueError, match=r"'aht' is computed from .*lacks \['completed_contacts'\]"
    ):
        to_series(df, "aht", "30min")
    with pytest.raises(ValueError, match=r"lacks \['max_queue_hold_time_answered'\]"):
        to_series(df.drop(columns="max_queue_hold_time_answered"), "service_level", "30min")
