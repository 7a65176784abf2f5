from __future__ import annotations

import jwt
import pytest

import cvframe
from cvframe._api._auth import Credentials, make_jwt
from cvframe._api._settings import Settings
from tests.fakes import (
    CLIENT_ID,
    CLIENT_SECRET,
    URL,
    FakeTransport,
    answer,
    client_kwargs,
    page,
)


def test_jwt_is_hs256_with_app_id_claim_only() -> None:
    token = make_jwt(CLIENT_ID, CLIENT_SECRET)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    assert jwt.decode(token, CLIENT_SECRET, algorithms=["HS256"]) == {"appId": CLIENT_ID}


def test_jwt_needs_both_id_and_secret() -> None:
    with pytest.raises(cvframe.ConfigurationError):
        make_jwt("", CLIENT_SECRET)
    with pytest.raises(cvframe.ConfigurationError):
        make_jwt(CLIENT_ID, "")


def test_headers_carry_raw_token_in_auth_and_instance_id() -> None:
    creds = Credentials(Settings.resolve(**client_kwargs(instance_id="st-42")))
    headers = creds.headers()
    assert not headers["auth"].startswith("Bearer")
    assert jwt.decode(headers["auth"], CLIENT_SECRET, algorithms=["HS256"])["appId"] == CLIENT_ID
    assert headers["iId"] == "st-42"


def test_given_token_is_sent_as_is_and_iid_absent_by_default() -> None:
    fake = FakeTransport([answer(200, page([], False, 0))])
    client = cvframe.CallVolumeClient(
        "api.example.test", "acc-1", token="given.jwt.token", transport=fake
    )
    list(client.iter_pages("o-1", "2023-01-01", "2023-01-02"))
    sent = fake.requests[0].headers
    assert sent["auth"] == "given.jwt.token"
    assert "iId" not in sent
    assert fake.requests[0].url == URL


def test_client_and_credentials_reprs_hide_secrets() -> None:
    client = cvframe.CallVolumeClient(**client_kwargs())
    creds = Credentials(client.settings)
    token = creds.headers()["auth"]
    for text in (repr(client), repr(creds), repr(client.settings)):
        assert CLIENT_SECRET not in text
        assert token not in text


def test_a_short_secret_signs_without_a_third_party_warning() -> None:
    """pyjwt warns about an HMAC key under 32 bytes; the server judges the secret (issue 15)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        token = make_jwt(CLIENT_ID, "short")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyjwt's decode warns too: not cvframe's code
        assert jwt.decode(token, "short", algorithms=["HS256"]) == {"appId": CLIENT_ID}


def test_signing_from_many_threads_leaves_the_warning_filters_as_they_were() -> None:
    # catch_warnings swaps the process's filter list: two signings interleaved could
    # leave one's "ignore" filter behind for good. make_jwt signs one at a time.
    import threading
    import warnings

    before = list(warnings.filters)
    threads = [threading.Thread(target=make_jwt, args=(CLIENT_ID, "short")) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert list(warnings.filters) == before
