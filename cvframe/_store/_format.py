"""What a day's file holds: the contract as Arrow, the metadata naming its writer.

A frame becomes the table written (:func:`frame_to_table`); a day's file is read back
into the contract's columns and types (:func:`as_contract`), its schema version checked
first (:func:`check_file_schema`), so that a file of another version, or one another
tool rewrote without a column cvframe needs, is a :class:`cvframe.SnapshotError`
naming the file and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa

from .._errors import SchemaError, SnapshotError
from .._frame import (
    SCHEMA_VERSION,
    CallVolumeSchema,
    arrow_schema,
    column_names,
    empty_frame,
)
from .._frame import validate as validate_frame
from .._version import __version__

__all__ = [
    "REWRITE_HINT",
    "as_contract",
    "check_file_schema",
    "file_metadata",
    "frame_to_table",
    "unreadable_day",
]

#: Keys of the Parquet file metadata that say who wrote the file.
_SCHEMA_VERSION_KEY = b"cvframe.schema_version"
_CVFRAME_VERSION_KEY = b"cvframe.version"
#: What to do about a day's file cvframe cannot use.
REWRITE_HINT = (
    "restore that day's file, or remove it and write that day again "
    "(cvframe.write_snapshot(cvframe.read_callvolume(DAY, NEXT_DAY), PATH))"
)
#: Columns a day's file cannot do without: the contract's non-nullable ones, by which
#: rows are told apart and placed.
_REQUIRED_COLUMNS = tuple(
    name for name, column in CallVolumeSchema.to_schema().columns.items() if not column.nullable
)


def file_metadata() -> dict[bytes, bytes]:
    """The schema metadata every file carries: pandas dtypes and who wrote it."""
    # The pandas block is that of the numpy_nullable contract frame, whatever backend
    # the written frame had, so plain pandas.read_parquet gives the contract dtypes.
    pandas_meta = json.loads(
        pa.Schema.from_pandas(empty_frame(), preserve_index=False).metadata[b"pandas"]
    )
    for column in pandas_meta["columns"]:
        if column["numpy_type"] == "string":
            # Plain "string" is python storage on pandas 2.x; the contract's is pyarrow.
            column["numpy_type"] = "string[pyarrow]"
    return {
        b"pandas": json.dumps(pandas_meta).encode(),
        _SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode(),
        _CVFRAME_VERSION_KEY: __version__.encode(),
    }


def frame_to_table(df: pd.DataFrame, *, validate: bool = True) -> pa.Table:
    """A contract frame (either backend) as an Arrow table of :func:`arrow_schema`."""
    if validate:
        validate_frame(df)
    try:
        table = pa.Table.from_pandas(df[column_names()], preserve_index=False)
    except UnicodeEncodeError:
        # Python-storage strings can hold a lone surrogate, which no file can.
        bad = [name for name in column_names() if not _all_text(df[name])]
        raise SchemaError(
            f"column(s) {', '.join(bad) or '?'} hold text that is not valid Unicode (a lone "
            "surrogate such as '\\ud800'); fix or drop those values before writing"
        ) from None
    return table.cast(arrow_schema())


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


def check_file_schema(schema: pa.Schema, where: Path | str) -> None:
    """SnapshotError unless the file ``where`` (of ``schema``) is cvframe's, of this version."""
    meta = schema.metadata or {}
    found = meta.get(_SCHEMA_VERSION_KEY)
    if found is None:
        raise SnapshotError(
            f"{where} was not written by cvframe (no {_SCHEMA_VERSION_KEY.decode()} in its "
            "metadata); a snapshot directory must hold only cvframe's files"
        )
    if found != str(SCHEMA_VERSION).encode():
        writer = meta.get(_CVFRAME_VERSION_KEY, b"?").decode()
        raise SnapshotError(
            f"{where} has column schema version {found.decode()} (written by cvframe "
            f"{writer}); this cvframe reads version {SCHEMA_VERSION}. Re-create the "
            "snapshot with this version (e.g. cvframe sync into a new directory)"
        )


def as_contract(table: pa.Table, path: Path | str) -> pa.Table:
    """A day's table in the contract's columns and types, as ``read_snapshot`` sees it.

    Another tool may have rewritten the file: a nullable column it dropped reads as
    missing values (as ``read_snapshot`` reads it), so merging rewrites the day whole
    again; a required column missing, or one of a type that does not convert, is a
    SnapshotError naming the file.
    """
    missing = [name for name in column_names() if name not in table.column_names]
    required = [name for name in missing if name in _REQUIRED_COLUMNS]
    if required:
        raise SnapshotError(
            f"{path} lacks the column(s) {', '.join(required)}, which cvframe needs to merge "
            f"into it (did another tool rewrite it?); {REWRITE_HINT}"
        )
    for name in missing:
        kind = arrow_schema().field(name).type
        table = table.append_column(pa.field(name, kind), pa.nulls(table.num_rows, kind))
    columns = []
    for field in arrow_schema():
        stored = table[field.name]
        try:
            columns.append(stored.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise SnapshotError(
                f"{path} holds column {field.name} as {stored.type}, which does not convert "
                f"to the {field.type} cvframe writes ({exc}); {REWRITE_HINT}"
            ) from exc
    return pa.Table.from_arrays(columns, schema=arrow_schema())
