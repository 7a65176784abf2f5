"""Records -> Arrow -> pandas: the column contract applied, validation, dtypes.

The interface of the ``_frame`` layer to the rest of cvframe (not public API). It does
no I/O and knows nothing of the API client, analytics, snapshots or the CLI. The
contract itself is declared in :mod:`cvframe._endpoints`; ``COLUMNS``,
``SCHEMA_VERSION`` and ``DurationUnit`` are passed on from there (import them from
:mod:`cvframe._endpoints` in new code).

- ``_dtypes``: the Arrow type and pandas dtype of each column, per ``dtype_backend``;
- ``_records_to_arrow``: API records -> an Arrow table, each value checked;
- ``_arrow_to_pandas``: Arrow tables -> the frame, one row per record id;
- ``_rows``: which rows a reader keeps (``queues=``);
- ``_validation``: the pandera model and :func:`validate`.
"""

from __future__ import annotations

from .._endpoints import COLUMNS, SCHEMA_VERSION, DurationUnit
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
from ._records_to_arrow import check_duration_unit, records_to_table, warn_drift
from ._rows import queue_expression, queue_mask
from ._validation import CallVolumeSchema, validate

__all__ = [
    "COLUMNS",
    "SCHEMA_VERSION",
    "CallVolumeSchema",
    "DtypeBackend",
    "DurationUnit",
    "arrow_schema",
    "check_dtype_backend",
    "check_duration_unit",
    "column_names",
    "contract_dtypes",
    "empty_frame",
    "frame_from_tables",
    "is_contract_string",
    "keep_latest_versions",
    "pandas_types_mapper",
    "queue_expression",
    "queue_mask",
    "records_to_frame",
    "records_to_table",
    "validate",
    "warn_drift",
]
