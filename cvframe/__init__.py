"""cvframe: Kore.ai WFM Integration API history as analysis-ready pandas DataFrames.

Read every page of a window into one validated frame::

    >>> import cvframe
    >>> with cvframe.emulator.Emulator() as emu:           # doctest: +SKIP
    ...     df = cvframe.read_callvolume("2023-01-02", "2023-01-03", **emu.settings())

The public API is what this module exports; everything in ``cvframe._*`` is private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

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
    contract_dtypes,
    empty_frame,
    read_csv,
    records_to_frame,
    validate,
)
from ._store import SyncReport, read_snapshot, sync, write_snapshot
from ._version import __version__

if _TYPE_CHECKING:  # what the lazy names below are, for type checkers
    import pandera.pandas as _pandera

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
    from ._frame import CallVolumeSchema
    from ._wfm import to_wfm, write_wfm

    IntervalSchema: _pandera.DataFrameSchema

# Some public names load on first use, so that ``import cvframe`` costs little more than
# ``import pandas, pyarrow``: the analytics and WFM exports (``kpis``, ``staffing``,
# ``to_wfm``, the ``erlang`` modules, ...: numpy-heavy modules a read never needs),
# ``CallVolumeSchema`` (the pandera model of call volume; pandera is most of the import
# time), ``IntervalSchema`` (the pandera schema of resample_intervals' output: an
# instance, where CallVolumeSchema is a class; the name is kept for compatibility) and
# ``emulator`` (an HTTP server and JWT checks). ``from cvframe import X`` and
# ``dir(cvframe)`` see them as always.

#: Lazy public name -> (module it lives in, attribute there; None: the module itself).
_ON_FIRST_USE: dict[str, tuple[str, str | None]] = {
    **{
        name: ("._analytics", name)
        for name in (
            "DEFAULT_STATE_CATEGORIES",
            "agent_kpis",
            "agent_occupancy",
            "agent_state_intervals",
            "kpis",
            "required_agents",
            "resample_intervals",
            "staffing",
            "to_series",
        )
    },
    "to_wfm": ("._wfm", "to_wfm"),
    "write_wfm": ("._wfm", "write_wfm"),
    "CallVolumeSchema": ("._frame", "CallVolumeSchema"),
    "emulator": (".emulator", None),
    "erlang": (".erlang", None),
    "erlang_c": (".erlang_c", None),
}


def __getattr__(name: str) -> _Any:
    import importlib

    value: _Any
    if name == "IntervalSchema":
        from ._analytics import resampled_schema

        value = resampled_schema()
    elif name in _ON_FIRST_USE:
        module_name, attribute = _ON_FIRST_USE[name]
        module = importlib.import_module(module_name, __name__)
        value = module if attribute is None else getattr(module, attribute)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
    "read_csv",
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
