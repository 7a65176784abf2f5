"""The column contract of a call-volume frame, kept as data, and records -> frame.

:data:`COLUMNS` is the single source of truth: the order of the columns, the API
field each comes from, and its kind. The dtypes of each ``dtype_backend``, the
pandera model and the README's "Columns" table all follow from it; change them
together (``tests/test_schema.py`` checks that the model agrees with this table).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
from pandera.typing import Series

from .._endpoints import API_FIELDS, CALLVOLUME, COLUMNS, Column, DurationUnit, Kind
from .._errors import ResponseError, SchemaDriftWarning, SchemaError
from .._gc import gc_paused

__all__ = [
    "MAX_DURATION_MS",
    "CallVolumeSchema",
    "DtypeBackend",
    "arrow_schema",
    "check_dtype_backend",
    "column_names",
    "contract_dtypes",
    "empty_frame",
    "frame_from_tables",
    "keep_latest_versions",
    "pandas_types_mapper",
    "records_to_frame",
    "records_to_table",
    "validate",
    "warn_drift",
]

DtypeBackend = Literal["numpy_nullable", "pyarrow"]

#: The longest duration a frame holds, in milliseconds (about 292 years): what pandas'
#: nanosecond ``Timedelta`` can still hold, so arithmetic on the column cannot
#: overflow. A real interval's totals are hours; a longer value is a server fault.
MAX_DURATION_MS = (2**63 - 1) // 1_000_000
#: The range of the int64 count columns.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_ARROW_TYPES: Mapping[Kind, pa_arrow.DataType] = {
    "string": pa_arrow.string(),
    "int": pa_arrow.int64(),
    "float": pa_arrow.float64(),
    "datetime": pa_arrow.timestamp("ms", tz="UTC"),
    "duration": pa_arrow.duration("ms"),
}

_NUMPY_NULLABLE_DTYPES: Mapping[Kind, Any] = {
    "string": pd.StringDtype("pyarrow"),
    "int": pd.Int64Dtype(),
    "float": pd.Float64Dtype(),
    "datetime": pd.DatetimeTZDtype(unit="ms", tz="UTC"),
    "duration": "timedelta64[ms]",
}

_ARROW_SCHEMA = pa_arrow.schema([pa_arrow.field(c.name, _ARROW_TYPES[c.kind]) for c in COLUMNS])
_DTYPE_BACKENDS: tuple[str, ...] = ("numpy_nullable", "pyarrow")
_KNOWN_API_FIELDS = frozenset(API_FIELDS)


def column_names() -> list[str]:
    """The contract's column names, in order."""
    return [c.name for c in COLUMNS]


def check_dtype_backend(dtype_backend: str) -> DtypeBackend:
    """Return ``dtype_backend`` if it is one pandas' readers take, else raise ValueError."""
    if dtype_backend not in _DTYPE_BACKENDS:
        raise ValueError(
            f"dtype_backend must be 'numpy_nullable' or 'pyarrow', got {dtype_backend!r}"
        )
    return dtype_backend  # type: ignore[return-value]


def contract_dtypes(dtype_backend: DtypeBackend = "numpy_nullable") -> dict[str, Any]:
    """Column name -> pandas dtype of the contract for ``dtype_backend``.

    Parameters
    ----------
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.

    Returns
    -------
    dict
        Every contract column, in order, with its dtype.

    Examples
    --------
    >>> import cvframe
    >>> from cvframe import contract_dtypes
    >>> contract_dtypes()["interval_start"]
    datetime64[ms, UTC]
    >>> str(contract_dtypes("pyarrow")["acw_duration"])
    'duration[ms][pyarrow]'
    """
    check_dtype_backend(dtype_backend)
    if dtype_backend == "pyarrow":
        return {c.name: pd.ArrowDtype(_ARROW_TYPES[c.kind]) for c in COLUMNS}
    return {c.name: pd.api.types.pandas_dtype(_NUMPY_NULLABLE_DTYPES[c.kind]) for c in COLUMNS}


def arrow_schema() -> pa_arrow.Schema:
    """The contract as an Arrow schema (also what snapshots store)."""
    return _ARROW_SCHEMA


# --------------------------------------------------------------------------- pandera


class CallVolumeSchema(pa.DataFrameModel):
    """The pandera model of a call-volume frame (``dtype_backend="numpy_nullable"``).

    Checks the dtypes, non-negative counts and durations, a unique non-null ``id``
    and ``interval_end > interval_start``. Use :func:`cvframe.validate` rather than
    calling ``validate`` on the model directly: it also checks duration units,
    which pandera does not distinguish, and accepts the ``pyarrow`` backend.

    Examples
    --------
    >>> import cvframe
    >>> cvframe.CallVolumeSchema.to_schema().columns["offered_contacts"].dtype
    DataType(Int64)
    """

    id: Series[pd.StringDtype] = pa.Field(nullable=False, unique=True)
    org_id: Series[pd.StringDtype] = pa.Field(nullable=True)
    queue_id: Series[pd.StringDtype] = pa.Field(nullable=True)
    queue_name: Series[pd.StringDtype] = pa.Field(nullable=True)
    instance_id: Series[pd.StringDtype] = pa.Field(nullable=True)
    source: Series[pd.StringDtype] = pa.Field(nullable=True)
    version: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    interval_start: Series[pd.DatetimeTZDtype] = pa.Field(
        nullable=False, dtype_kwargs={"unit": "ms", "tz": "UTC"}
    )
    interval_end: Series[pd.DatetimeTZDtype] = pa.Field(
        nullable=False, dtype_kwargs={"unit": "ms", "tz": "UTC"}
    )
    offered_contacts: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    answered_contacts: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    completed_contacts: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    abandoned_contacts: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    message_count: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    saved_message_count: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    csat_responses: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    csat_score: Series[pd.Float64Dtype] = pa.Field(nullable=True, ge=0)
    queue_hold_time_answered: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    max_queue_hold_time_answered: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    queue_hold_time_abandoned: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    max_queue_hold_time_abandoned: Series[pd.Timedelta] = pa.Field(
        nullable=True, ge=pd.Timedelta(0)
    )
    conversation_handle_time: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    conversation_talk_time: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    hold_duration: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    acw_duration: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))

    @pa.dataframe_check(name="interval_end > interval_start")
    def _interval_end_after_start(cls, df: pd.DataFrame) -> pd.Series:  # noqa: N805
        return (df["interval_end"] > df["interval_start"]).fillna(False).astype(bool)

    class Config:
        strict = True
        ordered = True
        coerce = False


def _pandera_schema(df: pd.DataFrame, dtype_backend: DtypeBackend) -> pa.DataFrameSchema:
    schema = CallVolumeSchema.to_schema()
    if dtype_backend == "pyarrow":
        return schema.update_columns(
            {name: {"dtype": dtype} for name, dtype in contract_dtypes("pyarrow").items()}
        )
    # Either string storage (python or pyarrow) is fine; validate() checked it is one.
    strings = [c.name for c in COLUMNS if c.kind == "string"]
    return schema.update_columns({name: {"dtype": df[name].dtype} for name in strings})


def _dtype_matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, pd.StringDtype):
        # Any pandas string dtype with NA semantics will do (python or pyarrow storage).
        return isinstance(actual, pd.StringDtype) and actual.na_value is pd.NA
    return bool(actual == expected)


def _detect_backend(df: pd.DataFrame) -> DtypeBackend:
    if "interval_start" in df and isinstance(df["interval_start"].dtype, pd.ArrowDtype):
        return "pyarrow"
    return "numpy_nullable"


def validate(
    df: pd.DataFrame, *, dtype_backend: DtypeBackend | None = None, lazy: bool = True
) -> pd.DataFrame:
    """Check ``df`` against the call-volume contract and return it unchanged.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame as :func:`cvframe.read_callvolume` returns it.
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        The backend the dtypes must follow; by default detected from ``df``.
    lazy : bool, default True
        Collect every failing check before raising, rather than stopping at the first.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself.

    Raises
    ------
    cvframe.SchemaError
        Listing every failing check, with ``failure_cases`` as a DataFrame.

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.validate(cvframe.empty_frame())
    >>> len(df)
    0
    """
    backend = check_dtype_backend(dtype_backend) if dtype_backend else _detect_backend(df)
    expected = contract_dtypes(backend)
    missing = [name for name in expected if name not in df.columns]
    extra = [name for name in df.columns if name not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if extra:
            parts.append(f"unexpected columns {extra}")
        raise SchemaError(
            "the frame does not have the call-volume columns: "
            + "; ".join(parts)
            + ". Build it with cvframe.read_callvolume or cvframe.read_snapshot"
        )
    wrong = {
        name: (str(df[name].dtype), str(dtype))
        for name, dtype in expected.items()
        if not _dtype_matches(df[name].dtype, dtype)
    }
    if wrong:
        listing = ", ".join(f"{n} is {a}, expected {e}" for n, (a, e) in wrong.items())
        raise SchemaError(
            f"wrong dtypes for the {backend} backend: {listing}",
            failure_cases=pd.DataFrame(
                [(n, a, e) for n, (a, e) in wrong.items()],
                columns=["column", "dtype", "expected"],
            ),
        )
    schema = _pandera_schema(df, backend)
    if len(df) > VALIDATION_CHUNK_ROWS and _passes_in_chunks(df, schema):
        return df
    try:
        schema.validate(df, lazy=lazy)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
        cases = getattr(exc, "failure_cases", None)
        raise SchemaError(_summarize(exc, cases), failure_cases=cases) from None
    return df


#: Rows pandera checks at a time in a large frame: its checks allocate temporaries the
#: size of what they check, which on a whole frame of millions of rows doubles the
#: memory a read needs.
VALIDATION_CHUNK_ROWS = 250_000


def _passes_in_chunks(df: pd.DataFrame, schema: pa.DataFrameSchema) -> bool:
    """True when every chunk passes the schema and ``id`` is unique across chunks.

    False sends the caller to validate the whole frame at once, which builds the
    complete report of every failure (the rare path).
    """
    per_chunk = schema.update_column("id", unique=False)
    for begin in range(0, len(df), VALIDATION_CHUNK_ROWS):
        chunk = df.iloc[begin : begin + VALIDATION_CHUNK_ROWS]
        try:
            per_chunk.validate(chunk, lazy=False)
        except (pa.errors.SchemaErrors, pa.errors.SchemaError):
            return False
    return not bool(df["id"].duplicated().any())


def _summarize(exc: Exception, cases: Any) -> str:
    if not isinstance(cases, pd.DataFrame) or cases.empty:
        return f"the frame breaks the call-volume contract: {exc}"
    lines = []
    frame_level = cases["schema_context"].astype(str) == "DataFrameSchema"
    # A frame-wide check is reported once per column by pandera; report it once per row.
    for check, group in cases[frame_level].groupby("check", sort=False):
        rows = group["index"].dropna().unique()
        sample = ", ".join(str(v) for v in rows[:3])
        lines.append(f"  - {check} fails for {len(rows)} row(s), e.g. at index {sample}")
    grouped = cases[~frame_level].groupby(["column", "check"], dropna=False, sort=False)
    for (column, check), group in grouped:
        sample = ", ".join(repr(v) for v in group["failure_case"].head(3).tolist())
        lines.append(f"  - {column}: {check} fails for {len(group)} value(s), e.g. {sample}")
    return (
        f"the frame breaks the call-volume contract ({len(lines)} failing check(s)):\n"
        + "\n".join(lines)
        + "\nSee the failure_cases attribute for every failing value; "
        "pass validate=False to get the frame anyway"
    )


# --------------------------------------------------------------------------- conversion


def _record_id(records: Sequence[Mapping[str, Any]], position: int) -> str:
    return repr(records[position].get(CALLVOLUME.id_field, f"#{position}"))


def _bad_value(
    column: Column,
    records: Sequence[Mapping[str, Any]],
    values: Sequence[Any],
    ok: Any,
    what: str | None = None,
) -> ResponseError:
    """The error naming the first value that is not ``ok``: its field, record and value."""
    for i, value in enumerate(values):
        if value is not None and not ok(value):
            return ResponseError(
                f"field {column.api_name!r} of record {_record_id(records, i)} is {value!r}, "
                f"not {what or _KIND_TEXT[column.kind]}; the API sent data cvframe cannot "
                "read. Report it to Kore.ai with the record id"
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


def _int_array(
    column: Column, records: Sequence[Mapping[str, Any]], values: Sequence[Any]
) -> pa_arrow.Array:
    try:
        arr = pa_arrow.array(values)
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowTypeError, OverflowError):
        raise _bad_value(column, records, values, _is_int64, _INT64_TEXT) from None
    if pa_arrow.types.is_signed_integer(arr.type) or pa_arrow.types.is_null(arr.type):
        return arr.cast(pa_arrow.int64())
    if pa_arrow.types.is_floating(arr.type):
        finite = pc.is_finite(arr)
        whole = pc.equal(arr, pc.floor(arr))
        # 2**63 is exact as a float, so the bounds are too: an unsafe cast of anything
        # beyond them would wrap (1e19 would become -9223372036854775808).
        in_range = pc.and_(pc.greater_equal(arr, -(2.0**63)), pc.less(arr, 2.0**63))
        if pc.all(pc.and_kleene(pc.and_kleene(finite, whole), in_range)).as_py() is not False:
            return arr.cast(pa_arrow.int64(), safe=False)
    raise _bad_value(column, records, values, _is_int64, _INT64_TEXT)


_INT64_TEXT = "a whole number within the 64-bit range"


def _float_array(
    column: Column, records: Sequence[Mapping[str, Any]], values: Sequence[Any]
) -> pa_arrow.Array:
    try:
        arr = pa_arrow.array(values)
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowTypeError, OverflowError):
        raise _bad_value(column, records, values, _is_finite, "a finite number") from None
    if (
        pa_arrow.types.is_integer(arr.type)
        or pa_arrow.types.is_floating(arr.type)
        or pa_arrow.types.is_null(arr.type)
    ):
        floats = arr.cast(pa_arrow.float64())
        # JSON has no NaN or infinity; Python's parser takes them (and 1e400 as inf).
        if pc.all(pc.is_finite(floats)).as_py() is not False:
            return floats
        raise _bad_value(column, records, values, _is_finite, "a finite number")
    raise _bad_value(column, records, values, _is_number)


def _string_array(
    column: Column, records: Sequence[Mapping[str, Any]], values: Sequence[Any]
) -> pa_arrow.Array:
    try:
        try:
            return pa_arrow.array(values, pa_arrow.string())
        except (pa_arrow.ArrowInvalid, pa_arrow.ArrowTypeError):
            # An id sent as a number is still an id: documented coercion to its text.
            texts = [None if v is None else str(v) for v in values]
            return pa_arrow.array(texts, pa_arrow.string())
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800" in the JSON) is no character at all.
        raise _bad_value(column, records, values, _is_text, _TEXT_TEXT) from None


_TEXT_TEXT = "valid Unicode text (it holds a lone surrogate)"


def _datetime_array(
    column: Column, records: Sequence[Mapping[str, Any]], values: Sequence[Any]
) -> pa_arrow.Array:
    target = _ARROW_TYPES["datetime"]
    try:
        return pa_arrow.array(values, pa_arrow.string()).cast(target)
    except UnicodeEncodeError:
        raise _bad_value(column, records, values, _is_text, _TEXT_TEXT) from None
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowTypeError, pa_arrow.ArrowNotImplementedError):
        pass
    # Slow path: sub-millisecond digits or no zone (read as UTC), via pandas' ISO parser.
    if not all(v is None or isinstance(v, str) for v in values):
        raise _bad_value(column, records, values, lambda v: isinstance(v, str))
    try:
        parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError):

        def parses(v: Any) -> bool:
            try:
                pd.Timestamp(v)
            except (ValueError, TypeError, OverflowError):
                return False
            return True

        raise _bad_value(column, records, values, parses) from None
    return pa_arrow.array(parsed.dt.floor("ms").astype("datetime64[ms, UTC]"), target)


def _duration_array(
    column: Column,
    records: Sequence[Mapping[str, Any]],
    values: Sequence[Any],
    duration_unit: DurationUnit,
) -> pa_arrow.Array:
    if duration_unit == "ms":
        millis = _int_array(column, records, values)
        limit: Any = MAX_DURATION_MS
        scale = 1
    else:
        seconds = _float_array(column, records, values)
        millis = pc.round(pc.multiply(seconds, 1000.0))
        limit, scale = float(MAX_DURATION_MS), 1000
    # Both bounds, not abs(): abs(-2**63) wraps around to itself.
    fits = pc.and_(pc.greater_equal(millis, -limit), pc.less_equal(millis, limit))
    if pc.all(fits).as_py() is False:
        raise _bad_value(
            column,
            records,
            values,
            lambda v: _is_finite(v) and abs(v) * scale <= MAX_DURATION_MS,
            f"a duration cvframe can hold (at most {MAX_DURATION_MS:,} ms, about 292 years)",
        )
    return millis.cast(pa_arrow.int64()).cast(_ARROW_TYPES["duration"])


_GETTERS = tuple(itemgetter(c.api_name) for c in COLUMNS)


def _column_values(
    records: Sequence[Mapping[str, Any]],
) -> tuple[list[list[Any]], bool]:
    """The values of each contract column, and whether every record had every field.

    One C-level pass per column (``map`` of an ``itemgetter``) when every record has
    the field, as the API sends them; per-record ``get`` for a column where some lack
    it. Lists of plain values, unlike a transposed list of tuples, give the garbage
    collector nothing to scan.
    """
    columns: list[list[Any]] = []
    complete = True
    for column, getter in zip(COLUMNS, _GETTERS, strict=True):
        try:
            columns.append(list(map(getter, records)))
        except KeyError:
            complete = False
            columns.append([r.get(column.api_name) for r in records])
    return columns, complete


def records_to_table(
    records: Sequence[Mapping[str, Any]],
    *,
    duration_unit: DurationUnit = "ms",
    unknown_fields: set[str] | None = None,
) -> pa_arrow.Table:
    """Convert API records (API field names) to an Arrow table of the contract.

    A missing or null field becomes null. Field names the contract does not know
    are added to ``unknown_fields`` (if given) and dropped.
    """
    if duration_unit not in ("ms", "s"):
        raise ValueError(f"duration_unit must be 'ms' or 's', got {duration_unit!r}")
    with gc_paused():
        return _records_to_table(records, duration_unit, unknown_fields)


def _records_to_table(
    records: Sequence[Mapping[str, Any]],
    duration_unit: DurationUnit,
    unknown_fields: set[str] | None,
) -> pa_arrow.Table:
    columns, complete = _column_values(records)
    # Every record holding all the known fields and no more (the normal case) is told
    # by a count; only otherwise are the field names gathered.
    if (
        unknown_fields is not None
        and records
        and (not complete or sum(map(len, records)) != len(COLUMNS) * len(records))
    ):
        seen = set().union(*(r.keys() for r in records))
        unknown_fields.update(seen - _KNOWN_API_FIELDS)
    arrays = []
    for column, values in zip(COLUMNS, columns, strict=True):
        if column.kind == "string":
            arrays.append(_string_array(column, records, values))
        elif column.kind == "int":
            arrays.append(_int_array(column, records, values))
        elif column.kind == "float":
            arrays.append(_float_array(column, records, values))
        elif column.kind == "datetime":
            arrays.append(_datetime_array(column, records, values))
        else:
            arrays.append(_duration_array(column, records, values, duration_unit))
    return pa_arrow.Table.from_arrays(arrays, schema=_ARROW_SCHEMA)


def pandas_types_mapper(dtype_backend: DtypeBackend) -> Any:
    """The ``types_mapper`` that gives Arrow's columns the contract's pandas dtypes."""
    if dtype_backend == "pyarrow":
        return pd.ArrowDtype
    mapping = {
        pa_arrow.string(): pd.StringDtype("pyarrow"),
        pa_arrow.int64(): pd.Int64Dtype(),
        pa_arrow.float64(): pd.Float64Dtype(),
    }
    return mapping.get


def frame_from_tables(
    tables: Iterable[pa_arrow.Table], *, dtype_backend: DtypeBackend = "numpy_nullable"
) -> pd.DataFrame:
    """Concatenate contract tables into the contract frame.

    Keeps one row per ``id`` (the highest ``version``; on a tie, the last seen),
    sorts by ``interval_start``, ``queue_id`` (then ``id``) and gives a RangeIndex.
    """
    check_dtype_backend(dtype_backend)
    pieces = list(tables)
    table = pa_arrow.concat_tables(pieces) if pieces else arrow_schema().empty_table()
    # Only ``table`` may hold the pages now, so that converting it frees them column by
    # column (self_destruct) instead of keeping a second copy of the data until the end.
    del pieces, tables
    table = keep_latest_versions(table)
    if not _is_sorted(table):
        table = table.sort_by([(name, "ascending") for name in CALLVOLUME.sort_keys])
    df = table.to_pandas(
        types_mapper=pandas_types_mapper(dtype_backend), self_destruct=True, split_blocks=True
    )
    del table
    df.index = pd.RangeIndex(len(df))
    return df


def _is_sorted(table: pa_arrow.Table) -> bool:
    """Whether the rows already follow (interval_start, queue_id, id), ids all distinct.

    The API sends records in that order, so the check (a few vectorised comparisons
    of neighbours) usually spares a sort that would copy every column.
    """
    if table.num_rows < 2:
        return True
    keys = [table[name] for name in CALLVOLUME.sort_keys]
    if any(key.null_count for key in keys):
        return False
    # Walk the keys from the last: "row i comes strictly before row i + 1".
    before: Any = None
    for key in reversed(keys):
        head, tail = key.slice(0, len(key) - 1), key.slice(1)
        less = pc.less(head, tail)
        before = less if before is None else pc.or_(less, pc.and_(pc.equal(head, tail), before))
    return bool(pc.all(before).as_py())


def keep_latest_versions(table: pa_arrow.Table) -> pa_arrow.Table:
    """One row per id: the highest version, and among equal versions the last received.

    ``table`` itself, untouched, when no id repeats (the usual case, told by one count),
    so callers need not check first.
    """
    id_column = CALLVOLUME.id_column
    if pc.count_distinct(table[id_column]).as_py() == table.num_rows:
        return table
    order = pa_arrow.array(range(table.num_rows), pa_arrow.int64())
    ranked = table.append_column("__order", order).append_column(
        "__version", pc.fill_null(table[CALLVOLUME.version_column], -1)
    )
    ranked = ranked.sort_by(
        [(id_column, "ascending"), ("__version", "descending"), ("__order", "descending")]
    )
    ids = ranked[id_column].combine_chunks()
    first = pc.not_equal(ids[1:], ids[:-1])
    keep = pa_arrow.concat_arrays(
        [
            pa_arrow.array([True]),
            first.combine_chunks() if isinstance(first, pa_arrow.ChunkedArray) else first,
        ]
    )
    # A null id cannot be told apart from another: keep every such row for the schema to flag.
    keep = pc.or_kleene(keep, pc.is_null(ids))
    return ranked.filter(keep).drop_columns(["__order", "__version"])


def records_to_frame(
    records: Sequence[Mapping[str, Any]],
    *,
    duration_unit: DurationUnit = "ms",
    dtype_backend: DtypeBackend = "numpy_nullable",
    warn_unknown: bool = True,
) -> pd.DataFrame:
    """Turn a list of API records (API field names) into a contract frame (not validated).

    Raises
    ------
    cvframe.ResponseError
        For a value the contract cannot hold, naming the field, the record id and the
        value as sent: text with a lone surrogate, a count that is not a whole number
        within 64 bits, a NaN or infinite number, a duration beyond
        :data:`MAX_DURATION_MS`, a timestamp that is not ISO 8601.

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a1", "queueId": "qu-1", "__v": 0,
    ...     "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
    ...     "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
    ...     "offeredContacts": 3, "conversationHandleTime": 68043}])
    >>> df.loc[0, "conversation_handle_time"]
    Timedelta('0 days 00:01:08.043000')
    """
    unknown: set[str] = set()
    table = records_to_table(records, duration_unit=duration_unit, unknown_fields=unknown)
    if warn_unknown:
        warn_drift(unknown, stacklevel=3)
    return frame_from_tables([table], dtype_backend=dtype_backend)


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


def empty_frame(dtype_backend: DtypeBackend = "numpy_nullable") -> pd.DataFrame:
    """A frame with no rows and the contract's columns and dtypes.

    Parameters
    ----------
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.

    Returns
    -------
    pandas.DataFrame
        What :func:`cvframe.read_callvolume` returns for a window without records.

    Examples
    --------
    >>> import cvframe
    >>> cvframe.empty_frame().shape
    (0, 25)
    """
    return frame_from_tables([], dtype_backend=dtype_backend)
