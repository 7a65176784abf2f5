"""The typed decode of a page: bytes straight into typed records, when msgspec is installed.

A page of call volume is a thousand records of the same 25 fields. Decoding it into
Python dicts (``orjson.loads``) and then taking each field out of each dict costs
more than everything after it. With msgspec (the ``fast`` extra), the page's bytes
decode into one ``Struct`` per record instead: the contract's fields, with their
types and API spellings, declared once per endpoint (:func:`page_decoder`). Typed
records are about three times faster to decode than dicts, take a third of their
memory, and their columns come out of ``msgspec.structs.astuple`` in one pass.

The typed decode is only a faster road to the same table, never a second set of
rules. A page it cannot take exactly as it is goes the usual way (``None`` from the
decoder; the transport then parses the bytes into dicts), so every warning, coercion
and error stays that of :func:`cvframe._api._paging.parse_page` and
:func:`cvframe._frame.records_to_table`:

* a field the contract does not know (a drift warning names it);
* a value of another JSON type than the contract's (``3.0`` for a count, an id sent
  as a number, ``true``), ``NaN`` or a number beyond a float, a lone surrogate;
* a record without an id, an empty id, a page without ``hasMore`` or the record list,
  a negative ``totalCount``.

What the typed decode takes, the usual route would have taken unchanged: a missing
field is null in both, an integer count stays an integer, an integer where a float
belongs (``csatScore``: ``4``) becomes that float in both. An integer beyond 64 bits
decodes (msgspec keeps Python's big integers) and is refused by the conversion with
the usual message. ``tests/api/test_typed_decode.py`` checks that both roads give the same
table.

Endpoints: those whose items are the rows (``row_shape="records"``), spelled one way
(no aliases), without zone-less local times: call volume.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Annotated, Any

from .._endpoints import DurationUnit, Endpoint

__all__ = [
    "MISFITS_BEFORE_GIVING_UP",
    "PageDecoder",
    "TypedBody",
    "page_decoder",
    "typed_decode_available",
]

#: After this many pages in a row that did not fit, a read stops trying the typed
#: decode (a server that always sends a new field would otherwise be parsed twice).
MISFITS_BEFORE_GIVING_UP = 3

#: Tests switch the typed decode off to check the usual route alone.
ENABLED = True


@functools.cache
def _msgspec() -> Any:
    """msgspec, imported on the first read that can use it (``import cvframe`` stays
    light); None when it is not installed."""
    try:
        import msgspec
    except ImportError:  # pragma: no cover - the fast extra is installed in the test venvs
        return None
    return msgspec


def typed_decode_available() -> bool:
    """Whether msgspec is installed (the ``fast`` extra), so pages can decode typed."""
    return ENABLED and _msgspec() is not None


@dataclass(frozen=True)
class TypedBody:
    """A page decoded typed: what :func:`cvframe._api._paging.parse_page` wraps.

    ``records`` are msgspec ``Struct`` instances with a field per column, named as
    the column, in the order the API sends them (``Endpoint.wire_order``).
    """

    records: list[Any]
    has_more: bool
    total_count: int | None
    ids: list[str]


def _fits(endpoint: Endpoint) -> bool:
    return (
        endpoint.paging == "skip_limit"
        and endpoint.row_shape == "records"
        and not endpoint.aliases
        and endpoint.has_more_key is not None
        and not any(c.time_format for c in endpoint.columns)
    )


#: The integers the typed decode takes: the 64-bit range, which the frame holds. orjson,
#: the usual route's parser, reads integers past 64 bits as floats, so a page with one
#: goes that way, to meet the same outcome and message (msgspec would keep them exact).
_INT_RANGE = {"ge": -(2**63), "le": 2**63 - 1}

_DECODERS: dict[tuple[str, str], Callable[[bytes], Any]] = {}


def _struct_decoder(endpoint: Endpoint, duration_unit: DurationUnit) -> Callable[[bytes], Any]:
    """msgspec's decoder of one page of ``endpoint``, built once per (endpoint, unit)."""
    key = (endpoint.name, duration_unit)
    if key in _DECODERS:
        return _DECODERS[key]
    msgspec = _msgspec()
    whole = Annotated[int, msgspec.Meta(**_INT_RANGE)]
    kinds: dict[str, Any] = {
        "string": str,
        "int": whole,
        "float": float,
        "datetime": str,  # parsed by Arrow, as on the usual route
        # Seconds may be whole or not; kept as sent, so that a message shows the value.
        "duration": whole if duration_unit == "ms" else whole | float,
    }
    fields: list[Any] = []
    by_api_name = {c.api_name: c for c in endpoint.columns}
    for column in [by_api_name[name] for name in endpoint.wire_order] or endpoint.columns:
        kind = kinds[column.kind]
        if column.api_name == endpoint.id_field:
            fields.append((column.name, kind, msgspec.field(name=column.api_name)))
        else:
            fields.append(
                (column.name, kind | None, msgspec.field(default=None, name=column.api_name))
            )
    record = msgspec.defstruct(
        f"{endpoint.name.title()}Record",
        fields,
        kw_only=True,  # the id is required wherever it sits among the optional fields
        forbid_unknown_fields=True,  # an unknown field goes the usual way, to be named
        gc=False,  # records hold no containers: no cycles for the collector to find
    )
    total_type: Any = whole | None
    page = msgspec.defstruct(
        f"{endpoint.name.title()}Page",
        [
            ("has_more", bool, msgspec.field(name=endpoint.has_more_key)),
            ("records", list[record], msgspec.field(name=endpoint.records_key)),  # type: ignore[valid-type]
            ("total_count", total_type, msgspec.field(default=None, name=endpoint.total_key)),
        ],
        kw_only=True,
        gc=False,
    )
    decoder = msgspec.json.Decoder(page).decode
    _DECODERS[key] = decoder
    return decoder


class PageDecoder:
    """Decodes one read's pages typed; ``None`` for a page that does not fit.

    Gives up for the rest of the read after :data:`MISFITS_BEFORE_GIVING_UP` pages in
    a row that did not fit. ``misfits`` counts the pages that went the usual way.

    Prefetching threads call it at once and out of order; the counters are not locked,
    since at worst it gives up a page early or late (a retried non-JSON body counts
    too): a page given back always goes the usual way, so no outcome depends on them.
    ``_DECODERS`` may build one decoder twice in a race, equally harmless.
    """

    def __init__(self, endpoint: Endpoint, duration_unit: DurationUnit) -> None:
        self._decode = _struct_decoder(endpoint, duration_unit)
        self._errors = _msgspec().MsgspecError
        self._id_of = attrgetter(
            next(c.name for c in endpoint.columns if c.api_name == endpoint.id_field)
        )
        self.misfits = 0
        self._in_a_row = 0

    def __call__(self, content: bytes) -> TypedBody | None:
        """The page typed, or None when it must go the usual way."""
        if self._in_a_row >= MISFITS_BEFORE_GIVING_UP:
            return None
        try:
            page = self._decode(content)
        except self._errors:  # a shape or value the usual route has words for
            self._misfit()
            return None
        records: list[Any] = page.records
        ids: list[str] = list(map(self._id_of, records))
        total = page.total_count
        if "" in ids or (total is not None and total < 0):
            self._misfit()
            return None
        self._in_a_row = 0
        return TypedBody(records, page.has_more, total, ids)

    def _misfit(self) -> None:
        self.misfits += 1
        self._in_a_row += 1


def page_decoder(endpoint: Endpoint, duration_unit: DurationUnit) -> PageDecoder | None:
    """A fresh :class:`PageDecoder` for one read of ``endpoint``, or None when pages of
    this endpoint cannot decode typed (or msgspec is not installed)."""
    if not typed_decode_available() or not _fits(endpoint):
        return None
    return PageDecoder(endpoint, duration_unit)
