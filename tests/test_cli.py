from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cvframe
from cvframe._cli import main
from cvframe.emulator import Emulator


def test_fetch_writes_a_validated_parquet_file(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "cv.parquet"
    code = main(["fetch", "--from", "2023-01-02", "--to", "2023-01-04", "-o", str(out), "-q"])
    assert code == 0
    df = pd.read_parquet(out)
    assert len(df) == len(emulator.records("2023-01-02T00:00:00Z", "2023-01-04T00:00:00Z"))
    assert str(df["acw_duration"].dtype) == "timedelta64[ms]"
    assert f"wrote {len(df)} records" in capsys.readouterr().out


def test_fetch_csv_with_queue_filter_and_options(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = emulator.env()
    for name in ("CVFRAME_CLIENT_ID", "CVFRAME_CLIENT_SECRET"):
        monkeypatch.setenv(name, env[name])
    out = tmp_path / "cv.csv"
    code = main(
        [
            "fetch",
            "--from",
            "2023-01-02",
            "--to",
            "2023-01-03",
            "-o",
            str(out),
            "-q",
            "--org",
            emulator.org_id,
            "--host",
            emulator.base_url,
            "--account",
            emulator.account_id,
            "--queue",
            "Sales",
        ]
    )
    assert code == 0
    df = pd.read_csv(out)
    assert set(df["queue_name"]) == {"Sales"}


def test_errors_are_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "fetch",
            "--to",
            "2023-01-02",
            "-o",
            str(tmp_path / "x.parquet"),
            "--org",
            "o-1",
            "--host",
            "platform.kore.ai",
            "--account",
            "a",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("cvframe: error: missing credentials")
    assert len(err.strip().splitlines()) == 1


def test_fetch_refuses_unknown_output_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fetch", "-o", str(tmp_path / "x.xlsx")]) == 1
    assert ".parquet or .csv" in capsys.readouterr().err


def test_demo_prints_summary_and_leaves_parquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--output", str(tmp_path), "--days", "2", "--queues", "3"]) == 0
    out = capsys.readouterr().out
    df = pd.read_parquet(tmp_path / "callvolume.parquet")
    cvframe.validate(
        df.astype(
            {
                c: "string"
                for c in ["id", "org_id", "queue_id", "queue_name", "instance_id", "source"]
            }
        )
    )
    assert df["queue_id"].nunique() == 3
    for name in df["queue_name"].unique():
        assert name in out
    assert "AHT_s" in out and "ASA_s" in out


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert cvframe.__version__ in capsys.readouterr().out
