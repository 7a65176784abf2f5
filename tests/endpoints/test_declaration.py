"""An endpoint is a declaration that checks itself; call volume is the first one."""

from __future__ import annotations

import dataclasses

import pytest

import cvframe
from cvframe._endpoints import CALLVOLUME, Column
from cvframe.emulator import Emulator


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
