"""The CLI as a user runs it (a subprocess), against the emulator on loopback: footguns.

Issue 15: zero rows written, settings missing one at a time, a third-party warning on
every run, no way to see the retries, CSV durations nothing reads back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import cvframe
from cvframe.emulator import Emulator

#: The checkout whose cvframe the subprocess runs: the one this test imported.
ROOT = Path(cvframe.__file__).resolve().parents[1]
DAY = ["--from", "2023-01-02", "--to", "2023-01-03"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m cvframe ARGS`` with only ``env``'s CVFRAME_* variables, bounded in time."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CVFRAME_")}
    environ.update(env or {})
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "cvframe", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=environ,
        cwd=cwd,
    )


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cvframe: error: "), err
    return lines[0]


@pytest.fixture
def quiet_emulator() -> Iterator[Emulator]:
    """An emulator of one's own with no client-side rate limit worth waiting for."""
    with Emulator(days=2, queues=2, requests_per_minute=100_000) as emu:
        yield emu


# --------------------------------------------------------------------------- zero rows


def test_a_fetch_of_a_window_before_the_data_exits_3_and_writes_nothing(
    emulator: Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "cv.csv"
    done = run_cli(
        "fetch", "--from", "2020-01-01", "--to", "2020-01-02", "-q", "-o", str(out),
        env=emulator.env(),
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    line = one_error_line(done.stderr)
    assert "no callvolume records in [2020-01-01, 2020-01-02)" in line
    assert "--allow-empty" in line and "--from" in line
    assert not out.exists()
    assert "wrote" not in done.stdout


def test_a_fetch_of_an_unknown_queue_exits_3(emulator: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "cv.parquet"
    done = run_cli("fetch", *DAY, "--queue", "No Such Queue", "-q", "-o", str(out),
                   env=emulator.env())  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "--queue No Such Queue" in one_error_line(done.stderr)
    assert not out.exists()


def test_allow_empty_writes_the_empty_file_with_one_notice(
    emulator: Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "cv.csv"
    done = run_cli(
        "fetch", "--from", "2020-01-01", "--to", "2020-01-02", "-q", "-o", str(out),
        "--allow-empty", env=emulator.env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cvframe: notice: no callvolume records")
    header = out.read_text().strip()
    assert "acw_duration_ms" in header.split(",") and len(out.read_text().splitlines()) == 1


def test_the_exit_codes_are_in_the_help() -> None:
    done = run_cli("fetch", "--help")
    assert done.returncode == 0
    assert "exit status:" in done.stdout and "3    nothing to write" in done.stdout
    assert "--allow-empty" in done.stdout and "--log-level" in done.stdout


@pytest.fixture
def snapshot(emulator: Emulator, tmp_path: Path) -> Path:
    path = tmp_path / "snap"
    df = cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False, **emulator.settings())
    cvframe.write_snapshot(df, path)
    return path


def test_an_export_of_zero_rows_exits_3_unless_allow_empty(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "generic.csv"
    argv = ["export", str(snapshot), str(out), "--target", "generic"]
    done = run_cli(*argv, "--from", "2023-02-01", "--to", "2023-02-02")
    assert done.returncode == 3, done.stderr
    line = one_error_line(done.stderr)
    assert "holds no call volume in [2023-02-01, 2023-02-02)" in line and str(out) in line
    assert not out.exists()
    done = run_cli(*argv, "--queue", "Nobody", "--allow-empty")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("cvframe: notice: ") and out.exists()
    # With rows, no notice at all.
    done = run_cli(*argv)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_sync_of_an_empty_window_succeeds_and_says_the_snapshot_is_empty(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A quiet window is no failure for a cron job (the next run reads on from there),
    but while the snapshot holds nothing at all a notice says so."""
    path = tmp_path / "snap"
    done = run_cli("sync", str(path), "--from", "2020-01-01", "--to", "2020-01-02",
                   env=emulator.env())  # fmt: skip
    assert done.returncode == 0, done.stderr
    line = done.stderr.strip()
    assert line.startswith("cvframe: notice: the snapshot at") and "holds no" in line
    assert len(line.splitlines()) == 1
    done = run_cli("sync", str(path), *DAY, env=emulator.env())
    assert (done.returncode, done.stderr) == (0, "")


# --------------------------------------------------------------------------- settings


def test_every_missing_setting_is_named_in_one_line(tmp_path: Path) -> None:
    done = run_cli("fetch", *DAY, "-q", "-o", str(tmp_path / "x.csv"))
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    for name in ("CVFRAME_ORG_ID", "CVFRAME_HOST", "CVFRAME_ACCOUNT_ID", "CVFRAME_CLIENT_ID"):
        assert name in line, line
    assert "missing 4 settings" in line


def test_a_short_client_secret_prints_no_third_party_warning(
    emulator: Emulator, tmp_path: Path
) -> None:
    env = {**emulator.env(), "CVFRAME_CLIENT_SECRET": "short-secret"}
    done = run_cli("fetch", *DAY, "-q", "-o", str(tmp_path / "x.csv"), env=env)
    assert done.returncode == 1
    assert "InsecureKeyLengthWarning" not in done.stderr
    assert not [line for line in done.stderr.splitlines() if "Warning" in line]
    assert "HTTP 401" in one_error_line(done.stderr)
    assert "short-secret" not in done.stderr


# --------------------------------------------------------------------------- logging


@pytest.mark.parametrize(
    "flags", [["-v"], ["--log-level", "info"], ["AFTER", "-v"], ["AFTER", "--log-level", "debug"]]
)
def test_verbose_shows_the_retry_with_its_status_and_wait(
    flags: list[str], quiet_emulator: Emulator, tmp_path: Path
) -> None:
    quiet_emulator.inject(429, times=1, retry_after=0.2)
    before = [f for f in flags if f != "AFTER"] if flags[0] != "AFTER" else []
    after = flags[1:] if flags[0] == "AFTER" else []
    out = tmp_path / "x.parquet"
    done = run_cli(*before, "fetch", *DAY, "-q", "-o", str(out), *after,
                   env=quiet_emulator.env())  # fmt: skip
    assert done.returncode == 0, done.stderr
    retries = [line for line in done.stderr.splitlines() if "retry 1/" in line]
    assert len(retries) == 1, done.stderr
    assert retries[0].startswith("cvframe: info: HTTP 429")
    assert retries[0].endswith(" s") and " in 0." in retries[0]
    assert "cvframe: cvframe" not in done.stderr
    for line in done.stderr.splitlines():
        assert line.startswith(("cvframe: info: ", "cvframe: debug: ")), line


def test_without_verbose_a_retry_is_silent(quiet_emulator: Emulator, tmp_path: Path) -> None:
    quiet_emulator.inject(429, times=1, retry_after=0.2)
    done = run_cli("fetch", *DAY, "-q", "-o", str(tmp_path / "x.csv"), env=quiet_emulator.env())
    assert (done.returncode, done.stderr) == (0, "")


# --------------------------------------------------------------------------- file formats


@pytest.mark.parametrize("endpoint", ["callvolume", "agentperformance", "skillvolume"])
def test_a_fetched_csv_reads_back_into_the_frame(
    endpoint: str, emulator: Emulator, tmp_path: Path
) -> None:

    out = tmp_path / "x.csv"
    done = run_cli("fetch", "--endpoint", endpoint, *DAY, "-q", "-o", str(out),
                   env=emulator.env())  # fmt: skip
    assert done.returncode == 0, done.stderr
    raw = pd.read_csv(out)
    assert "acw_duration_ms" in raw.columns and "acw_duration" not in raw.columns
    assert pd.api.types.is_integer_dtype(raw["acw_duration_ms"])
    settings = emulator.settings()
    if endpoint == "agentperformance":
        settings.pop("org_id")
        expected = cvframe.read_agent_performance(*DAY[1::2], progress=False, **settings)
    elif endpoint == "skillvolume":
        expected = cvframe.read_skill_volume(*DAY[1::2], progress=False, **settings)
    else:
        expected = cvframe.read_callvolume(*DAY[1::2], progress=False, **settings)
    back = cvframe.read_csv(out, endpoint=endpoint)
    pd.testing.assert_frame_equal(back, expected)
    # The milliseconds are the durations' own, not rounded.
    first = expected["acw_duration"].iloc[0]
    assert raw["acw_duration_ms"].iloc[0] == first // pd.Timedelta(milliseconds=1)


def test_an_unknown_duration_is_an_empty_csv_cell_and_reads_back_as_nat(tmp_path: Path) -> None:
    import io

    from cvframe._frame import read_csv, write_csv

    df = cvframe.records_to_frame(
        [
            {"_id": "r1", "queueId": "qu-1", "queueName": "Sales", "__v": 0,
             "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
             "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
             "offeredContacts": 3, "conversationHandleTime": 68043}
        ]
    )  # fmt: skip
    buffer = io.BytesIO()
    write_csv(df, buffer)
    text = buffer.getvalue().decode()
    assert ",68043," in text or text.rstrip().endswith(",68043")
    path = tmp_path / "one.csv"
    path.write_bytes(buffer.getvalue())
    back = read_csv(path)
    assert pd.isna(back["acw_duration"].iloc[0])
    assert back["conversation_handle_time"].iloc[0] == pd.Timedelta(milliseconds=68043)


def test_a_fetched_parquet_names_each_duration_unit(emulator: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    done = run_cli("fetch", *DAY, "-q", "-o", str(out), env=emulator.env())
    assert done.returncode == 0, done.stderr
    schema = pq.read_schema(out)
    durations = [f for f in schema if str(f.type).startswith("duration")]
    assert durations
    for field in durations:
        assert field.metadata == {b"unit": b"ms", b"cvframe.duration": b"milliseconds"}
    assert schema.field("id").metadata is None
    assert str(pd.read_parquet(out)["acw_duration"].dtype) == "timedelta64[ms]"


def test_a_warning_is_one_cvframe_line(quiet_emulator: Emulator, tmp_path: Path) -> None:
    """A Python warning (here: a field the contract does not know) prints as one line
    a cron log can grep, not Python's two (file:line: Category: message, source)."""
    (first, *_) = quiet_emulator.records("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z")
    quiet_emulator.touch([first["_id"]], brandNewField=1)
    done = run_cli("fetch", *DAY, "-q", "-o", str(tmp_path / "x.csv"), env=quiet_emulator.env())
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "cvframe: warning: the API sent field(s) cvframe does not know: brandNewField; they "
        "were dropped. Upgrade cvframe if a newer release knows them (SchemaDriftWarning)"
    ]
    done = run_cli("--log-level", "error", "fetch", *DAY, "-q", "-o", str(tmp_path / "y.csv"),
                   env=quiet_emulator.env())  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")


def test_output_piped_into_a_reader_that_stops_early_is_no_error(tmp_path: Path) -> None:
    # `cvframe demo | head` printed "cvframe: error: Broken pipe; check the path and its
    # permissions": a reader that has read enough is not a failure of cvframe's.
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CVFRAME_")}
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [
            "bash",
            "-o",
            "pipefail",
            "-c",
            f"'{sys.executable}' -m cvframe demo --days 2 --output '{tmp_path}' | head -c 1",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=environ,
    )
    assert "error" not in done.stderr and "Broken pipe" not in done.stderr, done.stderr
    assert done.stdout == "d"  # the first byte of "demo data: ..."


def test_a_broken_pipe_that_is_not_stdouts_is_an_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only a closed stdout ends quietly (141): a socket's or a file's broken pipe, met
    # while stdout is fine, is reported like any other OSError.
    from cvframe._cli import _demo, _main

    def broken(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    real = _demo.add_demo_command

    def add(commands: object) -> None:
        real(commands)  # type: ignore[arg-type]
        commands.choices["demo"].set_defaults(func=broken)  # type: ignore[attr-defined]

    monkeypatch.setattr(_main, "add_demo_command", add)
    assert _main.main(["demo"]) == 1
    err = capsys.readouterr().err
    assert one_error_line(err).startswith("cvframe: error: Broken pipe")
