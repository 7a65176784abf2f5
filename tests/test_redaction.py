"""No form a secret can take in a message (raw, repr-escaped, URL-encoded, cut off) leaks."""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from urllib.parse import quote, quote_plus

import jwt
import pytest

import cvframe
from cvframe._api._auth import Credentials
from cvframe._api._requests_transport import RequestsTransport
from cvframe._api._settings import Secret, Settings
from cvframe._api._transport import RetryingTransport
from cvframe._cli import main
from cvframe._endpoints import CALLVOLUME
from cvframe._redact import REDACTED, redact
from cvframe.emulator import Emulator
from tests.fakes import CLIENT_SECRET, FakeClock, FakeTransport, answer, client_kwargs


def token_of(emu: Emulator) -> str:
    return jwt.encode({"appId": emu.client_id}, emu.client_secret, algorithm="HS256")


def environment_but_the_credentials(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CVFRAME_* variables at ``emu``, less any credential; return its token."""
    env = emu.env()
    for name in ("CVFRAME_HOST", "CVFRAME_ACCOUNT_ID", "CVFRAME_ORG_ID"):
        monkeypatch.setenv(name, env[name])
    return token_of(emu)


def forms(secret: str) -> list[str]:
    """Every way a message could spell ``secret``, and the signature alone for a JWT."""
    out = [
        secret,
        secret.strip(),
        repr(secret)[1:-1],
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
    ]
    if secret.count(".") == 2:
        out.append(secret.strip().rsplit(".", 1)[1])
    return out


def assert_no_form(text: str, *secrets: str) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, f"{form!r} leaked"


SECRET_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNzLTEifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


@pytest.mark.parametrize(
    "spelled",
    [
        pytest.param(lambda s: s, id="raw"),
        pytest.param(lambda s: repr(s + "\r"), id="repr-escaped with a trailing CR"),
        pytest.param(lambda s: repr({"auth": s + "\r\n"}), id="inside a quoted header dict"),
        pytest.param(lambda s: repr((s + "\r").encode()), id="bytes repr"),
        pytest.param(lambda s: json.dumps({"auth": s + "\n"}), id="JSON-escaped"),
        pytest.param(lambda s: "https://x.example/cb?auth=" + quote(s + "\r"), id="URL-encoded"),
        pytest.param(lambda s: "q=" + quote_plus(s + " "), id="form-encoded"),
        pytest.param(lambda s: ("x" * 30 + s)[:-12], id="cut off at the end"),
        pytest.param(lambda s: s[15:] + " trailing", id="cut off at the start"),
    ],
)
def test_redact_covers_every_form_a_secret_takes(spelled: object) -> None:
    for secret in (SECRET_TOKEN, SECRET_TOKEN + "\r"):
        text = spelled(secret)  # type: ignore[operator]
        cleaned = redact(f"before {text} after", [secret])
        assert REDACTED in cleaned
        assert_no_form(cleaned, SECRET_TOKEN)
        assert SECRET_TOKEN.rsplit(".", 1)[1][:12] not in cleaned


def test_redact_leaves_text_without_secrets_alone() -> None:
    text = "the API answered HTTP 400: orgId 'o-1' is not an organization"
    assert redact(text, [SECRET_TOKEN, CLIENT_SECRET]) == text


def test_a_token_with_a_trailing_cr_never_reaches_the_transport_error(
    fresh_emulator: Emulator,
) -> None:
    # Built directly, past the settings' own cleaning: requests refuses the header
    # and quotes it with repr(), where "\r" becomes "\\r".
    emu = fresh_emulator
    token = token_of(emu) + "\r"
    settings = Settings(
        base_url=emu.base_url, account_id=emu.account_id, token=Secret(token), max_retries=0
    )
    transport = RetryingTransport(
        settings.url_for(CALLVOLUME),
        Credentials(settings),
        RequestsTransport(),
        requests_per_minute=60,
        max_retries=0,
        timeout=5,
        clock=FakeClock(),
    )
    try:
        with pytest.raises(cvframe.TransportError) as info:
            transport.request_json({"orgId": emu.org_id, "skip": 0, "limit": 10})
    finally:
        transport.close()
    texts = [str(info.value), repr(info.value), *traceback.format_exception(info.value)]
    assert_no_form("\n".join(texts), token, emu.client_secret)


def test_cli_fetch_with_a_token_ending_in_cr_reads_and_prints_no_form_of_it(
    fresh_emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu = fresh_emulator
    token = environment_but_the_credentials(emu, monkeypatch)
    monkeypatch.setenv("CVFRAME_TOKEN", token + "\r")  # a Windows-edited env file
    out = tmp_path / "x.parquet"
    argv = ["fetch", "--from", "2023-01-02", "--to", "2023-01-03", "-q", "-o", str(out)]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert out.is_file()
    assert_no_form(captured.out + captured.err, token + "\r")


def test_cli_fetch_with_a_control_character_inside_the_token_fails_without_echoing_it(
    fresh_emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu = fresh_emulator
    token = environment_but_the_credentials(emu, monkeypatch)
    broken = token[:60] + "\x1b" + token[60:]
    monkeypatch.setenv("CVFRAME_TOKEN", broken)
    out = tmp_path / "x.parquet"
    argv = ["fetch", "--from", "2023-01-02", "--to", "2023-01-03", "-q", "-o", str(out)]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("cvframe: error: ") and len(err.strip().splitlines()) == 1
    assert "CVFRAME_TOKEN" in err and "control character" in err
    assert_no_form(err, broken, token, token[:60], token[61:])
    assert emu.requests == []  # refused before any request


@pytest.mark.parametrize("encode", [lambda s: s, quote, quote_plus])
def test_a_redirect_whose_location_echoes_the_token_is_redacted(encode: object) -> None:
    fake = FakeTransport()
    client = cvframe.CallVolumeClient(**client_kwargs(), transport=fake)
    token = client.transport.credentials.headers()["auth"]
    where = "https://sso.example/login?next=/cv&auth=" + encode(token)  # type: ignore[operator]
    fake.script.append(answer(302, b"", {"Location": where}))
    with pytest.raises(cvframe.APIError, match=r"redirect to https://sso\.example/login") as info:
        list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))
    assert_no_form(str(info.value) + repr(info.value), token, CLIENT_SECRET)


def test_a_server_message_cut_off_inside_the_token_leaks_no_part_of_it() -> None:
    fake = FakeTransport()
    client = cvframe.CallVolumeClient(**client_kwargs(), transport=fake)
    token = client.transport.credentials.headers()["auth"]
    # The message is cut to 300 characters before it is quoted: the cut falls
    # inside the token's signature.
    padding = "p" * (300 - len(token) + 10)
    said = answer(400, {"message": f"{padding}{token} is not allowed here"})
    fake.script.append(said)
    with pytest.raises(cvframe.APIError) as info:
        list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))
    signature = token.rsplit(".", 1)[1]
    for text in (str(info.value), str(info.value.server_message)):
        assert signature[:12] not in text
        assert REDACTED in text


def test_a_request_id_header_echoing_the_token_is_redacted() -> None:
    fake = FakeTransport()
    client = cvframe.CallVolumeClient(**client_kwargs(), transport=fake)
    token = client.transport.credentials.headers()["auth"]
    said = answer(404, {"message": "no such account"}, {"x-request-id": f"req-1 auth={token}"})
    fake.script.append(said)
    with pytest.raises(cvframe.APIError) as info:
        list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))
    assert_no_form(str(info.value) + str(info.value.request_id), token)
