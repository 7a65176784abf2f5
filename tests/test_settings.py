from __future__ import annotations

import pytest

import cvframe
from cvframe._settings import ENV_VARS, Secret, Settings

from .conftest import CLIENT_SECRET


def test_env_fallback_fills_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CVFRAME_HOST", "platform.kore.ai")
    monkeypatch.setenv("CVFRAME_ACCOUNT_ID", "636f5b36bcf8a8c7101e0000")
    monkeypatch.setenv("CVFRAME_CLIENT_ID", "cs-abc")
    monkeypatch.setenv("CVFRAME_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("CVFRAME_INSTANCE_ID", "st-1")
    s = Settings.resolve()
    assert s.base_url == "https://platform.kore.ai"
    assert s.url == (
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
    [{"requests_per_minute": 0}, {"max_retries": -1}, {"max_retries": 1.5}, {"timeout": 0}],
)
def test_bad_numbers_are_value_errors(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Settings.resolve("platform.kore.ai", "acc", token="t", **kwargs)


def test_secrets_stay_out_of_reprs() -> None:
    s = Settings.resolve(
        "platform.kore.ai", "acc", client_id="cs-1", client_secret=CLIENT_SECRET, token="tok-XYZ"
    )
    for text in (repr(s), str(s), f"{s.token}", repr(s.client_secret)):
        assert CLIENT_SECRET not in text
        assert "tok-XYZ" not in text
    assert repr(Secret("x")) == "Secret('**********')"
