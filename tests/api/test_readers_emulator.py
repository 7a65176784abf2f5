"""Every reader end to end against the emulator over loopback, on both dtype backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest

import cvframe
from cvframe._api import (
    CallVolumeClient,
    read_agent_activity,
    read_agent_performance,
    read_agents,
    read_queues,
    read_skill_volume,
)
from cvframe._endpoints import endpoint_named
from cvframe._frame import contract_dtypes
from cvframe.emulator import Emulator
from tests.fakes import FakeClock

WINDOW = ("2023-01-02", "2023-01-03")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(days=2, queues=2) as emulator:
        yield emulator


def _windowed(read: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    def call(**kwargs: Any) -> pd.DataFrame:
        return read(*WINDOW, progress=False, **kwargs)

    return call


READERS: dict[str, Callable[..., pd.DataFrame]] = {
    "queues": read_queues,
    "agents": lambda **kwargs: read_agents(progress=False, **kwargs),
    "agentperformance": _windowed(read_agent_performance),
    "agentactivity": _windowed(read_agent_activity),
    "skillvolume": _windowed(read_skill_volume),
}


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
@pytest.mark.parametrize("name", list(READERS))
def test_each_reader_gives_its_contract_frame(emu: Emulator, name: str, backend: str) -> None:
    df = READERS[name](dtype_backend=backend, **emu.settings())
    endpoint = endpoint_named(name)
    assert len(df) > 0
    assert list(df.columns) == endpoint.column_names()
    assert dict(df.dtypes) == dict(contract_dtypes(backend, endpoint=name))
    assert not df.duplicated(list(endpoint.key_columns)).any()
    assert isinstance(df.index, pd.RangeIndex)
    assert df.equals(df.sort_values(list(endpoint.sort_keys), ignore_index=True))


def test_the_frames_agree_with_each_other(emu: Emulator) -> None:
    with CallVolumeClient(**emu.client_settings()) as client:
        queues = read_queues(client=client)
        agents = read_agents(client=client, progress=False)
        perf = read_agent_performance(*WINDOW, client=client, progress=False)
        events = read_agent_activity(*WINDOW, client=client, progress=False)
    assert set(perf["agent_id"]) <= set(agents["agent_id"])
    assert set(events["agent_id"]) <= set(agents["agent_id"])
    assert set(perf["queue_id"]) <= set(queues["queue_id"])
    start, end = (pd.Timestamp(t, tz="UTC") for t in WINDOW)
    assert events["event_time"].between(start, end, inclusive="left").all()


def test_agent_performance_in_small_pages_is_the_same_frame(emu: Emulator) -> None:
    whole = read_agent_performance(*WINDOW, progress=False, **emu.settings())
    paged = read_agent_performance(
        *WINDOW, page_size=2, concurrency=3, progress=False, **emu.settings()
    )
    pd.testing.assert_frame_equal(whole, paged)


def test_activity_in_small_chunks_is_the_same_frame(emu: Emulator) -> None:
    whole = read_agent_activity(*WINDOW, chunk="1D", progress=False, **emu.settings())
    chunked = read_agent_activity(*WINDOW, chunk="2h", progress=False, **emu.settings())
    pd.testing.assert_frame_equal(whole, chunked)


def test_one_client_reads_every_endpoint_through_one_transport(emu: Emulator) -> None:
    with CallVolumeClient(**emu.client_settings()) as client:
        read_queues(client=client)
        read_agents(client=client, page_size=1000, progress=False)
        read_agent_activity(*WINDOW, chunk="1D", client=client, progress=False)
        # Agents: one short page, then the empty answer that ends the read.
        assert client.transport.requests_sent == 4


def test_agents_from_a_server_capping_limit_are_all_read() -> None:
    """Pages of 10 for the 1000 asked: every agent, each page asked at the offset reached."""
    with Emulator(days=1, queues=2, max_page_size=10) as capped:
        every = [a["agentId"] for a in capped.agents()]
        df = read_agents(page_size=1000, progress=False, **capped.settings())
        offsets = [int((r.query or {})["offset"]) for r in capped.requests]
    assert list(df["agent_id"]) == every and len(every) > 30
    assert offsets == [*range(0, len(every), 10), len(every)]


def test_skill_volume_takes_a_duration_unit(emu: Emulator) -> None:
    """As read_callvolume's (the same endpoint): "s" reads the same numbers as seconds."""
    as_ms = read_skill_volume(*WINDOW, progress=False, **emu.settings())
    as_s = read_skill_volume(*WINDOW, duration_unit="s", progress=False, **emu.settings())
    durations = [c for c in as_ms.columns if pd.api.types.is_timedelta64_dtype(as_ms[c])]
    assert durations and len(as_s) == len(as_ms) > 0
    for column in durations:
        pd.testing.assert_series_equal(as_s[column], as_ms[column] * 1000)
    with pytest.raises(ValueError, match="duration_unit"):
        read_skill_volume(*WINDOW, duration_unit="min", **emu.settings())


@pytest.mark.parametrize(
    ("read", "wrong", "own"),
    [
        (lambda **kw: read_agent_activity(*WINDOW, **kw), {"queues": ["qu-1"]}, "time_zone"),
        (lambda **kw: read_skill_volume(*WINDOW, **kw), {"time_zone": "UTC"}, "duration_unit"),
        (lambda **kw: read_agent_performance(*WINDOW, **kw), {"duration_unit": "s"}, "queues"),
        (read_queues, {"page_size": 10}, "dtype_backend"),
        (lambda **kw: read_agents(**kw), {"queues": "Billing"}, "page_size"),
        (lambda **kw: cvframe.read_callvolume(*WINDOW, **kw), {"time_zone": "UTC"}, "queues"),
    ],
)
def test_a_keyword_no_reader_or_client_takes_is_a_value_error_naming_the_options(
    emu: Emulator, read: Callable[..., pd.DataFrame], wrong: dict[str, Any], own: str
) -> None:
    asked = len(emu.requests)
    for connection in ({**emu.settings()}, {"client": CallVolumeClient(**emu.client_settings())}):
        with pytest.raises(ValueError) as info:
            read(**connection, **wrong)
        message = str(info.value)
        (name,) = wrong
        assert f"{name!r}" in message and own in message and "CallVolumeClient" in message
        assert "either client" not in message
    assert len(emu.requests) == asked  # refused before any request


def test_a_misspelt_keyword_is_named_with_the_one_meant(emu: Emulator) -> None:
    with pytest.raises(
        ValueError, match=r"read_callvolume\(\) .*'duration_units'.*did you mean 'duration_unit'"
    ):
        cvframe.read_callvolume(*WINDOW, duration_units="s", **emu.settings())
    with pytest.raises(ValueError, match=r"did you mean 'account_id'"):
        read_queues(**{**emu.settings(), "acount_id": "x"})


def test_a_429_on_agent_performance_is_retried_after_its_wait() -> None:
    clock = FakeClock()
    with Emulator(days=1) as emulator:
        emulator.inject(429, times=2, retry_after=3)
        client = CallVolumeClient(**emulator.client_settings(), clock=clock)
        df = read_agent_performance(*WINDOW, client=client, progress=False)
    assert len(df) > 0 and clock.sleeps[:2] == [3.0, 3.0]
    assert client.transport.retries == 2


def test_a_lasting_429_on_activity_ends_in_a_rate_limit_error() -> None:
    clock = FakeClock()
    with Emulator(days=1) as emulator:
        emulator.inject(429, times=10, retry_after=1)
        client = CallVolumeClient(**emulator.client_settings(), clock=clock, max_retries=2)
        with pytest.raises(cvframe.RateLimitError, match="429"):
            read_agent_activity(*WINDOW, client=client, progress=False)


@pytest.mark.parametrize("kind", ["reset", "truncate"])
def test_a_broken_answer_on_agents_is_retried(kind: str) -> None:
    with Emulator(days=1) as emulator:
        emulator.inject(200, kind=kind)  # type: ignore[arg-type]
        client = CallVolumeClient(**emulator.client_settings(), clock=FakeClock())
        df = read_agents(client=client, progress=False)
    assert len(df) > 0 and client.transport.retries == 1


def test_a_wrong_secret_on_queues_is_an_authentication_error_without_it() -> None:
    with Emulator(days=1) as emulator:
        settings = {**emulator.client_settings(), "client_secret": "wrong-secret-" + "x" * 32}
        with pytest.raises(cvframe.AuthenticationError) as info:
            read_queues(**settings)
    assert "wrong-secret" not in str(info.value)


def test_the_iid_header_reaches_every_endpoint() -> None:
    with Emulator(days=1, queues=1, require_instance_id=True) as emulator:
        settings = emulator.settings()
        assert len(read_queues(**settings)) == 1
        assert len(read_agents(progress=False, **settings)) > 0
        assert len(read_agent_activity(*WINDOW, chunk="1D", progress=False, **settings)) > 0
        assert {r.instance_id for r in emulator.requests} == {emulator.instance_id}
        without = {k: v for k, v in settings.items() if k != "instance_id"}
        with pytest.raises(cvframe.APIError, match="iId"):
            read_agents(progress=False, **without)


@pytest.mark.parametrize(
    ("zone", "day", "back", "chunk"),
    [
        # New York goes back at 06:00 UTC: the default 6-hour pieces cut there, between
        # the two readings of 1:00-2:00 (05:00-06:00 and 06:00-07:00 UTC).
        ("America/New_York", "2024-11-03", "2024-11-03 06:00", None),
        # A piece holding both readings: cut at the change all the same.
        ("America/New_York", "2024-11-03", "2024-11-03 06:00", "1D"),
        # Berlin goes back at 01:00 UTC, inside the first 6-hour piece.
        ("Europe/Berlin", "2024-10-27", "2024-10-27 01:00", None),
        ("America/Los_Angeles", "2024-11-03", "2024-11-03 09:00", "2h"),
    ],
)
def test_activity_is_read_across_the_autumn_change_in_the_zone_the_api_writes(
    zone: str, day: str, back: str, chunk: str | None
) -> None:
    """The repeated hour's events get the instants the same emulator serves in UTC."""
    window = (day, str((pd.Timestamp(day) + pd.Timedelta("1D")).date()))
    start = str((pd.Timestamp(day) - pd.Timedelta("1D")).date())
    with Emulator(start=start, days=3, activity_time_zone="UTC") as emulator:
        truth = read_agent_activity(*window, progress=False, **emulator.settings())
    with Emulator(start=start, days=3, activity_time_zone=zone) as emulator:
        local = read_agent_activity(
            *window, time_zone=zone, chunk=chunk, progress=False, **emulator.settings()
        )
    change = pd.Timestamp(back, tz="UTC")
    hour = pd.Timedelta("1h")
    times = truth["event_time"]
    # Events in both readings of the repeated hour (in New York at the change itself,
    # 1:00:00 EST, and an hour before, 1:00:00 EDT, at the end of the piece before).
    assert times.between(change - hour, change, inclusive="left").sum() > 5
    assert times.between(change, change + hour, inclusive="left").sum() > 5
    if zone == "America/New_York":
        assert (times == change).any() and (times == change - hour).any()
    pd.testing.assert_frame_equal(local, truth)


def test_activity_pieces_also_end_where_the_zones_clocks_go_back() -> None:
    with Emulator(start="2024-11-02", days=3, activity_time_zone="America/New_York") as emulator:
        read_agent_activity(
            "2024-11-02 12:00",
            "2024-11-04",
            time_zone="America/New_York",
            chunk="1D",
            progress=False,
            **emulator.settings(),
        )
        asked = [
            (pd.Timestamp(q["fromTimeStamp"]), pd.Timestamp(q["toTimeStamp"]))
            for q in (r.query or {} for r in emulator.requests)
            if "fromTimeStamp" in q
        ]
    cut = pd.Timestamp("2024-11-03 06:00", tz="UTC")
    assert asked == [
        (pd.Timestamp("2024-11-02 12:00", tz="UTC"), cut),
        (cut, pd.Timestamp("2024-11-04", tz="UTC")),
    ]
