from __future__ import annotations

import re
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


def test_demo_prints_one_line_of_agent_occupancy_beside_the_queues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The line's figures are agent_occupancy's over the demo's first day, recomputed here."""
    assert main(["demo", "--output", str(tmp_path), "--days", "1", "--queues", "2"]) == 0
    out = capsys.readouterr().out
    match = re.search(
        r"^agents on (\d{4}-\d\d-\d\d): (\d+) logged in, occupancy (\d+)% "
        r"\(busiest half hour (\d\d:\d\d) UTC, (\d+)%\), shrinkage (\d+)%$",
        out,
        flags=re.M,
    )
    assert match, out
    day, agents, occupancy, busiest, peak, shrinkage = match.groups()
    start = pd.Timestamp(day, tz="UTC")
    end = start + pd.Timedelta(days=1)
    with Emulator(queues=2) as emu:
        settings = emu.settings()
        perf = cvframe.read_agent_performance(start, end, progress=False, **settings)
        events = cvframe.read_agent_activity(start, end, progress=False, **settings)
    states = cvframe.agent_state_intervals(events, "15min", end=end)
    occ = cvframe.agent_occupancy(perf, states, "30min")
    whole = occ["handle_time"].sum() / occ["available_time"].sum()
    assert int(occupancy) == round(100 * whole) and 0 < int(occupancy) <= 100
    top = occ.loc[occ["occupancy"].astype(float).idxmax()]
    assert (busiest, int(peak)) == (f"{top['interval_start']:%H:%M}", round(100 * top["occupancy"]))
    assert int(shrinkage) == round(100 * occ["not_ready_time"].sum() / occ["logged_in_time"].sum())
    assert int(agents) == events["agent_id"].nunique()


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert cvframe.__version__ in capsys.readouterr().out


# --------------------------------------------------------------------------- issue 10:
# an OSError is one `cvframe: error:` line, as every other error, in every subcommand.


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cvframe: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_fetch_into_a_path_below_a_regular_file_fails_with_one_line_before_reading(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    blocker = tmp_path / "report.txt"
    blocker.write_text("a file, not a folder")
    sent = len(emulator.requests)
    argv = ["fetch", "--from", "2023-01-02", "--to", "2023-01-03", "-q"]
    assert main([*argv, "-o", str(blocker / "out.parquet")]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(blocker) in line and "not a directory" in line
    assert len(emulator.requests) == sent  # refused before any request


def test_fetch_that_cannot_write_its_file_fails_with_one_line(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out.parquet"

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(out))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", refuse)
    argv = ["fetch", "--from", "2023-01-02", "--to", "2023-01-03", "-q", "-o", str(out)]
    assert main(argv) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "Permission denied" in line and str(out) in line


def test_emulator_on_a_port_in_use_fails_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    import cvframe._cli._emulator as cli

    def never_serve_forever(seconds: float) -> None:
        raise KeyboardInterrupt  # should the port be free after all, stop at once

    monkeypatch.setattr(cli.time, "sleep", never_serve_forever)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["emulator", "--port", str(port)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert f"port {port}" in line and "--port 0" in line


def test_demo_into_a_path_below_a_regular_file_fails_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["demo", "--output", str(blocker / "out"), "--days", "1", "--queues", "1"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(blocker) in line


def test_sync_and_export_share_the_one_error_handler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cvframe._cli._snapshot as cli_snapshot

    assert not hasattr(cli_snapshot, "_one_line_errors")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["export", str(tmp_path / "missing"), str(tmp_path / "out")]) == 1
    one_error_line(capsys.readouterr().err)
    assert main(["sync", str(blocker / "snap"), "--to", "2023-01-03", "--org", "o"]) == 1
    one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_emulator_with_a_port_that_is_not_one_is_bad_usage(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["emulator", "--port", port])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--port" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "error",
    [
        cvframe.ConfigurationError("no account id: pass --account or set CVFRAME_ACCOUNT_ID"),
        ValueError("start must be before end"),
        PermissionError(13, "Permission denied", "/some/where"),
        OSError("no strerror, only a message"),
    ],
    ids=["cvframe-error", "value-error", "os-error", "bare-os-error"],
)
def test_every_reported_error_is_one_line_and_exit_1(
    error: Exception, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import cvframe._cli._fetch as cli_fetch

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(cli_fetch, "read_callvolume", fail)
    # Every setting given (the CLI checks they are there before reading): the reader fails.
    for name in ("ORG_ID", "HOST", "ACCOUNT_ID", "TOKEN"):
        monkeypatch.setenv(f"CVFRAME_{name}", "given")
    assert main(["fetch", "-o", "never-written.parquet", "-q"]) == 1
    line = one_error_line(capsys.readouterr().err)
    if isinstance(error, PermissionError):
        assert line == (
            "cvframe: error: Permission denied: /some/where; check the path and its "
            "permissions, then run again"
        )
    else:
        assert line == f"cvframe: error: {error}"


def test_python_dash_m_cvframe_runs_the_command() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "cvframe", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"cvframe {cvframe.__version__}")


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_fetch_whose_write_fails_midway_leaves_the_previous_file_whole(
    suffix: str,
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    out = tmp_path / f"daily{suffix}"
    out.write_bytes(b"yesterday's file")

    def write_half_then_fail(
        self: pd.DataFrame, target: object, *args: object, **kw: object
    ) -> None:
        if isinstance(target, (str, Path)):
            Path(target).write_bytes(b"half a fi")
        else:
            target.write(b"half a fi")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    writer = "to_parquet" if suffix == ".parquet" else "to_csv"
    monkeypatch.setattr(pd.DataFrame, writer, write_half_then_fail)
    argv = ["fetch", "--from", "2023-01-02", "--to", "2023-01-03", "-q", "-o", str(out)]
    assert main(argv) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "No space left on device" in line and "not saved" in line
    assert out.read_bytes() == b"yesterday's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary file left


def test_a_fetch_replaces_the_previous_file(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "daily.csv"
    out.write_text("yesterday's file")
    argv = ["fetch", "--from", "2023-01-02", "--to", "2023-01-03", "-q", "-o", str(out)]
    assert main(argv) == 0
    day = emulator.records("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z")
    assert len(pd.read_csv(out)) == len(day)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def _run_cli_without_settings(*args: str, **env: str) -> str:
    """The one error line of ``python -m cvframe ARGS`` with only ``env``'s CVFRAME_* set."""
    import os
    import subprocess
    import sys

    root = Path(cvframe.__file__).resolve().parents[1]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CVFRAME_")}
    environ.update(env)
    environ["PYTHONPATH"] = os.pathsep.join([str(root), environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "cvframe", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environ,
    )
    assert done.returncode == 1, done.stderr
    return one_error_line(done.stderr)


#: What the library's message says that a command line cannot do: keyword arguments.
_LIBRARY_WORDS = re.compile(r"\b(org_id|host|account_id|token|client_id|client_secret)=")


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        # Several missing: each by the option that gives it, or by its variable.
        ([], {}, ["--org", "--host", "--account", "CVFRAME_TOKEN", "CVFRAME_CLIENT_ID"]),
        (["--org", "o"], {}, ["--host", "--account", "CVFRAME_TOKEN"]),
        (["--host", "h"], {"CVFRAME_TOKEN": "t"}, ["--org", "--account"]),
        (["--endpoint", "queues"], {}, ["--host", "--account", "CVFRAME_TOKEN"]),
        (
            ["--endpoint", "agentperformance"],
            {"CVFRAME_CLIENT_ID": "c"},
            ["--host", "--account", "CVFRAME_CLIENT_SECRET"],
        ),
        # One missing.
        (["--org", "o", "--account", "a"], {"CVFRAME_TOKEN": "t"}, ["--host"]),
        (["--org", "o", "--host", "h"], {"CVFRAME_TOKEN": "t"}, ["--account"]),
        (["--host", "h", "--account", "a"], {"CVFRAME_TOKEN": "t"}, ["--org", "CVFRAME_ORG_ID"]),
        (
            ["--org", "o", "--host", "h", "--account", "a"],
            {"CVFRAME_CLIENT_SECRET": "s"},
            ["CVFRAME_CLIENT_ID", "CVFRAME_TOKEN"],
        ),
    ],
)
def test_missing_settings_are_named_by_the_commands_options_and_variables(
    args: list[str], env: dict[str, str], named: list[str], tmp_path: Path
) -> None:
    window = [] if "queues" in args else ["--from", "2023-01-02", "--to", "2023-01-03"]
    line = _run_cli_without_settings("fetch", *window, *args, "-q", "-o", str(tmp_path / "x.csv"),
                                     **env)  # fmt: skip
    for name in named:
        assert name in line, line
    assert not _LIBRARY_WORDS.search(line), line
    assert not (tmp_path / "x.csv").exists()


def test_sync_names_missing_settings_by_its_options(tmp_path: Path) -> None:
    line = _run_cli_without_settings("sync", str(tmp_path / "snap"), "--from", "2023-01-02")
    assert line.startswith("cvframe: error: missing 4 settings: "), line
    for name in ("--org", "--host", "--account", "CVFRAME_TOKEN"):
        assert name in line, line
    assert not _LIBRARY_WORDS.search(line), line
