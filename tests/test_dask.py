"""cvframe.dask on a LocalCluster gives the numbers pandas gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe.emulator import Emulator

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")

import cvframe.dask as cvdask  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    # In-process workers talking TCP on 127.0.0.1 (the in-process transport would look
    # up the machine's public address): the test stays on this machine.
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    with Emulator(queues=3, days=4) as emu:
        df = cvframe.read_callvolume("2023-01-02", "2023-01-06", progress=False, **emu.settings())
    # A gap: one queue says nothing for half a day, so filling gaps matters.
    quiet = (df["queue_name"] == df["queue_name"].iloc[0]) & (
        df["interval_start"] < pd.Timestamp("2023-01-02 12:00", tz="UTC")
    )
    df = df[~quiet].reset_index(drop=True)
    path = tmp_path_factory.mktemp("snapshot")
    cvframe.write_snapshot(df, path)
    return path, df


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["interval_start", "queue_id"], ignore_index=True)


def test_read_snapshot_has_a_partition_per_day_and_the_contract(
    client: object, snapshot: tuple[Path, pd.DataFrame]
) -> None:
    path, df = snapshot
    ddf = cvdask.read_snapshot(path)
    assert ddf.npartitions == 4
    pd.testing.assert_frame_equal(_sorted(ddf.compute()), _sorted(df))


def test_read_snapshot_from_s3_gives_each_worker_the_url_and_its_options(
    client: object,
    snapshot: tuple[Path, pd.DataFrame],
    s3_url: str,
    s3_options: dict[str, Any],
) -> None:
    _, df = snapshot
    cvframe.write_snapshot(df, s3_url, storage_options=s3_options)
    ddf = cvdask.read_snapshot(s3_url, start="2023-01-03", storage_options=s3_options)
    assert ddf.npartitions == 3
    expected = cvframe.read_snapshot(s3_url, start="2023-01-03", storage_options=s3_options)
    pd.testing.assert_frame_equal(_sorted(ddf.compute()), _sorted(expected))


def test_read_snapshot_filters_by_window_and_queue(
    client: object, snapshot: tuple[Path, pd.DataFrame]
) -> None:
    path, df = snapshot
    queue = df["queue_name"].iloc[-1]
    ddf = cvdask.read_snapshot(path, start="2023-01-03 06:00", end="2023-01-05", queues=queue)
    expected = cvframe.read_snapshot(path, start="2023-01-03 06:00", end="2023-01-05", queues=queue)
    assert ddf.npartitions == 2
    pd.testing.assert_frame_equal(_sorted(ddf.compute()), _sorted(expected))


@pytest.mark.parametrize(("freq", "tz"), [("1h", None), ("D", "America/New_York")])
def test_resample_and_kpis_match_pandas(
    client: object, snapshot: tuple[Path, pd.DataFrame], freq: str, tz: str | None
) -> None:
    path, df = snapshot
    expected = cvframe.kpis(cvframe.resample_intervals(df, freq, tz=tz))
    got = cvdask.kpis(cvdask.resample_intervals(cvdask.read_snapshot(path), freq, tz=tz))
    pd.testing.assert_frame_equal(_sorted(got.compute()), _sorted(expected))


@pytest.mark.parametrize("csat", ["average", "sum"])
def test_carried_service_level_and_csat_readings_match_pandas(
    client: object, snapshot: tuple[Path, pd.DataFrame], csat: str
) -> None:
    path, df = snapshot
    expected = cvframe.kpis(
        cvframe.resample_intervals(df, "1h", sl_threshold="20s", csat=csat), csat=csat
    )
    got = cvdask.kpis(
        cvdask.resample_intervals(cvdask.read_snapshot(path), "1h", sl_threshold="20s", csat=csat),
        csat=csat,
    )
    got_frame = _sorted(got.compute())
    pd.testing.assert_frame_equal(got_frame, _sorted(expected))
    # The carried bounds went through the cluster too.
    assert {"answered_within_sl_low", "answered_within_sl_high"} <= set(got_frame.columns)


def test_a_bad_csat_reading_is_refused_before_any_work(
    client: object, snapshot: tuple[Path, pd.DataFrame]
) -> None:
    path, _ = snapshot
    with pytest.raises(ValueError, match="csat"):
        cvdask.resample_intervals(cvdask.read_snapshot(path), "1h", csat="median")  # type: ignore[arg-type]


def test_to_series_matches_pandas(client: object, snapshot: tuple[Path, pd.DataFrame]) -> None:
    path, df = snapshot
    expected = cvframe.to_series(df, "answered_contacts", "1h")
    got = cvdask.to_series(cvdask.read_snapshot(path), "answered_contacts", "1h")
    pd.testing.assert_frame_equal(got, expected)
    assert got.index.freqstr == "h"


def test_a_distributed_resample_needs_a_series_key(
    snapshot: tuple[Path, pd.DataFrame],
) -> None:
    path, _ = snapshot
    with pytest.raises(ValueError, match="at least one key"):
        cvdask.resample_intervals(cvdask.read_snapshot(path), "1h", by=[])


def test_read_snapshot_follows_the_endpoint_the_snapshot_holds(
    client: object, tmp_path: Path
) -> None:
    with Emulator(queues=2, days=2) as emu:
        cvframe.sync(tmp_path, start="2023-01-02", end="2023-01-04", endpoint="agentactivity",
                     **emu.settings())  # fmt: skip
    ddf = cvdask.read_snapshot(tmp_path, start="2023-01-03")
    assert ddf.npartitions == 1
    assert list(ddf.columns) == ["agent_id", "event_time", "activity", "reason_code"]
    got = ddf.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, cvframe.read_snapshot(tmp_path, start="2023-01-03"))
    assert (got["event_time"] >= pd.Timestamp("2023-01-03", tz="UTC")).all()
    with pytest.raises(cvframe.SnapshotError, match="holds agentactivity rows, not callvolume"):
        cvdask.read_snapshot(tmp_path, endpoint="callvolume").compute()
