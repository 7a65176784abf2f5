"""The JWT and the client secret never reach logs, reprs, messages or the CLI's output."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import jwt
import pytest

import cvframe
from cvframe._cli import main
from cvframe.emulator import Emulator
from tests.fakes import FakeClock


def secrets_of(emu: Emulator) -> tuple[str, str]:
    token = jwt.encode({"appId": emu.client_id}, emu.client_secret, algorithm="HS256")
    return emu.client_secret, token


def assert_clean(text: str, emu: Emulator) -> None:
    for secret in secrets_of(emu):
        assert secret not in text


def test_debug_logs_of_a_faulty_read_hold_no_secret(
    fresh_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = fresh_emulator
    caplog.set_level(logging.DEBUG)
    for status in (429, 503):  # (a 401 now ends the read: see test_http.py)
        emu.inject(status, retry_after="0")
    client = cvframe.CallVolumeClient(**emu.client_settings(), clock=FakeClock())
    df = cvframe.read_callvolume(
        "2023-01-02", "2023-01-03", org_id=emu.org_id, client=client, progress=False
    )
    assert len(df) > 0
    assert "POST" in caplog.text  # the debug log did record the requests
    assert_clean(caplog.text, emu)


def test_reprs_and_errors_hold_no_secret(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    client = cvframe.CallVolumeClient(**emu.client_settings())
    texts = [repr(client), repr(client.settings), str(client.settings), repr(client.transport)]
    emu.inject(401, times=2)
    with pytest.raises(cvframe.AuthenticationError) as info:
        cvframe.read_callvolume(
            "2023-01-02", "2023-01-03", org_id=emu.org_id, client=client, progress=False
        )
    texts += [str(info.value), repr(info.value)]
    texts += traceback.format_exception(info.value)
    for text in texts:
        assert_clean(text, emu)


def test_cli_failure_output_holds_no_secret(
    fresh_emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu = fresh_emulator
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    emu.inject(403)
    code = main(
        [
            "fetch",
            "--from",
            "2023-01-02",
            "--to",
            "2023-01-03",
            "-q",
            "-o",
            str(tmp_path / "x.parquet"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1 and "HTTP 403" in captured.err
    assert_clean(captured.out + captured.err, emu)


def test_tls_verification_stays_on() -> None:
    client = cvframe.CallVolumeClient("platform.kore.ai", "acc", token="t")
    assert client.transport.wire.session.verify is True


def test_secret_objects_refuse_to_be_pickled() -> None:
    import pickle

    client = cvframe.CallVolumeClient("platform.kore.ai", "acc", token="tok-123456")
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(client.settings)
