"""``cvframe fetch --endpoint`` and ``cvframe sync --endpoint`` for every endpoint."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._cli import main
from cvframe.emulator import Emulator
from tests.fakes import EditingTransport

WINDOW = ["--from", "2023-01-02", "--to", "2023-01-02T06:00:00Z"]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(days=2, queues=2) as emulator:
        yield emulator


@pytest.fixture
def env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    return emu


def expected_rows(emu: Emulator, endpoint: str) -> int:
    """The rows the endpoint's frame has for WINDOW (the directories: all of them)."""
    start, end = "2023-01-02T00:00:00Z", "2023-01-02T06:00:00Z"
    if endpoint == "callvolume":
        return len(emu.records(start, end))
    if endpoint == "skillvolume":
        return sum(len(r["skillBreakdown"]) for r in emu.records(start, end, skill_breakdown=True))
    if endpoint == "agentperformance":
        items = emu.agent_performance(start, end)
        return sum(len(i["queues"]) for item in items for i in item["intervals"])
    if endpoint == "agentactivity":
        return len(emu.agent_activity(start, end))
    return len(emu.queues() if endpoint == "queues" else emu.agents())


@pytest.mark.parametrize(
    ("endpoint", "first_column"),
    [
        ("callvolume", "id"),
        ("skillvolume", "id"),
        ("agentperformance", "agent_id"),
        ("agentactivity", "agent_id"),
        ("queues", "account_id"),
        ("agents", "account_id"),
    ],
)
def test_fetch_writes_each_endpoint(
    env: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    endpoint: str,
    first_column: str,
) -> None:
    out = tmp_path / f"{endpoint}.parquet"
    window = [] if endpoint in ("queues", "agents") else WINDOW
    assert main(["fetch", "--endpoint", endpoint, *window, "-o", str(out), "-q"]) == 0
    df = pd.read_parquet(out)
    assert df.columns[0] == first_column
    assert len(df) == expected_rows(env, endpoint) > 0
    printed = capsys.readouterr()
    assert f"wrote {len(df)} records to {out}" in printed.out
    for secret in (env.client_secret, env.client_id):
        assert secret not in printed.out + printed.err


def test_fetch_reads_activity_times_in_the_zone_given(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    utc, shifted = tmp_path / "utc.csv", tmp_path / "ny.csv"
    args = ["fetch", "--endpoint", "agentactivity", *WINDOW, "-q"]
    assert main([*args, "-o", str(utc)]) == 0
    assert main([*args, "-o", str(shifted), "--time-zone", "America/New_York"]) == 0
    # The same wall times read as New York's are five hours later in UTC: other events.
    first = pd.to_datetime(pd.read_csv(utc)["event_time"]).min()
    assert pd.to_datetime(pd.read_csv(shifted)["event_time"]).min() >= first
    assert main([*args, "-o", str(shifted), "--time-zone", "Mars/Olympus"]) == 1
    assert "Mars/Olympus" in capsys.readouterr().err


def test_fetch_reads_skill_durations_in_the_unit_given(env: Emulator, tmp_path: Path) -> None:
    """The skill breakdown is call volume's endpoint: --duration-unit applies to it too."""
    args = ["fetch", "--endpoint", "skillvolume", *WINDOW, "-q"]
    assert main([*args, "-o", str(tmp_path / "ms.parquet")]) == 0
    assert main([*args, "--duration-unit", "s", "-o", str(tmp_path / "s.parquet")]) == 0
    as_ms = pd.read_parquet(tmp_path / "ms.parquet")["conversation_handle_time"]
    as_s = pd.read_parquet(tmp_path / "s.parquet")["conversation_handle_time"]
    assert as_ms.sum() > pd.Timedelta(0)
    assert (as_s == as_ms * 1000).all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--endpoint", "queues", "--from", "2023-01-02"], "--from does not apply to"),
        (["--endpoint", "agents", "--queue", "Sales"], "--queue does not apply to"),
        (["--endpoint", "agentperformance", "--org", "o-1"], "--org does not apply to"),
        (["--endpoint", "agentperformance", "--duration-unit", "s"], "--duration-unit does not"),
        (["--endpoint", "callvolume", "--time-zone", "UTC"], "--time-zone does not apply"),
        (["--endpoint", "agentactivity", "--queue", "Sales", *WINDOW], "--queue does not"),
        (["--endpoint", "agentactivity", "--page-size", "5", *WINDOW], "--page-size does not"),
        (
            ["--endpoint", "agentactivity", "--from", "2023-01-02"],
            "--endpoint agentactivity needs --from",
        ),
    ],
)
def test_fetch_refuses_an_option_the_endpoint_does_not_take_with_one_line(
    env: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    before = len(env.requests)
    out = tmp_path / "x.parquet"
    assert main(["fetch", *argv, "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cvframe: error: {message}")
    assert len(err.strip().splitlines()) == 1
    assert len(env.requests) == before
    assert not out.exists()


def test_fetch_refuses_an_unknown_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["fetch", "--endpoint", "calls", "-o", "x.parquet"])
    assert exit_.value.code == 2
    assert "invalid choice: 'calls'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "endpoint", ["callvolume", "skillvolume", "agentperformance", "agentactivity"]
)
def test_sync_each_history_endpoint_and_again(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], endpoint: str
) -> None:
    path = tmp_path / endpoint
    args = ["sync", str(path), "--endpoint", endpoint, "--to", "2023-01-02T06:00:00Z", "--json"]
    assert main([*args, "--from", "2023-01-02"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["endpoint"], first["initial"]) == (endpoint, True)
    assert first["rows_inserted"] == expected_rows(env, endpoint)
    assert main(args) == 0
    printed = capsys.readouterr()
    second = json.loads(printed.out)
    assert (second["initial"], second["rows_inserted"], second["rows_updated"]) == (False, 0, 0)
    for secret in (env.client_secret, env.client_id):
        assert secret not in printed.out + printed.err


def test_sync_refuses_directories_and_options_that_do_not_apply(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(env.requests)
    cases = [
        (["--endpoint", "queues"], "queues is a directory, not history"),
        (["--endpoint", "agents"], "cvframe fetch --endpoint agents"),
        (["--endpoint", "agentactivity", "--queue", "Sales"], "--queue does not apply"),
        (["--endpoint", "agentperformance", "--time-zone", "UTC"], "--time-zone does not"),
        (["--endpoint", "agentperformance", "--org", "o-1"], "--org does not apply"),
    ]
    for argv, message in cases:
        assert main(["sync", str(tmp_path / "s"), *argv, "--from", "2023-01-02"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("cvframe: error: ") and message in err, err
        assert len(err.strip().splitlines()) == 1
    assert len(env.requests) == before
    assert not (tmp_path / "s").exists()


def test_sync_into_a_path_of_another_endpoint_fails_with_one_line(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "perf")
    window = ["--from", "2023-01-02", "--to", "2023-01-02T02:00:00Z"]
    assert main(["sync", path, "--endpoint", "agentperformance", *window]) == 0
    capsys.readouterr()
    assert main(["sync", path, *window]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cvframe: error: ")
    assert "holds agentperformance rows, not callvolume" in err
    assert len(err.strip().splitlines()) == 1


def test_export_reads_call_volume_only(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "perf")
    window = ["--from", "2023-01-02", "--to", "2023-01-02T02:00:00Z"]
    assert main(["sync", path, "--endpoint", "agentperformance", *window]) == 0
    capsys.readouterr()
    assert main(["export", path, str(tmp_path / "out"), "--target", "generic"]) == 1
    assert "holds agentperformance rows, not callvolume" in capsys.readouterr().err


def test_help_says_what_each_endpoint_is(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("fetch", "sync"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        # argparse wraps lines, breaking words at hyphens too.
        text = re.sub(r"-\s+", "-", " ".join(capsys.readouterr().out.split()))
        for endpoint, words in [
            ("callvolume", "per-queue contacts"),
            ("skillvolume", "call volume per skill"),
            ("agentperformance", "each agent's contacts and handle times"),
            ("agentactivity", "agents' state changes"),
            ("queues", "the queue directory"),
            ("agents", "the agent directory"),
        ]:
            assert f"{endpoint}: {words}" in text, (command, endpoint)
        assert "skill sums can exceed the queue's totals" in text
        assert "--time-zone" in text


def test_sync_prunes_agent_activity_only_with_prune(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A stored event the API no longer sends: a ghost added to the first sync's answer.
    ghost = {"AgentId": "a-ghost", "EventTime": "01/02/2023 5:00:00", "Activity": "available"}

    def with_ghost(body: dict[str, Any]) -> dict[str, Any]:
        body["AgentUpdates"] = [*body["AgentUpdates"], ghost]
        return body

    path = tmp_path / "activity"
    transport = EditingTransport(with_ghost)
    try:
        cvframe.sync(path, start="2023-01-02", end="2023-01-02T06:00:00Z",
                     endpoint="agentactivity", transport=transport, **env.settings())  # fmt: skip
    finally:
        transport.close()
    stored = len(cvframe.read_snapshot(path))
    args = ["sync", str(path), "--endpoint", "agentactivity", "--to", "2023-01-02T06:00:00Z"]
    args += ["--lookback", "1D", "--json"]
    # Its answers carry no count: by default (and with --no-prune) nothing is removed.
    for extra in ([], ["--no-prune"]):
        assert main([*args, *extra]) == 0
        assert json.loads(capsys.readouterr().out)["rows_removed"] == 0
        assert len(cvframe.read_snapshot(path)) == stored
    assert main([*args, "--prune"]) == 0
    assert json.loads(capsys.readouterr().out)["rows_removed"] == 1
    assert "a-ghost" not in set(cvframe.read_snapshot(path)["agent_id"])
    with pytest.raises(SystemExit):
        main([*args, "--prune", "--no-prune"])
    assert "not allowed with argument" in capsys.readouterr().err
