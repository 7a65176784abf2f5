"""The contract's dtypes: the Arrow type and the pandas dtype of each column, per backend.

The kinds of an endpoint's columns (``Endpoint.columns``) decide everything here; this
module only says what each kind is in Arrow and in each ``dtype_backend``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd
import pyarrow as pa_arrow

from .._endpoints import CALLVOLUME, Endpoint, Kind
from ._per_endpoint import EndpointLike, per_endpoint, resolve

__all__ = [
    "ARROW_TYPES",
    "POOL",
    "DtypeBackend",
    "arrow_schema",
    "check_dtype_backend",
    "column_names",
    "contract_dtypes",
    "is_contract_string",
    "is_duration_dtype",
    "pandas_types_mapper",
    "release_unused",
]

DtypeBackend = Literal["numpy_nullable", "pyarrow"]


def is_duration_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` holds durations: ``timedelta64[*]`` or Arrow ``duration``."""
    if isinstance(dtype, pd.ArrowDtype):
        return str(dtype.pyarrow_dtype).startswith("duration")
    return bool(pd.api.types.is_timedelta64_dtype(dtype))


#: The Arrow type of each kind of column (also what snapshots store).
ARROW_TYPES: Mapping[Kind, pa_arrow.DataType] = {
    "string": pa_arrow.string(),
    "int": pa_arrow.int64(),
    "float": pa_arrow.float64(),
    "datetime": pa_arrow.timestamp("ms", tz="UTC"),
    "duration": pa_arrow.duration("ms"),
}


def _frame_pool() -> pa_arrow.MemoryPool:
    """The Arrow pool the frame's columns are built in, apart from Arrow's default.

    A read converts page after page, each page's columns kept and its temporaries
    freed between them; in one mimalloc pool (pyarrow's default) the kept columns pin
    the pages the temporaries freed, so a read of a million records held ~130 MB more
    than it used, and to_pandas grew the process from there. Built in a pool of their
    own (jemalloc where pyarrow has it, else the system allocator) the columns leave
    the temporaries' memory free to be reused and returned. A pool the user chose
    with ``ARROW_DEFAULT_MEMORY_POOL`` is used as it is.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return pa_arrow.default_memory_pool()
    try:
        return pa_arrow.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc (Windows, some macOS wheels)
        return pa_arrow.system_memory_pool()


#: Where the frame's Arrow columns are allocated (see :func:`_frame_pool`).
POOL = _frame_pool()


def release_unused(*, trim: bool = True) -> None:
    """Hand the memory held free back to the system (a few milliseconds).

    Arrow's pools keep what they freed; so does the C library's ``malloc`` (numpy's
    arrays, the pages' bytes and Python's larger objects), as free chunks between live
    ones. On glibc, ``malloc_trim(0)`` gives those pages back too: after the read of a
    million records they are about 130 MB, which would otherwise stay resident under
    the new frame's columns. ``trim=False`` leaves ``malloc_trim`` out: it walks the
    whole heap (a few to tens of milliseconds when it is fragmented).
    """
    POOL.release_unused()
    pa_arrow.default_memory_pool().release_unused()
    malloc_trim = _malloc_trim() if trim else None
    if malloc_trim is not None:
        malloc_trim(0)


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None (another C library, or no ctypes)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, ImportError):  # musl, or a sandbox without ctypes
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_NUMPY_NULLABLE_DTYPES: Mapping[Kind, Any] = {
    "string": pd.StringDtype("pyarrow"),
    "int": pd.Int64Dtype(),
    "float": pd.Float64Dtype(),
    "datetime": pd.DatetimeTZDtype(unit="ms", tz="UTC"),
    "duration": "timedelta64[ms]",
}


_DTYPE_BACKENDS: tuple[str, ...] = ("numpy_nullable", "pyarrow")


@per_endpoint
def _arrow_schema(endpoint: Endpoint) -> pa_arrow.Schema:
    return pa_arrow.schema([pa_arrow.field(c.name, ARROW_TYPES[c.kind]) for c in endpoint.columns])


def column_names(endpoint: EndpointLike = CALLVOLUME) -> list[str]:
    """The contract's column names, in order.

    >>> column_names("queues")
    ['account_id', 'queue_id', 'description']
    """
    return resolve(endpoint).column_names()


def check_dtype_backend(dtype_backend: str) -> DtypeBackend:
    """Return ``dtype_backend`` if it is one pandas' readers take, else raise ValueError."""
    if dtype_backend not in _DTYPE_BACKENDS:
        raise ValueError(
            f"dtype_backend must be 'numpy_nullable' or 'pyarrow', got {dtype_backend!r}"
        )
    return dtype_backend  # type: ignore[return-value]


def contract_dtypes(
    dtype_backend: DtypeBackend = "numpy_nullable", *, endpoint: EndpointLike = "callvolume"
) -> dict[str, Any]:
    """Column name -> pandas dtype of the contract for ``dtype_backend``.

    Parameters
    ----------
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    endpoint : str, default "callvolume"
        Whose contract: ``"callvolume"``, ``"skillvolume"``, ``"agentperformance"``,
        ``"agentactivity"``, ``"queues"`` or ``"agents"``.

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
    >>> contract_dtypes(endpoint="agentactivity")["event_time"]
    datetime64[ms, UTC]
    """
    check_dtype_backend(dtype_backend)
    columns = resolve(endpoint).columns
    if dtype_backend == "pyarrow":
        return {c.name: pd.ArrowDtype(ARROW_TYPES[c.kind]) for c in columns}
    return {c.name: pd.api.types.pandas_dtype(_NUMPY_NULLABLE_DTYPES[c.kind]) for c in columns}


def arrow_schema(endpoint: EndpointLike = CALLVOLUME) -> pa_arrow.Schema:
    """The contract as an Arrow schema (also what snapshots store).

    >>> arrow_schema("agentperformance").field("acw_duration").type
    DurationType(duration[ms])
    """
    return _arrow_schema(resolve(endpoint))


def is_contract_string(dtype: Any) -> bool:
    """Whether ``dtype`` is a string dtype the contract accepts: pandas' string with NA.

    Either storage (python or pyarrow) will do; ``object`` or the NaN-semantics string
    dtype will not.

    >>> import pandas as pd
    >>> is_contract_string(pd.StringDtype("python")), is_contract_string(object)
    (True, False)
    """
    return isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA


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
