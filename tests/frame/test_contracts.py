"""Every endpoint's contract: dtypes on both backends, and the pandera schema generated from it."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

import cvframe
from cvframe._endpoints import CALLVOLUME, ENDPOINTS
from cvframe._frame import arrow_schema, column_names
from cvframe._frame._validation import contract_schema
from tests.frame._samples import (
    AGENT_ACTIVITY_RESPONSE,
    AGENT_PERFORMANCE_RESPONSE,
    AGENTS_RESPONSE,
    QUEUES_RESPONSE,
    SKILL_BREAKDOWN_RESPONSE,
)
from tests.frame.test_schema import NUMPY_NULLABLE, PYARROW, SAMPLE

BACKENDS = {"numpy_nullable": NUMPY_NULLABLE, "pyarrow": PYARROW}
#: One documented page of items per endpoint.
ITEMS = {
    "callvolume": [SAMPLE],
    "skillvolume": SKILL_BREAKDOWN_RESPONSE["CallVolumeUpdate"],
    "agentperformance": AGENT_PERFORMANCE_RESPONSE["AgentPerformance"],
    "agentactivity": AGENT_ACTIVITY_RESPONSE["AgentUpdates"],
    "queues": QUEUES_RESPONSE,
    "agents": AGENTS_RESPONSE,
}


def sample_frame(endpoint: str, backend: str = "numpy_nullable") -> pd.DataFrame:
    return cvframe.records_to_frame(
        copy.deepcopy(ITEMS[endpoint]), endpoint=endpoint, dtype_backend=backend
    )


def test_a_sample_page_is_at_hand_for_every_endpoint() -> None:
    assert set(ITEMS) == set(ENDPOINTS)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_column_of_every_contract_has_its_dtype_on_both_backends(
    endpoint: str, backend: str
) -> None:
    declared = ENDPOINTS[endpoint]
    dtypes = cvframe.contract_dtypes(backend, endpoint=endpoint)
    assert list(dtypes) == column_names(endpoint) == [c.name for c in declared.columns]
    assert arrow_schema(endpoint).names == list(dtypes)
    for column in declared.columns:
        assert str(dtypes[column.name]) == BACKENDS[backend][column.kind], column.name
    empty = cvframe.empty_frame(backend, endpoint=endpoint)
    assert empty.empty and (empty.dtypes == pd.Series(dtypes)).all()
    assert (sample_frame(endpoint, backend).dtypes == pd.Series(dtypes)).all()
    cvframe.validate(empty, endpoint=endpoint)
    cvframe.validate(sample_frame(endpoint, backend), endpoint=endpoint)


def test_the_generated_call_volume_schema_agrees_with_the_public_model() -> None:
    model = cvframe.CallVolumeSchema.to_schema()
    generated = contract_schema("callvolume")
    assert list(generated.columns) == list(model.columns)
    for name, column in model.columns.items():
        ours = generated.columns[name]
        assert (ours.dtype, ours.nullable, ours.unique) == (
            column.dtype,
            column.nullable,
            column.unique,
        ), name
        assert [(c.name, c.statistics) for c in ours.checks] == [
            (c.name, c.statistics) for c in column.checks
        ], name
    assert [c.name for c in generated.checks] == [c.name for c in model.checks]
    assert (generated.strict, generated.ordered, generated.coerce, generated.unique) == (
        model.strict,
        model.ordered,
        model.coerce,
        model.unique,
    )


def test_the_declared_call_volume_endpoint_is_the_default_everywhere() -> None:
    assert arrow_schema() is arrow_schema("callvolume") is arrow_schema(CALLVOLUME)
    assert column_names() == column_names("callvolume")
    pd.testing.assert_frame_equal(cvframe.empty_frame(), cvframe.empty_frame(endpoint=CALLVOLUME))


def test_an_unknown_endpoint_is_a_value_error_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"endpoint must be one of 'callvolume'.*got 'agent'"):
        cvframe.empty_frame(endpoint="agent")
    with pytest.raises(ValueError, match="endpoint must be one of"):
        cvframe.validate(cvframe.empty_frame(), endpoint="calls")


@pytest.mark.parametrize(
    ("endpoint", "what"),
    [
        ("agentperformance", "agent-performance"),
        ("agentactivity", "agent-activity"),
        ("skillvolume", "skill-volume"),
        ("queues", "queues"),
        ("agents", "agents"),
    ],
)
def test_a_frame_of_another_endpoint_is_refused_naming_the_contract_and_its_reader(
    endpoint: str, what: str
) -> None:
    with pytest.raises(cvframe.SchemaError, match=f"the {what} columns: missing") as info:
        cvframe.validate(cvframe.records_to_frame([SAMPLE]), endpoint=endpoint)
    assert "cvframe.read_" in str(info.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_agent_performance_breaks_its_contract_with_every_failing_check_named(
    backend: str,
) -> None:
    good = sample_frame("agentperformance", backend)
    bad = pd.concat([good, good.iloc[[0]]], ignore_index=True)  # a key repeated
    bad.loc[1, "transferred_contacts"] = -1
    bad.loc[1, "csat_score"] = -0.5
    bad.loc[1, "hold_duration"] = pd.Timedelta(-1, "ms")
    bad.loc[0, "interval_end"] = bad.loc[0, "interval_start"]
    bad.loc[1, "queue_id"] = None
    with pytest.raises(cvframe.SchemaError) as info:
        cvframe.validate(bad, endpoint="agentperformance")
    message = str(info.value)
    assert message.startswith("the frame breaks the agent-performance contract")
    for part in (
        "transferred_contacts",
        "csat_score",
        "hold_duration",
        "interval_end > interval_start",
        "queue_id: not_nullable",
        "(agent_id, interval_start, queue_id) unique",
    ):
        assert part in message, part
    assert isinstance(info.value.failure_cases, pd.DataFrame)


def test_an_event_without_a_reason_is_valid_but_without_an_agent_or_time_is_not() -> None:
    events = sample_frame("agentactivity")
    cvframe.validate(
        events.assign(reason_code=pd.Series([pd.NA], dtype="string")), endpoint="agentactivity"
    )
    for column in ("agent_id", "event_time", "activity"):
        broken = events.copy()
        broken.loc[0, column] = None
        with pytest.raises(cvframe.SchemaError, match=f"{column}: not_nullable"):
            cvframe.validate(broken, endpoint="agentactivity")


def test_the_directories_name_their_rows_by_id_once() -> None:
    queues = pd.concat([sample_frame("queues")] * 2, ignore_index=True)
    with pytest.raises(cvframe.SchemaError, match="the queues contract") as info:
        cvframe.validate(queues, endpoint="queues")
    assert "queue_id: field_uniqueness fails for 2 value(s)" in str(info.value)
    agents = sample_frame("agents")
    agents.loc[0, "agent_id"] = None
    with pytest.raises(cvframe.SchemaError, match="agent_id: not_nullable"):
        cvframe.validate(agents, endpoint="agents")


def test_large_frames_of_a_multi_column_key_are_validated_in_chunks_with_the_same_verdicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cvframe._frame import _validation

    monkeypatch.setattr(_validation, "VALIDATION_CHUNK_ROWS", 2)
    agent = copy.deepcopy(AGENT_PERFORMANCE_RESPONSE["AgentPerformance"][0])
    items = [{**agent, "agentId": f"a-{i}"} for i in range(4)]  # 8 rows
    good = cvframe.records_to_frame(items, endpoint="agentperformance")
    assert len(good) == 8
    assert cvframe.validate(good, endpoint="agentperformance") is good
    # A key repeated across two chunks: only the whole-frame check can see it.
    bad = pd.concat([good, good.iloc[[0]]], ignore_index=True)
    with pytest.raises(cvframe.SchemaError, match=r"\(agent_id, interval_start, queue_id\) unique"):
        cvframe.validate(bad, endpoint="agentperformance")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_empty_page_of_any_endpoint_is_an_empty_table_of_its_schema(endpoint: str) -> None:
    from cvframe._frame import records_to_table

    table = records_to_table([], endpoint=endpoint, time_zone="Europe/Paris")
    assert table.num_rows == 0 and table.schema == arrow_schema(endpoint)
