"""What each API endpoint is, as data: path, method, paging, keys, the column contract.

The interface of the ``_endpoints`` layer to the rest of cvframe (not public API). It
imports nothing of cvframe but the shared leaves: the client, the frame builder, the
snapshots and the emulator all read the same declaration.

The endpoints of Kore.ai's "WFM Integration" scope: ``CALLVOLUME`` (and its skill
breakdown, ``SKILL_VOLUME``), ``AGENT_PERFORMANCE``, ``AGENT_ACTIVITY``, and the
directories ``QUEUES`` and ``AGENTS``; ``ENDPOINTS`` holds them all by name.
"""

from __future__ import annotations

from ._agent_activity import AGENT_ACTIVITY
from ._agent_performance import AGENT_PERFORMANCE
from ._callvolume import API_FIELDS, CALLVOLUME, COLUMNS, SCHEMA_VERSION
from ._declaration import Column, DurationUnit, Endpoint, Kind
from ._directory import AGENTS, QUEUES
from ._registry import ENDPOINTS, endpoint_named
from ._skill_volume import SKILL_VOLUME

__all__ = [
    "AGENTS",
    "AGENT_ACTIVITY",
    "AGENT_PERFORMANCE",
    "API_FIELDS",
    "CALLVOLUME",
    "COLUMNS",
    "ENDPOINTS",
    "QUEUES",
    "SCHEMA_VERSION",
    "SKILL_VOLUME",
    "Column",
    "DurationUnit",
    "Endpoint",
    "Kind",
    "endpoint_named",
]
