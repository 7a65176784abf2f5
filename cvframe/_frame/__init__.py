"""Records -> Arrow -> pandas: the column contract applied, validation, dtypes.

The interface of the ``_frame`` layer to the rest of cvframe (not public API). It does
no I/O and knows nothing of the API client, analytics, snapshots or the CLI. The
contract itself is declared in :mod:`cvframe._endpoints`; ``COLUMNS``, ``API_FIELDS``,
``SCHEMA_VERSION``, ``Column`` and ``DurationUnit`` are passed on from there.

- ``_dtypes``: the Arrow type and pandas dtype of each column, per ``dtype_backend``;
- ``_records_to_arrow``: API records -> an Arrow table, each value checked;
- ``_arrow_to_pandas``: Arrow tables -> the frame, one row per record id;
- ``_validation``: the pandera model and :func:`validate`.
"""

from __future__ import annotations

from .._endpoints import API_FIELDS, COLUMNS, SCHEMA_VERSION, Column, DurationUnit
from ._arrow_to_pandas import empty_frame, frame_from_tables, keep_latest_versions, records_to_frame
from ._dtypes import (
    DtypeBackend,
    arrow_schema,
    check_dtype_backend,
    column_names,
    contract_dtypes,
    is_contract_string,
    pandas_types_mapper,
)
from ._records_to_arrow import records_to_table, warn_drift
from ._validation import CallVolumeSchema, validate

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
    "is_contract_string",
    "keep_latest_versions",
    "pandas_types_mapper",
    "records_to_frame",
    "records_to_table",
    "validate",
    "warn_drift",
]
