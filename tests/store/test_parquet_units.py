"""Each duration column of a snapshot's day file names its unit in its Arrow field metadata.

DuckDB and Spark read a ``duration[ms]`` column as a BIGINT; the field metadata tells
them it is milliseconds (issue 15). Files written before carry none and read the same.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cvframe
from cvframe.emulator import Emulator

UNIT = {b"unit": b"ms", b"cvframe.duration": b"milliseconds"}


def day_files(path: Path) -> list[Path]:
    return sorted(path.rglob("*.parquet"))


@pytest.mark.parametrize("endpoint", ["callvolume", "agentperformance"])
def test_every_duration_field_of_a_day_file_names_its_unit(
    endpoint: str, emulator: Emulator, tmp_path: Path
) -> None:
    settings = emulator.settings()
    if endpoint == "agentperformance":
        settings.pop("org_id")
        df = cvframe.read_agent_performance("2023-01-02", "2023-01-04", progress=False, **settings)
    else:
        df = cvframe.read_callvolume("2023-01-02", "2023-01-04", progress=False, **settings)
    path = tmp_path / "snap"
    cvframe.write_snapshot(df, path, endpoint=endpoint)
    files = day_files(path)
    assert len(files) == 2
    for file in files:
        schema = pq.read_schema(file)
        durations = [f for f in schema if pa.types.is_duration(f.type)]
        assert durations
        for field in durations:
            assert field.metadata == UNIT, field
        others = [f for f in schema if not pa.types.is_duration(f.type)]
        assert all(not f.metadata for f in others)
        assert schema.metadata[b"cvframe.endpoint"] == endpoint.encode()
    read = cvframe.read_snapshot(path, endpoint=endpoint)
    assert len(read) == len(df)


def test_a_day_file_without_the_unit_metadata_still_reads_and_merges(
    emulator: Emulator, tmp_path: Path
) -> None:
    df = cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False, **emulator.settings())
    path = tmp_path / "snap"
    cvframe.write_snapshot(df, path)
    (file,) = day_files(path)
    # An older cvframe's file: the same data and file metadata, no field metadata.
    old = pq.read_table(file)
    bare = pa.schema([f.remove_metadata() for f in old.schema], metadata=old.schema.metadata)
    pq.write_table(old.cast(bare), file)
    assert pq.read_schema(file).field("acw_duration").metadata is None
    expected = cvframe.read_snapshot(path)
    pd.testing.assert_frame_equal(expected, df, check_like=True)
    # Upserting into it rewrites the day with the units.
    later = cvframe.read_callvolume(
        "2023-01-02T12:00:00Z", "2023-01-03", progress=False, **emulator.settings()
    )
    changed = later.assign(version=later["version"] + 1)
    cvframe.write_snapshot(changed, path)
    assert pq.read_schema(file).field("acw_duration").metadata == UNIT
    assert len(cvframe.read_snapshot(path)) == len(df)
