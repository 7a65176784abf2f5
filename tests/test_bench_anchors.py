"""The analytics benchmark's anchors compute the numbers cvframe computes.

A ratio to DuckDB or polars means something only if they answer the same question;
``make bench`` asserts it at full size, these tests on small frames, including the
total wait (260768 ms) that ``epoch(INTERVAL) * 1000`` read as 260767.99999999997.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

import cvframe

pytest.importorskip("duckdb")
pytest.importorskip("polars")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import _analytics as anchors
from _frames import interval_frame

#: A total wait that DuckDB's epoch() of an INTERVAL does not give back exactly.
INEXACT_MS = 260_768


def small_frame() -> pd.DataFrame:
    df = interval_frame(4, 2).copy(deep=True)  # writable (Arrow hands out read-only arrays)
    # In one record, waits that put (S - M) / T on a whole number, where a total one
    # hair low floors one too low.
    row = df.index[0]
    df.loc[row, "answered_contacts"] = 12
    df.loc[row, "completed_contacts"] = 12
    df.loc[row, "queue_hold_time_answered"] = pd.Timedelta(milliseconds=INEXACT_MS)
    df.loc[row, "max_queue_hold_time_answered"] = pd.Timedelta(milliseconds=40_768)
    return df


def test_duckdb_anchor_gives_cvframes_numbers_on_the_snapshots_columns() -> None:
    import duckdb

    df = small_frame()
    ours = cvframe.kpis(cvframe.resample_intervals(df, "1h"))
    with duckdb.connect() as con:
        con.register("df", anchors.natural_table(df))
        theirs = anchors.duckdb_hourly_kpis(con, 20_000)
    anchors._same_numbers(ours, theirs, "DuckDB")


def test_polars_anchor_gives_cvframes_numbers_on_the_snapshots_columns() -> None:
    import polars as pl

    df = small_frame()
    ours = cvframe.kpis(cvframe.resample_intervals(df, "1h"))
    theirs = anchors.polars_hourly_kpis(pl.from_arrow(anchors.natural_table(df)), 20_000)
    anchors._same_numbers(ours, theirs, "polars")


def test_the_anchors_input_is_plain_int64_milliseconds() -> None:
    import pyarrow as pa

    table = anchors.natural_table(small_frame())
    assert table.schema.field("queue_hold_time_answered").type == pa.int64()
    assert table.schema.field("offered_contacts").type == pa.int64()
    assert table.schema.field("interval_start").type == pa.timestamp("ms", tz="UTC")
    assert table["queue_hold_time_answered"][0].as_py() == INEXACT_MS


def test_the_end_to_end_anchors_give_cvframes_numbers_from_the_snapshot(tmp_path: Path) -> None:
    import duckdb

    df = small_frame()
    cvframe.write_snapshot(df, tmp_path)
    ours = anchors.cvframe_snapshot_kpis(str(tmp_path))
    # Reading the snapshot back changes nothing: the KPIs of the frame that was written.
    pd.testing.assert_frame_equal(ours, cvframe.kpis(cvframe.resample_intervals(df, "1h")))
    with duckdb.connect() as con:
        theirs = anchors.duckdb_snapshot_kpis(con, str(tmp_path), 20_000)
    anchors._same_numbers(ours, theirs, "DuckDB")
    anchors._same_numbers(ours, anchors.polars_snapshot_kpis(str(tmp_path), 20_000), "polars")


def test_the_end_to_end_anchors_read_every_day_file_of_the_snapshot(tmp_path: Path) -> None:
    import duckdb

    df = small_frame()  # two days: two day files
    cvframe.write_snapshot(df, tmp_path)
    assert len(list(tmp_path.rglob("*.parquet"))) == 2
    with duckdb.connect() as con:
        theirs = anchors.duckdb_snapshot_kpis(con, str(tmp_path), 20_000)
    assert theirs["offered_contacts"].sum() == df["offered_contacts"].sum()
    lazy = anchors.polars_snapshot_kpis(str(tmp_path), 20_000)
    assert lazy["offered_contacts"].sum() == df["offered_contacts"].sum()
