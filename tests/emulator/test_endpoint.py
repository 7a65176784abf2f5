"""The emulated endpoint answers requests as plain values: no socket, no client."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from cvframe._endpoints import CALLVOLUME
from cvframe.emulator._endpoint import Answer, EmulatedAPI, Request

WINDOW = {"fromTimeStamp": "2023-01-02T00:00:00Z", "toTimeStamp": "2023-01-03T00:00:00Z"}


def token_of(api: EmulatedAPI, secret: str | None = None) -> str:
    return jwt.encode({"appId": api.client_id}, secret or api.client_secret, algorithm="HS256")


def ask(
    api: EmulatedAPI,
    body: dict[str, Any] | bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
    path: str | None = None,
    method: str = "POST",
) -> Answer:
    """One request to ``api`` with a valid token and ``body`` (a page of WINDOW by default)."""
    raw = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    sent = {"auth": token_of(api)} if headers is None else headers
    return api._handle(Request(method, path or CALLVOLUME.path_for(api.account_id), sent, raw))


def page_body(api: EmulatedAPI, **paging: int) -> dict[str, Any]:
    return {"orgId": api.org_id, **WINDOW, **paging}


def errors_of(answer: Answer) -> str:
    return str(json.loads(answer.body)["errors"][0]["msg"])


def test_a_page_is_answered_without_a_socket_under_the_declared_keys() -> None:
    api = EmulatedAPI(days=1, queues=2)
    every = api.records(WINDOW["fromTimeStamp"], WINDOW["toTimeStamp"])
    answer = ask(api, page_body(api, skip=10, limit=25))
    assert answer.status == 200 and not answer.reset_mid_body
    page = json.loads(answer.body)
    assert set(page) == {CALLVOLUME.has_more_key, CALLVOLUME.records_key, CALLVOLUME.total_key}
    assert page[CALLVOLUME.records_key] == every[10:35]
    assert page[CALLVOLUME.has_more_key] is True
    assert page[CALLVOLUME.total_key] == len(every)


def test_the_last_page_says_no_more_and_a_capped_page_is_shorter() -> None:
    api = EmulatedAPI(days=1, queues=1, max_page_size=7)
    total = len(api.records(WINDOW["fromTimeStamp"], WINDOW["toTimeStamp"]))
    capped = json.loads(ask(api, page_body(api, skip=0, limit=50)).body)
    assert len(capped[CALLVOLUME.records_key]) == 7
    last = json.loads(ask(api, page_body(api, skip=total - 3, limit=50)).body)
    assert len(last[CALLVOLUME.records_key]) == 3
    assert last[CALLVOLUME.has_more_key] is False


def test_the_route_takes_a_trailing_slash_and_a_query_and_nothing_else() -> None:
    api = EmulatedAPI(days=1, queues=1)
    path = CALLVOLUME.path_for(api.account_id)
    assert ask(api, page_body(api), path=path + "/?x=1").status == 200
    elsewhere = ask(api, page_body(api), path=path + "/more")
    assert (elsewhere.status, errors_of(elsewhere)) == (404, "no such route")
    other_account = ask(api, page_body(api), path=CALLVOLUME.path_for("someone-else"))
    assert other_account.status == 404
    assert "someone-else" in errors_of(other_account)


def test_a_get_is_refused_and_not_recorded() -> None:
    api = EmulatedAPI(days=1, queues=1)
    answer = ask(api, method="GET")
    assert answer.status == 405 and answer.headers == {"Allow": "POST"}
    assert api.requests == []


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "Unauthorized"),
        ({"auth": "not-a-jwt"}, "Unauthorized"),
        ({"auth": "SIGNED-WITH-ANOTHER-SECRET"}, "Unauthorized"),
    ],
)
def test_a_request_without_this_accounts_jwt_is_401(headers: dict[str, str], reason: str) -> None:
    api = EmulatedAPI(days=1, queues=1)
    if headers.get("auth") == "SIGNED-WITH-ANOTHER-SECRET":
        headers = {"auth": token_of(api, secret="another-secret-of-at-least-32-bytes!")}
    answer = ask(api, page_body(api), headers=headers)
    assert (answer.status, errors_of(answer)) == (401, reason)


def test_the_instance_header_is_checked_only_when_required() -> None:
    api = EmulatedAPI(days=1, queues=1, require_instance_id=True)
    token = token_of(api)
    assert ask(api, page_body(api), headers={"auth": token}).status == 400
    answer = ask(api, page_body(api), headers={"auth": token, "iid": api.instance_id})
    assert answer.status == 200
    assert api.requests[-1].instance_id == api.instance_id


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1, 2]", "request body must be a JSON object"),
        (b"{not json", "request body must be a JSON object"),
        ({"orgId": "o-other", **WINDOW}, "is not an organization of this account"),
        ({"fromTimeStamp": WINDOW["fromTimeStamp"]}, "toTimeStamp is required"),
        ({"toTimeStamp": "yesterday"}, "is not an ISO 8601 timestamp"),
        ({**WINDOW, "fromTimeStamp": WINDOW["toTimeStamp"]}, "must be before toTimeStamp"),
        ({**WINDOW, "skip": -1}, "skip must be an integer >= 0"),
        ({**WINDOW, "limit": True}, "limit must be an integer >= 1"),
    ],
)
def test_a_bad_body_is_400_saying_what_is_wrong(body: dict[str, Any] | bytes, message: str) -> None:
    api = EmulatedAPI(days=1, queues=1)
    if isinstance(body, dict) and "orgId" not in body:
        body = {"orgId": api.org_id, **body}
    answer = ask(api, body)
    assert answer.status == 400
    assert message in errors_of(answer)


def test_past_the_rate_limit_the_answer_is_429_with_retry_after() -> None:
    api = EmulatedAPI(days=1, queues=1, requests_per_minute=2)
    statuses = [ask(api, page_body(api)).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = ask(api, page_body(api))
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_a_status_fault_comes_before_auth_and_counts_down() -> None:
    api = EmulatedAPI(days=1, queues=1)
    api.inject(503, times=2, retry_after=3)
    first = ask(api, page_body(api), headers={})
    assert (first.status, first.headers["Retry-After"]) == (503, "3")
    assert errors_of(first) == "injected fault"
    assert ask(api, page_body(api)).status == 503
    assert ask(api, page_body(api)).status == 200


def test_truncate_and_reset_faults_change_the_real_answer() -> None:
    api = EmulatedAPI(days=1, queues=1)
    whole = ask(api, page_body(api)).body
    api.inject(200, kind="truncate")
    api.inject(200, kind="reset")
    truncated = ask(api, page_body(api))
    assert (truncated.status, truncated.body) == (200, whole[: len(whole) // 2])
    reset = ask(api, page_body(api))
    assert reset.reset_mid_body and reset.body == whole
    assert not ask(api, page_body(api)).reset_mid_body
    with pytest.raises(ValueError, match="unknown fault kind"):
        api.inject(200, kind="slow")  # type: ignore[arg-type]


def test_each_request_is_recorded_without_its_token() -> None:
    api = EmulatedAPI(days=1, queues=1)
    token = token_of(api)
    ask(api, page_body(api, skip=5), headers={"auth": token})
    ask(api, b"", headers={})
    seen, anonymous = api.requests
    assert (seen.status, seen.had_auth, seen.body) == (200, True, page_body(api, skip=5))
    assert (anonymous.status, anonymous.had_auth, anonymous.body) == (401, False, None)
    assert token not in repr(api.requests)
    assert api.max_in_flight == 1


def test_before_answer_sees_each_request_number_and_may_change_the_records() -> None:
    api = EmulatedAPI(days=1, queues=1)
    first = api.records()[0]
    numbers: list[int] = []

    def arrive(number: int) -> None:
        numbers.append(number)
        if number == 2:
            api.touch([first["_id"]], offeredContacts=999)

    api.before_answer = arrive
    ask(api, page_body(api, limit=1))
    second = json.loads(ask(api, page_body(api, limit=1)).body)[CALLVOLUME.records_key][0]
    assert numbers == [1, 2]
    assert second["_id"] == first["_id"]
    assert (second["offeredContacts"], second["__v"]) == (999, first["__v"] + 1)


def test_paging_lies_are_served_when_asked_for() -> None:
    api = EmulatedAPI(days=1, queues=1)
    total = len(api.records())
    api.lie_has_more = True
    api.total_count_drift = 5
    page = json.loads(ask(api, page_body(api, skip=total)).body)
    assert page[CALLVOLUME.records_key] == []
    assert page[CALLVOLUME.has_more_key] is True
    assert page[CALLVOLUME.total_key] == total + 5  # one request answered so far
