"""What an API endpoint is, as data: its path, its paging, its keys and its column contract.

An :class:`Endpoint` is read by everything that deals with the endpoint: the client
(path, method, paging, the page's keys), the frame builder (the columns, their kinds,
the sort keys), the snapshots (the interval column, the schema version) and the
emulator (path and keys). Adding an endpoint is adding one declaration beside
:mod:`cvframe._endpoints._callvolume`.

The endpoints differ along a few axes, each a field here rather than code:

- how they page (:data:`PagingStyle`): ``skip``/``limit`` with ``hasMore`` and
  ``totalCount`` (call volume, agent performance), ``offset``/``limit`` ending on a
  short page (agents), or not at all (queues; agent activity, whose windows the client
  cuts into :attr:`Endpoint.chunk`-long pieces);
- what a page's items are and how they become rows (:data:`RowShape`): flat records,
  or nested lists flattened to one row per agent x interval x queue (agent
  performance) or per record x skill (the skill breakdown);
- how a request carries its window: a JSON body (POST) or the query string (GET);
- which other spellings of a field the API is known to send (:attr:`Endpoint.aliases`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Literal

__all__ = ["Column", "DurationUnit", "Endpoint", "Kind", "PagingStyle", "RowShape"]

#: What a column holds; each kind has one Arrow type and one pandas dtype per backend.
Kind = Literal["string", "int", "float", "datetime", "duration"]
#: The unit an endpoint sends its durations in.
DurationUnit = Literal["ms", "s"]
#: How an endpoint pages: ``skip``/``limit`` in the request with ``hasMore`` and
#: ``totalCount`` in the answer; ``offset``/``limit`` in the query, the last page being
#: shorter than ``limit`` (or empty); or one answer for the whole request.
PagingStyle = Literal["skip_limit", "offset_limit", "none"]
#: How the items of a page become rows: as they are (``records``); one row per agent x
#: interval x queue from ``{agentId, intervals: [{..., queues: [...]}]}``
#: (``agent_intervals_queues``); one row per record x skill from a record's
#: ``skillBreakdown`` list (``record_skills``).
RowShape = Literal["records", "agent_intervals_queues", "record_skills"]


@dataclass(frozen=True)
class Column:
    """One column of a contract: its name in the frame, the API field it comes from."""

    name: str
    api_name: str
    kind: Kind
    description: str
    #: For a ``datetime`` sent in another spelling than ISO 8601: its ``strptime``
    #: format. Such times carry no zone; the reader says which one they are in.
    time_format: str | None = None


@dataclass(frozen=True)
class Endpoint:
    """One API endpoint, declared: where it is, how it pages, what its records hold.

    >>> from cvframe._endpoints import CALLVOLUME
    >>> CALLVOLUME.path_for("a-1")
    '/agentassist/api/public/analytics/account/a-1/callvolume'
    >>> CALLVOLUME.records_key, CALLVOLUME.id_column, CALLVOLUME.api_fields["__v"]
    ('CallVolumeUpdate', 'id', 'version')
    """

    #: A short name for ``endpoint=`` arguments, e.g. ``"callvolume"``.
    name: str
    #: The endpoint's name in messages, e.g. ``"call-volume"`` ("the call-volume contract").
    label: str
    #: The public function that reads it, named in messages ("read_callvolume").
    reader: str
    #: The path below the host, with ``{account_id}`` to fill in.
    path: str
    #: The HTTP method of each request: a POST carries its parameters as a JSON body,
    #: a GET in the query string.
    method: str
    paging: PagingStyle
    #: The API field of each paged item's id: what paging and its completeness checks
    #: count (a record, or an agent for agent performance).
    id_field: str
    #: The column contract, in frame order.
    columns: tuple[Column, ...]
    #: Bumped whenever a column is added, removed, renamed or changes dtype.
    schema_version: int
    #: The columns that name a row: a frame holds one row per key (the natural key).
    key_columns: tuple[str, ...]
    #: The frame's row order (ascending), which makes it deterministic.
    sort_keys: tuple[str, ...]
    #: The keys of an answer: the item list (None: the answer is a JSON array),
    #: "more pages follow", the window's total (None where the endpoint sends none).
    records_key: str | None = None
    has_more_key: str | None = None
    total_key: str | None = None
    #: The API field of an item's version (a later update is higher), if it has one.
    version_field: str | None = None
    #: The column that places a row in time: windows and snapshot partitions follow
    #: it. None for the directory endpoints (queues, agents), which take no window.
    interval_column: str | None = None
    #: How the items of a page become rows.
    row_shape: RowShape = "records"
    #: What one paged item is, for progress bars and messages ("record", "agent").
    item_unit: str = "record"
    #: The unit the endpoint sends durations in.
    duration_unit: DurationUnit = "ms"
    #: The request keys of the window's start and end (None: no window).
    window_keys: tuple[str, str] | None = ("fromTimeStamp", "toTimeStamp")
    #: The request key of the organization id, for endpoints that take one.
    org_key: str | None = None
    #: Fixed request parameters sent with every request (``includeSkillBreakdown``).
    extra_params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: For an endpoint without paging: the longest window one request asks for. The
    #: client cuts a longer window into pieces of this length.
    chunk: timedelta | None = None
    #: Other spellings the API is known to send -> the declared one, for item fields
    #: and for the item list's key (``"AgentId"`` -> ``"agentId"``).
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The key columns that may be null (two nulls are the same key), e.g. activity's
    #: ``reason_code``, which only ``notready`` events carry; the others never are.
    nullable_key_columns: tuple[str, ...] = ()
    #: The API fields in the order the API sends them (its documented sample), where
    #: that differs from the columns' order; empty: the columns' order. The typed
    #: decode declares its records' fields in this order, since msgspec finds each key
    #: at once when the keys arrive in the order of the fields (and searches for it
    #: otherwise: a tenth of the decode). Any order still decodes the same.
    wire_order: tuple[str, ...] = ()
    #: API field name -> column name (derived from ``columns``).
    api_fields: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = MappingProxyType({c.api_name: c.name for c in self.columns})
        object.__setattr__(self, "api_fields", fields)
        names = {c.name for c in self.columns}
        needed = {*self.key_columns, *self.sort_keys}
        if self.interval_column is not None:
            needed.add(self.interval_column)
        id_fields = {self.id_field} | ({self.version_field} if self.version_field else set())
        if len(names) != len(self.columns) or len(fields) != len(self.columns):
            raise ValueError(f"endpoint {self.name!r}: column or API field names repeat")
        if (
            not self.key_columns
            or not needed <= names
            or not id_fields <= set(fields)
            or not set(self.nullable_key_columns) <= set(self.key_columns)
        ):
            raise ValueError(f"endpoint {self.name!r}: a key names no column of its contract")
        if self.paging == "skip_limit" and not (
            self.records_key and self.has_more_key and self.total_key
        ):
            raise ValueError(
                f"endpoint {self.name!r}: skip/limit paging needs records, hasMore and "
                "totalCount keys"
            )
        if (self.chunk is not None) != (self.paging == "none" and self.window_keys is not None):
            raise ValueError(
                f"endpoint {self.name!r}: a chunk is what a windowed endpoint without "
                "paging needs, and only it"
            )
        if self.wire_order and sorted(self.wire_order) != sorted(fields):
            raise ValueError(f"endpoint {self.name!r}: wire_order must name each API field once")
        for column in self.columns:
            if column.time_format is not None and column.kind != "datetime":
                raise ValueError(f"endpoint {self.name!r}: {column.name} has a time format")

    @property
    def id_column(self) -> str:
        """The frame column of the record id."""
        return self.api_fields[self.id_field]

    @property
    def version_column(self) -> str | None:
        """The frame column of the record version (None when items have none)."""
        return None if self.version_field is None else self.api_fields[self.version_field]

    @property
    def windowed(self) -> bool:
        """Whether a request names a window (``fromTimeStamp``/``toTimeStamp``)."""
        return self.window_keys is not None

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
