from __future__ import annotations

import logging

import pytest

import cvframe
from cvframe._api._auth import Credentials
from cvframe._api._settings import ENV_VARS, Secret, Settings, resolve_org_id
from cvframe._endpoints import CALLVOLUME
from cvframe.emulator import Emulator
from tests.fakes import CLIENT_SECRET, FakeClock, FakeTransport, answer


def test_env_fallback_fills_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CVFRAME_HOST", "platform.kore.ai")
    monkeypatch.setenv("CVFRAME_ACCOUNT_ID", "636f5b36bcf8a8c7101e0000")
    monkeypatch.setenv("CVFRAME_CLIENT_ID", "cs-abc")
    monkeypatch.setenv("CVFRAME_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("CVFRAME_INSTANCE_ID", "st-1")
    s = Settings.resolve()
    assert s.base_url == "https://platform.kore.ai"
    assert s.url_for(CALLVOLUME) == (
        "https://platform.kore.ai/agentassist/api/public/analytics/account/"
        "636f5b36bcf8a8c7101e0000/callvolume"
    )
    assert (s.client_id, s.instance_id) == ("cs-abc", "st-1")
    assert s.client_secret is not None and s.client_secret.reveal() == CLIENT_SECRET


def test_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CVFRAME_HOST", "env.example.com")
    s = Settings.resolve("arg.example.com", "acc", token="t")
    assert s.base_url == "https://arg.example.com"


@pytest.mark.parametrize("missing", ["host", "account_id"])
def test_missing_setting_names_argument_and_variable(missing: str) -> None:
    given = {"host": "platform.kore.ai", "account_id": "acc", "token": "t"}
    del given[missing]
    with pytest.raises(cvframe.ConfigurationError) as info:
        Settings.resolve(**given)
    assert isinstance(info.value, ValueError)
    assert f"{missing}=" in str(info.value)
    assert ENV_VARS[missing] in str(info.value)


def test_missing_credentials_name_both_ways_to_give_them() -> None:
    with pytest.raises(cvframe.ConfigurationError, match="CVFRAME_TOKEN") as info:
        Settings.resolve("platform.kore.ai", "acc", client_id="cs-1")
    assert "CVFRAME_CLIENT_SECRET" in str(info.value)


def test_missing_org_id_names_the_variable() -> None:
    with pytest.raises(ValueError, match="CVFRAME_ORG_ID"):
        cvframe.read_callvolume(
            "2023-01-01", "2023-01-02", host="h.example", account_id="a", token="t"
        )


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("platform.kore.ai", "https://platform.kore.ai"),
        ("https://platform.kore.ai/", "https://platform.kore.ai"),
        ("https://eu.example.com:8443/prefix/", "https://eu.example.com:8443/prefix"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("http://localhost:9000", "http://localhost:9000"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_host_becomes_base_url(host: str, expected: str) -> None:
    assert Settings.resolve(host, "acc", token="t").base_url == expected


def test_plain_http_refused_off_loopback_unless_allowed() -> None:
    with pytest.raises(cvframe.ConfigurationError, match="allow_insecure_http"):
        Settings.resolve("http://platform.kore.ai", "acc", token="t")
    s = Settings.resolve("http://platform.kore.ai", "acc", token="t", allow_insecure_http=True)
    assert s.base_url == "http://platform.kore.ai"


@pytest.mark.parametrize("host", ["ftp://x.example", "https://user:pw@x.example", "  "])
def test_malformed_host_is_a_configuration_error(host: str) -> None:
    with pytest.raises(cvframe.ConfigurationError):
        Settings.resolve(host, "acc", token="t")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requests_per_minute": 0},
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"timeout": 0},
        # Each of these escaped as a raw OverflowError or TypeError, or was taken.
        {"requests_per_minute": float("inf")},
        {"requests_per_minute": float("nan")},
        {"max_retries": float("inf")},
        {"max_retries": float("nan")},
        {"max_retries": True},
        {"timeout": float("inf")},
        {"timeout": "30"},
    ],
)
def test_bad_numbers_are_value_errors(kwargs: dict) -> None:
    (name,) = kwargs
    with pytest.raises(ValueError, match=name):
        cvframe.CallVolumeClient("platform.kore.ai", "acc", token="t", **kwargs)


def test_secrets_stay_out_of_reprs() -> None:
    s = Settings.resolve(
        "platform.kore.ai", "acc", client_id="cs-1", client_secret=CLIENT_SECRET, token="tok-XYZ"
    )
    for text in (repr(s), str(s), f"{s.token}", repr(s.client_secret)):
        assert CLIENT_SECRET not in text
        assert "tok-XYZ" not in text
    assert repr(Secret("x")) == "Secret('**********')"


# --------------------------------------------------------------------------- issue 10


SETTING_VALUES = {
    "host": "platform.kore.ai",
    "account_id": "636f5b36bcf8a8c7101e0000",
    "token": "eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNzLTEifQ.c2lnbmF0dXJl",
    "instance_id": "st-1234",
}


@pytest.mark.parametrize("padding", ["\n", "\r\n", " ", "\t", " \r\n"])
def test_every_setting_is_stripped_of_surrounding_whitespace(
    monkeypatch: pytest.MonkeyPatch, padding: str
) -> None:
    for name, value in SETTING_VALUES.items():
        monkeypatch.setenv(ENV_VARS[name], value + padding)
    monkeypatch.setenv("CVFRAME_ORG_ID", "o-1" + padding)
    s = Settings.resolve()
    assert s.base_url == "https://platform.kore.ai"
    assert s.account_id == SETTING_VALUES["account_id"]
    assert s.token is not None and s.token.reveal() == SETTING_VALUES["token"]
    assert s.instance_id == SETTING_VALUES["instance_id"]
    assert resolve_org_id(None) == "o-1"
    assert resolve_org_id(" o-2\r\n") == "o-2"
    monkeypatch.delenv("CVFRAME_TOKEN")
    by_argument = Settings.resolve(
        " platform.kore.ai\n", "acc\n", client_id="cs-1\r", client_secret=CLIENT_SECRET + "\r\n"
    )
    assert by_argument.client_id == "cs-1"
    assert by_argument.client_secret == Secret(CLIENT_SECRET)


def test_org_id_with_a_trailing_newline_reads_the_records(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CVFRAME_ORG_ID", emulator.org_id + "\n")
    df = cvframe.read_callvolume(
        "2023-01-02", "2023-01-03", progress=False, **emulator.client_settings()
    )
    assert len(df) == len(emulator.records("2023-01-02T00:00:00Z", "2023-01-03T00:00:00Z")) > 0


@pytest.mark.parametrize(
    "name", ["host", "account_id", "token", "client_id", "client_secret", "instance_id", "org_id"]
)
@pytest.mark.parametrize("bad", ["\x00", "\r", "\n", "\x1b", "\x7f", "\u2028", "\ud800"])
def test_a_setting_with_a_control_character_inside_is_refused_without_echoing_it(
    name: str, bad: str
) -> None:
    value = f"SECRETHEAD{bad}SECRETTAIL"
    given: dict[str, str] = {
        "host": "platform.kore.ai",
        "account_id": "acc",
        "client_id": "cs-1",
        "client_secret": CLIENT_SECRET,
    }
    with pytest.raises(cvframe.ConfigurationError) as info:
        if name == "org_id":
            resolve_org_id(value)
        else:
            Settings.resolve(**{**given, name: value})
    message = str(info.value)
    assert name in message and ENV_VARS[name] in message
    assert "SECRETHEAD" not in message and "SECRETTAIL" not in message
    # The environment variable is checked the same way.
    env = {ENV_VARS[name]: value}
    with pytest.raises(cvframe.ConfigurationError) as info:
        if name == "org_id":
            resolve_org_id(None, env=env)
        else:
            Settings.resolve(**{k: v for k, v in given.items() if k != name}, env=env)
    assert "SECRETHEAD" not in str(info.value) and ENV_VARS[name] in str(info.value)


@pytest.mark.parametrize("name", ["token", "instance_id"])
def test_a_header_setting_that_is_not_ascii_is_refused(name: str) -> None:
    with pytest.raises(cvframe.ConfigurationError, match=ENV_VARS[name]) as info:
        Settings.resolve("platform.kore.ai", "acc", **{"token": "t", name: "tökén-SECRET"})
    assert "SECRET" not in str(info.value)


@pytest.mark.parametrize("blank", ["", "  ", "\r\n"])
def test_a_blank_setting_counts_as_missing(blank: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(cvframe.ConfigurationError, match="missing setting 'account_id'"):
        Settings.resolve("platform.kore.ai", blank, token="t")
    monkeypatch.setenv("CVFRAME_TOKEN", blank)
    with pytest.raises(cvframe.ConfigurationError, match="missing credentials"):
        Settings.resolve("platform.kore.ai", "acc")
    with pytest.raises(cvframe.ConfigurationError, match="CVFRAME_ORG_ID"):
        resolve_org_id(blank)


def test_a_host_with_credentials_in_it_is_refused_without_echoing_them() -> None:
    for host in ("ftp://user:hunter2-pw@x.example", "https://user:hunter2-pw@x.example"):
        with pytest.raises(cvframe.ConfigurationError) as info:
            Settings.resolve(host, "acc", token="t")
        assert "hunter2-pw" not in str(info.value)


def test_token_wins_over_client_credentials_and_says_so_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = SETTING_VALUES["token"]
    caplog.set_level(logging.INFO, logger="cvframe")
    s = Settings.resolve(
        "platform.kore.ai", "acc", token=token, client_id="cs-1", client_secret=CLIENT_SECRET
    )
    assert s.token == Secret(token)
    # The client id and secret are dropped, so nothing can sign a JWT behind the token.
    assert (s.client_id, s.client_secret) == (None, None)
    assert Credentials(s).headers()["auth"] == token
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 1
    assert "token" in infos[0] and "client_id" in infos[0] and "ignored" in infos[0]
    assert token not in caplog.text and CLIENT_SECRET not in caplog.text


def test_a_given_token_is_never_swapped_for_a_self_made_jwt_on_401() -> None:
    fake = FakeTransport([answer(401, {"message": "no"})] * 2)
    client = cvframe.CallVolumeClient(
        "api.example.test", "acc-1", token="tok-given", client_id="cs-1",
        client_secret=CLIENT_SECRET, transport=fake, clock=FakeClock(),
    )  # fmt: skip
    with pytest.raises(cvframe.AuthenticationError):
        list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))
    assert [request.headers["auth"] for request in fake.requests] == ["tok-given"]


def test_only_the_client_credentials_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cvframe")
    Settings.resolve("platform.kore.ai", "acc", client_id="cs-1", client_secret=CLIENT_SECRET)
    Settings.resolve("platform.kore.ai", "acc", token="t")
    assert caplog.records == []


def test_the_client_takes_the_connection_settings_as_settings_resolve_defines_them() -> None:
    # The client passes them on by name: the two signatures must not drift apart.
    import inspect

    from cvframe._api._settings import SETTINGS_ARGUMENTS

    client = inspect.signature(cvframe.CallVolumeClient).parameters
    resolve = inspect.signature(Settings.resolve).parameters
    assert tuple(name for name in resolve if name != "env") == SETTINGS_ARGUMENTS
    for name in SETTINGS_ARGUMENTS:
        ours, theirs = client[name], resolve[name]
        assert (ours.kind, ours.default, ours.annotation) == (
            theirs.kind,
            theirs.default,
            theirs.annotation,
        ), name
    assert cvframe.CallVolumeClient.__doc__ is not None
    documented = cvframe.CallVolumeClient.__doc__
    assert all(name in documented for name in client)


# --------------------------------------------------------------------------- issue 15:
# every missing setting in one message, not one per run.


def test_every_missing_setting_is_named_in_one_error() -> None:
    with pytest.raises(cvframe.ConfigurationError) as info:
        Settings.resolve(env={})
    text = str(info.value)
    assert text.startswith("missing 3 settings: host: ")
    for name in ("CVFRAME_HOST", "CVFRAME_ACCOUNT_ID", "CVFRAME_TOKEN", "CVFRAME_CLIENT_ID"):
        assert name in text
    with pytest.raises(cvframe.ConfigurationError, match="missing 2 settings: account_id: "):
        Settings.resolve("platform.kore.ai", client_id="cs-1", env={})


def test_a_missing_org_id_names_the_missing_client_settings_too() -> None:
    with pytest.raises(cvframe.ConfigurationError) as info:
        resolve_org_id(None, env={"CVFRAME_HOST": "platform.kore.ai"}, settings={"token": "t"})
    assert str(info.value).startswith("missing 2 settings: org_id: ")
    assert "CVFRAME_ACCOUNT_ID" in str(info.value) and "CVFRAME_HOST" not in str(info.value)
    # Alone, the org id keeps its own message.
    with pytest.raises(cvframe.ConfigurationError, match="missing setting 'org_id'"):
        resolve_org_id(None, env={}, settings={"host": "h", "account_id": "a", "token": "t"})


def test_a_missing_half_of_the_client_pair_is_named() -> None:
    from cvframe._api._settings import missing_settings

    assert missing_settings({"client_id": "cs-1"}, env={}) == [
        "host",
        "account_id",
        "client_secret",
    ]
    assert missing_settings({"token": " "}, org_id=True, env={}) == [
        "org_id",
        "host",
        "account_id",
        "credentials",
    ]
    assert missing_settings({"host": "h", "account_id": "a", "token": "t"}, env={}) == []


def test_the_missing_settings_message_takes_a_callers_own_wording() -> None:
    from cvframe._api._settings import MISSING_HINTS, missing_settings_error

    missing = ["org_id", "host", "credentials"]
    # The library's: each setting by its keyword argument and variable.
    text = str(missing_settings_error(missing))
    for words in ("pass org_id=...", "pass host=...", "pass token=...", "CVFRAME_ORG_ID"):
        assert words in text, text
    # A caller's own (the CLI's options): those words, and none of the library's.
    hints = {name: f"the {name}: say --{name}" for name in MISSING_HINTS}
    text = str(missing_settings_error(missing, hints=hints))
    assert text == (
        "missing 3 settings: the org_id: say --org_id; the host: say --host; the "
        "credentials: say --credentials. Set all of them, then run again"
    )
    assert str(missing_settings_error(["host"], hints=hints)) == "missing the host: say --host"


@pytest.mark.parametrize("call", ["read_callvolume", "sync"])
def test_a_read_or_sync_with_nothing_set_names_every_missing_setting_at_once(
    call: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    for variable in ENV_VARS.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("CVFRAME_ORG_ID", raising=False)
    with pytest.raises(cvframe.ConfigurationError) as info:
        if call == "sync":
            cvframe.sync(tmp_path, end="2023-01-03")  # type: ignore[arg-type]
        else:
            cvframe.read_callvolume("2023-01-02", "2023-01-03")
    text = str(info.value)
    assert text.startswith("missing 4 settings: org_id: "), text
    for variable in ("CVFRAME_ORG_ID", "CVFRAME_HOST", "CVFRAME_ACCOUNT_ID", "CVFRAME_TOKEN"):
        assert variable in text
