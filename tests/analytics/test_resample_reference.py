"""resample_intervals' fast paths give what a plain pandas groupby gives.

The buckets are found with Arrow dictionary codes, arithmetic on a uniform grid and
numpy ``ufunc.at`` sums; these tests compare them, on random frames with missing
values, several series, shuffled rows and local clocks with DST changes, to a
reference written the obvious way with pandas (floor, groupby, sum, max).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cvframe
from cvframe import IntervalSchema, SchemaError, resample_intervals
from cvframe._analytics._checks import checked
from cvframe._analytics._measures import AGGREGATIONS, KEY_COLUMNS, MEASURE_COLUMNS

_KIND = {c.name: c.kind for c in MEASURE_COLUMNS}
_QUARTER_MS = 15 * 60 * 1000


def random_frame(
    seed: int,
    *,
    rows: int = 400,
    queues: int = 5,
    start: str,
    missing_share: float = 0.03,
    key_missing_share: float = 0.05,
    name_missing_share: float = 0.2,
    in_time_order: bool = False,
    zone: str = "UTC",
) -> pd.DataFrame:
    """A contract frame of random records: gaps, NA values, NA keys, shuffled rows.

    The shares of missing values, keys and names can be set (0 for none), the rows
    can be put in time order (as a read returns them) and the interval columns on
    the clock of ``zone``; the random draws are the same whatever is chosen.
    """
    rng = np.random.default_rng(seed)
    slots = rng.choice(6 * 96, size=rows, replace=True)
    queue = rng.integers(0, queues, rows)
    # One record per queue and slot, as the API sends them.
    unique = pd.DataFrame({"slot": slots, "queue": queue}).drop_duplicates()
    slots, queue = unique["slot"].to_numpy(), unique["queue"].to_numpy()
    n = len(slots)
    begin = pd.Timestamp(start, tz="UTC").value // 1_000_000
    starts = begin + slots.astype(np.int64) * _QUARTER_MS
    queue_ids = pd.array([f"q{q}" for q in queue], dtype=pd.StringDtype("pyarrow"))
    queue_ids[rng.random(n) < key_missing_share] = pd.NA
    names = pd.array(
        [f"Queue {q} v{v}" for q, v in zip(queue, rng.integers(0, 3, n), strict=True)],
        dtype=pd.StringDtype("pyarrow"),
    )
    names[rng.random(n) < name_missing_share] = pd.NA
    records: dict[str, Any] = {
        "id": pd.array([f"r{i}" for i in range(n)], dtype=pd.StringDtype("pyarrow")),
        "queue_id": queue_ids,
        "queue_name": names,
        "source": pd.array(
            rng.choice(["rtm", "hist"], n).tolist(), dtype=pd.StringDtype("pyarrow")
        ),
        "interval_start": pd.to_datetime(starts, unit="ms", utc=True).as_unit("ms"),
        "interval_end": pd.to_datetime(starts + _QUARTER_MS, unit="ms", utc=True).as_unit("ms"),
    }
    for column in MEASURE_COLUMNS:
        values = rng.integers(0, 50_000 if column.kind == "duration" else 30, n)
        missing = rng.random(n) < missing_share
        if column.kind == "duration":
            data = pd.Series(pd.to_timedelta(values, unit="ms")).astype("timedelta64[ms]")
            records[column.name] = data.mask(missing)
        elif column.kind == "float":
            records[column.name] = pd.array(values.astype(float), dtype="Float64")
            records[column.name][missing] = pd.NA
        else:
            records[column.name] = pd.array(values, dtype="Int64")
            records[column.name][missing] = pd.NA
    df = pd.DataFrame(records)
    df = df.iloc[rng.permutation(n)].reset_index(drop=True)
    if in_time_order:
        df = df.sort_values("interval_start", kind="stable", ignore_index=True)
    if zone != "UTC":
        for name in ("interval_start", "interval_end"):
            df[name] = df[name].dt.tz_convert(zone)
    return df


def reference(df: pd.DataFrame, freq: str, tz: str, keys: list[str]) -> pd.DataFrame:
    """resample_intervals(..., fill_gaps=False) the obvious way (whole-hour zones)."""
    local = df["interval_start"].dt.tz_convert(tz)
    if freq == "D":
        bucket = local.dt.normalize()
        end = (bucket.dt.tz_localize(None) + pd.Timedelta(days=1)).dt.tz_localize(tz)
    else:  # hours: the same instants in UTC and on whole-hour local clocks
        step = pd.Timedelta(freq)
        bucket = df["interval_start"].dt.tz_convert("UTC").dt.floor(step).dt.tz_convert(tz)
        end = bucket + step
    work = df.assign(_bucket=bucket, _end=end)
    groups = work.groupby([*keys, "_bucket"], dropna=False, sort=True)
    out = groups["_end"].first().rename("interval_end").to_frame()
    for name, how in AGGREGATIONS.items():
        if name == "csat_score":
            continue
        total = getattr(groups[name], how)()
        out[name] = total.mask(groups[name].apply(lambda s: s.isna().any()))
    # csat_score is the response-weighted mean of the records' averages.
    weight = work["csat_responses"].astype("Float64")
    weighed = (work["csat_score"] * weight).where(weight > 0, 0.0)
    bad = work["csat_responses"].isna() | (work["csat_score"].isna() & (weight > 0))
    frame = work.assign(_w=weighed, _n=weight, _bad=bad)
    by = frame.groupby([*keys, "_bucket"], dropna=False, sort=True)
    count = by["_n"].sum()
    mean = by["_w"].sum() / count
    out["csat_score"] = mean.mask(by["_bad"].any() | (count == 0) | by["_n"].apply(_any_na))
    out = out.reset_index().rename(columns={"_bucket": "interval_start"})
    if "queue_id" in keys:  # each series' name: that of its latest record with one
        named = work[work["queue_name"].notna()].sort_values("interval_start", kind="stable")
        latest = named.groupby(keys, dropna=False)["queue_name"].last().rename("_name")
        out = out.merge(latest.reset_index(), on=keys, how="left")
        out["queue_name"] = out.pop("_name").astype(df["queue_name"].dtype)
    named_keys = [k for k in KEY_COLUMNS if k in out.columns]
    out = out[[*named_keys, "interval_start", "interval_end", *AGGREGATIONS]]
    return out.sort_values(["interval_start", *keys], kind="stable", ignore_index=True)


def _any_na(series: pd.Series) -> bool:
    return bool(series.isna().any())


def assert_same_buckets(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert list(ours.columns) == list(theirs.columns)
    assert len(ours) == len(theirs)
    for name in ours.columns:
        a, b = ours[name].reset_index(drop=True), theirs[name].reset_index(drop=True)
        if name in _KIND and _KIND[name] != "duration":
            a, b = a.astype("Float64"), b.astype("Float64")
            np.testing.assert_allclose(
                a.to_numpy(np.float64, na_value=np.nan),
                b.to_numpy(np.float64, na_value=np.nan),
                rtol=1e-12,
                err_msg=name,
            )
            continue
        if name in _KIND:
            b = b.astype("timedelta64[ms]")
        if name in ("interval_start", "interval_end"):
            b = b.dt.as_unit("ms")
        pd.testing.assert_series_equal(a, b, check_names=False, obj=name)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("freq", "tz", "start"),
    [
        ("1h", "UTC", "2024-03-08"),
        ("2h", "UTC", "2024-03-08"),
        ("1h", "America/New_York", "2024-03-08"),  # spring forward on 2024-03-10
        ("D", "America/New_York", "2024-11-01"),  # fall back on 2024-11-03
        ("D", "Europe/Paris", "2024-03-28"),  # spring forward on 2024-03-31
    ],
)
def test_buckets_equal_a_pandas_groupby_on_random_frames(
    seed: int, freq: str, tz: str, start: str
) -> None:
    df = random_frame(seed, start=start)
    out = resample_intervals(df, freq, tz=tz, fill_gaps=False)
    assert_same_buckets(out, reference(df, freq, tz, ["queue_id"]))
    IntervalSchema.validate(out)


@pytest.mark.parametrize("keys", [["queue_id", "source"], ["source"], []])
def test_several_keys_and_no_key_equal_a_pandas_groupby(keys: list[str]) -> None:
    df = random_frame(7, start="2024-03-08")
    out = resample_intervals(df, "1h", by=keys or None, fill_gaps=False)
    assert_same_buckets(out, reference(df, "1h", "UTC", keys))


def test_filled_gaps_hold_every_series_and_bucket_and_the_data_rows_unchanged() -> None:
    df = random_frame(3, start="2024-03-08")
    full = resample_intervals(df, "1h")
    sparse = resample_intervals(df, "1h", fill_gaps=False)
    groups = df["queue_id"].nunique(dropna=False)
    hours = full["interval_start"].nunique()
    assert len(full) == groups * hours
    key = ["interval_start", "queue_id"]
    kept = full.merge(sparse[key], on=key, how="inner")  # in full's order
    pd.testing.assert_frame_equal(kept, sparse)
    filled = full.merge(sparse[key], on=key, how="left", indicator=True)
    zeros = filled[filled.pop("_merge") == "left_only"]
    assert (zeros["offered_contacts"] == 0).all()


def test_row_order_does_not_change_the_buckets_or_the_latest_name() -> None:
    df = random_frame(4, start="2024-03-08")
    in_order = df.sort_values(["interval_start", "queue_id"], ignore_index=True)
    pd.testing.assert_frame_equal(
        resample_intervals(df, "1h", fill_gaps=False),
        resample_intervals(in_order, "1h", fill_gaps=False),
    )


def test_latest_name_ties_go_to_the_last_row_with_that_start() -> None:
    df = random_frame(5, rows=40, queues=1, start="2024-03-08")
    df = df.dropna(subset=["queue_id"]).reset_index(drop=True)
    latest = df["interval_start"].max()
    extra = df[df["interval_start"] == latest].assign(
        id="other", queue_name=pd.array(["Renamed"], dtype=df["queue_name"].dtype)
    )
    df = pd.concat([df, extra], ignore_index=True)  # two records share the latest start
    with checked():  # the ids are unique except for the test's copy
        out = resample_intervals(df, "1h", fill_gaps=False)
    assert set(out["queue_name"]) == {"Renamed"}


def test_a_frame_the_input_check_trusted_still_fails_the_schema_when_it_breaks_it() -> None:
    df = random_frame(6, start="2024-03-08")
    df["offered_contacts"] = df["offered_contacts"].fillna(1)
    df.loc[0, "offered_contacts"] = -10_000  # more than its bucket's other records add
    with checked(), pytest.raises(SchemaError, match="offered_contacts"):
        resample_intervals(df, "1h")


def test_the_bench_frame_in_api_order_gives_the_reference_buckets() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from _frames import interval_frame

    df = interval_frame(3, 2)
    out = resample_intervals(df, "1h")
    theirs = reference(df, "1h", "UTC", ["queue_id"])
    assert_same_buckets(out, theirs)
    assert len(cvframe.kpis(out)) == len(out)


#: Where the fast paths branch: no value missing at all (the columns' own memory is
#: read), rows in time order (the latest name is the last named row), names all
#: present or some missing, the records' own zone or another.
def complete_frame(seed: int, **options: Any) -> pd.DataFrame:
    """A random frame without a missing value, key or name."""
    return random_frame(
        seed, missing_share=0.0, key_missing_share=0.0, name_missing_share=0.0, **options
    )


@pytest.mark.parametrize("in_time_order", [False, True])
@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_a_frame_without_missing_values_equals_the_reference(in_time_order: bool, tz: str) -> None:
    df = complete_frame(11, start="2024-03-08", in_time_order=in_time_order)
    out = resample_intervals(df, "1h", tz=tz, fill_gaps=False)
    # (csat_score is NA in a bucket without responses, missing values or not)
    assert not out.drop(columns="csat_score").isna().any().any()
    assert_same_buckets(out, reference(df, "1h", tz, ["queue_id"]))


@pytest.mark.parametrize("in_time_order", [False, True])
def test_a_frame_with_missing_values_in_time_order_equals_the_reference(
    in_time_order: bool,
) -> None:
    df = random_frame(12, start="2024-03-08", in_time_order=in_time_order)
    out = resample_intervals(df, "1h", fill_gaps=False)
    assert out["offered_contacts"].isna().any()  # a bucket with a missing count is NA
    assert_same_buckets(out, reference(df, "1h", "UTC", ["queue_id"]))


@pytest.mark.parametrize("name_missing_share", [0.0, 0.3])
@pytest.mark.parametrize("in_time_order", [False, True])
def test_names_that_change_within_a_bucket_give_the_latest_one(
    in_time_order: bool, name_missing_share: float
) -> None:
    df = random_frame(
        13,
        rows=300,
        queues=2,
        start="2024-03-08",
        key_missing_share=0.0,
        name_missing_share=name_missing_share,
        in_time_order=in_time_order,
    )
    hours = df["interval_start"].dt.floor("1h")
    names_per_bucket = df.groupby([df["queue_id"], hours])["queue_name"].nunique()
    assert (names_per_bucket > 1).any()  # the case this test is about
    out = resample_intervals(df, "1h", fill_gaps=False)
    assert_same_buckets(out, reference(df, "1h", "UTC", ["queue_id"]))


@pytest.mark.parametrize("reverse", [False, True])
def test_a_rename_in_the_last_bucket_names_the_whole_series(reverse: bool) -> None:
    df = complete_frame(14, rows=8, queues=1, start="2024-03-08")
    df = df.iloc[:4].copy()
    starts = pd.Timestamp("2024-03-08 09:00", tz="UTC") + pd.to_timedelta(
        np.arange(4) * _QUARTER_MS, unit="ms"
    )
    df["interval_start"] = pd.Series(starts, index=df.index).dt.as_unit("ms")
    df["interval_end"] = df["interval_start"] + pd.Timedelta(minutes=15)
    df["queue_name"] = pd.array(["Old", "Old", "New", None], dtype=df["queue_name"].dtype)
    if reverse:
        df = df.iloc[::-1].reset_index(drop=True)
    out = resample_intervals(df, "1h")
    assert out["queue_name"].tolist() == ["New"]  # the latest record with a name
    assert_same_buckets(out, reference(df, "1h", "UTC", ["queue_id"]))


@pytest.mark.parametrize("in_time_order", [False, True])
@pytest.mark.parametrize("missing_share", [0.0, 0.03])
def test_one_queue_equals_the_reference(in_time_order: bool, missing_share: float) -> None:
    df = random_frame(
        15,
        queues=1,
        start="2024-03-08",
        missing_share=missing_share,
        key_missing_share=0.0,
        in_time_order=in_time_order,
    )
    out = resample_intervals(df, "1h", fill_gaps=False)
    assert out["queue_id"].nunique() == 1
    assert_same_buckets(out, reference(df, "1h", "UTC", ["queue_id"]))


@pytest.mark.parametrize(
    ("freq", "zone"), [("1h", "America/New_York"), ("D", "Asia/Kolkata"), ("D", "Europe/Paris")]
)
def test_records_on_a_local_clock_bucket_on_it_by_default(freq: str, zone: str) -> None:
    df = random_frame(16, start="2024-03-28", zone=zone)
    out = resample_intervals(df, freq, fill_gaps=False)
    assert str(out["interval_start"].dt.tz) == zone
    assert_same_buckets(out, reference(df, freq, zone, ["queue_id"]))


@pytest.mark.parametrize("sl_threshold", [None, "20s"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_an_empty_frame_gives_the_columns_and_dtypes_of_a_full_one(
    zone: str, sl_threshold: str | None
) -> None:
    df = complete_frame(17, start="2024-03-08", zone=zone)
    full = resample_intervals(df, "1h", sl_threshold=sl_threshold)
    empty = resample_intervals(df.iloc[:0], "1h", sl_threshold=sl_threshold)
    assert len(empty) == 0
    pd.testing.assert_series_equal(empty.dtypes, full.dtypes)
    IntervalSchema.validate(empty)
    pd.testing.assert_series_equal(cvframe.kpis(empty).dtypes, cvframe.kpis(full).dtypes)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    in_time_order=st.booleans(),
    missing=st.sampled_from([0.0, 0.03]),
    names_missing=st.sampled_from([0.0, 0.2]),
    queues=st.sampled_from([1, 3, 20]),
    freq_tz=st.sampled_from(
        [("1h", "UTC"), ("2h", "UTC"), ("1h", "America/New_York"), ("D", "Europe/Paris")]
    ),
)
def test_any_random_frame_equals_the_reference(
    seed: int,
    in_time_order: bool,
    missing: float,
    names_missing: float,
    queues: int,
    freq_tz: tuple[str, str],
) -> None:
    freq, tz = freq_tz
    df = random_frame(
        seed,
        rows=200,
        queues=queues,
        start="2024-03-08",
        missing_share=missing,
        key_missing_share=missing,
        name_missing_share=names_missing,
        in_time_order=in_time_order,
    )
    out = resample_intervals(df, freq, tz=tz, fill_gaps=False)
    assert_same_buckets(out, reference(df, freq, tz, ["queue_id"]))
