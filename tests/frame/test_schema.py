from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import cvframe
from cvframe._frame import arrow_schema, column_names
from tests._api_sample import SAMPLE_RECORD

SAMPLE = SAMPLE_RECORD  # the API page's sample record, as sent

NUMPY_NULLABLE = {
    "string": "string",
    "int": "Int64",
    "float": "Float64",
    "datetime": "datetime64[ms, UTC]",
    "duration": "timedelta64[ms]",
}
PYARROW = {
    "string": "string[pyarrow]",
    "int": "int64[pyarrow]",
    "float": "double[pyarrow]",
    "datetime": "timestamp[ms, tz=UTC][pyarrow]",
    "duration": "duration[ms][pyarrow]",
}


def rec(**changes: object) -> dict:
    return {**SAMPLE, **changes}


def test_model_agrees_with_the_contract_table() -> None:
    schema = cvframe.CallVolumeSchema.to_schema()
    assert list(schema.columns) == column_names()
    assert arrow_schema().names == column_names()
    assert dict(cvframe.API_FIELDS)["maxqueueHoldTimeAbandoned"] == "max_queue_hold_time_abandoned"
    assert len(cvframe.API_FIELDS) == len(cvframe.COLUMNS) == 25


@pytest.mark.parametrize(
    ("backend", "names"), [("numpy_nullable", NUMPY_NULLABLE), ("pyarrow", PYARROW)]
)
def test_every_column_has_its_contract_dtype(backend: str, names: dict) -> None:
    df = cvframe.records_to_frame([SAMPLE], dtype_backend=backend)
    for column in cvframe.COLUMNS:
        assert str(df[column.name].dtype) == names[column.kind], column.name
    cvframe.validate(df)
    assert not any(df[c].dtype == object for c in df.columns)


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_empty_frame_has_the_same_columns_and_dtypes(backend: str) -> None:
    empty = cvframe.empty_frame(backend)
    full = cvframe.records_to_frame([SAMPLE], dtype_backend=backend)
    assert empty.empty
    assert list(empty.columns) == list(full.columns)
    assert (empty.dtypes == full.dtypes).all()
    cvframe.validate(empty)


def test_sample_values_in_milliseconds() -> None:
    row = cvframe.records_to_frame([SAMPLE]).iloc[0]
    assert row["conversation_handle_time"] == pd.Timedelta(milliseconds=68043)
    assert row["max_queue_hold_time_abandoned"] == pd.Timedelta(seconds=180.15)
    assert row["interval_start"] == pd.Timestamp("2023-06-01 09:45", tz="UTC")
    # handle = talk + hold + ACW holds in the sample, in ms.
    assert row["conversation_handle_time"] == (
        row["conversation_talk_time"] + row["hold_duration"] + row["acw_duration"]
    )


def test_duration_unit_seconds_for_deployments_that_send_seconds() -> None:
    df = cvframe.records_to_frame([rec(acwDuration=3.5)], duration_unit="s")
    assert df.loc[0, "acw_duration"] == pd.Timedelta(milliseconds=3500)


def test_missing_or_null_fields_become_na() -> None:
    record = rec(csatScore=None)
    del record["queueName"], record["holdDuration"]
    df = cvframe.records_to_frame([record])
    assert df["queue_name"].isna().all()
    assert df["csat_score"].isna().all()
    assert df["hold_duration"].isna().all()
    cvframe.validate(df)


def test_unknown_fields_are_dropped_and_named_once() -> None:
    records = [rec(_id=f"r{i}", skillBreakdown=[], newField=i) for i in range(3)]
    with pytest.warns(cvframe.SchemaDriftWarning) as caught:
        df = cvframe.records_to_frame(records)
    assert len(caught) == 1
    assert "newField" in str(caught[0].message) and "skillBreakdown" in str(caught[0].message)
    assert "newField" not in df.columns


def test_no_drift_warning_for_known_fields() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cvframe.records_to_frame([SAMPLE])


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_duplicate_ids_keep_the_highest_version(order: list[int]) -> None:
    versions = [
        rec(__v=0, offeredContacts=1),
        rec(__v=2, offeredContacts=3),
        rec(__v=1, offeredContacts=2),
    ]
    df = cvframe.records_to_frame([versions[i] for i in order])
    assert len(df) == 1
    assert df.loc[0, "version"] == 2 and df.loc[0, "offered_contacts"] == 3


def test_sorted_by_interval_then_queue_with_range_index() -> None:
    records = [
        rec(
            _id="c",
            queueId="qu-b",
            intervalStartTimeStamp="2023-06-01T10:00:00Z",
            intervalEndTimeStamp="2023-06-01T10:15:00Z",
        ),
        rec(_id="b", queueId="qu-b"),
        rec(_id="a", queueId="qu-a"),
    ]
    df = cvframe.records_to_frame(records)
    assert df["id"].tolist() == ["a", "b", "c"]
    assert isinstance(df.index, pd.RangeIndex)


def test_whole_floats_are_accepted_as_counts_but_fractions_are_not() -> None:
    assert cvframe.records_to_frame([rec(offeredContacts=4.0)]).loc[0, "offered_contacts"] == 4
    with pytest.raises(cvframe.ResponseError, match=r"offeredContacts.*2\.5"):
        cvframe.records_to_frame([rec(offeredContacts=2.5)])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("offeredContacts", "7"),
        ("answeredContacts", True),
        ("acwDuration", "fast"),
        ("intervalStartTimeStamp", "yesterday"),
        ("intervalEndTimeStamp", 12),
        ("csatScore", "4"),
    ],
)
def test_wrong_types_from_the_server_name_field_and_record(field: str, value: object) -> None:
    with pytest.raises(cvframe.ResponseError) as info:
        cvframe.records_to_frame([rec(_id="bad-1", **{field: value})])
    assert field in str(info.value) and "bad-1" in str(info.value)


def test_timestamps_without_zone_or_with_microseconds_are_read_as_utc() -> None:
    df = cvframe.records_to_frame(
        [
            rec(
                intervalStartTimeStamp="2023-06-01T09:45:00.123456Z",
                intervalEndTimeStamp="2023-06-01T10:00:00",
            )
        ]
    )
    assert df.loc[0, "interval_start"] == pd.Timestamp("2023-06-01 09:45:00.123", tz="UTC")
    assert df.loc[0, "interval_end"] == pd.Timestamp("2023-06-01 10:00", tz="UTC")


def test_numeric_ids_are_read_as_text() -> None:
    assert cvframe.records_to_frame([rec(queueId=12345)]).loc[0, "queue_id"] == "12345"


def test_lazy_validation_lists_every_failing_check() -> None:
    good = cvframe.records_to_frame([SAMPLE])
    bad = cvframe.records_to_frame(
        [
            rec(_id="x", offeredContacts=-1, acwDuration=-5),
            rec(_id="y", intervalEndTimeStamp="2023-06-01T09:00:00Z"),
        ]
    )
    frame = pd.concat([bad, good, good], ignore_index=True)
    with pytest.raises(cvframe.SchemaError) as info:
        cvframe.validate(frame)
    message = str(info.value)
    assert "offered_contacts" in message
    assert "acw_duration" in message
    assert "interval_end > interval_start" in message
    assert "id" in message and "unique" in message.lower()
    cases = info.value.failure_cases
    assert isinstance(cases, pd.DataFrame) and len(cases) >= 4


def test_wrong_dtype_and_missing_columns_are_schema_errors() -> None:
    df = cvframe.records_to_frame([SAMPLE])
    wrong = df.assign(acw_duration=df["acw_duration"].astype("timedelta64[ns]"))
    with pytest.raises(cvframe.SchemaError, match="acw_duration is timedelta64\\[ns\\]"):
        cvframe.validate(wrong)
    with pytest.raises(cvframe.SchemaError, match="missing columns \\['source'\\]"):
        cvframe.validate(df.drop(columns="source"))


def test_arrow_table_from_records_matches_arrow_schema() -> None:
    from cvframe._frame import records_to_table

    table = records_to_table([SAMPLE])
    assert table.schema == arrow_schema()
    assert table.schema.field("acw_duration").type == pa.duration("ms")


def test_large_frames_are_validated_in_chunks_with_the_same_verdicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cvframe._frame import _validation

    monkeypatch.setattr(_validation, "VALIDATION_CHUNK_ROWS", 2)
    records = [
        rec(
            _id=f"r{i}",
            intervalStartTimeStamp=f"2023-06-01T{10 + i}:00:00Z",
            intervalEndTimeStamp=f"2023-06-01T{10 + i}:15:00Z",
        )
        for i in range(7)
    ]
    good = cvframe.records_to_frame(records)
    assert cvframe.validate(good) is good
    # A duplicate id across two chunks, and a bad value in the last chunk: the full
    # report names both.
    bad = pd.concat([good, good.iloc[[0]]], ignore_index=True)
    bad.loc[len(bad) - 2, "offered_contacts"] = -1
    with pytest.raises(cvframe.SchemaError) as info:
        cvframe.validate(bad)
    assert "offered_contacts" in str(info.value)
    assert "unique" in str(info.value).lower()


def test_keep_latest_versions_hands_back_a_table_whose_ids_do_not_repeat() -> None:
    from cvframe._frame import keep_latest_versions, records_to_table

    unique = records_to_table([rec(_id="b"), rec(_id="a")])
    assert keep_latest_versions(unique) is unique
    empty = arrow_schema().empty_table()
    assert keep_latest_versions(empty) is empty
    repeated = records_to_table([rec(_id="a", __v=2), rec(_id="b"), rec(_id="a", __v=1)])
    kept = keep_latest_versions(repeated)
    assert sorted(zip(kept["id"].to_pylist(), kept["version"].to_pylist(), strict=True)) == [
        ("a", 2),
        ("b", SAMPLE["__v"]),
    ]


def test_the_contracts_string_rule_takes_either_storage_with_na_only() -> None:
    from cvframe._frame import is_contract_string

    assert is_contract_string(pd.StringDtype("python"))
    assert is_contract_string(pd.StringDtype("pyarrow"))
    assert not is_contract_string(pd.api.types.pandas_dtype(object))
    assert not is_contract_string(pd.ArrowDtype(pa.string()))


def test_the_queue_rule_keeps_the_same_rows_as_a_mask_and_as_a_pushed_down_filter(
    tmp_path: Path,
) -> None:
    import pyarrow.dataset as ds

    from cvframe._frame import queue_expression, queue_mask

    table = pa.table(
        {
            "queue_id": ["q-1", "q-2", None, "q-3", None],
            "queue_name": ["Sales", None, "Billing", "Sales", None],
            "n": [0, 1, 2, 3, 4],
        }
    )
    for queues in (["q-1"], ["Sales"], ["q-2", "Billing"], ["nobody"]):
        masked = table.filter(queue_mask(table, queues))["n"].to_pylist()
        ds.write_dataset(table, tmp_path / "_".join(queues), format="parquet")
        scanned = ds.dataset(tmp_path / "_".join(queues), format="parquet")
        pushed = sorted(scanned.to_table(filter=queue_expression(queues))["n"].to_pylist())
        assert masked == pushed, queues
    assert table.filter(queue_mask(table, ["Sales"]))["n"].to_pylist() == [0, 3]
