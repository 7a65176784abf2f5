"""A setting the library refuses is told in the command's words: its option or variable.

``python -m cvframe`` runs in a clean environment (no ``CVFRAME_*`` but those a test
sets). Every refused value gives one ``cvframe: error:`` line and exit status 1 (a bad
option value that argparse checks: exit 2), names the option or the variable the value
came from and what to do, never a keyword argument (``host=...``: no command line can
pass one), and never shows a secret, not even a part of it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import cvframe
from cvframe.emulator import Emulator

from .test_footguns import run_cli

#: Settings that are fine, on loopback: a test replaces the one it is about.
GOOD = {
    "CVFRAME_HOST": "127.0.0.1:9",
    "CVFRAME_ACCOUNT_ID": "acct-1",
    "CVFRAME_ORG_ID": "org-1",
    "CVFRAME_TOKEN": "goodtoken",
}
#: A value's two halves: neither may be printed when the value is refused.
HEAD, TAIL = "SECRETHEAD", "SECRETTAIL"

#: The library's words that a command line cannot use: keyword arguments.
LIBRARY_WORDS = re.compile(
    r"\b(org_id|host|account_id|token|client_id|client_secret|instance_id|"
    r"requests_per_minute|lock_timeout|page_size|allow_insecure_http)\s*=|\bargument \w+="
)

#: Setting -> the option that gives it (None: the environment only) and its variable.
OPTIONS = {
    "host": ("--host", "CVFRAME_HOST"),
    "account_id": ("--account", "CVFRAME_ACCOUNT_ID"),
    "org_id": ("--org", "CVFRAME_ORG_ID"),
    "instance_id": ("--instance-id", "CVFRAME_INSTANCE_ID"),
    "token": (None, "CVFRAME_TOKEN"),
    "client_id": (None, "CVFRAME_CLIENT_ID"),
    "client_secret": (None, "CVFRAME_CLIENT_SECRET"),
}


def error_line(done: subprocess.CompletedProcess[str], status: int = 1) -> str:
    """The one ``cvframe: error:`` line of a run that exited with ``status``."""
    assert done.returncode == status, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("cvframe: error: "), done.stderr
    assert not LIBRARY_WORDS.search(lines[0]), lines[0]
    return lines[0]


def fetch(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    window = ["--from", "2023-01-02", "--to", "2023-01-03"]
    out = ["-q", "-o", str(tmp_path / "x.csv")]
    done = run_cli("fetch", *window, *out, *args, env=env)
    assert not (tmp_path / "x.csv").exists()
    return done


def given(setting: str, value: str, *, by_option: bool) -> tuple[list[str], dict[str, str]]:
    """The arguments and environment that give ``setting`` the ``value``."""
    option, variable = OPTIONS[setting]
    env = dict(GOOD)
    if setting in ("client_id", "client_secret"):
        del env["CVFRAME_TOKEN"]
        env.update({"CVFRAME_CLIENT_ID": "cid", "CVFRAME_CLIENT_SECRET": "csecret"})
    if by_option:
        assert option is not None
        return [option, value], env
    env[variable] = value
    return [], env


def where(setting: str, *, by_option: bool) -> str:
    option, variable = OPTIONS[setting]
    return option if by_option and option is not None else variable


_SOURCES = [
    (setting, by_option)
    for setting, (option, _) in OPTIONS.items()
    for by_option in ((True, False) if option is not None else (False,))
]


@pytest.mark.parametrize("char", ["\x01", "\n"], ids=["U+0001", "newline"])
@pytest.mark.parametrize(("setting", "by_option"), _SOURCES)
def test_a_control_character_in_any_setting_names_where_it_was_set(
    setting: str, by_option: bool, char: str, tmp_path: Path
) -> None:
    args, env = given(setting, f"{HEAD}{char}{TAIL}", by_option=by_option)
    line = error_line(fetch(tmp_path, *args, env=env))
    named = where(setting, by_option=by_option)
    assert f"{named} holds a control character" in line, line
    assert f"U+{ord(char):04X}" in line and "position 11" in line, line
    assert "Remove it" in line, line
    assert HEAD not in line and TAIL not in line, line
    if by_option:  # the option's value is refused, not the variable's
        assert OPTIONS[setting][1] not in line, line


@pytest.mark.parametrize(
    ("setting", "by_option"),
    [("token", False), ("instance_id", True), ("instance_id", False)],
)
def test_a_header_setting_that_is_not_ascii_names_where_it_was_set(
    setting: str, by_option: bool, tmp_path: Path
) -> None:
    args, env = given(setting, f"{HEAD}\u00e9{TAIL}", by_option=by_option)
    line = error_line(fetch(tmp_path, *args, env=env))
    named = where(setting, by_option=by_option)
    assert f"{named} holds a character that is not ASCII" in line, line
    assert HEAD not in line and TAIL not in line, line


def test_sync_tells_a_refused_setting_by_its_variable_too(tmp_path: Path) -> None:
    env = {**GOOD, "CVFRAME_TOKEN": f"{HEAD}\r{TAIL}"}
    done = run_cli("sync", str(tmp_path / "snap"), "--from", "2023-01-02", env=env)
    line = error_line(done)
    assert "CVFRAME_TOKEN holds a control character" in line and "U+000D" in line, line
    assert HEAD not in line and TAIL not in line, line


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("not a host", "is not a host name"),
        ("https://exa mple.com/x", "is not a host name"),
        ("http://", "is not a host name"),
        ("ftp://example.com", "is not a host name"),
        ("/just/a/path", "is not a host name"),
        # A bracket that opens no IPv6 address, or one around something else: urlsplit's
        # own ValueError ("Invalid IPv6 URL") named no setting.
        ("[::1", "is not a host name"),
        ("https://[::1/x", "is not a host name"),
        ("https://[zz]", "is not a host name"),
        ("example.com:99999", "port"),
        ("example.com:abc", "port"),
        ("example.com:0", "port"),
        ("https://example.com/?q=1", "must not carry credentials, a query or a fragment"),
        ("http://example.com", "plain http://"),
    ],
)
@pytest.mark.parametrize("by_option", [True, False], ids=["option", "variable"])
def test_a_value_that_is_not_a_host_names_where_it_was_set(
    host: str, says: str, by_option: bool, tmp_path: Path
) -> None:
    args, env = given("host", host, by_option=by_option)
    line = error_line(fetch(tmp_path, *args, env=env))
    named = where("host", by_option=by_option)
    assert line.startswith(f"cvframe: error: {named} "), line
    assert says in line, line
    assert "the request to" not in line, line  # refused before any request
    if by_option:
        assert "CVFRAME_HOST" not in line, line


@pytest.mark.parametrize("by_option", [True, False], ids=["option", "variable"])
def test_a_host_with_a_password_never_shows_it(by_option: bool, tmp_path: Path) -> None:
    args, env = given("host", f"https://user:{HEAD}@example.com", by_option=by_option)
    line = error_line(fetch(tmp_path, *args, env=env))
    assert line.startswith(f"cvframe: error: {where('host', by_option=by_option)} "), line
    assert "must not carry credentials" in line, line
    assert HEAD not in line and "user" not in line, line


@pytest.mark.parametrize("by_option", [True, False], ids=["option", "variable"])
def test_a_malformed_host_with_a_password_never_shows_it(by_option: bool, tmp_path: Path) -> None:
    args, env = given("host", f"https://user:{HEAD}@[{TAIL}", by_option=by_option)
    line = error_line(fetch(tmp_path, *args, env=env))
    assert line.startswith(f"cvframe: error: {where('host', by_option=by_option)} "), line
    assert "is not a host name" in line, line
    assert HEAD not in line and "user" not in line, line


@pytest.mark.parametrize("host", ["[::1", "https://[zz]", "https://u:pw@[zz]"])
def test_the_library_refuses_a_malformed_host_naming_its_keyword_argument(host: str) -> None:
    """For Python users the message keeps the library's words: host= or CVFRAME_HOST."""
    with pytest.raises(cvframe.ConfigurationError) as info:
        cvframe.CallVolumeClient(host=host, account_id="a", token="t")
    message = str(info.value)
    assert "is not a host name" in message and "host='platform.kore.ai'" in message, message
    assert "pw" not in message, message


@pytest.mark.parametrize(
    ("account", "by_option"), [("acct 1", True), ("acct/1", False), ("a?b", True)]
)
def test_a_value_that_is_not_an_account_id_names_where_it_was_set(
    account: str, by_option: bool, tmp_path: Path
) -> None:
    args, env = given("account_id", account, by_option=by_option)
    line = error_line(fetch(tmp_path, *args, env=env))
    named = where("account_id", by_option=by_option)
    assert line.startswith(f"cvframe: error: {named} {account!r} is not an account id"), line
    assert "Kore.ai app settings" in line, line


# Siblings: the options with a number the library checks are checked by the command's
# parser, as --page-size is (bad usage, exit 2), in its words.


def usage_error(done: subprocess.CompletedProcess[str], option: str) -> str:
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert re.match(rf"cvframe \w+: error: argument {option}: ", last), done.stderr
    assert "Traceback" not in done.stderr
    assert not LIBRARY_WORDS.search(done.stderr), done.stderr
    return last


@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf"])
def test_requests_per_minute_that_is_not_a_positive_number_is_bad_usage(
    value: str, tmp_path: Path
) -> None:
    done = fetch(tmp_path, "--requests-per-minute", value, env=GOOD)
    line = usage_error(done, "--requests-per-minute")
    assert "a number > 0" in line and repr(value) in line, line


def test_sync_requests_per_minute_too(tmp_path: Path) -> None:
    args = ["--from", "2023-01-02", "--requests-per-minute", "0"]
    done = run_cli("sync", str(tmp_path / "snap"), *args, env=GOOD)
    usage_error(done, "--requests-per-minute")


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_a_lock_timeout_that_is_not_a_number_of_seconds_is_bad_usage(
    value: str, tmp_path: Path
) -> None:
    args = ["--from", "2023-01-02", "--lock-timeout", value]
    done = run_cli("sync", str(tmp_path / "snap"), *args, env=GOOD)
    line = usage_error(done, "--lock-timeout")
    assert "seconds" in line and repr(value) in line, line
    assert not (tmp_path / "snap").exists()


def test_page_size_auto_for_the_agents_directory_is_refused_by_the_option(
    tmp_path: Path,
) -> None:
    done = run_cli(
        "fetch", "--endpoint", "agents", "--page-size", "auto", "-o", str(tmp_path / "a.csv"),
        env=GOOD,
    )  # fmt: skip
    line = error_line(done, status=2)
    assert "--page-size auto" in line and "--endpoint agents" in line, line
    assert "--page-size 100" in line or "number" in line, line


# Siblings: the window and the other options the library reads are refused in the
# option's words too (``--from 'x' is not a time``, not ``start='x'``), exit 1.

_SNAKE_WORDS = re.compile(r"\b(start|end|time_zone|lookback|sl_threshold)\b(?!-)")


def option_error(done: subprocess.CompletedProcess[str], option: str) -> str:
    line = error_line(done)
    assert option in line, line
    assert not _SNAKE_WORDS.search(line.replace(option, "")), line
    return line


@pytest.mark.parametrize(
    ("window", "option", "says"),
    [
        (["--from", "yesterday-ish"], "--from", "is not a time"),
        (["--from", "2023-01-02", "--to", "soon"], "--to", "is not a time"),
        (["--from", "2023-01-03", "--to", "2023-01-02"], "--to", "must be after --from"),
        (["--from", "2999-01-01"], "--from", "must be before now"),
    ],
)
@pytest.mark.parametrize("command", ["fetch", "sync"])
def test_a_window_option_the_library_refuses_is_named_by_its_option(
    command: str, window: list[str], option: str, says: str, tmp_path: Path
) -> None:
    if command == "fetch":
        done = run_cli("fetch", *window, "-q", "-o", str(tmp_path / "x.csv"), env=GOOD)
    else:
        done = run_cli("sync", str(tmp_path / "snap"), *window, env=GOOD)
    line = option_error(done, option)
    assert says in line, line
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "snap").exists()


def test_export_names_its_window_options_too(tmp_path: Path) -> None:
    args = ["--from", "2023-01-03", "--to", "2023-01-02"]
    done = run_cli("export", str(tmp_path / "snap"), str(tmp_path / "out"), *args, env={})
    line = option_error(done, "--to")
    assert "must be after --from" in line, line


@pytest.mark.parametrize("command", ["fetch", "sync"])
def test_a_time_zone_that_is_not_one_is_named_by_its_option(command: str, tmp_path: Path) -> None:
    window = ["--from", "2023-01-02", "--to", "2023-01-03"]
    zone = ["--endpoint", "agentactivity", "--time-zone", "Mars/Base"]
    if command == "fetch":
        done = run_cli("fetch", *window, *zone, "-q", "-o", str(tmp_path / "x.csv"), env=GOOD)
    else:
        done = run_cli("sync", str(tmp_path / "snap"), *window, *zone, env=GOOD)
    line = option_error(done, "--time-zone")
    assert "'Mars/Base' is not an IANA time zone" in line, line


@pytest.mark.parametrize(("value", "says"), [("abc", "is not a duration"), ("2", "no unit")])
def test_a_lookback_that_is_not_a_duration_is_named_by_its_option(
    value: str, says: str, tmp_path: Path
) -> None:
    args = ["--from", "2023-01-02", "--lookback", value]
    line = option_error(run_cli("sync", str(tmp_path / "snap"), *args, env=GOOD), "--lookback")
    assert says in line, line
    assert not (tmp_path / "snap").exists()


def test_an_sl_threshold_that_is_not_a_duration_is_named_by_its_option(tmp_path: Path) -> None:
    args = ["--sl-threshold", "20"]
    done = run_cli("export", str(tmp_path / "snap"), str(tmp_path / "out"), *args, env={})
    line = option_error(done, "--sl-threshold")
    assert "no unit" in line and "'20s'" in line, line


def test_the_first_sync_of_agent_activity_asks_for_from(tmp_path: Path) -> None:
    done = run_cli("sync", str(tmp_path / "snap"), "--endpoint", "agentactivity", env=GOOD)
    line = option_error(done, "--from")
    assert "first sync of agentactivity needs --from" in line, line
    assert not (tmp_path / "snap").exists()


def test_an_activity_sync_with_no_stored_event_before_to_asks_for_from(tmp_path: Path) -> None:
    # A snapshot with a day of events, none of them before --to: not a first sync,
    # and told in the command's words (it said start=).
    with Emulator(days=1, queues=1) as emu:
        cvframe.sync(tmp_path / "snap", start="2023-01-02", end="2023-01-03",
                     endpoint="agentactivity", **emu.settings())  # fmt: skip
    args = ["--endpoint", "agentactivity", "--to", "2023-01-02"]
    line = option_error(run_cli("sync", str(tmp_path / "snap"), *args, env=GOOD), "--from")
    assert "holds no agentactivity event before --to" in line, line
    assert "first sync" not in line, line


@pytest.mark.parametrize(
    ("command", "positional", "says"),
    [
        (["sync", "s3://", "--from", "2023-01-02"], "PATH", "'s3://' names no bucket"),
        (["sync", "ftp://h/x", "--from", "2023-01-02"], "PATH", "'ftp://h/x' has the URL scheme"),
        (["sync", "ftp://h/x", "--endpoint", "agentactivity"], "PATH", "'ftp://h/x' has the URL"),
        (["export", "s3://", "out.csv"], "SNAPSHOT", "'s3://' names no bucket"),
        (["export", "file://h/x", "out.csv"], "SNAPSHOT", "'file://h/x' names a host"),
    ],
)
def test_a_snapshot_location_refused_is_named_by_its_positional(
    command: list[str], positional: str, says: str, tmp_path: Path
) -> None:
    # The library names its argument path=; the command's word is its metavar (it said
    # "path: 's3://' names no bucket").
    line = error_line(run_cli(*command, env=GOOD, cwd=tmp_path))
    assert line.startswith(f"cvframe: error: {positional} {says}"), line
    assert "path:" not in line, line
    assert not (tmp_path / "out.csv").exists()


# Siblings in the library's other words: a held lock said "raise lock_timeout", the
# emulator's checks "requests_per_minute must be > 0", "queues must be >= 1 and days >= 0",
# "date 'xT00:00:00Z' is not an ISO 8601 timestamp", and the demo's "days and queues must
# be >= 1". Each is told by the command's option.


def test_a_held_lock_asks_for_a_larger_lock_timeout(tmp_path: Path) -> None:
    from cvframe._store._lock import DatasetLock

    snap = tmp_path / "snap"
    snap.mkdir()
    args = ["--from", "2023-01-02", "--to", "2023-01-03", "--lock-timeout", "0"]
    with DatasetLock(snap, timeout=0):  # another sync holds it, in this process
        done = run_cli("sync", str(snap), *args, env=GOOD)
    line = error_line(done)
    assert f"holds the lock on {snap}" in line and "within 0 s" in line, line
    assert "try again later or pass a larger --lock-timeout" in line, line
    assert "lock_timeout" not in line.replace("--lock-timeout", ""), line


def test_a_held_lease_on_object_storage_asks_for_a_larger_lock_timeout(
    s3_url: str, s3_options: dict[str, object]
) -> None:
    """The S3 lease's message ends as the lock's did ("raise lock_timeout"): told too."""
    from cvframe._store._lease import ObjectLease
    from cvframe._store._location import snapshot_location

    lease = ObjectLease(snapshot_location(s3_url, s3_options), ttl=30, timeout=0)
    storage = f"--endpoint-url={s3_options['endpoint_url']}"
    args = ["--from", "2023-01-02", "--to", "2023-01-03", "--lock-timeout", "0", storage]
    with lease:  # another sync holds it; the command's AWS_* variables are the server's
        done = run_cli("sync", s3_url, *args, env=GOOD)
    line = error_line(done)
    assert f"holds the lock on {s3_url}" in line and "within 0 s" in line, line
    assert "try again later or pass a larger --lock-timeout" in line, line
    assert "lock_timeout" not in line.replace("--lock-timeout", ""), line


def run_emulator(*args: str) -> subprocess.CompletedProcess[str]:
    """``cvframe emulator --port 0 ARGS``, which must be refused before it serves."""
    return run_cli("emulator", "--port", "0", *args, env={})


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--requests-per-minute", "0", "a number > 0"),
        ("--requests-per-minute", "nan", "a number > 0"),
        ("--queues", "0", "a whole number >= 1"),
        ("--days", "-1", "a whole number >= 0"),
        ("--latency", "-1", "number of seconds >= 0"),
        ("--latency", "inf", "number of seconds >= 0"),
        ("--start", "notaday", "an ISO 8601 date"),
    ],
)
def test_an_emulator_option_the_emulator_refuses_is_bad_usage(
    option: str, value: str, says: str
) -> None:
    done = run_emulator(option, value)
    line = usage_error(done, option)
    assert says in line and repr(value) in line, line
    assert "T00:00:00Z" not in line and "_" not in line.split(":", 2)[-1], line


@pytest.mark.parametrize(
    ("option", "value"), [("--days", "0"), ("--queues", "0"), ("--days", "-2")]
)
def test_a_demo_of_no_days_or_queues_is_bad_usage(option: str, value: str, tmp_path: Path) -> None:
    done = run_cli("demo", "--output", str(tmp_path / "demo"), option, value, env={})
    line = usage_error(done, option)
    assert "a whole number >= 1" in line and repr(value) in line, line
    assert not (tmp_path / "demo").exists()


def test_the_region_storage_option_of_the_help_reaches_the_s3_client(
    emulator: Emulator, s3_url: str, s3_options: dict[str, object]
) -> None:
    """``--storage-option region_name=...``, the help's example, is s3fs' client_kwargs.

    Given to s3fs as it came, every sync failed: "could not take the lease ...:
    TypeError: AioSession.__init__() got an unexpected keyword argument 'region_name'".
    """
    args = ["--from", "2023-01-02", "--to", "2023-01-03", "--json", "--lock-timeout", "0"]
    storage = [f"--endpoint-url={s3_options['endpoint_url']}", "--storage-option"]
    done = run_cli("sync", s3_url, *args, *storage, "region_name=us-east-1", env=emulator.env())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows_fetched"] == len(
        emulator.records("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z")
    )


@pytest.mark.parametrize("value", ["fax", "Fax"])
def test_a_media_type_genesys_does_not_take_is_named_by_its_option(
    value: str, fresh_emulator: Emulator, tmp_path: Path
) -> None:
    snap, out = tmp_path / "snap", tmp_path / "out"
    cvframe.sync(snap, org_id=fresh_emulator.org_id, start="2023-01-02", end="2023-01-03",
                 progress=False, **fresh_emulator.client_settings())  # fmt: skip
    done = run_cli("export", str(snap), str(out), "--media-type", value, env={})
    line = error_line(done)
    assert line.startswith(f"cvframe: error: --media-type {value.lower()!r} is not a Genesys"), line
    assert "use one of voice, chat" in line and "media_type" not in line, line
    assert not out.exists()


@pytest.mark.parametrize(
    ("command", "storage"),
    [
        ("sync", ["--storage-option", "anon=true"]),
        ("sync", ["--endpoint-url", "http://127.0.0.1:9"]),
        ("export", ["--storage-option", "anon=true"]),
        ("export", ["--endpoint-url", "http://127.0.0.1:9"]),
    ],
)
def test_storage_options_for_a_local_snapshot_are_named_by_their_options(
    command: str, storage: list[str], tmp_path: Path
) -> None:
    snap = tmp_path / "snap"
    if command == "sync":
        args = ["sync", str(snap), "--from", "2023-01-02", "--to", "2023-01-03"]
    else:
        snap.mkdir()
        args = ["export", str(snap), str(tmp_path / "out")]
    line = error_line(run_cli(*args, *storage, env=GOOD))
    assert line.startswith("cvframe: error: --storage-option and --endpoint-url only apply"), line
    assert f"not to the local path {str(snap)!r}" in line and "leave them out" in line, line
    assert "storage_options" not in line.replace(str(snap), ""), line  # tmp_path names the test
