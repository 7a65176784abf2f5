"""WFM exports: the Genesys Cloud import, the generic CSV and user mappings."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._cli._main import main
from cvframe._wfm._genesys import GENESYS_COLUMNS
from cvframe.emulator import Emulator

MEDIA = {"Billing": "voice", "Tech Support": "voice", "Sales": "callback", "Chat Care": "chat"}


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return Emulator(days=2, queues=4).records()


@pytest.fixture(scope="module")
def frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return cvframe.records_to_frame(records)


def counts(offered: int) -> dict[str, Any]:
    """The measures a Genesys row needs: offered, handled and their handle time."""
    return {
        "offeredContacts": offered,
        "completedContacts": offered,
        "conversationHandleTime": 180_000 * offered,
    }


def record(start: str, minutes: int = 15, **fields: Any) -> dict[str, Any]:
    begin = pd.Timestamp(start)
    return {
        "_id": f"r-{start}-{fields.get('queueId', 'qu-1')}",
        "queueId": "qu-1",
        "queueName": "Billing",
        "__v": 0,
        "intervalStartTimeStamp": begin.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "intervalEndTimeStamp": (begin + pd.Timedelta(minutes=minutes)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        ),
        **fields,
    }


# --------------------------------------------------------------------------- genesys


def test_genesys_has_the_importers_columns_in_order(frame: pd.DataFrame) -> None:
    out = cvframe.to_wfm(frame, "genesys", media_type=MEDIA)
    assert list(out.columns) == [
        "Interval Start UTC Date",
        "Queue",
        "Media Type",
        "Skill Set",
        "Language",
        "Offered",
        "Interactions Handled",
        "Total Handle Time (Seconds)",
    ]


def test_genesys_interval_starts_are_utc_iso_on_quarter_hours(frame: pd.DataFrame) -> None:
    starts = cvframe.to_wfm(frame, "genesys")["Interval Start UTC Date"]
    pattern = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:(00|15|30|45):00Z$")
    assert all(pattern.match(s) for s in starts)
    assert starts.min() == frame["interval_start"].min().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_genesys_counts_and_handle_time_in_seconds_match_the_records(
    frame: pd.DataFrame,
) -> None:
    out = cvframe.to_wfm(frame, "genesys", media_type=MEDIA)
    assert len(out) == len(frame)  # one record per queue and quarter hour already
    assert out["Offered"].sum() == frame["offered_contacts"].sum()
    assert out["Interactions Handled"].sum() == frame["completed_contacts"].sum()
    handle_s = frame["conversation_handle_time"].sum().total_seconds()
    assert out["Total Handle Time (Seconds)"].sum() == pytest.approx(handle_s, abs=0.01)
    first = frame.iloc[0]
    row = out[
        (out["Queue"] == first["queue_name"])
        & (out["Interval Start UTC Date"] == first["interval_start"].strftime("%Y-%m-%dT%H:%M:%SZ"))
    ]
    assert row["Offered"].tolist() == [first["offered_contacts"]]
    assert row["Total Handle Time (Seconds)"].tolist() == [
        first["conversation_handle_time"].total_seconds()
    ]
    assert row["Media Type"].tolist() == [MEDIA[first["queue_name"]]]


def test_shorter_records_add_up_into_their_quarter_hour() -> None:
    df = cvframe.records_to_frame(
        [
            record("2023-06-01T09:45:00Z", 5, offeredContacts=1, completedContacts=1,
                   conversationHandleTime=1500),
            record("2023-06-01T09:50:00Z", 5, offeredContacts=2, completedContacts=2,
                   conversationHandleTime=2500),
            record("2023-06-01T10:05:00Z", 5, offeredContacts=4, completedContacts=0,
                   conversationHandleTime=0),
        ]
    )  # fmt: skip
    out = cvframe.to_wfm(df, "genesys")
    assert out["Interval Start UTC Date"].tolist() == [
        "2023-06-01T09:45:00Z",
        "2023-06-01T10:00:00Z",
    ]
    assert out["Offered"].tolist() == [3, 4]
    assert out["Interactions Handled"].tolist() == [3, 0]
    assert out["Total Handle Time (Seconds)"].tolist() == [4.0, 0.0]


def test_genesys_refuses_records_longer_than_fifteen_minutes() -> None:
    df = cvframe.records_to_frame([record("2023-06-01T09:00:00Z", 60, offeredContacts=1)])
    with pytest.raises(ValueError, match="span more than 15 minutes"):
        cvframe.to_wfm(df, "genesys")


def test_media_type_must_be_a_genesys_one(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not a Genesys media type"):
        cvframe.to_wfm(frame, "genesys", media_type="fax")
    by_id = {q: "Chat" for q in frame["queue_id"].unique()}
    assert set(cvframe.to_wfm(frame, "genesys", media_type=by_id)["Media Type"]) == {"chat"}


def test_skill_set_and_language_per_queue(frame: pd.DataFrame) -> None:
    out = cvframe.to_wfm(
        frame,
        "genesys",
        skill_set={"Billing": ["billing", "payments"]},
        language="English",
    )
    billing = out[out["Queue"] == "Billing"]
    assert set(billing["Skill Set"]) == {"billing|||payments"}
    assert set(out.loc[out["Queue"] != "Billing", "Skill Set"]) == {""}
    assert set(out["Language"]) == {"English"}


def test_write_wfm_genesys_writes_one_file_per_queue_and_media_type(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    files = cvframe.write_wfm(frame, tmp_path / "genesys", "genesys", media_type=MEDIA)
    assert [f.name for f in files] == [
        "Billing_voice.csv",
        "Chat-Care_chat.csv",
        "Sales_callback.csv",
        "Tech-Support_voice.csv",
    ]
    forbidden = set(" {^}%`]\u201d>/:[~<#|")
    combined = []
    for path in files:
        assert not forbidden & set(path.name)
        part = pd.read_csv(path, keep_default_na=False)
        assert tuple(part.columns) == GENESYS_COLUMNS
        assert part.groupby(["Queue", "Media Type"]).ngroups == 1
        combined.append(part)
    everything = pd.concat(combined)
    assert len(everything) == len(cvframe.to_wfm(frame, "genesys", media_type=MEDIA))
    assert everything["Offered"].sum() == frame["offered_contacts"].sum()
    assert not list((tmp_path / "genesys").glob(".*"))  # no temporary files left


def test_write_wfm_genesys_keeps_queues_whose_names_clash_apart(tmp_path: Path) -> None:
    df = cvframe.records_to_frame(
        [
            record("2023-06-01T09:00:00Z", queueId="qu-1", queueName="Sales/EU", **counts(1)),
            record("2023-06-01T09:00:00Z", queueId="qu-2", queueName="Sales EU", **counts(2)),
        ]
    )
    files = cvframe.write_wfm(df, tmp_path, "genesys")
    assert [f.name for f in files] == ["Sales-EU_voice-2.csv", "Sales-EU_voice.csv"]
    queues = {pd.read_csv(f)["Queue"].iloc[0] for f in files}
    assert queues == {"Sales/EU", "Sales EU"}


# --------------------------------------------------------------------------- generic


def test_generic_has_interval_queue_counts_aht_asa_and_service_level(frame: pd.DataFrame) -> None:
    out = cvframe.to_wfm(frame, "generic")
    assert list(out.columns) == [
        "interval_start",
        "interval_end",
        "queue_id",
        "queue_name",
        "offered",
        "answered",
        "abandoned",
        "handled",
        "aht_seconds",
        "asa_seconds",
        "service_level",
    ]
    assert len(out) == len(frame)
    assert out["interval_start"].iloc[0] == frame["interval_start"].iloc[0].strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    handled = frame["completed_contacts"]
    aht = (frame["conversation_handle_time"].dt.total_seconds() / handled).where(handled > 0)
    assert out["aht_seconds"].astype(float).tolist() == pytest.approx(
        aht.astype(float).tolist(), abs=0.0006, nan_ok=True
    )
    answered = frame["answered_contacts"]
    asa = (frame["queue_hold_time_answered"].dt.total_seconds() / answered).where(answered > 0)
    assert out["asa_seconds"].astype(float).tolist() == pytest.approx(
        asa.astype(float).tolist(), abs=0.0006, nan_ok=True
    )
    expected_sl = cvframe.kpis(frame, sl_threshold="20s")["service_level"].round(6)
    pd.testing.assert_series_equal(
        out["service_level"], expected_sl.astype("Float64"), check_names=False
    )
    assert out["service_level"].notna().any()


def test_generic_service_level_follows_threshold_and_denominator(frame: pd.DataFrame) -> None:
    out = cvframe.to_wfm(frame, "generic", sl_threshold="60s", sl_denominator="answered")
    expected = cvframe.kpis(frame, sl_threshold="60s", sl_denominator="answered")
    pd.testing.assert_series_equal(
        out["service_level"],
        expected["service_level"].round(6).astype("Float64"),
        check_names=False,
    )


def test_averages_are_empty_when_nobody_was_handled() -> None:
    df = cvframe.records_to_frame(
        [record("2023-06-01T09:00:00Z", offeredContacts=2, abandonedContacts=2,
                answeredContacts=0, completedContacts=0, conversationHandleTime=0)]
    )  # fmt: skip
    out = cvframe.to_wfm(df, "generic")
    assert out["aht_seconds"].isna().all()
    assert out["asa_seconds"].isna().all()


def test_write_wfm_generic_writes_one_csv_file(frame: pd.DataFrame, tmp_path: Path) -> None:
    (path,) = cvframe.write_wfm(frame, tmp_path / "out" / "volume.csv", "generic")
    back = pd.read_csv(path)
    assert len(back) == len(frame)
    assert back["offered"].sum() == frame["offered_contacts"].sum()
    with pytest.raises(ValueError, match="is a directory"):
        cvframe.write_wfm(frame, tmp_path, "generic")


def fsynced_directories(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The directories whose fd is passed to os.fsync from now on (the inode, as a path)."""
    synced: list[Path] = []
    fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return synced


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads fd paths from /proc")
@pytest.mark.parametrize("target", ["generic", "genesys"])
def test_write_wfm_makes_each_rename_durable_by_syncing_the_directory(
    frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    # A rename is durable only once its directory is flushed too (as snapshots do):
    # a power cut after write_wfm returned must not lose the file.
    synced = fsynced_directories(monkeypatch)
    where = tmp_path / "out" / ("volume.csv" if target == "generic" else "genesys")
    files = cvframe.write_wfm(frame, where, target, media_type=MEDIA)
    assert files
    assert {f.parent for f in files} <= set(synced)
    assert sorted(p.name for p in files[0].parent.iterdir()) == sorted(f.name for f in files)


# --------------------------------------------------------------------------- mapping


def test_a_mapping_names_columns_and_units(frame: pd.DataFrame) -> None:
    out = cvframe.to_wfm(
        frame,
        {
            "Period": ("interval_start", "%Y-%m-%d %H:%M"),
            "Epoch": ("interval_start", "epoch_s"),
            "Queue": "queue_name",
            "Calls": "offered",
            "AHT (min)": ("aht", "min"),
            "Talk ms": ("conversation_talk_time", "ms"),
            "Abandon %": ("abandon_rate", "percent"),
        },
    )
    assert list(out.columns) == [
        "Period",
        "Epoch",
        "Queue",
        "Calls",
        "AHT (min)",
        "Talk ms",
        "Abandon %",
    ]
    first = frame.iloc[0]
    assert out.loc[0, "Period"] == first["interval_start"].strftime("%Y-%m-%d %H:%M")
    assert out.loc[0, "Epoch"] == int(first["interval_start"].timestamp())
    assert out.loc[0, "Calls"] == first["offered_contacts"]
    talk_ms = first["conversation_talk_time"] / pd.Timedelta(milliseconds=1)
    assert out.loc[0, "Talk ms"] == talk_ms
    aht_min = first["conversation_handle_time"].total_seconds() / 60 / first["completed_contacts"]
    assert out.loc[0, "AHT (min)"] == pytest.approx(aht_min, abs=1e-5)
    rate = 100 * first["abandoned_contacts"] / first["offered_contacts"]
    assert out.loc[0, "Abandon %"] == pytest.approx(rate, abs=1e-4)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"Calls": "offerd"}, r"unknown source field 'offerd' \(did you mean 'offered'\?\)"),
        ({"AHT": ("aht", "fortnights")}, r"unknown unit 'fortnights' for 'aht'.*s, ms, min, h"),
        ({"Calls": ("offered", "s")}, r"'offered' is a count and takes no unit"),
        ({"Calls": ["offered"]}, r"give a source field name or a \(field, unit\) pair"),
        ({}, "non-empty mapping"),
        ("nice", "target must be 'genesys', 'generic' or a mapping"),
        ({"SL": ("service_level", "permille")}, "fraction, percent"),
    ],
)
def test_mapping_errors_say_what_is_wrong(frame: pd.DataFrame, target: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cvframe.to_wfm(frame, target)


def test_a_frame_without_the_needed_columns_is_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(
        ValueError, match=r"needs the call-volume contract columns \['completed_contacts'\]"
    ):
        cvframe.to_wfm(frame.drop(columns="completed_contacts"), {"AHT": "aht"})
    narrow = frame[["interval_start", "offered_contacts"]]
    assert cvframe.to_wfm(narrow, {"t": "interval_start", "n": "offered"})["n"].sum() == (
        frame["offered_contacts"].sum()
    )


def test_a_pyarrow_backed_frame_exports_the_same(records: list[dict[str, Any]]) -> None:
    numpy_frame = cvframe.records_to_frame(records)
    arrow_frame = cvframe.records_to_frame(records, dtype_backend="pyarrow")
    for target in ("genesys", "generic"):
        pd.testing.assert_frame_equal(
            cvframe.to_wfm(arrow_frame, target), cvframe.to_wfm(numpy_frame, target)
        )


# --------------------------------------------------------------------------- CLI


def test_cli_export_writes_genesys_generic_and_mapped_files(
    frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snap"
    cvframe.write_snapshot(frame, snap)
    media = [f"--media-type={q}={m}" for q, m in MEDIA.items()]
    assert main(["export", str(snap), str(tmp_path / "genesys"), *media]) == 0
    printed = capsys.readouterr().out.split()
    assert [Path(p).name for p in printed] == [
        "Billing_voice.csv",
        "Chat-Care_chat.csv",
        "Sales_callback.csv",
        "Tech-Support_voice.csv",
    ]
    generic = tmp_path / "generic.csv"
    args = ["export", str(snap), str(generic), "--target", "generic", "--queue", "Sales"]
    assert main([*args, "--from", "2023-01-03"]) == 0
    back = pd.read_csv(generic)
    assert set(back["queue_name"]) == {"Sales"}
    assert back["interval_start"].min() >= "2023-01-03"
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"When": "interval_start", "AHT": ["aht", "min"]}))
    mapped = tmp_path / "mapped.csv"
    assert main(["export", str(snap), str(mapped), "--mapping", str(mapping)]) == 0
    assert list(pd.read_csv(mapped).columns) == ["When", "AHT"]


def test_cli_export_errors_are_one_line_and_exit_1(
    frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snap"
    cvframe.write_snapshot(frame, snap)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Calls": "offerd"}))
    cases = [
        (["export", str(snap), str(tmp_path / "m.csv"), "--mapping", str(mapping)], "unknown"),
        (["export", str(tmp_path / "nowhere"), str(tmp_path / "g")], "no snapshot at"),
        (["export", str(snap), str(tmp_path / "g"), "--media-type", "fax"], "media type"),
    ]
    for argv, fragment in cases:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("cvframe: error: ")
        assert fragment in err
        assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("target", ["generic", {"Start": "interval_start", "Calls": "offered"}])
def test_a_filtered_frame_exports_its_own_rows(frame: pd.DataFrame, target: Any) -> None:
    # A filter leaves a non-default index; rows must follow by position, not by label.
    part = frame.iloc[1:]
    assert not part.index.equals(pd.RangeIndex(len(part)))
    got = cvframe.to_wfm(part, target)
    want = cvframe.to_wfm(part.reset_index(drop=True), target)
    assert len(got) == len(part)
    assert got.notna().any().all()
    pd.testing.assert_frame_equal(got, want)
