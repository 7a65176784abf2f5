"""cvframe.dask on a LocalCluster gives the numbers pandas gives."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._frame import WINDOW_ATTR, frame_window, with_window
from cvframe.emulator import Emulator

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")

import dask.dataframe as dd  # noqa: E402

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
    abandoned = ["abandoned_within_sl_low", "abandoned_within_sl_high"]
    assert set(abandoned) <= set(got_frame.columns)
    assert (got_frame[abandoned[0]] <= got_frame[abandoned[1]]).all()
    assert got_frame[abandoned[1]].sum() > 0  # summed per record, not lost


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


# ----------------------------------------------- to_series: the same as cvframe.to_series


@pytest.fixture(scope="module")
def clashing(snapshot: tuple[Path, pd.DataFrame]) -> pd.DataFrame:
    """The snapshot's records with two of the three queues sharing a name."""
    _, df = snapshot
    ids = sorted(df["queue_id"].astype(str).unique())
    name = df.loc[df["queue_id"] == ids[0], "queue_name"].iloc[0]
    out = df.copy()
    out.loc[out["queue_id"] == ids[1], "queue_name"] = name
    return out


def same_as_pandas(df: pd.DataFrame, ddf: dd.DataFrame, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """cvframe.dask.to_series' result, checked equal to cvframe.to_series', warnings too."""
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = cvframe.to_series(df, *args, **kwargs)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        got = cvdask.to_series(ddf, *args, **kwargs)
    pd.testing.assert_frame_equal(got, expected)
    mine = [str(w.message) for w in ours if issubclass(w.category, UserWarning)]
    assert mine == [str(w.message) for w in theirs if issubclass(w.category, UserWarning)]
    return got


def test_to_series_treats_partial_edge_buckets_as_pandas_does(
    client: object, snapshot: tuple[Path, pd.DataFrame]
) -> None:
    # The records run from 00:00 UTC, 19:00 in New York: the first local day and the
    # last reach outside them; dask sees the whole frame's span, as pandas does.
    path, df = snapshot
    ddf = cvdask.read_snapshot(path)
    got = same_as_pandas(df, ddf, "offered_contacts", "D", tz="America/New_York")
    assert len(got) in (3, 5)  # trimmed (3 whole New York days) or kept with a warning
    kept = same_as_pandas(df, ddf, "offered_contacts", "D", tz="America/New_York", edges="keep")
    assert len(kept) == 5
    # A window recorded on the frame (as cvframe's readers record it) reaches the
    # gathered rows through the Dask frame's meta: the two partial days are trimmed.
    read = with_window(df.copy(), "2023-01-02", "2023-01-06")
    windowed = same_as_pandas(
        read, dd.from_pandas(read, npartitions=3), "offered_contacts", "D", tz="America/New_York"
    )
    assert len(windowed) == 3


@pytest.mark.parametrize("tz_naive", [False, True])
def test_to_series_long_layout_flags_edges_as_pandas_does(
    client: object, snapshot: tuple[Path, pd.DataFrame], tz_naive: bool
) -> None:
    path, df = snapshot
    options: dict[str, Any] = dict(
        tz="America/New_York", layout="long", edges="flag", tz_naive=tz_naive
    )
    got = same_as_pandas(df, cvdask.read_snapshot(path), "answered_contacts", "D", **options)
    assert got["partial"].sum() == 2 * df["queue_id"].nunique()  # the first and last days


def test_to_series_with_a_read_window_matches_pandas(
    client: object, snapshot: tuple[Path, pd.DataFrame]
) -> None:
    path, df = snapshot
    window: dict[str, Any] = dict(start="2023-01-03", end="2023-01-05")
    expected = cvframe.to_series(df, "offered_contacts", "6h", layout="long", **window)
    got = cvdask.to_series(
        cvdask.read_snapshot(path), "offered_contacts", "6h", layout="long", **window
    )
    pd.testing.assert_frame_equal(got, expected)
    assert len(got) == 8 * df["queue_id"].nunique()


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_to_series_labels_names_shared_by_several_ids_as_pandas_does(
    client: object, clashing: pd.DataFrame, layout: str
) -> None:
    expected = cvframe.to_series(clashing, "offered_contacts", "1h", layout=layout)  # type: ignore[arg-type]
    ddf = dd.from_pandas(clashing, npartitions=3)
    got = cvdask.to_series(ddf, "offered_contacts", "1h", layout=layout)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(got, expected)
    labels = list(got.columns) if layout == "wide" else list(got["unique_id"].unique())
    assert len(labels) == 3
    assert sum("(" in str(label) for label in labels) == 2  # the two sharing a name


@pytest.mark.parametrize(
    ("metric", "options"),
    [
        ("service_level", {}),
        ("service_level", {"sl_threshold": "30s", "sl_denominator": "cisco_ignore_abandons"}),
        ("service_level", {"sl_denominator": "amazon_connect", "layout": "long"}),
        ("aht", {}),
        ("abandon_rate", {"layout": "long"}),
    ],
)
def test_to_series_kpis_match_pandas(
    client: object, snapshot: tuple[Path, pd.DataFrame], metric: str, options: dict[str, Any]
) -> None:
    path, df = snapshot
    expected = cvframe.to_series(df, metric, "D", **options)
    got = cvdask.to_series(cvdask.read_snapshot(path), metric, "D", **options)
    pd.testing.assert_frame_equal(got, expected)
    assert got.notna().to_numpy().all()


def test_to_series_refuses_bad_arguments_before_any_work(
    snapshot: tuple[Path, pd.DataFrame],
) -> None:
    path, _ = snapshot
    ddf = cvdask.read_snapshot(path)
    with pytest.raises(ValueError, match="edges='flag' needs layout='long'"):
        cvdask.to_series(ddf, "offered_contacts", "1h", edges="flag")
    with pytest.raises(ValueError, match="layout must be one of"):
        cvdask.to_series(ddf, "offered_contacts", "1h", layout="tall")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="apply to metric='service_level' only"):
        cvdask.to_series(ddf, "offered_contacts", "1h", sl_threshold="20s")


def test_to_series_of_a_frame_whose_only_bucket_is_partial_is_as_in_pandas(
    client: object,
) -> None:
    # Two records, 09:00 to 10:30, sharing a name: the day is partial, trimmed to
    # nothing, as pandas does; kept, it is one row labelled by name and id.
    df = cvframe.records_to_frame(
        [
            {"_id": "a", "queueId": "q1", "queueName": "S", "offeredContacts": 4,
             "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
             "intervalEndTimeStamp": "2024-01-01T09:15:00Z"},
            {"_id": "b", "queueId": "q2", "queueName": "S", "offeredContacts": 7,
             "intervalStartTimeStamp": "2024-01-01T10:15:00Z",
             "intervalEndTimeStamp": "2024-01-01T10:30:00Z"},
        ]
    )  # fmt: skip
    ddf = dd.from_pandas(df, npartitions=2)
    for layout in ("wide", "long"):
        got = same_as_pandas(df, ddf, freq="D", layout=layout)
        assert len(got) in (0, 2 if layout == "long" else 1)  # trimmed, or kept with a warning
    kept = cvdask.to_series(ddf, freq="D", edges="keep")
    pd.testing.assert_frame_equal(kept, cvframe.to_series(df, freq="D", edges="keep"))
    assert list(kept.columns) == ["S (q1)", "S (q2)"]
    assert kept.iloc[0].tolist() == [4, 7]


@pytest.mark.parametrize(
    ("start", "end"), [("2023-01-03", "2023-01-05"), ("2023-01-02 06:00", "2023-01-05 18:00")]
)
def test_read_snapshot_records_the_window_read_as_pandas_does(
    client: object, snapshot: tuple[Path, pd.DataFrame], start: str, end: str
) -> None:
    path, _ = snapshot
    expected = cvframe.read_snapshot(path, start=start, end=end)
    assert frame_window(expected) == (pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC"))
    ddf = cvdask.read_snapshot(path, start=start, end=end)
    assert ddf._meta.attrs == expected.attrs  # the window and the rows it holds for
    got = ddf.compute()
    assert got.attrs == expected.attrs
    assert frame_window(got) == frame_window(expected)
    # What the window is for: the partial first and last New York days are trimmed,
    # from the computed frame and on the cluster alike, with no start/end passed.
    options: dict[str, Any] = dict(freq="D", tz="America/New_York", layout="long", edges="flag")
    wanted = cvframe.to_series(expected, "offered_contacts", **options)
    assert wanted["partial"].any()
    pd.testing.assert_frame_equal(cvframe.to_series(got, "offered_contacts", **options), wanted)
    same_as_pandas(expected, ddf, "offered_contacts", **options)


def test_a_read_snapshot_cut_down_after_the_read_vouches_for_no_window(
    client: object, snapshot: tuple[Path, pd.DataFrame]
) -> None:
    path, df = snapshot
    ddf = cvdask.read_snapshot(path, start="2023-01-03", end="2023-01-05")
    queue = df["queue_id"].iloc[0]
    cut = ddf[ddf["queue_id"] == queue]
    assert frame_window(cut.compute()) is None
    one_day = ddf.partitions[0].compute()
    assert frame_window(one_day) is None  # a day's rows are not the read's
    # On the cluster too: the edges are unsure (kept, with pandas' warning), not trimmed.
    read = cvframe.read_snapshot(path, start="2023-01-03", end="2023-01-05")
    kept = same_as_pandas(read[read["queue_id"] == queue], cut, "offered_contacts", "D",
                          tz="America/New_York", edges="keep")  # fmt: skip
    assert len(kept) == 3


@pytest.mark.parametrize("window", [{}, {"start": "2023-01-05"}, {"end": "2023-01-03"}])
def test_read_snapshot_without_both_sides_records_no_window(
    client: object, snapshot: tuple[Path, pd.DataFrame], window: dict[str, str]
) -> None:
    path, _ = snapshot
    assert WINDOW_ATTR not in cvframe.read_snapshot(path, **window).attrs
    ddf = cvdask.read_snapshot(path, **window)
    assert WINDOW_ATTR not in ddf._meta.attrs
    assert WINDOW_ATTR not in ddf.compute().attrs
