"""Contract frames as files other tools read: Parquet duration units, CSV milliseconds.

Parquet has no duration type: pyarrow keeps ``duration[ms]`` in the Arrow schema it
stores beside the data, but DuckDB and Spark see a BIGINT. :func:`with_duration_units`
names each duration field's unit in its metadata (``unit: ms``, ``cvframe.duration:
milliseconds``); snapshot day files and ``cvframe fetch -o FILE.parquet`` carry it.

CSV has no types at all: a duration column ``acw_duration`` is written by
:func:`write_csv` as ``acw_duration_ms``, whole milliseconds (empty when unknown), which
any tool reads as a number; :func:`cvframe.read_csv` turns such a file back into the
endpoint's contract frame.
"""

from __future__ import annotations

import os
from typing import IO, TypeVar

import pandas as pd
import pyarrow as pa

from .._endpoints import endpoint_named
from ._dtypes import contract_dtypes, is_duration_dtype
from ._validation import validate

__all__ = ["CSV_DURATION_SUFFIX", "read_csv", "with_duration_units", "write_csv"]

#: The header suffix of a duration column in a CSV file: its values are whole milliseconds.
CSV_DURATION_SUFFIX = "_ms"
#: Arrow field metadata of a duration field: its unit, short and in words.
_UNIT_KEY = b"unit"
_DURATION_KEY = b"cvframe.duration"
_UNIT_WORDS = {"s": b"seconds", "ms": b"milliseconds", "us": b"microseconds", "ns": b"nanoseconds"}

Arrow = TypeVar("Arrow", pa.Schema, pa.Table)


def with_duration_units(data: Arrow) -> Arrow:
    """``data`` (a table or a schema) with each duration field naming its unit.

    The field metadata gains ``unit: ms`` and ``cvframe.duration: milliseconds`` (for a
    ``duration[ms]`` field); the data is untouched.

    >>> import pyarrow as pa
    >>> schema = with_duration_units(pa.schema([("talk", pa.duration("ms"))]))
    >>> schema.field("talk").metadata[b"cvframe.duration"]
    b'milliseconds'
    """
    schema = data if isinstance(data, pa.Schema) else data.schema
    fields = []
    for field in schema:
        if pa.types.is_duration(field.type):
            unit = field.type.unit
            meta = {**(field.metadata or {}), _UNIT_KEY: unit.encode()}
            field = field.with_metadata({**meta, _DURATION_KEY: _UNIT_WORDS[unit]})
        fields.append(field)
    named = pa.schema(fields, metadata=schema.metadata)
    return named if isinstance(data, pa.Schema) else data.cast(named)


def write_csv(df: pd.DataFrame, fh: IO[bytes]) -> None:
    """Write ``df`` as CSV: durations as whole milliseconds under ``<name>_ms``."""
    out = df.copy(deep=False)
    renamed = {}
    for name in df.columns:
        if is_duration_dtype(df[name].dtype):
            ms = pd.to_timedelta(df[name]).astype("timedelta64[ms]")
            whole = pd.Series(ms.array.asi8, index=df.index, dtype="Int64")
            out[name] = whole.mask(ms.isna())
            renamed[name] = f"{name}{CSV_DURATION_SUFFIX}"
    out.rename(columns=renamed).to_csv(fh, index=False)


def read_csv(path: str | os.PathLike[str], *, endpoint: str = "callvolume") -> pd.DataFrame:
    """Read a CSV file ``cvframe fetch -o FILE.csv`` wrote back into the endpoint's contract.

    Parameters
    ----------
    path : str or os.PathLike
        The file (``cvframe fetch --endpoint ENDPOINT -o path.csv``).
    endpoint : str, default "callvolume"
        The ``--endpoint`` it was fetched from: ``"callvolume"``, ``"skillvolume"``,
        ``"agentperformance"``, ``"agentactivity"``, ``"queues"`` or ``"agents"``.

    Returns
    -------
    pandas.DataFrame
        The frame the reader returned (but for one thing CSV cannot tell apart: an
        empty text value comes back as ``<NA>``), validated: ``<name>_ms`` columns (whole
        milliseconds) back as ``timedelta64[ms]`` columns ``<name>``, times as
        ``datetime64[ms, UTC]``, text as ``string``, counts as ``Int64``.

    Raises
    ------
    cvframe.SchemaError
        If the file does not hold the endpoint's columns (another endpoint's, say).
    ValueError
        For an unknown ``endpoint``.

    Examples
    --------
    >>> import io
    >>> import cvframe
    >>> df = cvframe.read_csv(io.StringIO(
    ...     "agent_id,event_time,activity,reason_code\\n"
    ...     "ag-1,2024-03-04 09:00:00+00:00,available,\\n"), endpoint="agentactivity")
    >>> df.dtypes.astype(str).tolist()
    ['string', 'datetime64[ms, UTC]', 'string', 'string']
    """
    declared = endpoint_named(endpoint)
    dtypes = contract_dtypes(endpoint=declared)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    columns: dict[str, pd.Series] = {}
    for name, dtype in dtypes.items():
        stored = f"{name}{CSV_DURATION_SUFFIX}" if is_duration_dtype(dtype) else name
        if stored not in raw.columns:
            continue  # validate names what is missing
        text = raw[stored]
        if is_duration_dtype(dtype):
            columns[name] = pd.to_timedelta(pd.to_numeric(text), unit="ms").astype(dtype)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            columns[name] = pd.to_datetime(text, utc=True, format="ISO8601").astype(dtype)
        elif pd.api.types.is_string_dtype(dtype):
            columns[name] = text.astype(dtype)
        else:
            columns[name] = pd.to_numeric(text).astype(dtype)
    df = pd.DataFrame(columns, index=pd.RangeIndex(len(raw)))
    validate(df, endpoint=declared)
    return df
