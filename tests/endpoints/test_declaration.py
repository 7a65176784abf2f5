"""An endpoint is a declaration that checks itself; call volume is the first one."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

import cvframe
from cvframe._endpoints import (
    AGENT_ACTIVITY,
    AGENT_PERFORMANCE,
    AGENTS,
    CALLVOLUME,
    ENDPOINTS,
    QUEUES,
    SKILL_VOLUME,
    Column,
    Endpoint,
    endpoint_named,
)
from cvframe.emulator import Emulator

from .._api_sample import SAMPLE_RECORD


def test_the_public_contract_is_the_call_volume_declaration() -> None:
    assert cvframe.COLUMNS is CALLVOLUME.columns
    assert cvframe.API_FIELDS is CALLVOLUME.api_fields
    assert CALLVOLUME.schema_version == cvframe.SCHEMA_VERSION
    assert list(cvframe.empty_frame().columns) == CALLVOLUME.column_names()


def test_every_column_maps_to_one_api_field_and_back() -> None:
    for column in CALLVOLUME.columns:
        assert CALLVOLUME.api_fields[column.api_name] == column.name
        assert CALLVOLUME.api_field(column.name) == column.api_name
    with pytest.raises(KeyError, match="no column 'queue'"):
        CALLVOLUME.api_field("queue")


def test_call_volume_declares_its_fields_in_the_order_of_the_apis_sample(
    emulator: Emulator,
) -> None:
    # The typed decode declares its records in this order (msgspec matches keys fastest
    # in field order); the emulator sends its records in the same order.
    assert CALLVOLUME.wire_order == tuple(SAMPLE_RECORD)
    with cvframe.CallVolumeClient(**emulator.client_settings()) as client:
        page = next(client.iter_pages(emulator.org_id, "2023-01-02", "2023-01-03", page_size=5))
    assert [tuple(record) for record in page.records] == [CALLVOLUME.wire_order] * 5


def test_the_declared_keys_name_columns_of_the_contract() -> None:
    names = set(CALLVOLUME.column_names())
    assert {CALLVOLUME.interval_column, *CALLVOLUME.sort_keys} <= names
    assert (CALLVOLUME.id_column, CALLVOLUME.version_column) == ("id", "version")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"columns": (*CALLVOLUME.columns, CALLVOLUME.columns[0])}, "names repeat"),
        ({"columns": (*CALLVOLUME.columns, Column("x", "_id", "string", ""))}, "names repeat"),
        ({"interval_column": "when"}, "names no column"),
        ({"sort_keys": ("interval_start", "queue")}, "names no column"),
        ({"id_field": "uuid"}, "names no column"),
        ({"wire_order": CALLVOLUME.wire_order[1:]}, "wire_order must name each API field"),
        ({"wire_order": (*CALLVOLUME.wire_order[1:], "queue")}, "wire_order must name each"),
    ],
)
def test_a_declaration_that_contradicts_itself_is_refused(change: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(CALLVOLUME, **change)


def test_the_client_and_the_emulator_meet_at_the_declared_path(
    fresh_emulator: Emulator,
) -> None:
    """Both read the path and keys from CALLVOLUME: a read gets every record served."""
    window = ("2023-01-02T00:00Z", "2023-01-02T02:00Z")
    df = cvframe.read_callvolume(*window, progress=False, **fresh_emulator.settings())
    served = fresh_emulator.records(*window)
    assert served and sorted(df["id"]) == sorted(r[CALLVOLUME.id_field] for r in served)
    assert {r.status for r in fresh_emulator.requests} == {200}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"total_key": None}, "skip/limit paging needs"),
        ({"key_columns": ()}, "names no column"),
        ({"key_columns": ("id", "skill")}, "names no column"),
        ({"chunk": timedelta(hours=1)}, "a chunk is what"),
        ({"version_field": "version"}, "names no column"),
    ],
)
def test_a_paged_declaration_needs_its_keys(change: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(CALLVOLUME, **change)


def test_an_unpaged_windowed_endpoint_needs_a_chunk_and_times_need_datetime_columns() -> None:
    with pytest.raises(ValueError, match="a chunk is what"):
        dataclasses.replace(AGENT_ACTIVITY, chunk=None)
    odd = Column("activity", "activity", "string", "", time_format="%m/%d/%Y")
    columns = tuple(odd if c.name == "activity" else c for c in AGENT_ACTIVITY.columns)
    with pytest.raises(ValueError, match="has a time format"):
        dataclasses.replace(AGENT_ACTIVITY, columns=columns)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS.values()), ids=list(ENDPOINTS))
def test_every_endpoint_is_found_by_its_name_and_declares_a_natural_key(endpoint: Endpoint) -> None:
    assert endpoint_named(endpoint.name) is endpoint
    assert endpoint_named(endpoint) is endpoint
    names = endpoint.column_names()
    assert set(endpoint.key_columns) <= set(names)
    assert endpoint.api_fields[endpoint.id_field] in names
    for alias, declared in endpoint.aliases.items():
        assert declared in endpoint.api_fields or declared == endpoint.records_key, alias


def test_agent_performance_pages_count_agents_and_activity_is_cut_into_chunks() -> None:
    assert (AGENT_PERFORMANCE.paging, AGENT_PERFORMANCE.item_unit) == ("skip_limit", "agent")
    assert AGENT_PERFORMANCE.id_field == "agentId" and AGENT_PERFORMANCE.version_field is None
    assert AGENT_ACTIVITY.paging == "none" and AGENT_ACTIVITY.chunk is not None
    assert (QUEUES.windowed, AGENTS.paging) == (False, "offset_limit")
    assert SKILL_VOLUME.path == CALLVOLUME.path
    assert dict(SKILL_VOLUME.extra_params) == {"includeSkillBreakdown": True}
    with pytest.raises(ValueError, match="endpoint must be one of"):
        endpoint_named("calls")
