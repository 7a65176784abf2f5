"""Talking to Kore.ai: settings, the JWT, the transport and its retries, paging, the client.

This is the interface of the ``_api`` layer to the rest of cvframe (not public API:
users import from :mod:`cvframe`). It knows nothing of analytics, snapshots or the CLI.
"""

from __future__ import annotations

from ._client import DEFAULT_PAGE_SIZE, CallVolumeClient
from ._read import read_callvolume
from ._readers import (
    read_agent_activity,
    read_agent_performance,
    read_agents,
    read_queues,
    read_skill_volume,
)
from ._settings import (
    DEFAULT_REQUESTS_PER_MINUTE,
    InvalidSettingError,
    missing_settings,
    missing_settings_error,
    resolve_org_id,
)
from ._transport import RetryingTransport, WaitBudget
from ._wire import HttpRequest, HttpResponse, Transport

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_REQUESTS_PER_MINUTE",
    "CallVolumeClient",
    "HttpRequest",
    "HttpResponse",
    "InvalidSettingError",
    "RetryingTransport",
    "Transport",
    "WaitBudget",
    "missing_settings",
    "missing_settings_error",
    "read_agent_activity",
    "read_agent_performance",
    "read_agents",
    "read_callvolume",
    "read_queues",
    "read_skill_volume",
    "resolve_org_id",
]
