"""What each API endpoint is, as data: path, method, paging, keys, the column contract.

The interface of the ``_endpoints`` layer to the rest of cvframe (not public API). It
imports nothing of cvframe but the shared leaves: the client, the frame builder, the
snapshots and the emulator all read the same declaration.
"""

from __future__ import annotations

from ._callvolume import API_FIELDS, CALLVOLUME, COLUMNS, SCHEMA_VERSION
from ._declaration import Column, DurationUnit, Endpoint, Kind

__all__ = [
    "API_FIELDS",
    "CALLVOLUME",
    "COLUMNS",
    "SCHEMA_VERSION",
    "Column",
    "DurationUnit",
    "Endpoint",
    "Kind",
]
