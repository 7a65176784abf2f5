"""Validation: a pandera schema per endpoint, generated from its declaration, and :func:`validate`.

The rules are data of the contract, the same for every endpoint: each column's dtype
by its kind; counts, durations and scores never negative; the keys that name a row
and the times that place it never null (``_per_endpoint.required_columns``); one row
per natural key; ``interval_end > interval_start`` where the contract has both.
:class:`CallVolumeSchema`, the public model of call volume, states the same rules by
hand (in ``_schema_model``); ``tests/frame`` checks that the generated call-volume
schema agrees with it.

pandera is imported on the first validation, not with ``import cvframe``: it is most
of the package's import time, and a read that passes ``validate=False`` never needs it.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from .._endpoints import Endpoint, Kind
from .._errors import SchemaError
from ._dtypes import DtypeBackend, check_dtype_backend, contract_dtypes, is_contract_string
from ._per_endpoint import (
    INTERVAL_PAIR,
    EndpointLike,
    per_endpoint,
    reader_hint,
    required_columns,
    resolve,
)

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["VALIDATION_CHUNK_ROWS", "contract_schema", "table_holds", "validate"]


#: The pandera dtype of each kind (numpy_nullable): what CallVolumeSchema's annotations
#: give. pandera does not tell duration units apart; validate() checks them itself.
_PANDERA_DTYPES: dict[Kind, Any] = {
    "string": pd.StringDtype,
    "int": pd.Int64Dtype,
    "float": pd.Float64Dtype,
    "datetime": pd.DatetimeTZDtype(unit="ms", tz="UTC"),
    "duration": pd.Timedelta,
}
#: The kinds that count or measure something, and so are never negative.
_NON_NEGATIVE: dict[Kind, Any] = {"int": 0, "float": 0, "duration": pd.Timedelta(0)}


def _interval_end_after_start(df: pd.DataFrame) -> pd.Series:
    return (df["interval_end"] > df["interval_start"]).fillna(False).astype(bool)


@per_endpoint
def _contract_schema(endpoint: Endpoint) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    required = set(required_columns(endpoint))
    keys = endpoint.key_columns
    columns = {
        c.name: pa.Column(
            _PANDERA_DTYPES[c.kind],
            checks=[pa.Check.ge(_NON_NEGATIVE[c.kind])] if c.kind in _NON_NEGATIVE else [],
            nullable=c.name not in required,
            unique=keys == (c.name,),
        )
        for c in endpoint.columns
    }
    checks = []
    if all(name in columns for name in INTERVAL_PAIR):
        checks.append(pa.Check(_interval_end_after_start, name="interval_end > interval_start"))
    return pa.DataFrameSchema(
        columns,
        checks=checks,
        unique=list(keys) if len(keys) > 1 else None,
        strict=True,
        ordered=True,
        coerce=False,
        name=f"{endpoint.name} contract",
    )


def contract_schema(endpoint: EndpointLike = "callvolume") -> pa.DataFrameSchema:
    """The pandera schema of an endpoint's frame (``dtype_backend="numpy_nullable"``).

    Generated from the declaration: use :func:`validate`, which also checks duration
    units and accepts the ``pyarrow`` backend, rather than this schema directly.

    >>> contract_schema("agentperformance").columns["agent_id"].nullable
    False
    """
    return _contract_schema(resolve(endpoint))


def _pandera_schema(
    df: pd.DataFrame, dtype_backend: DtypeBackend, endpoint: Endpoint
) -> pa.DataFrameSchema:
    schema = _contract_schema(endpoint)
    if dtype_backend == "pyarrow":
        return schema.update_columns(
            {
                name: {"dtype": dtype}
                for name, dtype in contract_dtypes("pyarrow", endpoint=endpoint).items()
            }
        )
    # Either string storage (python or pyarrow) is fine; validate() checked it is one.
    strings = [c.name for c in endpoint.columns if c.kind == "string"]
    return schema.update_columns({name: {"dtype": df[name].dtype} for name in strings})


def _dtype_matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, pd.StringDtype):
        # Any pandas string dtype with NA semantics will do (python or pyarrow storage).
        return is_contract_string(actual)
    return bool(actual == expected)


def _detect_backend(df: pd.DataFrame, endpoint: Endpoint) -> DtypeBackend:
    # The column that places a row in time, else the first: Arrow-backed or not.
    name = endpoint.interval_column or endpoint.columns[0].name
    if name in df and isinstance(df[name].dtype, pd.ArrowDtype):
        return "pyarrow"
    return "numpy_nullable"


def validate(
    df: pd.DataFrame,
    *,
    endpoint: EndpointLike = "callvolume",
    dtype_backend: DtypeBackend | None = None,
    lazy: bool = True,
) -> pd.DataFrame:
    """Check ``df`` against an endpoint's contract and return it unchanged.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame as :func:`cvframe.read_callvolume` (or the endpoint's reader) returns it.
    endpoint : str, default "callvolume"
        Whose contract: ``"callvolume"``, ``"skillvolume"``, ``"agentperformance"``,
        ``"agentactivity"``, ``"queues"`` or ``"agents"``.
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
    >>> agents = cvframe.empty_frame(endpoint="agents")
    >>> len(cvframe.validate(agents, endpoint="agents"))
    0
    >>> try:
    ...     cvframe.validate(agents)
    ... except cvframe.SchemaError as error:
    ...     print(str(error)[:52])
    the frame does not have the call-volume columns: mis
    """
    declared = resolve(endpoint)
    backend = check_dtype_backend(dtype_backend) if dtype_backend else _detect_backend(df, declared)
    expected = contract_dtypes(backend, endpoint=declared)
    missing = [name for name in expected if name not in df.columns]
    extra = [name for name in df.columns if name not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if extra:
            parts.append(f"unexpected columns {extra}")
        raise SchemaError(
            f"the frame does not have the {declared.label} columns: "
            + "; ".join(parts)
            + f". Build it with {reader_hint(declared)}"
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
    if _contract_holds(df, declared):
        return df
    # Some check fails (or the fast checks could not tell): pandera builds the report.
    import pandera.pandas as pa

    schema = _pandera_schema(df, backend, declared)
    if len(df) > VALIDATION_CHUNK_ROWS and _passes_in_chunks(df, schema, declared):
        return df
    try:
        schema.validate(df, lazy=lazy)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
        cases = getattr(exc, "failure_cases", None)
        raise SchemaError(_summarize(exc, cases, declared), failure_cases=cases) from None
    return df


def _contract_holds(df: pd.DataFrame, endpoint: Endpoint) -> bool:
    """True when ``df`` (of the contract's columns and dtypes) passes every contract check.

    The checks pandera's schema makes, done as a few vectorised reductions per column
    (a minimum, a null count, one hash of the key): about a tenth of pandera's time,
    without importing it. Never laxer than the schema: where this says True, pandera
    passes too (tests/frame/test_fast_validation.py holds both to the same verdicts);
    where it says False, :func:`validate` runs pandera, which builds the report.
    """
    if list(df.columns) != [c.name for c in endpoint.columns]:
        return False  # the schema is ordered=True: let pandera name the order
    required = frozenset(required_columns(endpoint))
    keys = endpoint.key_columns
    for column in endpoint.columns:
        values = df[column.name]
        if column.name in required and values.isna().any():
            return False
        if column.kind == "float":
            # A comparison, not a minimum: NaN (which is not NA) fails ``>= 0`` here as in
            # pandera, where a minimum would skip it.
            if not bool((values >= 0).fillna(True).all()):
                return False
        elif column.kind in _NON_NEGATIVE and len(values):
            low = values.min()
            if (
                low is not pd.NA
                and low is not pd.NaT
                and not bool(low >= _NON_NEGATIVE[column.kind])
            ):
                return False
    if len(keys) == 1:
        if not df[keys[0]].is_unique:  # a null counts as a value: two nulls repeat
            return False
    elif len(df) and bool(df.duplicated(subset=list(keys)).any()):
        return False
    pair = all(name in df.columns for name in INTERVAL_PAIR)
    return not pair or bool(_interval_end_after_start(df).all())


def table_holds(table: pa_arrow.Table, endpoint: Endpoint) -> bool:
    """True when a table that :func:`~cvframe._frame.frame_from_tables` made passes the contract.

    The checks of :func:`_contract_holds`, on the Arrow table before it becomes the
    frame: null counts, minimums, ``interval_end > interval_start``. One row per
    natural key holds by construction (``keep_latest_versions`` kept one, or rows whose
    required key is null, which the null counts catch), and the columns and their
    types are the contract's, so neither is checked again. Never laxer than the
    schema: False sends the caller to :func:`validate`, which builds the report.
    """
    required = frozenset(required_columns(endpoint))
    for column in endpoint.columns:
        values = table[column.name]
        if column.name in required and values.null_count:
            return False
        if column.kind == "float":
            # NaN fails ``>= 0`` here as in pandera (a minimum would skip it).
            if pc.all(pc.greater_equal(values, 0.0)).as_py() is False:
                return False
        elif column.kind in ("int", "duration") and len(values):
            # Durations as their int64 milliseconds: Arrow has no minimum of a duration.
            low = pc.min(values.cast(pa_arrow.int64())).as_py()
            if low is not None and low < 0:
                return False
    if all(name in table.column_names for name in INTERVAL_PAIR):
        after = pc.greater(table["interval_end"], table["interval_start"])
        return bool(pc.all(pc.fill_null(after, False)).as_py() is not False)
    return True


#: Rows pandera checks at a time in a large frame: its checks allocate temporaries the
#: size of what they check, which on a whole frame of millions of rows doubles the
#: memory a read needs.
VALIDATION_CHUNK_ROWS = 250_000


def _passes_in_chunks(df: pd.DataFrame, schema: pa.DataFrameSchema, endpoint: Endpoint) -> bool:
    """True when every chunk passes the schema and the natural key is unique across chunks.

    False sends the caller to validate the whole frame at once, which builds the
    complete report of every failure (the rare path).
    """
    import pandera.pandas as pa

    keys = list(endpoint.key_columns)
    if len(keys) == 1:
        per_chunk = schema.update_column(keys[0], unique=False)
    else:
        per_chunk = copy.copy(schema)
        per_chunk.unique = None
    for begin in range(0, len(df), VALIDATION_CHUNK_ROWS):
        chunk = df.iloc[begin : begin + VALIDATION_CHUNK_ROWS]
        try:
            per_chunk.validate(chunk, lazy=False)
        except (pa.errors.SchemaErrors, pa.errors.SchemaError):
            return False
    repeated = df[keys[0]].duplicated() if len(keys) == 1 else df.duplicated(subset=keys)
    return not bool(repeated.any())


def _summarize(exc: Exception, cases: Any, endpoint: Endpoint) -> str:
    if not isinstance(cases, pd.DataFrame) or cases.empty:
        return f"the frame breaks the {endpoint.label} contract: {exc}"
    lines = []
    frame_level = cases["schema_context"].astype(str) == "DataFrameSchema"
    # A frame-wide check is reported once per column by pandera; report it once per row.
    for check, group in cases[frame_level].groupby("check", sort=False):
        rows = group["index"].dropna().unique()
        sample = ", ".join(str(v) for v in rows[:3])
        if check == "multiple_fields_uniqueness":  # pandera's name for a key of columns
            check = f"({', '.join(endpoint.key_columns)}) unique"
        lines.append(f"  - {check} fails for {len(rows)} row(s), e.g. at index {sample}")
    grouped = cases[~frame_level].groupby(["column", "check"], dropna=False, sort=False)
    for (column, check), group in grouped:
        sample = ", ".join(repr(v) for v in group["failure_case"].head(3).tolist())
        lines.append(f"  - {column}: {check} fails for {len(group)} value(s), e.g. {sample}")
    return (
        f"the frame breaks the {endpoint.label} contract ({len(lines)} failing check(s)):\n"
        + "\n".join(lines)
        + "\nSee the failure_cases attribute for every failing value; "
        "pass validate=False to get the frame anyway"
    )
