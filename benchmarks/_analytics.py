"""Benchmark 4, analytics: cvframe's resample + kpis against DuckDB and polars.

Each anchor gets the input a user who picked it would have: the plain int64 columns of
the Parquet snapshot (integer milliseconds, int64 counts), not pandas' extension arrays.
``bench_end_to_end`` starts all of them from the snapshot on disk.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from _common import Row, _median, _row

import cvframe

#: The service-level threshold of the analytics row, in ms (kpis' default, 20 s).
_SL_THRESHOLD_MS = 20_000

# The KPI definitions restated, not imported from cvframe: the anchor must compute them on
# its own, so that a wrong mapping in cvframe._analytics shows up as a mismatch.
_AVERAGES = {
    "aht": ("conversation_handle_time", "completed_contacts"),
    "asa": ("queue_hold_time_answered", "answered_contacts"),
    "avg_abandon_wait": ("queue_hold_time_abandoned", "abandoned_contacts"),
    "avg_talk_time": ("conversation_talk_time", "completed_contacts"),
    "avg_hold_time": ("hold_duration", "completed_contacts"),
    "avg_acw_time": ("acw_duration", "completed_contacts"),
}
_RATIOS = {
    "abandon_rate": ("abandoned_contacts", "offered_contacts"),
    "answer_rate": ("answered_contacts", "offered_contacts"),
}


def natural_table(df: pd.DataFrame) -> pa.Table:
    """``df`` as a DuckDB or polars user has it from the Parquet snapshot.

    Counts are plain int64, durations integer milliseconds (Parquet has no duration
    type: a reader sees the int64 behind it), timestamps ``timestamp[ms, UTC]``.
    Not pandas' nullable extension arrays, which DuckDB scans far more slowly.
    """
    table = pa.Table.from_pandas(df, preserve_index=False)
    fields = [
        pa.field(f.name, pa.int64()) if pa.types.is_duration(f.type) else f for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def duckdb_hourly_kpis(con: Any, threshold_ms: float, source: str = "df") -> pd.DataFrame:
    """resample_intervals(df, "1h") then kpis(df), as one DuckDB query on ``source``.

    ``source`` (a table, by default the registered ``df``, or a table function such as
    ``read_parquet('snapshot/**/*.parquet')``) holds :func:`natural_table`'s columns:
    durations are integer milliseconds, as DuckDB reads them from the snapshot too.
    (On INTERVAL columns ``epoch(x) * 1000`` is not exact: 260767.99999999997 for
    260768 ms, which puts ``floor`` one too low; milliseconds that come from an
    INTERVAL must be rounded.)
    """
    from cvframe._analytics import AGGREGATIONS

    def aggregate(name: str, how: str) -> str:
        if name == "csat_score":  # csat="average": the response-weighted mean
            return "sum(csat_score * csat_responses) / nullif(sum(csat_responses), 0) AS csat_score"
        return f"{how}({name}) AS {name}"

    measures = ",\n".join(aggregate(name, how) for name, how in AGGREGATIONS.items())
    kpi = [
        f"round({t}::DOUBLE / nullif({c}, 0))::BIGINT AS {name}"
        for name, (t, c) in _AVERAGES.items()
    ] + [f"{n}::DOUBLE / nullif({d}, 0) AS {name}" for name, (n, d) in _RATIOS.items()]
    kpi.append("CASE WHEN csat_responses > 0 THEN csat_score END AS csat_average")
    t = float(threshold_ms)
    query = f"""
    WITH b AS (
      SELECT queue_id, any_value(queue_name) AS queue_name,
             time_bucket(INTERVAL 1 hour, interval_start) AS interval_start,
             time_bucket(INTERVAL 1 hour, interval_start) + INTERVAL 1 hour AS interval_end,
             {measures}
      FROM {source} GROUP BY queue_id, time_bucket(INTERVAL 1 hour, interval_start)
    ), w AS (
      SELECT *, answered_contacts::DOUBLE AS a,
             queue_hold_time_answered::DOUBLE AS s,
             max_queue_hold_time_answered::DOUBLE AS m
      FROM b
    ), sl AS (
      SELECT *,
        CASE WHEN a > 0 AND m + 1 > {t}
             THEN least(a, greatest(ceil((s - m + 2 * a + 1) / {t}), 0),
                        greatest(CASE WHEN m - 1 >= {t} THEN 1 ELSE 0 END,
                                 ceil((s - 2 * a - a * {t}) / (m + 1 - {t}))))
             ELSE 0.0 END AS low,
        CASE WHEN a > 0 AND m + 1 > {t} THEN least(a, greatest(ceil((s - m + 2 * a + 1) / {t}), 0))
             ELSE 0.0 END AS high
      FROM w
    )
    SELECT * EXCLUDE (a, s, m, low, high), {", ".join(kpi)},
      (a - high) / nullif(offered_contacts, 0) AS service_level_low,
      (a - low) / nullif(offered_contacts, 0) AS service_level_high,
      coalesce(offered_contacts > 0 AND low = high, false) AS service_level_exact
    FROM sl ORDER BY interval_start, queue_id
    """
    return con.execute(query).df()


def polars_hourly_kpis(frame: Any, threshold_ms: float) -> Any:
    """resample_intervals(df, "1h") then kpis(df), as one polars lazy query.

    ``frame`` is a polars DataFrame of :func:`natural_table`'s columns.
    """
    import polars as pl

    from cvframe._analytics import AGGREGATIONS

    col = pl.col
    measures = [
        (
            ((col("csat_score") * col("csat_responses")).sum() / col("csat_responses").sum())
            if name == "csat_score"
            else getattr(col(name), how)()
        ).alias(name)
        for name, how in AGGREGATIONS.items()
    ]
    hour = col("interval_start").dt.truncate("1h")
    buckets = (
        frame.lazy()
        .group_by("queue_id", hour.alias("interval_start"))
        .agg(col("queue_name").last(), *measures)
        .with_columns(interval_end=col("interval_start") + pl.duration(hours=1))
    )
    a, s, m, t = (
        col("answered_contacts").cast(pl.Float64),
        col("queue_hold_time_answered").cast(pl.Float64),
        col("max_queue_hold_time_answered").cast(pl.Float64),
        float(threshold_ms),
    )
    possible = (a > 0) & (m + 1 > t)
    most = pl.min_horizontal(a, pl.max_horizontal(((s - m + 2 * a + 1) / t).ceil(), 0.0))
    fewest = pl.max_horizontal(
        pl.when(m - 1 >= t).then(1.0).otherwise(0.0), ((s - 2 * a - a * t) / (m + 1 - t)).ceil()
    )
    offered = col("offered_contacts")
    per_offered = pl.when(offered > 0)
    kpi = [
        pl.when(col(c) > 0).then((col(x) / col(c)).round()).cast(pl.Int64).alias(name)
        for name, (x, c) in _AVERAGES.items()
    ] + [pl.when(col(d) > 0).then(col(n) / col(d)).alias(name) for name, (n, d) in _RATIOS.items()]
    kpi.append(pl.when(col("csat_responses") > 0).then(col("csat_score")).alias("csat_average"))
    return (
        buckets.with_columns(
            high=pl.when(possible).then(most).otherwise(0.0),
            low=pl.when(possible).then(pl.min_horizontal(most, fewest)).otherwise(0.0),
        )
        .with_columns(
            *kpi,
            service_level_low=per_offered.then((a - col("high")) / offered),
            service_level_high=per_offered.then((a - col("low")) / offered),
            service_level_exact=(offered > 0) & (col("low") == col("high")),
        )
        .drop("low", "high")
        .sort("interval_start", "queue_id")
        .collect()
    )


def _floats(series: Any) -> np.ndarray:
    if isinstance(series, pd.Series) and pd.api.types.is_timedelta64_dtype(series.dtype):
        series = series / pd.Timedelta(milliseconds=1)
    if not isinstance(series, pd.Series):  # polars
        return series.cast(float).to_numpy().astype("float64")
    return series.astype("float64").to_numpy(na_value=np.nan)


#: The columns whose values the anchors must match (the rest follow the same rules).
_COMPARED = (
    "offered_contacts",
    "conversation_handle_time",
    "max_queue_hold_time_answered",
    "csat_score",
    "aht",
    "abandon_rate",
    "service_level_low",
    "service_level_high",
)
# The anchors leave out kpis' service-level point estimate: it solves for the rate of an
# exponential cut at the longest wait (Newton steps per row, see cvframe's
# _service_level), which SQL and polars expressions would need a UDF for. Doing less
# only makes the anchors faster, so the ratios are conservative for cvframe.


def _same_numbers(ours: pd.DataFrame, theirs: Any, anchor: str) -> None:
    """The same numbers, or the comparison means nothing."""
    assert len(ours) == len(theirs), (anchor, len(ours), len(theirs))
    for name in _COMPARED:
        assert np.allclose(_floats(ours[name]), _floats(theirs[name]), equal_nan=True), (
            anchor,
            name,
        )


def bench_analytics(runs: int, quick: bool) -> list[Row]:
    import duckdb
    import polars as pl
    from _frames import interval_frame

    queues, days = (50, 100) if quick else (500, 200)
    df = interval_frame(queues, days)
    rows = len(df)
    table = natural_table(df)
    con = duckdb.connect()
    con.register("df", table)
    frame = pl.from_arrow(table)
    ours, duck, polar = [], [], []
    for _ in range(runs):  # paired: each run times all three, one after the other
        started = time.perf_counter()
        result = cvframe.kpis(cvframe.resample_intervals(df, "1h"))
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        sql = duckdb_hourly_kpis(con, _SL_THRESHOLD_MS)
        duck.append(time.perf_counter() - started)
        started = time.perf_counter()
        lazy = polars_hourly_kpis(frame, _SL_THRESHOLD_MS)
        polar.append(time.perf_counter() - started)
    _same_numbers(result, sql, "DuckDB")
    _same_numbers(result, lazy, "polars")
    con.close()
    value, anchor, second = _median(ours), _median(duck), _median(polar)
    measure = f"s, resample 1h + kpis, {rows:,} rows ({queues} queues x {days} days)"
    paired = {"cvframe": ours, "duckdb": duck, "polars": polar}
    return [
        _row(
            "4 analytics", measure, value, "DuckDB SQL", anchor, "<= 0.7x",
            value <= 0.7 * anchor, "s", runs_s=paired,
        ),
        _row(
            "4 analytics", measure, value, "polars lazy", second, "<= 1x (reference)",
            value <= second, "s",
        ),
    ]  # fmt: skip


def _snapshot_glob(path: str) -> str:
    """Every day file of a snapshot, as DuckDB's read_parquet and polars take them."""
    return f"{path}/**/*.parquet"


def duckdb_snapshot_kpis(con: Any, path: str, threshold_ms: float) -> pd.DataFrame:
    """Hourly KPIs straight from the snapshot's files: read_parquet + the analytics SQL."""
    return duckdb_hourly_kpis(con, threshold_ms, source=f"read_parquet('{_snapshot_glob(path)}')")


def polars_snapshot_kpis(path: str, threshold_ms: float) -> Any:
    """Hourly KPIs straight from the snapshot's files: scan_parquet + the analytics query.

    polars reads the stored ``duration[ms]`` columns as durations; they are cast to the
    integer milliseconds behind them, the anchor's natural input.
    """
    import polars as pl

    scan = pl.scan_parquet(_snapshot_glob(path)).with_columns(pl.col(pl.Duration).cast(pl.Int64))
    return polars_hourly_kpis(scan, threshold_ms)


def cvframe_snapshot_kpis(path: str) -> pd.DataFrame:
    """Hourly KPIs straight from the snapshot: read_snapshot + resample_intervals + kpis."""
    return cvframe.kpis(cvframe.resample_intervals(cvframe.read_snapshot(path), "1h"))


def bench_end_to_end(runs: int, quick: bool) -> list[Row]:
    """Hourly KPIs for 100 days of 250 queues from the Parquet snapshot on disk (issue 17).

    The snapshot is written once by cvframe's own writer into a temporary directory;
    each run then starts from the files: cvframe's ``read_snapshot`` (validated, the
    default) + ``resample_intervals(..., "1h")`` + ``kpis`` against DuckDB's
    ``read_parquet`` + the analytics SQL and polars' ``scan_parquet`` + its query.
    Paired runs (all three in each run), the numbers checked equal.
    """
    import tempfile

    import duckdb
    import polars  # noqa: F401  (imported here, not in the first timed run)
    from _frames import interval_frame

    queues, days = (25, 20) if quick else (250, 100)
    with tempfile.TemporaryDirectory() as tmp:
        source = interval_frame(queues, days)
        rows = len(source)
        cvframe.write_snapshot(source, tmp)
        del source  # each run reads the files, not this frame
        con = duckdb.connect()
        ours, duck, polar = [], [], []
        for _ in range(runs):  # paired: each run times all three, one after the other
            started = time.perf_counter()
            result = cvframe_snapshot_kpis(tmp)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            sql = duckdb_snapshot_kpis(con, tmp, _SL_THRESHOLD_MS)
            duck.append(time.perf_counter() - started)
            started = time.perf_counter()
            lazy = polars_snapshot_kpis(tmp, _SL_THRESHOLD_MS)
            polar.append(time.perf_counter() - started)
        con.close()
    _same_numbers(result, sql, "DuckDB")
    _same_numbers(result, lazy, "polars")
    value, anchor, second = _median(ours), _median(duck), _median(polar)
    measure = f"s, Parquet snapshot -> hourly KPIs, {rows:,} rows ({queues} queues x {days} days)"
    paired = {"cvframe": ours, "duckdb": duck, "polars": polar}
    return [
        _row(
            "4b end-to-end", measure, value, "DuckDB read_parquet + SQL", anchor,
            "<= 1x (reference)", value <= anchor, "s", runs_s=paired,
        ),
        _row(
            "4b end-to-end", measure, value, "polars scan_parquet", second,
            "<= 1x (reference)", value <= second, "s",
        ),
    ]  # fmt: skip
