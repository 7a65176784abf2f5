"""Records -> Arrow: a page's items (API field names) become a table of the contract.

The items are first made flat rows by the endpoint's row shape (``_shapes``). Every
value is checked as it is converted: a value the contract cannot hold is a
:class:`cvframe.ResponseError` naming the field, the item (record id, agent id, ...)
and the value as sent. Fields the contract does not know are dropped, and named in one
warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from .._endpoints import CALLVOLUME, Column, DurationUnit, Endpoint
from .._errors import ResponseError, SchemaDriftWarning
from .._gc import gc_paused
from ._dtypes import ARROW_TYPES, POOL, arrow_schema
from ._local_times import Window, check_time_zone, check_window, local_times_to_utc
from ._per_endpoint import EndpointLike, per_endpoint, resolve
from ._shapes import flat_rows

__all__ = [
    "MAX_DURATION_MS",
    "check_duration_unit",
    "records_to_table",
    "typed_records_to_table",
    "warn_drift",
]

#: The longest duration a frame holds, in milliseconds (about 292 years): what pandas'
#: nanosecond ``Timedelta`` can still hold, so arithmetic on the column cannot
#: overflow. A real interval's totals are hours; a longer value is a server fault.
MAX_DURATION_MS = (2**63 - 1) // 1_000_000
#: The range of the int64 count columns.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

#: How a message names row ``i``'s item ("record 'abc'", "agent 'a-1' (interval ...)").
Describe = Callable[[int], str]


def _bad_value(
    column: Column,
    describe: Describe,
    values: Sequence[Any],
    ok: Any,
    what: str | None = None,
) -> ResponseError:
    """The error naming the first value that is not ``ok``: its field, item and value."""
    for i, value in enumerate(values):
        if value is not None and not ok(value):
            return ResponseError(
                f"field {column.api_name!r} of {describe(i)} is {value!r}, "
                f"not {what or _KIND_TEXT[column.kind]}; the API sent data cvframe cannot "
                "read. Report it to Kore.ai with the ids this message names"
            )
    return ResponseError(
        f"field {column.api_name!r} holds values that are not {what or _KIND_TEXT[column.kind]}"
        "; the API sent data cvframe cannot read. Report it to Kore.ai"
    )


_KIND_TEXT = {
    "string": "a string",
    "int": "a whole number",
    "float": "a number",
    "datetime": "an ISO 8601 timestamp",
    "duration": "a whole number of milliseconds",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value) and float(value).is_integer()


def _is_int64(value: Any) -> bool:
    return _is_whole(value) and _INT64_MIN <= value <= _INT64_MAX


def _is_finite(value: Any) -> bool:
    try:
        return _is_number(value) and math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        return False


def _is_text(value: Any) -> bool:
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _int_array(column: Column, describe: Describe, values: Sequence[Any]) -> pa_arrow.Array:
    try:
        arr = pa_arrow.array(values, memory_pool=POOL)
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowTypeError, OverflowError):
        raise _bad_value(column, describe, values, _is_int64, _INT64_TEXT) from None
    if arr.type == pa_arrow.int64():  # the usual case: whole numbers, as sent
        return arr
    if pa_arrow.types.is_signed_integer(arr.type) or pa_arrow.types.is_null(arr.type):
        return arr.cast(pa_arrow.int64(), memory_pool=POOL)
    if pa_arrow.types.is_floating(arr.type):
        finite = pc.is_finite(arr)
        whole = pc.equal(arr, pc.floor(arr))
        # 2**63 is exact as a float, so the bounds are too: an unsafe cast of anything
        # beyond them would wrap (1e19 would become -9223372036854775808).
        in_range = pc.and_(pc.greater_equal(arr, -(2.0**63)), pc.less(arr, 2.0**63))
        if pc.all(pc.and_kleene(pc.and_kleene(finite, whole), in_range)).as_py() is not False:
            return arr.cast(pa_arrow.int64(), safe=False, memory_pool=POOL)
    raise _bad_value(column, describe, values, _is_int64, _INT64_TEXT)


_INT64_TEXT = "a whole number within the 64-bit range"


def _float_array(column: Column, describe: Describe, values: Sequence[Any]) -> pa_arrow.Array:
    try:
        try:
            arr = pa_arrow.array(values, memory_pool=POOL)
        except OverflowError:
            # An integer beyond 64 bits is, in a float field, the nearest float (what
            # a JSON parser reads it as); beyond any float it is refused below.
            floated = [float(v) if type(v) is int else v for v in values]
            arr = pa_arrow.array(floated, memory_pool=POOL)
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowTypeError, OverflowError):
        raise _bad_value(column, describe, values, _is_finite, "a finite number") from None
    if (
        pa_arrow.types.is_integer(arr.type)
        or pa_arrow.types.is_floating(arr.type)
        or pa_arrow.types.is_null(arr.type)
    ):
        # An integer beyond 2**53 is the nearest float, as a JSON parser reads it into a
        # float field (a safe cast refuses it, with Arrow's own error).
        floats = arr.cast(pa_arrow.float64(), safe=False, memory_pool=POOL)
        # JSON has no NaN or infinity; Python's parser takes them (and 1e400 as inf).
        if pc.all(pc.is_finite(floats)).as_py() is not False:
            return floats
        raise _bad_value(column, describe, values, _is_finite, "a finite number")
    raise _bad_value(column, describe, values, _is_number)


def _string_array(column: Column, describe: Describe, values: Sequence[Any]) -> pa_arrow.Array:
    try:
        try:
            return pa_arrow.array(values, pa_arrow.string(), memory_pool=POOL)
        except (pa_arrow.ArrowInvalid, pa_arrow.ArrowTypeError):
            # An id sent as a number is still an id: documented coercion to its text.
            texts = [None if v is None else str(v) for v in values]
            return pa_arrow.array(texts, pa_arrow.string(), memory_pool=POOL)
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800" in the JSON) is no character at all.
        raise _bad_value(column, describe, values, _is_text, _TEXT_TEXT) from None


_TEXT_TEXT = "valid Unicode text (it holds a lone surrogate)"


def _datetime_array(column: Column, describe: Describe, values: Sequence[Any]) -> pa_arrow.Array:
    target = ARROW_TYPES["datetime"]
    try:
        return pa_arrow.array(values, pa_arrow.string()).cast(target, memory_pool=POOL)
    except UnicodeEncodeError:
        raise _bad_value(column, describe, values, _is_text, _TEXT_TEXT) from None
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowTypeError, pa_arrow.ArrowNotImplementedError):
        pass
    # Slow path: sub-millisecond digits or no zone (read as UTC), via pandas' ISO parser.
    if not all(v is None or isinstance(v, str) for v in values):
        raise _bad_value(column, describe, values, lambda v: isinstance(v, str))
    try:
        parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError):

        def parses(v: Any) -> bool:
            try:
                pd.Timestamp(v)
            except (ValueError, TypeError, OverflowError):
                return False
            return True

        raise _bad_value(column, describe, values, parses) from None
    return pa_arrow.array(
        parsed.dt.floor("ms").astype("datetime64[ms, UTC]"), target, memory_pool=POOL
    )


def _local_datetime_array(
    column: Column,
    describe: Describe,
    values: Sequence[Any],
    time_zone: str,
    groups: Sequence[Any] | None,
    window: Window | None,
) -> pa_arrow.Array:
    """A column of zone-less times in the endpoint's own spelling, read in ``time_zone``.

    ``groups``: each row's item id (an event's agent), whose times follow each other;
    ``window``: the request's, UTC.
    """

    def bad(ok: Callable[[Any], bool], what: str) -> ResponseError:
        return _bad_value(column, describe, values, ok, what)

    return local_times_to_utc(column, values, time_zone, bad, describe, groups, window)


def _duration_array(
    column: Column,
    describe: Describe,
    values: Sequence[Any],
    duration_unit: DurationUnit,
) -> pa_arrow.Array:
    if duration_unit == "ms":
        millis = _int_array(column, describe, values)
        limit: Any = MAX_DURATION_MS
        scale = 1
    else:
        seconds = _float_array(column, describe, values)
        millis = pc.round(pc.multiply(seconds, 1000.0))
        limit, scale = float(MAX_DURATION_MS), 1000
    # Both bounds, not abs(): abs(-2**63) wraps around to itself. One pass for both
    # (nulls skipped; the floats are finite, _float_array saw to it).
    low, high = _bounds(millis)
    if low is not None and (low < -limit or high > limit):
        raise _bad_value(
            column,
            describe,
            values,
            lambda v: _is_finite(v) and abs(v) * scale <= MAX_DURATION_MS,
            f"a duration cvframe can hold (at most {MAX_DURATION_MS:,} ms, about 292 years)",
        )
    if millis.type != pa_arrow.int64():
        millis = millis.cast(pa_arrow.int64(), memory_pool=POOL)
    return millis.view(ARROW_TYPES["duration"])  # the same buffers, read as milliseconds


def _bounds(values: pa_arrow.Array) -> tuple[Any, Any]:
    """The least and the greatest value (None, None when there are none), nulls skipped."""
    if not len(values) or values.null_count == len(values):
        return None, None
    if not values.null_count:  # numpy's reductions on the same buffer: the cheapest call
        numbers = values.to_numpy(zero_copy_only=True)
        return numbers.min().item(), numbers.max().item()
    bounds = pc.min_max(values)
    return bounds["min"].as_py(), bounds["max"].as_py()


@dataclass(frozen=True)
class _Layout:
    """What converting rows of one endpoint needs, built once: columns, getters, names."""

    columns: tuple[Column, ...]
    getters: tuple[Callable[[Mapping[str, Any]], Any], ...]
    known: frozenset[str]
    #: Every column's value of one record, as a tuple (in ``columns`` order).
    row: Callable[[Mapping[str, Any]], tuple[Any, ...]]


@per_endpoint
def _layout(endpoint: Endpoint) -> _Layout:
    columns = endpoint.columns
    names = [c.api_name for c in columns]
    row = itemgetter(*names) if len(names) > 1 else lambda r: (r[names[0]],)
    return _Layout(
        columns,
        tuple(itemgetter(name) for name in names),
        frozenset(endpoint.api_fields),
        row,
    )


def _column_values(
    records: Sequence[Mapping[str, Any]], layout: _Layout
) -> tuple[Sequence[Sequence[Any]], bool]:
    """The values of each contract column, and whether every record had every field.

    When every record has every field, as the API sends them: one C-level pass taking
    each record's row (one ``itemgetter`` of all the fields) and one transposing them
    (``zip``), a fifth faster than a pass per column. Otherwise a pass per column
    (``map`` of an ``itemgetter``), per-record ``get`` for a column where some lack it.
    The caller pauses the garbage collector, which the rows' tuples would otherwise
    wake.
    """
    if records:
        try:
            return tuple(zip(*map(layout.row, records), strict=True)), True
        except KeyError:
            pass
    columns: list[Sequence[Any]] = []
    complete = True
    for column, getter in zip(layout.columns, layout.getters, strict=True):
        try:
            columns.append(list(map(getter, records)))
        except KeyError:
            complete = False
            columns.append([r.get(column.api_name) for r in records])
    return columns, complete


def check_duration_unit(duration_unit: str) -> DurationUnit:
    """Return ``duration_unit`` if durations can be read in it ("ms" or "s"), else raise."""
    if duration_unit not in ("ms", "s"):
        raise ValueError(f"duration_unit must be 'ms' or 's', got {duration_unit!r}")
    return duration_unit  # type: ignore[return-value]


def records_to_table(
    records: Sequence[Mapping[str, Any]],
    *,
    endpoint: EndpointLike = CALLVOLUME,
    duration_unit: DurationUnit = "ms",
    unknown_fields: set[str] | None = None,
    time_zone: str = "UTC",
    window: tuple[Any, Any] | None = None,
) -> pa_arrow.Table:
    """Convert a page's items, exactly as sent, to an Arrow table of the endpoint's contract.

    The items become rows by the endpoint's row shape (one per agent x interval x
    queue for agent performance, per record x skill for the skill breakdown); keys in
    another known spelling (``AgentId``) are read as the declared one. A missing or
    null field becomes null. Field names the contract does not know are added to
    ``unknown_fields`` (if given; a nested one with its path, ``intervals.queues.x``)
    and dropped. Zone-less times in the endpoint's own spelling (agent activity's
    ``eventTime``) are read in ``time_zone`` (an IANA name or a fixed offset) and
    stored as UTC. ``window`` is the ``(lo, hi)`` of the request that brought the items
    (UTC when naive): a wall-clock time of the hour repeated when clocks go back is
    the reading inside it, when exactly one is (the rules, in
    :mod:`cvframe._frame._local_times`); None: the order the events arrive in decides.
    """
    declared = resolve(endpoint)
    check_duration_unit(duration_unit)
    if time_zone != "UTC":
        check_time_zone(time_zone)
    asked = check_window(window)
    with gc_paused():
        rows = flat_rows(records, declared, unknown_fields)
        return _records_to_table(
            rows.rows,
            declared,
            rows.describe,
            duration_unit,
            None if rows.unknown_gathered else unknown_fields,
            time_zone,
            asked,
        )


def _records_to_table(
    records: Sequence[Mapping[str, Any]],
    endpoint: Endpoint,
    describe: Describe,
    duration_unit: DurationUnit,
    unknown_fields: set[str] | None,
    time_zone: str,
    window: Window | None = None,
) -> pa_arrow.Table:
    layout = _layout(endpoint)
    columns, complete = _column_values(records, layout)
    # Every record holding all the known fields and no more (the normal case) is told
    # by a count; only otherwise are the field names gathered.
    if (
        unknown_fields is not None
        and records
        and (not complete or sum(map(len, records)) != len(layout.columns) * len(records))
    ):
        seen = set().union(*(r.keys() for r in records))
        unknown_fields.update(seen - layout.known)
    return _columns_to_table(columns, endpoint, describe, duration_unit, time_zone, window)


def typed_records_to_table(
    records: Sequence[Any],
    *,
    endpoint: EndpointLike = CALLVOLUME,
    ids: Sequence[str],
    duration_unit: DurationUnit = "ms",
) -> pa_arrow.Table:
    """Convert a page's typed records (msgspec ``Struct`` instances with a field per
    column, named as the column, in any order: see :mod:`cvframe._api._typed`) to an
    Arrow table.

    The same table :func:`records_to_table` makes of the same page decoded into dicts:
    the values go through the same conversions and checks, column by column; only the
    way they come out of the records differs (``msgspec.structs.astuple``, one pass).
    ``ids`` are the records' ids in order, for messages.
    """
    import msgspec

    declared = resolve(endpoint)
    check_duration_unit(duration_unit)
    columns = declared.columns
    unit = declared.item_unit

    def describe(i: int) -> str:
        return f"{unit} {ids[i]!r}"

    with gc_paused():
        if not records:
            return _columns_to_table(
                [()] * len(columns), declared, describe, duration_unit, "UTC", None
            )
        fields = type(records[0]).__struct_fields__
        if sorted(fields) != sorted(c.name for c in columns):
            raise TypeError(f"typed records of {declared.name} must have a field per column")
        rows = map(msgspec.structs.astuple, records)
        values = dict(zip(fields, zip(*rows, strict=True), strict=True))
        arrays = [
            _typed_array(column, describe, values[column.name], duration_unit) for column in columns
        ]
        return pa_arrow.Table.from_arrays(arrays, schema=arrow_schema(declared))


def _typed_array(
    column: Column, describe: Describe, values: Sequence[Any], duration_unit: DurationUnit
) -> pa_arrow.Array:
    """One column of typed values (each a Python value of the column's kind, or None).

    The common case in one C-level call: numbers without nulls through ``np.fromiter``
    (then viewed as durations where they are), strings straight to Arrow. Anything
    else (a null among numbers, an integer beyond 64 bits, durations in seconds, times
    Arrow does not parse) goes through the usual converter, whose checks and messages
    are the only ones there are.
    """
    kind = column.kind
    if kind == "string":
        return _string_array(column, describe, values)
    if kind == "datetime":
        return _datetime_array(column, describe, values)
    if kind == "float":
        if None in values:  # np.fromiter would read a null as NaN
            return _float_array(column, describe, values)
        # Finite: the typed decode takes no NaN, infinity or number beyond a float.
        return pa_arrow.array(np.fromiter(values, np.float64, len(values)))
    if kind == "duration" and duration_unit != "ms":
        return _duration_array(column, describe, values, duration_unit)
    try:
        numbers = np.fromiter(values, np.int64, len(values))
    except (TypeError, OverflowError):  # a null, or an integer beyond 64 bits
        return (
            _int_array(column, describe, values)
            if kind == "int"
            else _duration_array(column, describe, values, duration_unit)
        )
    if kind == "int":
        return pa_arrow.array(numbers)
    if len(numbers) and (numbers.min() < -MAX_DURATION_MS or numbers.max() > MAX_DURATION_MS):
        return _duration_array(column, describe, values, duration_unit)  # raises, naming it
    # Arrow's view of the int64 array: a tenth of the time of converting a numpy
    # timedelta64 array (whose unit Arrow looks up each time).
    return pa_arrow.array(numbers).view(ARROW_TYPES["duration"])


def _columns_to_table(
    columns: Sequence[Sequence[Any]],
    endpoint: Endpoint,
    describe: Describe,
    duration_unit: DurationUnit,
    time_zone: str,
    window: Window | None,
) -> pa_arrow.Table:
    """The table of the contract's columns from each column's values (in the
    contract's order, ``endpoint.columns``), as sent."""
    declared = endpoint.columns
    ids = [values for c, values in zip(declared, columns, strict=True)
           if c.api_name == endpoint.id_field]  # fmt: skip
    arrays = []
    for column, values in zip(declared, columns, strict=True):
        if column.kind == "string":
            arrays.append(_string_array(column, describe, values))
        elif column.kind == "int":
            arrays.append(_int_array(column, describe, values))
        elif column.kind == "float":
            arrays.append(_float_array(column, describe, values))
        elif column.kind == "datetime" and column.time_format is not None:
            group = ids[0] if ids else None
            arrays.append(_local_datetime_array(column, describe, values, time_zone, group, window))
        elif column.kind == "datetime":
            arrays.append(_datetime_array(column, describe, values))
        else:
            arrays.append(_duration_array(column, describe, values, duration_unit))
    return pa_arrow.Table.from_arrays(arrays, schema=arrow_schema(endpoint))


def warn_drift(unknown: Iterable[str], *, stacklevel: int = 2) -> None:
    """Warn once, naming every API field the contract does not know."""
    # A name that does not print (a lone surrogate, a control character) is shown
    # escaped, so that the warning itself can be written to a log.
    names = [n if n.isprintable() else ascii(n)[1:-1] for n in sorted(unknown)]
    if names:
        warnings.warn(
            f"the API sent field(s) cvframe does not know: {', '.join(names)}; they were "
            "dropped. Upgrade cvframe if a newer release knows them",
            SchemaDriftWarning,
            stacklevel=stacklevel + 1,
        )
