"""cvframe: Kore.ai Contact Volume API history as analysis-ready pandas DataFrames.

Read every page of a window into one validated frame::

    >>> import cvframe
    >>> with cvframe.emulator.Emulator() as emu:           # doctest: +SKIP
    ...     df = cvframe.read_callvolume("2023-01-02", "2023-01-03", **emu.settings())

The public API is what this module exports; everything in ``cvframe._*`` is private.
"""

from __future__ import annotations

from . import emulator
from ._client import CallVolumeClient
from ._errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    CvframeError,
    RateLimitError,
    ResponseError,
    SchemaDriftWarning,
    SchemaError,
    TransportError,
)
from ._read import read_callvolume
from ._schema import (
    API_FIELDS,
    COLUMNS,
    SCHEMA_VERSION,
    CallVolumeSchema,
    contract_dtypes,
    empty_frame,
    records_to_frame,
    validate,
)
from ._version import __version__

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
    "RateLimitError",
    "ResponseError",
    "SchemaDriftWarning",
    "SchemaError",
    "TransportError",
    "__version__",
    "contract_dtypes",
    "empty_frame",
    "emulator",
    "read_callvolume",
    "records_to_frame",
    "validate",
]
