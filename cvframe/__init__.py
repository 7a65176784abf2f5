"""cvframe: Kore.ai WFM Integration API history as analysis-ready pandas DataFrames.

Read every page of a window into one validated frame::

    >>> import cvframe
    >>> with cvframe.emulator.Emulator() as emu:           # doctest: +SKIP
    ...     df = cvframe.read_callvolume("2023-01-02", "2023-01-03", **emu.settings())

The public API is what this module exports; everything in ``cvframe._*`` is private.
"""

from __future__ import annotations

from . import emulator, erlang, erlang_c
from ._analytics import (
    DEFAULT_STATE_CATEGORIES,
    agent_kpis,
    agent_occupancy,
    agent_state_intervals,
    kpis,
    required_agents,
    resample_intervals,
    staffing,
    to_series,
)
from ._analytics import (
    RESAMPLED_SCHEMA as _RESAMPLED_SCHEMA,
)
from ._api import (
    CallVolumeClient,
    HttpRequest,
    HttpResponse,
    RetryingTransport,
    Transport,
    WaitBudget,
    read_agent_activity,
    read_agent_performance,
    read_agents,
    read_callvolume,
    read_queues,
    read_skill_volume,
)
from ._endpoints import API_FIELDS, COLUMNS, SCHEMA_VERSION
from ._errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    CvframeError,
    LockError,
    OccupancyWarning,
    OutOfWindowWarning,
    RateLimitError,
    ResponseError,
    SchemaDriftWarning,
    SchemaError,
    SnapshotError,
    TransportError,
)
from ._frame import (
    CallVolumeSchema,
    contract_dtypes,
    empty_frame,
    records_to_frame,
    validate,
)
from ._store import SyncReport, read_snapshot, sync, write_snapshot
from ._version import __version__
from ._wfm import to_wfm, write_wfm

#: The pandera schema of :func:`resample_intervals`' output (an instance, where
#: :class:`CallVolumeSchema` is a class); the name is kept for compatibility.
IntervalSchema = _RESAMPLED_SCHEMA

__all__ = [
    "API_FIELDS",
    "COLUMNS",
    "DEFAULT_STATE_CATEGORIES",
    "SCHEMA_VERSION",
    "APIError",
    "AuthenticationError",
    "CallVolumeClient",
    "CallVolumeSchema",
    "ConfigurationError",
    "CvframeError",
    "HttpRequest",
    "HttpResponse",
    "IntervalSchema",
    "LockError",
    "OccupancyWarning",
    "OutOfWindowWarning",
    "RateLimitError",
    "ResponseError",
    "RetryingTransport",
    "SchemaDriftWarning",
    "SchemaError",
    "SnapshotError",
    "SyncReport",
    "Transport",
    "TransportError",
    "WaitBudget",
    "__version__",
    "agent_kpis",
    "agent_occupancy",
    "agent_state_intervals",
    "contract_dtypes",
    "empty_frame",
    "emulator",
    "erlang",
    "erlang_c",
    "kpis",
    "read_agent_activity",
    "read_agent_performance",
    "read_agents",
    "read_callvolume",
    "read_queues",
    "read_skill_volume",
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
