"""What the store asks of an endpoint's contract beyond the frame layer's interface.

The Arrow schema, the columns, the empty frame and validation of each endpoint are
:mod:`cvframe._frame`'s (``arrow_schema(endpoint)``, ``validate(df, endpoint=)``...);
these are the few questions the store alone asks: which columns a day's file cannot do
without, and whether rows are of a queue. (The endpoint's name in messages is its
declaration's ``label``.)
"""

from __future__ import annotations

import functools

from .._endpoints import CALLVOLUME, Endpoint

__all__ = ["has_queues", "required_columns"]


def has_queues(endpoint: Endpoint) -> bool:
    """Whether the endpoint's rows are of a queue (``queues=`` can select them)."""
    return {"queue_id", "queue_name"} <= set(endpoint.column_names())


def required_columns(endpoint: Endpoint = CALLVOLUME) -> tuple[str, ...]:
    """The columns a day's file cannot do without: those that tell rows apart and place them.

    For call volume, the non-nullable columns of :class:`cvframe.CallVolumeSchema`; for
    the others, the natural key and the interval column.
    """
    if endpoint is CALLVOLUME:
        return _call_volume_required()
    names = [*endpoint.key_columns]
    if endpoint.interval_column is not None:
        names.append(endpoint.interval_column)
    return tuple(dict.fromkeys(names))


@functools.cache
def _call_volume_required() -> tuple[str, ...]:
    """The non-nullable columns of :class:`cvframe.CallVolumeSchema` (built once)."""
    from .._frame import CallVolumeSchema  # on first use: it imports pandera

    schema = CallVolumeSchema.to_schema()
    return tuple(name for name, column in schema.columns.items() if not column.nullable)
