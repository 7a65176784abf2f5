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
    "nullable_key_columns",
    "per_endpoint",
    "reader_hint",
    "record_columns",
    "required_columns",
    "resolve",
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


def reader_hint(endpoint: Endpoint) -> str:
    """What builds a frame of the endpoint, for messages ("cvframe.read_agents").

    The history endpoints (those placed in time) can also be read from a snapshot.
    """
    if endpoint.interval_column is None:
        return f"cvframe.{endpoint.reader}"
    return f"cvframe.{endpoint.reader} or cvframe.read_snapshot"


#: The columns that bound an interval; where a contract has both, end > start.
INTERVAL_PAIR = ("interval_start", "interval_end")


def nullable_key_columns(endpoint: Endpoint) -> frozenset[str]:
    """The key columns a row may leave null (two nulls are the same key)."""
    return frozenset(endpoint.nullable_key_columns)


def required_columns(endpoint: Endpoint) -> tuple[str, ...]:
    """The columns never null: the keys that name a row and the times that place it."""
    names = endpoint.column_names()
    required = set(endpoint.key_columns) - nullable_key_columns(endpoint)
    if endpoint.interval_column is not None:
        required.add(endpoint.interval_column)
    if all(name in names for name in INTERVAL_PAIR):
        required.update(INTERVAL_PAIR)
    return tuple(name for name in names if name in required)


#: The key column that tells the rows of one item apart, for the nested row shapes:
#: a record's skills, an agent's interval's queues.
_ROW_WITHIN_RECORD = {"record_skills": "skill_id", "agent_intervals_queues": "queue_id"}


def record_columns(endpoint: Endpoint) -> tuple[str, ...]:
    """The key columns naming the item a row comes from, where one item gives many rows.

    Skill volume: ``("id",)`` (a record and its skills); agent performance:
    ``("agent_id", "interval_start")`` (an agent's interval and its queues). Empty for
    the flat shapes, where a row is an item.
    """
    within = _ROW_WITHIN_RECORD.get(endpoint.row_shape)
    if within is None or within not in endpoint.key_columns:
        return ()
    return tuple(k for k in endpoint.key_columns if k != within)
