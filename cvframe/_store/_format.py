"""What a day's file holds: an endpoint's contract as Arrow, the metadata naming its writer.

A frame becomes the table written (:func:`frame_to_table`); a day's file is read back
into the contract's columns and types (:func:`as_contract`), its endpoint and schema
version checked first (:func:`check_file_schema`), so that a file of another endpoint
or version, or one another tool rewrote without a column cvframe needs, is a
:class:`cvframe.SnapshotError` naming the file and what to do.

Each file's metadata names the endpoint whose rows it holds (``cvframe.endpoint``) and
that contract's schema version; a file without the endpoint key was written before
snapshots held anything but call volume, and holds call volume. Each duration field
names its unit in its own metadata (``with_duration_units`` of ``_frame``: ``unit`` ``ms``,
``cvframe.duration`` ``milliseconds``), for DuckDB and Spark, which read it as a
BIGINT; files written before carry none, and read the same.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa

from .._endpoints import CALLVOLUME, Endpoint, endpoint_named
from .._errors import SchemaError, SnapshotError
from .._frame import arrow_schema, column_names, empty_frame
from .._frame import validate as validate_frame
from .._version import __version__
from ._contract import required_columns

__all__ = [
    "REWRITE_HINT",
    "as_contract",
    "check_file_schema",
    "file_endpoint",
    "file_metadata",
    "frame_to_table",
    "rewrite_hint",
    "unreadable_day",
]

#: Keys of the Parquet file metadata that say what the file holds and who wrote it.
_ENDPOINT_KEY = b"cvframe.endpoint"
_SCHEMA_VERSION_KEY = b"cvframe.schema_version"
_CVFRAME_VERSION_KEY = b"cvframe.version"


def rewrite_hint(endpoint: Endpoint = CALLVOLUME) -> str:
    """What to do about a day's file of ``endpoint`` that cvframe cannot use."""
    return (
        "restore that day's file, or remove it and write that day again "
        f"(cvframe.write_snapshot(cvframe.read_{_reader_name(endpoint)}(DAY, NEXT_DAY), PATH"
        + ("" if endpoint is CALLVOLUME else f", endpoint={endpoint.name!r}")
        + "))"
    )


def _reader_name(endpoint: Endpoint) -> str:
    """The name of the public reader of ``endpoint`` after ``read_``."""
    return {
        "agentperformance": "agent_performance",
        "agentactivity": "agent_activity",
        "skillvolume": "skill_volume",
    }.get(endpoint.name, endpoint.name)


#: What to do about a call-volume day's file cvframe cannot use.
REWRITE_HINT = rewrite_hint(CALLVOLUME)


def file_metadata(endpoint: Endpoint = CALLVOLUME) -> dict[bytes, bytes]:
    """The schema metadata every file carries: pandas dtypes, what it holds, who wrote it."""
    # Cached by name: a declaration holds mappings, which do not hash.
    return dict(_file_metadata(endpoint.name))


@functools.cache
def _file_metadata(name: str) -> tuple[tuple[bytes, bytes], ...]:
    endpoint = endpoint_named(name)
    # The pandas block is that of the numpy_nullable contract frame, whatever backend
    # the written frame had, so plain pandas.read_parquet gives the contract dtypes.
    pandas_meta = json.loads(
        pa.Schema.from_pandas(empty_frame(endpoint=endpoint), preserve_index=False).metadata[
            b"pandas"
        ]
    )
    for column in pandas_meta["columns"]:
        if column["numpy_type"] == "string":
            # Plain "string" is python storage on pandas 2.x; the contract's is pyarrow.
            column["numpy_type"] = "string[pyarrow]"
    return (
        (b"pandas", json.dumps(pandas_meta).encode()),
        (_ENDPOINT_KEY, endpoint.name.encode()),
        (_SCHEMA_VERSION_KEY, str(endpoint.schema_version).encode()),
        (_CVFRAME_VERSION_KEY, __version__.encode()),
    )


def frame_to_table(
    df: pd.DataFrame, *, endpoint: Endpoint = CALLVOLUME, validate: bool = True
) -> pa.Table:
    """A contract frame of ``endpoint`` (either backend) as an Arrow table of its schema."""
    if validate:
        validate_frame(df, endpoint=endpoint)
    names = column_names(endpoint)
    try:
        picked = df[names]
        picked.attrs = {}  # a read's window is no part of a day file
        table = pa.Table.from_pandas(picked, preserve_index=False)
    except UnicodeEncodeError:
        # Python-storage strings can hold a lone surrogate, which no file can.
        bad = [name for name in names if not _all_text(df[name])]
        raise SchemaError(
            f"column(s) {', '.join(bad) or '?'} hold text that is not valid Unicode (a lone "
            "surrogate such as '\\ud800'); fix or drop those values before writing"
        ) from None
    return table.cast(arrow_schema(endpoint))


def _all_text(column: pd.Series) -> bool:
    """Whether every value of ``column`` encodes as UTF-8 (no lone surrogate)."""
    if not (pd.api.types.is_string_dtype(column.dtype) or column.dtype == object):
        return True
    try:
        for value in column.dropna():
            str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unreadable_day(where: Path | str, purpose: str, exc: Exception) -> SnapshotError:
    """The error for a day's file ``where`` that could not be read to ``purpose``."""
    return SnapshotError(
        f"cannot read {where} to {purpose}: {exc}; restore that day's file or remove it "
        "and sync that day again"
    )


def file_endpoint(schema: pa.Schema) -> str | None:
    """The name of the endpoint a file of ``schema`` holds (None: not cvframe's file)."""
    meta = schema.metadata or {}
    if _SCHEMA_VERSION_KEY not in meta:
        return None
    # Files written before snapshots held other endpoints hold call volume.
    return meta.get(_ENDPOINT_KEY, CALLVOLUME.name.encode()).decode()


def check_file_schema(
    schema: pa.Schema, where: Path | str, endpoint: Endpoint = CALLVOLUME
) -> None:
    """SnapshotError unless the file ``where`` (of ``schema``) is cvframe's, of ``endpoint``
    at this schema version."""
    meta = schema.metadata or {}
    found = meta.get(_SCHEMA_VERSION_KEY)
    if found is None:
        raise SnapshotError(
            f"{where} was not written by cvframe (no {_SCHEMA_VERSION_KEY.decode()} in its "
            "metadata); a snapshot directory must hold only cvframe's files"
        )
    holds = file_endpoint(schema)
    if holds != endpoint.name:
        raise SnapshotError(
            f"{where} holds {holds} rows, not {endpoint.name}: a snapshot holds one "
            f"endpoint. Read or sync it with endpoint={holds!r}, and give {endpoint.name} "
            "a path of its own"
        )
    if found != str(endpoint.schema_version).encode():
        writer = meta.get(_CVFRAME_VERSION_KEY, b"?").decode()
        raise SnapshotError(
            f"{where} has column schema version {found.decode()} (written by cvframe "
            f"{writer}); this cvframe reads version {endpoint.schema_version}. Re-create the "
            "snapshot with this version (e.g. cvframe sync into a new directory)"
        )


def as_contract(table: pa.Table, path: Path | str, endpoint: Endpoint = CALLVOLUME) -> pa.Table:
    """A day's table in the contract's columns and types, as ``read_snapshot`` sees it.

    Another tool may have rewritten the file: a nullable column it dropped reads as
    missing values (as ``read_snapshot`` reads it), so merging rewrites the day whole
    again; a required column missing, or one of a type that does not convert, is a
    SnapshotError naming the file.
    """
    schema = arrow_schema(endpoint)
    missing = [name for name in schema.names if name not in table.column_names]
    required = [name for name in missing if name in required_columns(endpoint)]
    if required:
        raise SnapshotError(
            f"{path} lacks the column(s) {', '.join(required)}, which cvframe needs to merge "
            f"into it (did another tool rewrite it?); {rewrite_hint(endpoint)}"
        )
    for name in missing:
        kind = schema.field(name).type
        table = table.append_column(pa.field(name, kind), pa.nulls(table.num_rows, kind))
    columns = []
    for field in schema:
        stored = table[field.name]
        try:
            columns.append(stored.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise SnapshotError(
                f"{path} holds column {field.name} as {stored.type}, which does not convert "
                f"to the {field.type} cvframe writes ({exc}); {rewrite_hint(endpoint)}"
            ) from exc
    return pa.Table.from_arrays(columns, schema=schema)
