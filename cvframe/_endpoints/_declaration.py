"""What an API endpoint is, as data: its path, its paging, its keys and its column contract.

An :class:`Endpoint` is read by everything that deals with the endpoint: the client
(path, method, paging, the page's keys), the frame builder (the columns, their kinds,
the sort keys), the snapshots (the interval column, the schema version) and the
emulator (path and keys). Adding an endpoint is adding one declaration beside
:mod:`cvframe._endpoints._callvolume`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = ["Column", "DurationUnit", "Endpoint", "Kind", "PagingStyle"]

#: What a column holds; each kind has one Arrow type and one pandas dtype per backend.
Kind = Literal["string", "int", "float", "datetime", "duration"]
#: The unit an endpoint sends its durations in.
DurationUnit = Literal["ms", "s"]
#: How an endpoint pages: ``skip``/``limit`` in the request, ``hasMore`` in the answer.
PagingStyle = Literal["skip_limit"]


@dataclass(frozen=True)
class Column:
    """One column of a contract: its name in the frame, the API field it comes from."""

    name: str
    api_name: str
    kind: Kind
    description: str


@dataclass(frozen=True)
class Endpoint:
    """One API endpoint, declared: where it is, how it pages, what its records hold.

    >>> from cvframe._endpoints import CALLVOLUME
    >>> CALLVOLUME.path_for("a-1")
    '/agentassist/api/public/analytics/account/a-1/callvolume'
    >>> CALLVOLUME.records_key, CALLVOLUME.id_column, CALLVOLUME.api_fields["__v"]
    ('CallVolumeUpdate', 'id', 'version')
    """

    #: A short name for messages, e.g. ``"callvolume"``.
    name: str
    #: The path below the host, with ``{account_id}`` to fill in.
    path: str
    #: The HTTP method each page is asked for with.
    method: str
    paging: PagingStyle
    #: The keys of an answer: the record list, "more pages follow", the window's total.
    records_key: str
    has_more_key: str
    total_key: str
    #: The API fields of a record's id and of its version (a later update is higher).
    id_field: str
    version_field: str
    #: The column contract, in frame order.
    columns: tuple[Column, ...]
    #: Bumped whenever a column is added, removed, renamed or changes dtype.
    schema_version: int
    #: The unit the endpoint sends durations in.
    duration_unit: DurationUnit
    #: The column that places a record in time: windows and snapshot partitions follow it.
    interval_column: str
    #: The frame's row order (ascending), which makes it deterministic.
    sort_keys: tuple[str, ...]
    #: API field name -> column name (derived from ``columns``).
    api_fields: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = MappingProxyType({c.api_name: c.name for c in self.columns})
        object.__setattr__(self, "api_fields", fields)
        names = {c.name for c in self.columns}
        needed = {self.interval_column, *self.sort_keys}
        if len(names) != len(self.columns) or len(fields) != len(self.columns):
            raise ValueError(f"endpoint {self.name!r}: column or API field names repeat")
        if not needed <= names or not {self.id_field, self.version_field} <= set(fields):
            raise ValueError(f"endpoint {self.name!r}: a key names no column of its contract")

    @property
    def id_column(self) -> str:
        """The frame column of the record id."""
        return self.api_fields[self.id_field]

    @property
    def version_column(self) -> str:
        """The frame column of the record version."""
        return self.api_fields[self.version_field]

    def api_field(self, column: str) -> str:
        """The API field a column comes from (the reverse of :attr:`api_fields`).

        >>> from cvframe._endpoints import CALLVOLUME
        >>> CALLVOLUME.api_field("max_queue_hold_time_abandoned")
        'maxqueueHoldTimeAbandoned'
        """
        for c in self.columns:
            if c.name == column:
                return c.api_name
        raise KeyError(f"endpoint {self.name!r} has no column {column!r}")

    def column_names(self) -> list[str]:
        """The contract's column names, in order."""
        return [c.name for c in self.columns]

    def path_for(self, account_id: str) -> str:
        """The path of this endpoint for one account."""
        return self.path.format(account_id=account_id)
