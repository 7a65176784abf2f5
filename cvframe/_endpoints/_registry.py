"""Every endpoint cvframe reads, by name: what an ``endpoint=`` argument names."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ._agent_activity import AGENT_ACTIVITY
from ._agent_performance import AGENT_PERFORMANCE
from ._callvolume import CALLVOLUME
from ._declaration import Endpoint
from ._directory import AGENTS, QUEUES
from ._skill_volume import SKILL_VOLUME

__all__ = ["ENDPOINTS", "endpoint_named"]

#: Name -> declaration, in the order the README lists them.
ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType(
    {
        e.name: e
        for e in (CALLVOLUME, SKILL_VOLUME, AGENT_PERFORMANCE, AGENT_ACTIVITY, QUEUES, AGENTS)
    }
)


def endpoint_named(name: str | Endpoint) -> Endpoint:
    """The declaration called ``name`` (a declaration is returned as it is).

    >>> endpoint_named("agentperformance").item_unit
    'agent'
    >>> endpoint_named("calls")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: endpoint must be one of 'callvolume', 'skillvolume', ..., 'agents'; got 'calls'
    """
    if isinstance(name, Endpoint):
        return name
    if name not in ENDPOINTS:
        known = ", ".join(repr(n) for n in ENDPOINTS)
        raise ValueError(f"endpoint must be one of {known}; got {name!r}")
    return ENDPOINTS[name]
