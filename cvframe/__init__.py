"""cvframe: Kore.ai Contact Volume API history as analysis-ready pandas DataFrames.

Read every page of a window into one validated frame::

    >>> import cvframe
    >>> with cvframe.emulator.Emulator() as emu:           # doctest: +SKIP
    ...     df = cvframe.read_callvolume("2023-01-02", "2023-01-03", **emu.settings())

The public API is what this module exports; everything in ``cvframe._*`` is private.
"""

from __future__ import annotations

from . import emulator, erlang_c
from ._analytics import (
    IntervalSchema,
    kpis,
    required_agents,
    resample_intervals,
    staffing,
    to_series,
)
from ._api import CallVolumeClient, read_callvolume
from ._errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    CvframeError,
    LockError,
    OutOfWindowWarning,
    RateLimitError,
    ResponseError,
    SchemaDriftWarning,
    SchemaError,
    SnapshotError,
    TransportError,
)
from ._frame import (
    API_FIELDS,
    COLUMNS,
    SCHEMA_VERSION,
    CallVolumeSchema,
    contract_dtypes,
    empty_frame,
    records_to_frame,
    validate,
)
from ._store import SyncReport, read_snapshot, sync, write_snapshot
from ._version import __version__
from ._wfm import to_wfm, write_wfm

__all__ = [
    "API_FIELDS",
    "COLUMNS",
    "SCHEMA_VERSION",
    "APIError",
    "AuthenticationError",
    "CallVolumeClient",
    "CallVolumeSchema",
    "ConfigurationError",
    "CvframeError",
    "IntervalSchema",
    "LockError",
    "OutOfWindowWarning",
    "RateLimitError",
    "ResponseError",
    "SchemaDriftWarning",
    "SchemaError",
    "SnapshotError",
    "SyncReport",
    "TransportError",
    "__version__",
    "contract_dtypes",
    "empty_frame",
    "emulator",
    "erlang_c",
    "kpis",
    "read_callvolume",
    "read_snapshot",
    "records_to_frame",
    "required_agents",
    "resample_intervals",
    "staffing",
    "sync",
    "to_series",
    "to_wfm",
    "validate",
    "write_snapshot",
    "write_wfm",
]
