"""Records -> Arrow -> pandas: the column contract applied, validation, dtypes.

The interface of the ``_frame`` layer to the rest of cvframe (not public API). It does
no I/O and knows nothing of the API client, analytics, snapshots or the CLI. The
contracts themselves are declared in :mod:`cvframe._endpoints`; every function here
takes ``endpoint=`` (a name or a declaration), call volume by default. ``COLUMNS``
and ``DurationUnit`` are passed on from there (import them from
:mod:`cvframe._endpoints` in new code).

- ``_per_endpoint``: ``endpoint=`` resolved, and what is derived from it cached;
- ``_dtypes``: the Arrow type and pandas dtype of each column, per ``dtype_backend``;
- ``_shapes``: a page's items -> flat rows (nested agent x interval x queue, record x
  skill), other spellings of a key read as the declared one;
- ``_local_times``: zone-less times in an endpoint's own spelling -> UTC;
- ``_records_to_arrow``: rows -> an Arrow table, each value checked;
- ``_arrow_to_pandas``: Arrow tables -> the frame, one row per natural key;
- ``_rows``: which rows a reader keeps (``queues=``);
- ``_validation``: the generated pandera schemas and :func:`validate`;
- ``_schema_model``: the public pandera model :class:`CallVolumeSchema`;
- ``_window``: the window a frame was read for, in ``DataFrame.attrs``.

pandera is imported on first use (a validation, or ``CallVolumeSchema``), not with this
package: ``CallVolumeSchema`` is resolved by the module's ``__getattr__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._endpoints import COLUMNS, DurationUnit
from ._arrow_to_pandas import (
    RELEASE_ROWS,
    count_distinct,
    empty_frame,
    frame_from_tables,
    keep_latest_versions,
    records_to_frame,
    rows_in_order,
)
from ._dtypes import (
    DtypeBackend,
    arrow_schema,
    check_dtype_backend,
    column_names,
    contract_dtypes,
    is_contract_string,
    is_duration_dtype,
    pandas_types_mapper,
    release_unused,
)
from ._files import CSV_DURATION_SUFFIX, read_csv, with_duration_units, write_csv
from ._local_times import check_time_zone
from ._records_to_arrow import (
    check_duration_unit,
    records_to_table,
    typed_records_to_table,
    warn_drift,
)
from ._rows import queue_expression, queue_mask
from ._validation import table_holds, validate
from ._window import WINDOW_ATTR, frame_window, with_window

if TYPE_CHECKING:  # resolved by __getattr__ at run time
    from ._schema_model import CallVolumeSchema

__all__ = [
    "COLUMNS",
    "CSV_DURATION_SUFFIX",
    "RELEASE_ROWS",
    "WINDOW_ATTR",
    "CallVolumeSchema",
    "DtypeBackend",
    "DurationUnit",
    "arrow_schema",
    "check_dtype_backend",
    "check_duration_unit",
    "check_time_zone",
    "column_names",
    "contract_dtypes",
    "count_distinct",
    "empty_frame",
    "frame_from_tables",
    "frame_window",
    "is_contract_string",
    "is_duration_dtype",
    "keep_latest_versions",
    "pandas_types_mapper",
    "queue_expression",
    "queue_mask",
    "read_csv",
    "records_to_frame",
    "records_to_table",
    "release_unused",
    "rows_in_order",
    "table_holds",
    "typed_records_to_table",
    "validate",
    "warn_drift",
    "with_duration_units",
    "with_window",
    "write_csv",
]


def __getattr__(name: str) -> Any:
    """``CallVolumeSchema`` on first use: it imports pandera, which ``import cvframe`` does not."""
    if name == "CallVolumeSchema":
        from ._schema_model import CallVolumeSchema

        globals()[name] = CallVolumeSchema
        return CallVolumeSchema
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
