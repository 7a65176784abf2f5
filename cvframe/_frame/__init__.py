"""Records -> Arrow -> pandas: the column contract applied, validation, dtypes.

The interface of the ``_frame`` layer to the rest of cvframe (not public API). It does
no I/O and knows nothing of the API client, analytics, snapshots or the CLI. The
contract itself is declared in :mod:`cvframe._endpoints`; ``COLUMNS``, ``API_FIELDS``,
``SCHEMA_VERSION``, ``Column`` and ``DurationUnit`` are passed on from there.
"""

from __future__ import annotations

from .._endpoints import API_FIELDS, COLUMNS, SCHEMA_VERSION, Column, DurationUnit
from ._schema import (
    CallVolumeSchema,
    DtypeBackend,
    arrow_schema,
    check_dtype_backend,
    column_names,
    contract_dtypes,
    empty_frame,
    frame_from_tables,
    keep_latest_versions,
    pandas_types_mapper,
    records_to_frame,
    records_to_table,
    validate,
    warn_drift,
)

__all__ = [
    "API_FIELDS",
    "COLUMNS",
    "SCHEMA_VERSION",
    "CallVolumeSchema",
    "Column",
    "DtypeBackend",
    "DurationUnit",
    "arrow_schema",
    "check_dtype_backend",
    "column_names",
    "contract_dtypes",
    "empty_frame",
    "frame_from_tables",
    "keep_latest_versions",
    "pandas_types_mapper",
    "records_to_frame",
    "records_to_table",
    "validate",
    "warn_drift",
]
