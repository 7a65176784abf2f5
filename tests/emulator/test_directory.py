"""The directories over loopback: queues, and agents paged with offset/limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cvframe._endpoints import AGENTS, QUEUES
from cvframe.emulator import Emulator
from tests.emulator._loopback import call, ok


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(days=1, queues=3, require_instance_id=True) as served:
        yield served


def test_queues_answer_the_samples_shape_naming_the_call_volume_queues(emu: Emulator) -> None:
    queues = ok(emu, QUEUES)
    assert [sorted(q) for q in queues] == [["Description", "accountId", "collectionPointId"]] * 3
    assert {q["accountId"] for q in queues} == {emu.account_id}
    served = {(r["queueId"], r["queueName"]) for r in emu.records()}
    assert {(q["collectionPointId"], q["Description"]) for q in queues} == served
    assert queues == emu.queues()


def test_camel_case_serves_the_field_tables_spelling() -> None:
    with Emulator(days=1, queues=1, camel_case=True) as emu:
        (queue,) = ok(emu, QUEUES)
    assert sorted(queue) == ["accountId", "collectionPointId", "description"]


def test_agents_page_with_offset_and_limit_to_a_short_last_page(emu: Emulator) -> None:
    every = emu.agents()
    limit, pages, seen = 7, [], []
    for _ in range(len(every) // 7 + 2):  # bounded: one page more than the list needs
        page = ok(emu, AGENTS, query={"offset": len(seen), "limit": limit})
        pages.append(len(page))
        seen += page
        if len(page) < limit:
            break
    assert seen == every
    assert pages[-1] < limit and all(n == limit for n in pages[:-1])
    ids = [a["agentId"] for a in every]
    assert ids == sorted(set(ids)) and all(i.startswith("a-") for i in ids)
    assert {a["accountId"] for a in every} == {emu.account_id}
    assert all(a["firstName"] and a["lastName"] for a in every)
    assert ok(emu, AGENTS, query={"offset": len(every), "limit": 5}) == []


def test_max_page_size_caps_the_agents_pages_too() -> None:
    """A server capping ``limit`` answers fewer agents than asked, at any offset."""
    with Emulator(days=1, queues=1, max_page_size=6) as capped:
        every = capped.agents()
        first = ok(capped, AGENTS, query={"offset": 0, "limit": 50})
        later = ok(capped, AGENTS, query={"offset": 6, "limit": 50})
    assert first == every[:6] and later == every[6:12]


def test_agents_without_a_query_are_the_first_hundred(emu: Emulator) -> None:
    assert ok(emu, AGENTS) == emu.agents()[:100]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"offset": -1}, "offset must be an integer >= 0"),
        ({"limit": 0}, "limit must be an integer >= 1"),
        ({"limit": "ten"}, "limit must be an integer >= 1"),
    ],
)
def test_a_bad_page_of_agents_is_400_saying_what_is_wrong(
    emu: Emulator, query: dict[str, object], message: str
) -> None:
    status, payload = call(emu, AGENTS, query=query)
    assert (status, payload["errors"][0]["msg"]) == (400, message)


def test_the_directories_check_the_token_and_the_instance_header(emu: Emulator) -> None:
    status, payload = call(emu, QUEUES, headers={"auth": "not-a-jwt"})
    assert (status, payload["errors"][0]["msg"]) == (401, "Unauthorized")
    status, payload = call(emu, AGENTS, headers={"iId": "st-someone-else"})
    assert (status, payload["errors"][0]["msg"]) == (400, "iId header is missing or invalid")
    assert [r.endpoint for r in emu.requests[-2:]] == ["queues", "agents"]
    assert emu.requests[-1].query == {}
