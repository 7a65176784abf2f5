"""The input contract of the analytics and exports, checked once at each public entry.

:func:`cvframe.read_callvolume` validates what the API sends; a frame handed to
:func:`cvframe.resample_intervals`, :func:`cvframe.kpis`, :func:`cvframe.staffing`,
:func:`cvframe.to_series`, :func:`cvframe.to_wfm` or :func:`cvframe.write_wfm` may
have been built, concatenated or edited since. Each of them checks the columns it
reads by the same rules, taken from the read contract (:data:`cvframe.COLUMNS`, the
``kind`` of each column), so that bad input is an error and never a wrong number:

============  ==================================================================
kind          rule
============  ==================================================================
``int``       a numeric dtype (not object or bool); whole, ``>= 0``, finite;
              NA allowed (a numpy ``float64`` NaN is pandas' NA)
``float``     a numeric dtype; ``>= 0``, finite; NA allowed
``duration``  a timedelta dtype (``timedelta64[*]`` or Arrow ``duration``); ``>= 0``
``datetime``  timezone-aware (``datetime64[*, tz]`` or Arrow ``timestamp[tz]``),
              no NA
============  ==================================================================

and, for the frame: an ``id`` appears at most once (a repeated record would be
counted once per copy), and where both bounds are present ``interval_end >
interval_start``. The frames of the other endpoints (agent performance, agent
activity) are checked by the same rules against their own declared columns
(``endpoint=``); a frame whose rows a function adds up names one row per natural key
(``keys=``: agent x interval x queue for agent performance). A failure is a
``ValueError`` naming the function, the column, the number of bad rows, the first few
(index label and value) and the fix.

Each check is one vectorised pass over a column. A public function that hands the
frame it has checked to another one (``to_wfm`` to ``kpis``) does so inside
:func:`checked`, so a frame is checked once per call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .._endpoints import CALLVOLUME, COLUMNS, Endpoint
from .._frame import is_duration_dtype
from ._blocks import row_blocks, threaded

__all__ = [
    "CHECKED_KINDS",
    "Alongside",
    "check_input",
    "check_strings",
    "checked",
    "first_error",
    "repeated_ids",
    "require_columns",
]

#: Column -> kind, from the read contract: what each column is checked as.
CHECKED_KINDS: Mapping[str, str] = {c.name: c.kind for c in COLUMNS}

#: How many bad rows a message shows.
SHOWN_ROWS = 3

_TRUSTED: ContextVar[bool] = ContextVar("cvframe_input_checked", default=False)


@contextmanager
def checked() -> Iterator[None]:
    """Within this block, :func:`check_input` passes at once: the caller checked the frame."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def _plain(value: Any) -> str:
    """``repr`` of a value as the user wrote it: ``-3``, not ``np.int64(-3)``."""
    if isinstance(value, pd.Timedelta) and value < pd.Timedelta(0):
        return f"-{-value!r}"  # not Timedelta('-1 days +23:59:55')
    return repr(value.item() if isinstance(value, np.generic) else value)


def _examples(series: pd.Series, bad: np.ndarray) -> str:
    """The first few bad rows of ``series`` as 'index label: value'."""
    positions = np.flatnonzero(bad)[:SHOWN_ROWS]
    shown = [f"{_plain(series.index[i])}: {_plain(series.iloc[i])}" for i in positions]
    more = ", ..." if bad.sum() > SHOWN_ROWS else ""
    return "{" + ", ".join(shown) + more + "}"


def _fail(what: str, series: pd.Series, bad: np.ndarray, problem: str, fix: str) -> ValueError:
    n = int(bad.sum())
    return ValueError(
        f"{what}: {series.name} {problem} in {n} row(s) (index: value) "
        f"{_examples(series, bad)}; {fix}"
    )


def _is_datetime(dtype: Any) -> tuple[bool, bool]:
    """(is a datetime dtype, is timezone-aware)."""
    if isinstance(dtype, pd.ArrowDtype):
        arrow = dtype.pyarrow_dtype
        is_time = str(arrow).startswith("timestamp")
        return is_time, is_time and getattr(arrow, "tz", None) is not None
    if isinstance(dtype, pd.DatetimeTZDtype):
        return True, True
    return bool(pd.api.types.is_datetime64_dtype(dtype)), False


#: The integer behind NaT in ``datetime64`` and ``timedelta64`` columns.
_NOT_A_TIME = np.iinfo(np.int64).min


def _masked_parts(series: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """The data and mask of an ``Int64``/``Float64`` column, without copies; else None."""
    array = series.array
    if not isinstance(array, pd.arrays.IntegerArray | pd.arrays.FloatingArray):
        return None
    data, mask = getattr(array, "_data", None), getattr(array, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):
        return data, mask
    return None


def _plainly_fine(series: pd.Series, kind: str) -> bool:
    """True if the numbers plainly pass (False sends them to the full check).

    A pass over the values for their least and greatest (no temporary of the column's
    length): a masked column's minimum is >= 0 (its masked slots may hold anything,
    so a negative one sends it to the full check), and floats have a finite maximum
    and a minimum that is not NaN (which NaN would be); whole numbers are then looked
    at a block at a time.
    """
    parts = _masked_parts(series)
    if parts is None or not len(series):
        return False
    data, mask = parts
    if data.dtype.kind in "iu":
        return bool(data.min() >= 0)
    if mask.any():
        return False
    low, high = data.min(), data.max()
    if not (low >= 0 and np.isfinite(high)):
        return False
    if kind == "int":
        for block in row_blocks(len(data)):
            values = data[block]
            if not bool(np.all(values == np.floor(values))):
                return False
    return True


def _check_number(series: pd.Series, kind: str, what: str) -> None:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        target = "Int64" if kind == "int" else "Float64"
        raise ValueError(
            f"{what}: {series.name} has dtype {dtype}, not a number; convert it first, e.g. "
            f"df[{series.name!r}] = pd.to_numeric(df[{series.name!r}]).astype({target!r}) "
            "(cvframe.contract_dtypes() has every column's dtype)"
        )
    if pd.api.types.is_unsigned_integer_dtype(dtype) or _plainly_fine(series, kind):
        return  # (whole, finite and >= 0 by its dtype)
    if pd.api.types.is_integer_dtype(dtype):
        # Whole and finite by their dtype: only the sign can be wrong.
        values = series.to_numpy(dtype=np.int64, na_value=0)
        negative = values < 0
        if negative.any():
            raise _fail(what, series, negative, "is negative", "counts are >= 0")
        return
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = series.isna().to_numpy(dtype=bool)
    not_a_number = np.isnan(values) & ~missing
    if not_a_number.any():
        raise _fail(
            what,
            series,
            not_a_number,
            "is NaN (not a number, which a nullable column keeps apart from NA)",
            "use NA for a missing value; through numpy floats NaN becomes NA: "
            f"df[{series.name!r}] = df[{series.name!r}].astype(float).astype("
            f"{str(series.dtype)!r})",
        )
    infinite = np.isinf(values)
    if infinite.any():
        raise _fail(what, series, infinite, "is infinite", "give a finite number or NA")
    negative = values < 0
    if negative.any():
        noun = "counts" if kind == "int" else "scores"
        raise _fail(what, series, negative, "is negative", f"{noun} are >= 0")
    if kind == "int":
        fractional = np.isfinite(values) & (values != np.floor(values))
        if fractional.any():
            raise _fail(
                what,
                series,
                fractional,
                "is not a whole number",
                "a count is a whole number of contacts or messages",
            )


def _check_duration(series: pd.Series, what: str) -> None:
    if not is_duration_dtype(series.dtype):
        raise ValueError(
            f"{what}: {series.name} must hold durations (the contract's timedelta64[ms]), "
            f"not dtype {series.dtype}; convert milliseconds with df[{series.name!r}] = "
            f"pd.to_timedelta(df[{series.name!r}], unit='ms')"
        )
    if isinstance(series.dtype, pd.ArrowDtype):
        negative = (series < pd.Timedelta(0)).to_numpy(dtype=bool, na_value=False)
    else:
        # The numpy values themselves (no copy); NaT is the most negative integer.
        values = series.to_numpy()
        if not len(values) or values.view(np.int64).min() >= 0:
            return  # (the usual case: one pass, no mask)
        negative = values.view(np.int64) < 0
        if negative.any():
            negative &= ~np.isnat(values)
    if negative.any():
        raise _fail(what, series, negative, "is negative", "durations are >= 0")


def _check_timestamp(series: pd.Series, what: str, need: str = "its interval") -> None:
    is_time, aware = _is_datetime(series.dtype)
    name = series.name
    if not is_time:
        raise ValueError(
            f"{what}: {name} has dtype {series.dtype}, not timestamps; convert it with "
            f"df[{name!r}] = pd.to_datetime(df[{name!r}], utc=True)"
        )
    if not aware:
        raise ValueError(
            f"{what}: {name} is timezone-naive ({series.dtype}), so its instants are a "
            f"guess; the contract's timestamps are UTC: df[{name!r}] = "
            f"df[{name!r}].dt.tz_localize('UTC') (or the zone they were written in)"
        )
    aware_numpy = isinstance(series.dtype, pd.DatetimeTZDtype) and len(series)
    if aware_numpy and series.array.asi8.min() != _NOT_A_TIME:
        return  # no NaT (its integer is the least), found without a mask
    missing = series.isna().to_numpy(dtype=bool)
    if missing.any():
        raise _fail(what, series, missing, "is missing", f"every row needs {need}")


#: Bytes in a machine word: fixed-width ids are compared a word at a time.
_WORD = 8
#: An odd 64-bit constant (2**64 / golden ratio) that spreads one word over all bits
#: before the next word is mixed in, so ids that differ anywhere differ in fingerprint.
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _fixed_width_words(ids: pd.Series) -> np.ndarray | None:
    """The ids as rows of 64-bit words, if they are Arrow strings of one width and no NA.

    A read frame's ids (24-character hex) are such: comparing their bytes as a few
    machine words is exact and needs neither Python strings nor a hash table.
    """
    if not isinstance(ids.dtype, pd.ArrowDtype | pd.StringDtype):
        return None
    try:
        chunks = pa.chunked_array(pa.array(ids, from_pandas=True)).chunks
    except (pa.ArrowException, TypeError, ValueError):
        return None
    rows = []
    for chunk in chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return None
        if chunk.null_count or len(chunk) == 0:
            if chunk.null_count:
                return None
            continue
        offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], offset_type)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        width = int(offsets[1] - offsets[0])
        if width == 0 or (np.diff(offsets) != width).any():
            return None
        data = np.frombuffer(chunk.buffers()[2], np.uint8)[
            offsets[0] : offsets[0] + width * len(chunk)
        ].reshape(len(chunk), width)
        if width % _WORD:
            padded = np.zeros((len(chunk), -(-width // _WORD) * _WORD), np.uint8)
            padded[:, :width] = data
            data = padded
        rows.append(data.view(np.uint64))
    if not rows:
        return None
    if len({r.shape[1] for r in rows}) != 1:
        return None
    return np.concatenate(rows) if len(rows) > 1 else rows[0]


def _all_distinct(ids: pd.Series) -> bool:
    """True if no id repeats; False if one may (the exact check then decides)."""
    words = _fixed_width_words(ids)
    if words is not None:
        # Distinct fingerprints mean distinct ids; an equal pair (a repeat, or rarely
        # two ids that mix alike) goes to the exact check. Sorting 64-bit integers is
        # several times faster than a hash table of 10 million of them.
        fingerprint = words[:, 0].copy()
        for column in range(1, words.shape[1]):
            fingerprint *= _MIX
            fingerprint ^= words[:, column]
        fingerprint.sort()
        return not bool((fingerprint[1:] == fingerprint[:-1]).any())
    if pd.api.types.is_integer_dtype(ids.dtype) and not ids.hasnans:
        values = np.sort(ids.to_numpy(dtype=np.int64))
        return not bool((values[1:] == values[:-1]).any())
    # Any other dtype: pandas' hash table of the values (NA counted once, as a repeat).
    return bool(pd.Index(ids).is_unique)


def repeated_ids(ids: pd.Series) -> np.ndarray | None:
    """A mask of the rows whose (non-NA) id appears more than once, or None if none does."""
    if _all_distinct(ids):
        return None
    repeated = (ids.duplicated(keep=False) & ids.notna()).to_numpy(dtype=bool)
    return repeated if repeated.any() else None


def _check_ids(ids: pd.Series, what: str) -> None:
    repeated = repeated_ids(ids)
    if repeated is not None:
        distinct = int(ids[repeated].nunique())
        raise ValueError(
            f"{what}: {distinct} id(s) appear more than once, in {int(repeated.sum())} rows "
            f"(index: id) {_examples(ids, repeated)}; each copy would be counted again. Keep "
            "one row per record, the latest version as cvframe.read_callvolume does: "
            "df.sort_values('version').drop_duplicates('id', keep='last')"
        )


def _utc_instants(series: pd.Series) -> np.ndarray:
    """A datetime column as numpy ``datetime64`` UTC instants (NaT where missing)."""
    if isinstance(series.dtype, pd.ArrowDtype):
        # Arrow stores a zoned timestamp as its UTC instant: drop the zone, keep the value.
        unit = series.dtype.pyarrow_dtype.unit
        naive = pa.chunked_array(pa.array(series)).cast(pa.timestamp(unit))
        return np.asarray(naive.to_numpy())
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert(None).to_numpy()
    return series.to_numpy()


def _plainly_in_order(start: pd.Series, end: pd.Series) -> bool:
    """True if every end is after its start (False sends them to the full check).

    For two ``datetime64[unit, tz]`` columns of one unit without NaT: their integers,
    compared a block at a time.
    """
    dtypes = (start.dtype, end.dtype)
    if (
        not all(isinstance(d, pd.DatetimeTZDtype) for d in dtypes)
        or len({d.unit for d in dtypes}) > 1
    ):
        return False
    first, last = start.array.asi8, end.array.asi8
    if not len(first) or first.min() == _NOT_A_TIME or last.min() == _NOT_A_TIME:
        return False
    return all(bool(np.all(last[block] > first[block])) for block in row_blocks(len(first)))


def _check_order(df: pd.DataFrame, what: str) -> None:
    start, end = df["interval_start"], df["interval_end"]
    start_is_time, start_aware = _is_datetime(start.dtype)
    end_is_time, end_aware = _is_datetime(end.dtype)
    if not (start_is_time and end_is_time):
        # Not both times: a function that reads them names the column (_check_timestamp);
        # one that does not (kpis) has no order to check.
        return
    if start_aware != end_aware:
        # A naive and an aware bound cannot be ordered (pandas and Arrow raise): name the
        # naive one, with its fix, even where the function reads no times (kpis).
        _check_timestamp(end if start_aware else start, what)
    if _plainly_in_order(start, end):
        return
    if isinstance(start.dtype, pd.ArrowDtype) or isinstance(end.dtype, pd.ArrowDtype):
        # pandas 2.2 cannot compare an Arrow timestamp column with a numpy one: compare
        # the instants (numpy's NaT is not <= anything, as pandas' NA is not).
        backwards = _utc_instants(end) <= _utc_instants(start)
    else:
        backwards = (end <= start).to_numpy(dtype=bool, na_value=False)
    if backwards.any():
        rows = np.flatnonzero(backwards)[:SHOWN_ROWS]
        shown = ", ".join(f"{_plain(df.index[i])}: [{start.iloc[i]}, {end.iloc[i]})" for i in rows)
        more = ", ..." if backwards.sum() > SHOWN_ROWS else ""
        raise ValueError(
            f"{what}: interval_end is not after interval_start in {int(backwards.sum())} "
            f"row(s) (index: interval) {{{shown}{more}}}; every record needs interval_end > "
            "interval_start"
        )


#: Endpoint name -> (what its frame is called, how a user builds one), for messages.
_SOURCES: Mapping[str, tuple[str, str]] = {
    "callvolume": (
        "call-volume contract",
        "cvframe.read_callvolume, cvframe.records_to_frame or cvframe.resample_intervals",
    ),
    "agentperformance": (
        "agent-performance contract",
        "cvframe.read_agent_performance or cvframe.records_to_frame(..., "
        "endpoint='agentperformance')",
    ),
    "agentactivity": (
        "agent-activity contract",
        "cvframe.read_agent_activity or cvframe.records_to_frame(..., endpoint='agentactivity')",
    ),
    "queues": ("queues contract", "cvframe.read_queues"),
    "agents": ("agents contract", "cvframe.read_agents"),
}


def require_columns(
    df: Any, names: Iterable[str], *, what: str, endpoint: Endpoint | None = None
) -> None:
    """Raise ValueError naming every column of ``names`` that ``df`` lacks."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what} needs a pandas DataFrame, got {type(df).__name__}")
    missing = [name for name in names if name not in df.columns]
    if missing:
        name = (endpoint or CALLVOLUME).name
        label, source = _SOURCES.get(name, (f"{name} contract", "its cvframe reader"))
        raise ValueError(
            f"{what} needs the {label} columns {missing}, which the frame lacks; build it "
            f"with {source}"
        )


def check_strings(df: pd.DataFrame, names: Iterable[str], *, what: str) -> None:
    """ValueError unless each column of ``names`` holds text with no NA (an id, a state)."""
    for name in names:
        series = df[name]
        dtype = series.dtype
        is_text = isinstance(dtype, pd.StringDtype) or (
            isinstance(dtype, pd.ArrowDtype)
            and (
                pa.types.is_string(dtype.pyarrow_dtype)
                or pa.types.is_large_string(dtype.pyarrow_dtype)
            )
        )
        if not is_text and not pd.api.types.is_object_dtype(dtype):
            raise ValueError(
                f"{what}: {name} has dtype {dtype}, not text; convert it with "
                f"df[{name!r}] = df[{name!r}].astype('string')"
            )
        missing = series.isna().to_numpy(dtype=bool)
        if missing.any():
            raise _fail(what, series, missing, "is missing", f"every row needs its {name}")


def _check_keys(df: pd.DataFrame, keys: Sequence[str], what: str) -> None:
    """ValueError if two rows have the same ``keys`` (each copy would be added again)."""
    repeated = df.duplicated(list(keys), keep=False).to_numpy(dtype=bool)
    if repeated.any():
        rows = np.flatnonzero(repeated)[:SHOWN_ROWS]
        shown = ", ".join(
            f"{_plain(df.index[i])}: ({', '.join(str(df[k].iloc[i]) for k in keys)})" for i in rows
        )
        more = ", ..." if repeated.sum() > SHOWN_ROWS else ""
        raise ValueError(
            f"{what}: {int(repeated.sum())} rows repeat a ({', '.join(keys)}) that names one "
            f"row (index: key) {{{shown}{more}}}; each copy would be counted again. Keep one "
            f"row per key: df.drop_duplicates({list(keys)!r}, keep='last')"
        )


class Alongside:
    """A check made on another thread while the caller goes on.

    :meth:`wait` joins it and raises its error, if it found one. numpy releases the
    GIL while it sorts and compares, so on a machine with a second core free the
    check costs the caller no time.
    """

    def __init__(self, check: Callable[[], None]) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(check,), name="cvframe-check", daemon=True
        )
        self._thread.start()

    def _run(self, check: Callable[[], None]) -> None:
        try:
            check()
        except BaseException as error:  # (raised on the caller's thread by wait)
            self._error = error

    def wait(self) -> None:
        """Wait for the check; raise its error, if any."""
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


@contextmanager
def first_error(pending: Alongside | None) -> Iterator[None]:
    """Wait for ``pending`` after the block; its error comes first, the block's next.

    The check ``pending`` makes would have come before the block's work, so its error
    is raised in place of one the block raises (or of the block's result).
    """
    try:
        yield
    except BaseException:
        if pending is not None:
            try:
                pending.wait()
            except BaseException as earlier:
                raise earlier from None
        raise
    if pending is not None:
        pending.wait()


def check_input(
    df: Any,
    columns: Iterable[str],
    *,
    what: str,
    endpoint: Endpoint | None = None,
    keys: Sequence[str] = (),
    kinds: Mapping[str, str] | None = None,
    alongside: bool = False,
) -> Alongside | None:
    """Check the ``columns`` ``df`` is read for, its ids and intervals; ValueError if bad.

    ``columns`` must all be present (those missing are named). Each is checked by its
    contract kind (:data:`CHECKED_KINDS`, or the columns of ``endpoint`` when given,
    and ``kinds`` for columns of no contract, e.g. ``{"duration": "duration"}``; a
    column the contract does not know, or a string column, is not checked); then
    ``id`` (when present) must be unique, the ``keys`` columns together too, and
    ``interval_end > interval_start`` (when both are present).

    ``alongside=True``: the ids of a long frame (the check sorts them, the longest
    one) are checked on another thread while the caller goes on; the
    :class:`Alongside` returned (None when there was nothing to wait for) must then be
    waited for, with :func:`first_error` around the caller's work, so that a repeated
    id is the error raised, as it would have been here.
    """
    if endpoint in (None, CALLVOLUME) and isinstance(df, pd.DataFrame) and "skill_id" in df:
        raise ValueError(
            f"{what}: the frame has a skill_id column, so it is a skill breakdown "
            "(cvframe.read_skill_volume), where a contact routed with several skills counts "
            "once per skill: its rows cannot add up to queue totals. Use the call-volume "
            "frame (cvframe.read_callvolume) for queue analytics, and group skill rows by "
            "skill_id yourself"
        )
    declared = dict(
        CHECKED_KINDS if endpoint is None else {c.name: c.kind for c in endpoint.columns}
    )
    declared.update(kinds or {})
    position = {name: i for i, name in enumerate(declared)}
    # In the contract's order, so that the first failing column is the same every time.
    names = sorted(dict.fromkeys(columns), key=lambda name: position.get(name, len(position)))
    # Even in a frame the caller checked: a column it did not read may be missing.
    require_columns(
        df, [*names, *(k for k in keys if k not in names)], what=what, endpoint=endpoint
    )
    if _TRUSTED.get():
        return None
    for name in names:
        kind = declared.get(name)
        series = df[name]
        if kind in ("int", "float"):
            _check_number(series, kind, what)
        elif kind == "duration":
            _check_duration(series, what)
        elif kind == "datetime":
            need = "its interval" if name.startswith("interval") else f"its {name}"
            _check_timestamp(series, what, need)
    pending = None
    if "id" in df.columns and endpoint in (None, CALLVOLUME):
        ids = df["id"]
        if alongside and threaded(len(ids)):
            pending = Alongside(lambda: _check_ids(ids, what))
        else:
            _check_ids(ids, what)
    try:
        if keys:
            _check_keys(df, keys, what)
        if "interval_start" in df.columns and "interval_end" in df.columns:
            _check_order(df, what)
    except ValueError:
        if pending is not None:
            with first_error(pending):  # the ids' error, if any, comes first
                raise
        raise
    return pending
