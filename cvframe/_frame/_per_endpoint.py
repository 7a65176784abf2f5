"""What the frame layer reads from an endpoint's declaration, worked out once per endpoint.

Every public function of ``_frame`` takes ``endpoint=`` as a name (``"agentperformance"``)
or an :class:`~cvframe._endpoints.Endpoint`; :func:`resolve` turns either into the
declaration. What is derived from a declaration (its Arrow schema, its column getters,
its pandera schema) is built on first use and kept for the registered endpoints
(:func:`per_endpoint`), so the call-volume path pays a dictionary lookup per page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .._endpoints import ENDPOINTS, Endpoint, endpoint_named

__all__ = [
    "INTERVAL_PAIR",
    "EndpointLike",
    "label",
    "nullable_key_columns",
    "per_endpoint",
    "reader_hint",
    "required_columns",
    "resolve",
    "row_order",
]

#: What an ``endpoint=`` argument takes: a name of ``ENDPOINTS`` or a declaration.
EndpointLike = str | Endpoint

T = TypeVar("T")


def resolve(endpoint: EndpointLike) -> Endpoint:
    """The declaration ``endpoint`` names (a declaration is returned as it is)."""
    return endpoint_named(endpoint)


def per_endpoint(build: Callable[[Endpoint], T]) -> Callable[[Endpoint], T]:
    """``build``, remembered for each registered endpoint (built afresh for any other).

    A declaration is not hashable (it holds mappings), and one made in a test may
    share a registered one's name: only the very object of ``ENDPOINTS`` is cached.
    """
    cache: dict[str, T] = {}

    def cached(endpoint: Endpoint) -> T:
        if ENDPOINTS.get(endpoint.name) is not endpoint:
            return build(endpoint)
        try:
            return cache[endpoint.name]
        except KeyError:
            value = cache[endpoint.name] = build(endpoint)
            return value

    return cached


# The endpoint's name in the user's words, and the readers that build its frame.
_LABELS = {
    "callvolume": ("call-volume", "cvframe.read_callvolume or cvframe.read_snapshot"),
    "skillvolume": ("skill-volume", "cvframe.read_skill_volume"),
    "agentperformance": ("agent-performance", "cvframe.read_agent_performance"),
    "agentactivity": ("agent-activity", "cvframe.read_agent_activity"),
    "queues": ("queues", "cvframe.read_queues"),
    "agents": ("agents", "cvframe.read_agents"),
}


def label(endpoint: Endpoint) -> str:
    """The endpoint's name for messages: ``"agent-performance"``."""
    return _LABELS.get(endpoint.name, (endpoint.name, ""))[0]


def reader_hint(endpoint: Endpoint) -> str:
    """What builds a frame of the endpoint, for messages ("cvframe.read_agents")."""
    hint = _LABELS.get(endpoint.name, ("", ""))[1]
    return hint or f"cvframe.records_to_frame(..., endpoint={endpoint.name!r})"


# Key columns that may be null and still name a row (compared as equal when both are
# null): an agent's state change need not give a reason. The declaration does not say
# this yet (asked of the lead in /tmp/brief/requests.md); until it does, it is here.
_NULLABLE_KEYS = {"agentactivity": frozenset({"reason_code"})}

#: The columns that bound an interval; where a contract has both, end > start.
INTERVAL_PAIR = ("interval_start", "interval_end")


def nullable_key_columns(endpoint: Endpoint) -> frozenset[str]:
    """The key columns a row may leave null."""
    return _NULLABLE_KEYS.get(endpoint.name, frozenset())


def required_columns(endpoint: Endpoint) -> tuple[str, ...]:
    """The columns never null: the keys that name a row and the times that place it."""
    names = endpoint.column_names()
    required = set(endpoint.key_columns) - nullable_key_columns(endpoint)
    if endpoint.interval_column is not None:
        required.add(endpoint.interval_column)
    if all(name in names for name in INTERVAL_PAIR):
        required.update(INTERVAL_PAIR)
    return tuple(name for name in names if name in required)


def row_order(endpoint: Endpoint) -> tuple[str, ...]:
    """The frame's sort keys, then any key column they leave out (a total order)."""
    rest = tuple(k for k in endpoint.key_columns if k not in endpoint.sort_keys)
    return (*endpoint.sort_keys, *rest)
