"""Erlang C and Erlang A: the implementation of the public :mod:`cvframe.erlang` (formulas there).

The M/M/N+M mathematics is in :mod:`._erlang_a`; this module parses the arguments,
broadcasts them, and plans (the fewest agents, concurrency, occupancy cap, shrinkage).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from .._durations import Duration, duration_ms
from .._frame import is_duration_dtype
from ._checks import check_input, require_columns
from ._erlang_a import ErlangA, erlang_a, erlang_b, required_agents_a
from ._kpis import AVERAGES
from ._measures import instants_ms, key_list, measure_arrays
from ._service_level import DEFAULT_SL_THRESHOLD, is_default_sl_threshold

__all__ = [
    "abandonment",
    "asa",
    "estimate_patience",
    "occupancy",
    "offered_load",
    "probability_of_waiting",
    "required_agents",
    "service_level",
    "staffing",
]

#: A scalar or one value per row (a Series, an array or a list).
Values: TypeAlias = Any

#: Added columns of :func:`staffing`, in order.
STAFFING_COLUMNS = (
    "offered_load",
    "productive_agents",
    "required_agents",
    "expected_service_level",
    "expected_asa",
    "expected_occupancy",
)
#: Added columns of :func:`staffing` with ``model="erlang_a"``, in order.
STAFFING_COLUMNS_A = (*STAFFING_COLUMNS, "expected_abandon_rate", "patience")

#: The queue models of :func:`staffing` and :func:`required_agents`.
MODELS = ("erlang_c", "erlang_a")
#: The service-level denominators a queue model gives (every offered contact is answered
#: or abandoned in the model, so "answered+abandoned" is "offered").
MODEL_SL_DENOMINATORS = ("offered", "answered", "answered+abandoned")

#: Tolerance for ceil() of a ratio that is a whole number up to rounding (8 / 0.8).
_CEIL_SLACK = 1e-9

#: The patience of "nobody hangs up" in a duration column (which cannot hold infinity):
#: ``pd.Timedelta.max`` to the millisecond. :func:`estimate_patience` gives it where no
#: contact abandoned (the estimate is unbounded) and :func:`staffing` reports it for a
#: row planned as Erlang C; any patience at least this long is infinite. NaT is unknown.
UNBOUNDED_PATIENCE = pd.Timedelta.max.floor("ms")
_UNBOUNDED_MS = UNBOUNDED_PATIENCE.value / 1e6


# --------------------------------------------------------------------------- inputs


class _Broadcast:
    """Collects inputs as float arrays and remembers the index of the first Series."""

    def __init__(self) -> None:
        self.index: pd.Index | None = None
        self.vector = False

    def _note(self, value: Any, name: str) -> None:
        if isinstance(value, pd.Series):
            if self.index is None:
                self.index = value.index
            elif not self.index.equals(value.index):
                raise ValueError(f"{name} is a Series with a different index from the others")
            self.vector = True
        elif isinstance(value, np.ndarray | list | tuple | pd.Index):
            self.vector = True

    def number(self, value: Any, name: str) -> np.ndarray:
        self._note(value, name)
        if isinstance(value, pd.Series | pd.Index):
            return pd.Series(value).astype("Float64").to_numpy(np.float64, na_value=np.nan)
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number or numbers, got {value!r}") from None

    def seconds(self, value: Any, name: str) -> np.ndarray:
        self._note(value, name)
        if isinstance(value, pd.Series | pd.Index):
            series = pd.Series(value)
            if not is_duration_dtype(series.dtype):
                raise ValueError(f"{name} must hold durations, got dtype {series.dtype}")
            return series.astype("timedelta64[ns]").dt.total_seconds().to_numpy(np.float64)
        if isinstance(value, np.ndarray) and value.dtype.kind == "m":
            return value.astype("timedelta64[ns]").astype(np.float64) / 1e9
        if isinstance(value, np.ndarray | list | tuple):
            return np.array([self.seconds(v, name) for v in value], dtype=np.float64)
        if value is None or value is pd.NaT:
            return np.asarray(np.nan)
        return np.asarray(duration_ms(value, name=name) / 1000.0)

    def shape(self, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        try:
            return tuple(np.broadcast_arrays(*arrays))
        except ValueError:
            raise ValueError("the inputs have different lengths") from None

    def wrap(self, values: np.ndarray, dtype: str) -> Any:
        """A Series (when any input was a vector) or a scalar of ``dtype``."""
        if not self.vector:
            item = values.reshape(-1)[0]
            if dtype == "Int64":
                return pd.NA if np.isnan(item) else int(item)
            if dtype == "timedelta64[ms]":
                return pd.NaT if np.isnan(item) else pd.Timedelta(milliseconds=round(item))
            return float(item)
        flat = values.reshape(-1)
        missing = np.isnan(flat)
        if dtype == "timedelta64[ms]":
            data = np.where(missing, 0, np.rint(flat)).astype(np.int64).view("timedelta64[ms]")
            data[missing] = np.timedelta64("NaT", "ms")
            series = pd.Series(data, dtype="timedelta64[ms]")
        else:
            filled = np.where(missing, 0, flat)
            series = pd.Series(
                pd.array(filled.astype(np.int64) if dtype == "Int64" else filled, dtype=dtype)
            ).mask(missing)
        if self.index is not None and len(self.index) == len(series):
            series.index = self.index
        return series


def _agents(values: np.ndarray) -> np.ndarray:
    bad = ~np.isnan(values) & ((values < 0) | (values != np.floor(values)))
    if bad.any():
        raise ValueError(f"agents must be whole numbers >= 0, got {values[bad][0]!r}")
    return values


def _non_negative(values: np.ndarray, name: str) -> np.ndarray:
    if np.any(values[~np.isnan(values)] < 0):
        raise ValueError(f"{name} must not be negative")
    if np.any(np.isinf(values)):
        raise ValueError(f"{name} must be finite (NaN or NA for unknown), got infinity")
    return values


def _sl_threshold_seconds(sl_threshold: Duration, threshold: Duration | None) -> float:
    """``sl_threshold`` in seconds, honouring the deprecated ``threshold`` with a warning."""
    if threshold is not None:
        warnings.warn(
            "threshold is deprecated; use sl_threshold (the name cvframe.kpis uses)",
            FutureWarning,
            stacklevel=3,
        )
        if not is_default_sl_threshold(sl_threshold):
            raise ValueError(
                "sl_threshold and its deprecated alias threshold are both given; "
                "give sl_threshold only"
            )
        return duration_ms(threshold, name="threshold") / 1000.0
    return duration_ms(sl_threshold, name="sl_threshold") / 1000.0


# --------------------------------------------------------------------------- the math


def _erlang_c_from_b(agents: np.ndarray, load: np.ndarray, blocking: np.ndarray) -> np.ndarray:
    stable = agents > load
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = agents * blocking / (agents - load * (1.0 - blocking))
    wait = np.where(stable, wait, 1.0)
    wait = np.where(load == 0, 0.0, wait)
    return np.where(np.isnan(agents) | np.isnan(load), np.nan, wait)


def _wait_probability(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    return _erlang_c_from_b(agents, load, erlang_b(agents, load))


def _service_level(
    agents: np.ndarray, load: np.ndarray, aht_s: np.ndarray, threshold_s: np.ndarray, wait: Any
) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        level = 1.0 - wait * np.exp(-(agents - load) * threshold_s / aht_s)
    level = np.where(agents > load, level, 0.0)
    level = np.where(load == 0, 1.0, level)
    return np.where(np.isnan(wait) | np.isnan(aht_s) | np.isnan(threshold_s), np.nan, level)


def _asa_seconds(agents: np.ndarray, load: np.ndarray, aht_s: np.ndarray, wait: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        seconds = wait * aht_s / (agents - load)
    seconds = np.where(agents > load, seconds, np.nan)
    return np.where(load == 0, 0.0, seconds)


def _occupancy(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        busy = np.where(agents > load, load / agents, 1.0)
    busy = np.where(agents == 0, np.nan, busy)
    return np.where(np.isnan(agents) | np.isnan(load), np.nan, busy)


def _required(
    load: np.ndarray,
    aht_s: np.ndarray,
    threshold_s: float,
    sl_target: float,
    max_occupancy: float | None,
) -> np.ndarray:
    """Fewest agents meeting the target (and occupancy cap), before shrinkage."""
    known = ~np.isnan(load) & ((load == 0) | ~np.isnan(aht_s))
    load = np.where(known, load, 0.0)
    safe_aht = np.where(known & (aht_s > 0), aht_s, 1.0)
    agents = np.where(load > 0, np.floor(load) + 1.0, 0.0)
    blocking = erlang_b(agents, load)
    # Agents rise one at a time where the target is missed, carrying B forward. This ends:
    # the service level tends to 1 as agents grow, and the target is below 1.
    while True:
        wait = _erlang_c_from_b(agents, load, blocking)
        level = _service_level(agents, load, safe_aht, np.asarray(threshold_s), wait)
        short = (load > 0) & (level < sl_target)
        if not short.any():
            break
        agents = np.where(short, agents + 1.0, agents)
        step = load * blocking / np.where(short, agents + load * blocking, 1.0)
        blocking = np.where(short, step, blocking)
    if max_occupancy is not None:
        cap = np.ceil(load / max_occupancy - _CEIL_SLACK)
        agents = np.where(known, np.maximum(agents, cap), agents)
    return np.where(known, agents, np.nan)


def _check_target(sl_target: float, max_occupancy: float | None, shrinkage: Any) -> None:
    if not 0.0 < sl_target < 1.0:
        raise ValueError(f"sl_target must be between 0 and 1 (exclusive), got {sl_target!r}")
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    scalar = isinstance(shrinkage, int | float | np.number) and not isinstance(shrinkage, bool)
    if scalar and not 0.0 <= shrinkage < 1.0:
        # One number is a plan for every row: a plan of 100% shrinkage staffs nothing.
        # (A measured row at 1 is an observation, and gets NA: see _shrink.)
        raise ValueError(
            f"shrinkage must be in [0, 1), got {shrinkage!r}: it is the share of paid time "
            "agents are not available (0.3 for 30%), and at 1 no number of agents is enough"
        )


def _bad_rows(
    values: np.ndarray, bad: np.ndarray, labels: Any, *, what: str = "row", show: Any = float
) -> str:
    """``"2 row(s) are not (index: value) {3: 1.5, 7: -1.0}"``: the count and first three."""
    rows = np.flatnonzero(bad)[:3]
    named = labels is not None and len(labels) == len(values)
    shown = ", ".join(f"{(labels[i] if named else int(i))!r}: {show(values[i])!r}" for i in rows)
    more = ", ..." if bad.sum() > 3 else ""
    key = "index" if what == "row" else what
    return f"{int(bad.sum())} {what}(s) are not ({key}: value) {{{shown}{more}}}"


def _shrinkage_range(values: np.ndarray, labels: pd.Index | None) -> np.ndarray:
    """``values`` if each is in [0, 1] or NA, else ValueError naming the first bad rows.

    A 1 is taken: :func:`cvframe.agent_occupancy` measures it when everyone logged in
    was not ready (a meeting, training), an interval like any other; :func:`_shrink`
    gives its row NA.
    """
    bad = ~np.isnan(values) & ~((values >= 0.0) & (values <= 1.0))
    if bad.any():
        raise ValueError(
            f"shrinkage must be in [0, 1] in every row; {_bad_rows(values, bad, labels)}. A "
            "measured shrinkage (not-ready time over logged-in time, cvframe.agent_occupancy) "
            "is in [0, 1] by its definition; a share given in percent (30 for 30%) must be "
            "divided by 100"
        )
    return values


def _shrink(agents: np.ndarray, shrinkage: np.ndarray) -> np.ndarray:
    """Agents to schedule: ``ceil(agents / (1 - shrinkage))``; NA where either is NA.

    At a shrinkage of 1 (nobody logged in was available) no number of agents is enough:
    NA, unless the row needs no agents (no load), which needs none whatever its shrinkage.
    """
    available = 1.0 - shrinkage
    with np.errstate(invalid="ignore", divide="ignore"):
        scheduled = np.ceil(agents / np.where(available == 0, 1.0, available) - _CEIL_SLACK)
    nobody = available == 0  # False where the shrinkage is NA: NA stays NA
    return np.where(nobody, np.where(agents == 0, 0.0, np.nan), scheduled)


def _row_shrinkage(shrinkage: Any, df: pd.DataFrame) -> np.ndarray:
    """The shrinkage of each row of ``df``: a scalar, a column's name or an aligned Series."""
    index = df.index
    if isinstance(shrinkage, str):
        if shrinkage not in df.columns:
            raise ValueError(
                f"shrinkage names the column {shrinkage!r}, which the frame lacks; add it "
                "(e.g. merge cvframe.agent_occupancy's shrinkage on interval_start) or "
                "pass a number or a Series"
            )
        shrinkage = df[shrinkage]
    if isinstance(shrinkage, pd.Series):
        shrinkage = _aligned(
            shrinkage,
            df,
            "shrinkage",
            "align it first (e.g. by merging it into the frame and passing the column's name)",
        )
        return _shrinkage_range(_numbers(shrinkage, "shrinkage"), index)
    if isinstance(shrinkage, np.ndarray | list | tuple):
        values = np.asarray(shrinkage, dtype=np.float64)
        if values.shape != (len(index),):
            raise ValueError(f"shrinkage has {values.size} values for a frame of {len(index)} rows")
        return _shrinkage_range(values, index)
    try:
        value = float(shrinkage)
    except (TypeError, ValueError):
        raise ValueError(
            f"shrinkage must be a number, a column's name or a Series, got {shrinkage!r}"
        ) from None
    return np.full(len(index), value)


# --------------------------------------------------------------------------- the models


def _check_model(model: str, patience: Any) -> None:
    if model not in MODELS:
        raise ValueError(f"model must be one of {list(MODELS)}, got {model!r}")
    if model == "erlang_c" and patience is not None:
        raise ValueError(
            "patience is given with model='erlang_c', which assumes nobody hangs up; pass "
            "model='erlang_a' to plan with abandonment"
        )


def _answered_denominator(sl_denominator: str) -> bool:
    """Whether a model's service level is over answered contacts (else over offered)."""
    if sl_denominator not in MODEL_SL_DENOMINATORS:
        raise ValueError(
            f"sl_denominator of a queue model must be one of {list(MODEL_SL_DENOMINATORS)}, "
            f"got {sl_denominator!r}: in the model every offered contact is answered or "
            "abandoned, so 'answered+abandoned' is 'offered'; the vendors' presets of "
            "cvframe.kpis need counts that only measured intervals have"
        )
    return sl_denominator == "answered"


def _patience_seconds(
    b: _Broadcast, patience: Any, labels: Any = None, what: str = "row"
) -> np.ndarray:
    """Mean patience in seconds: infinity (nobody hangs up) for None, math.inf or
    :data:`UNBOUNDED_PATIENCE` and longer; NaN (unknown) for NaT."""
    if patience is None:
        return np.asarray(np.inf)
    if isinstance(patience, float | np.floating) and np.isposinf(patience):
        return np.asarray(np.inf)
    seconds = b.seconds(patience, "patience")
    seconds = np.where(seconds >= _UNBOUNDED_MS / 1000.0, np.inf, seconds)  # NaN stays
    bad = seconds <= 0
    if bad.any():
        if labels is None and isinstance(patience, pd.Series):
            labels = patience.index
        flat = np.atleast_1d(seconds)
        rows = _bad_rows(flat, np.atleast_1d(bad), labels, what=what, show=_as_timedelta)
        raise ValueError(
            "patience must be a positive duration (the mean time a contact waits before "
            f"hanging up, e.g. '90s'), or None or math.inf for nobody hangs up; {rows}. An "
            "estimate of 0 (abandons with no recorded wait) cannot be planned with: "
            "estimate_patience gives NaT there"
        )
    return seconds


def _as_timedelta(seconds: float) -> pd.Timedelta:
    return pd.Timedelta(seconds=float(seconds))


def _model_aht(b: _Broadcast, aht: Any, what: str) -> np.ndarray:
    """AHT in seconds, which Erlang A needs: abandonment races the handle time."""
    if aht is None:
        raise ValueError(
            f"{what} with a patience (Erlang A) needs aht: abandonment is a race between "
            "the patience and the agents' handle time; pass aht='4min' (or a Series)"
        )
    return _non_negative(b.seconds(aht, "aht"), "aht")


def _erlang_a_arrays(
    agents: np.ndarray,
    load: np.ndarray,
    aht_s: np.ndarray,
    patience_s: np.ndarray,
    threshold_s: float,
) -> ErlangA:
    """Erlang A of broadcast arrays, with NaN for an unknown AHT where no load needs one.

    An unknown (NaN) patience gives NaN figures.
    """
    safe_aht = np.where((load == 0) & np.isnan(aht_s), 1.0, aht_s)
    safe_aht = np.where(safe_aht == 0, 1.0, safe_aht)  # no load either (load = volume x AHT)
    unknown = np.isnan(patience_s)
    model = erlang_a(agents, load, safe_aht, np.where(unknown, np.inf, patience_s), threshold_s)
    if not unknown.any():
        return model
    figures = {f.name: np.where(unknown, np.nan, getattr(model, f.name)) for f in fields(model)}
    return ErlangA(**figures)


def _plan(
    load: np.ndarray,
    aht_s: np.ndarray,
    patience_s: np.ndarray | None,
    threshold_s: float,
    sl_target: float,
    max_occupancy: float | None,
    concurrency: np.ndarray,
    answered: bool,
) -> np.ndarray:
    """Productive agents of each row (before shrinkage): the fewest whose slots suffice.

    An agent handles ``concurrency`` contacts at once: N agents are N·k slots, each a
    server of the contact's own handle time. The fewest slots S meeting the target
    (Erlang C, or Erlang A when ``patience_s`` is given) need ``ceil(S / k)`` agents;
    the occupancy cap ``load / (N·k) <= max_occupancy`` needs
    ``ceil(load / (k·max_occupancy))``.
    """
    if patience_s is None:
        slots = _required(load, aht_s, threshold_s, sl_target, None)
    else:
        known = ~np.isnan(load) & ((load == 0) | ~(np.isnan(aht_s) | np.isnan(patience_s)))
        safe_load = np.where(known, load, 0.0)
        safe_aht = np.where(known & (aht_s > 0), aht_s, 1.0)
        safe_patience = np.where(known, patience_s, np.inf)
        slots = required_agents_a(
            np.atleast_1d(safe_load),
            np.atleast_1d(safe_aht),
            np.atleast_1d(safe_patience),
            threshold_s,
            sl_target,
            answered_denominator=answered,
        ).reshape(np.shape(load))
        slots = np.where(known, slots, np.nan)
    with np.errstate(invalid="ignore"):
        agents = np.ceil(slots / concurrency - _CEIL_SLACK)
        if max_occupancy is not None:
            cap = np.ceil(load / (concurrency * max_occupancy) - _CEIL_SLACK)
            agents = np.where(np.isnan(agents), agents, np.maximum(agents, cap))
    return np.where(np.isnan(concurrency), np.nan, agents)


def _concurrency_range(values: np.ndarray, labels: pd.Index | None) -> np.ndarray:
    """``values`` if each is a whole number >= 1 or NA, else ValueError naming the rows."""
    bad = ~np.isnan(values) & ~((values >= 1) & (values == np.floor(values)))
    bad |= np.isinf(values)
    if bad.any():
        raise ValueError(
            f"concurrency must be a whole number >= 1 in every row (the contacts one agent "
            f"handles at once: 1 for calls, e.g. 3 for chat); {_bad_rows(values, bad, labels)}"
        )
    return values


def _by_queue(mapping: Mapping[Any, Any], df: pd.DataFrame, name: str) -> tuple[str, pd.Series]:
    """Which key column ``mapping`` is keyed by, and that column (every queue must be a key).

    By ``queue_id``, unless every key is a ``queue_name`` of the frame (and not every
    key a ``queue_id``).
    """
    keys = set(mapping)
    ids = set(df["queue_id"].dropna()) if "queue_id" in df.columns else set()
    names = set(df["queue_name"].dropna()) if "queue_name" in df.columns else set()
    by = "queue_name" if names and keys <= names and not keys <= ids else "queue_id"
    if by not in df.columns:
        raise ValueError(
            f"{name} is a mapping by queue, but the frame has no queue_id column (nor "
            "queue_name holding every key); pass one value, a column's name or a Series"
        )
    column = df[by]
    if column.isna().any():
        raise ValueError(
            f"{name} is a mapping by {by}, but {int(column.isna().sum())} row(s) have no "
            f"{by}; give those rows a {by} or pass a Series aligned to the frame"
        )
    missing = sorted(map(str, set(column) - keys))
    if missing:
        hint = (
            " (the keys are read as queue ids unless every key is a queue_name of the frame)"
            if by == "queue_id"
            else ""
        )
        raise ValueError(
            f"{name} has no value for the queue(s) {missing[:5]} ({by}) of the frame; add "
            f"them to the mapping{hint}"
        )
    return by, column


def _aligned(values: pd.Series, df: pd.DataFrame, name: str, fix: str) -> pd.Series:
    """``values`` with the rows of ``df`` (the same labels in any order), or ValueError."""
    index = df.index
    if values.index.equals(index):
        return values
    if not (index.is_unique and values.index.is_unique) or set(values.index) != set(index):
        raise ValueError(f"{name} is a Series whose index is not the frame's rows; {fix}")
    return values.reindex(index)


def _numbers(values: pd.Series, name: str) -> np.ndarray:
    """A per-row Series of numbers as float64, NaN where NA; ValueError for other dtypes."""
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        raise ValueError(f"{name} must hold numbers, got dtype {values.dtype}")
    return values.astype("Float64").to_numpy(np.float64, na_value=np.nan)


def _row_concurrency(concurrency: Any, df: pd.DataFrame) -> np.ndarray:
    """Contacts per agent at once for each row of ``df``: one number, column, Series or map."""
    index = df.index
    if isinstance(concurrency, str):
        if concurrency not in df.columns:
            raise ValueError(
                f"concurrency names the column {concurrency!r}, which the frame lacks; add "
                "it or pass a number, a Series or a mapping by queue"
            )
        concurrency = df[concurrency]
    if isinstance(concurrency, Mapping):
        for key, value in concurrency.items():
            _concurrency_range(np.atleast_1d(np.asarray(value, dtype=np.float64)), pd.Index([key]))
        _, column = _by_queue(concurrency, df, "concurrency")
        per_queue = {
            key: float(np.asarray(value, dtype=np.float64)) for key, value in concurrency.items()
        }
        return column.map(per_queue).to_numpy(np.float64)
    if isinstance(concurrency, pd.Series):
        concurrency = _aligned(
            concurrency, df, "concurrency", "align it first, or pass a mapping by queue"
        )
        return _concurrency_range(_numbers(concurrency, "concurrency"), index)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int | float | np.number):
        raise ValueError(
            "concurrency must be a whole number >= 1, a column's name, a Series or a "
            f"mapping by queue_id or queue_name, got {concurrency!r}"
        )
    _concurrency_range(np.asarray([float(concurrency)]), None)
    return np.full(len(index), float(concurrency))


def _row_patience(patience: Any, df: pd.DataFrame) -> np.ndarray:
    """Given mean patience of each row, in seconds: NaN where it is NaT (unknown)."""
    if isinstance(patience, str) and patience in df.columns:
        patience = df[patience]
    if isinstance(patience, pd.Series) and not patience.index.equals(df.index):
        if patience.index.name in ("queue_id", "queue_name"):
            patience = patience.to_dict()  # e.g. estimate_patience(history, by="queue_id")
        else:
            patience = _aligned(
                patience,
                df,
                "patience",
                "align it first, or pass one indexed by queue_id or queue_name (as "
                "estimate_patience(history, by='queue_id') gives)",
            )
    if isinstance(patience, Mapping):
        per_queue = {}
        for key, value in patience.items():
            try:
                per_queue[key] = float(_patience_seconds(_Broadcast(), value, [key], "queue"))
            except ValueError as error:
                if repr(key) in str(error):
                    raise
                raise ValueError(f"{error} (for the queue {key!r})") from None
        _, column = _by_queue(patience, df, "patience")
        return column.map(per_queue).to_numpy(np.float64)
    seconds = _patience_seconds(_Broadcast(), patience, df.index)
    return np.broadcast_to(seconds, (len(df),)).astype(np.float64)


def _estimated_patience_ms(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's total queue wait (ms) and abandoned contacts; NaN where unknown."""
    answered, answered_missing = measure_arrays(df["queue_hold_time_answered"], "duration")
    abandoned_wait, wait_missing = measure_arrays(df["queue_hold_time_abandoned"], "duration")
    abandoned, abandoned_missing = measure_arrays(df["abandoned_contacts"], "int")
    missing = answered_missing | wait_missing | abandoned_missing
    total = np.where(missing, np.nan, (answered + abandoned_wait).astype(np.float64))
    return total, np.where(missing, np.nan, abandoned.astype(np.float64))


def _patience_of(total_ms: np.ndarray, abandoned: np.ndarray) -> np.ndarray:
    """The exponential-patience MLE in whole ms: infinity where no contact abandoned;
    NaN where a total is unknown, or where contacts abandoned after no recorded wait (an
    estimate that rounds to 0 ms, which no queue model can plan with)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ms = np.rint(total_ms / np.where(abandoned > 0, abandoned, 1))
    ms = np.where(ms > 0, ms, np.nan)
    return np.where(abandoned == 0, np.inf, ms)  # NaN abandoned: False, stays NaN


def _reported_ms(ms: np.ndarray) -> np.ndarray:
    """Patience in ms for a duration column: infinity as :data:`UNBOUNDED_PATIENCE`."""
    return np.where(np.isinf(ms), _UNBOUNDED_MS, ms)


# --------------------------------------------------------------------------- public


def offered_load(volume: Values, aht: Values, interval: Values) -> Any:
    """Offered load in Erlangs: ``volume × aht / interval``.

    Parameters
    ----------
    volume : number or Series
        Contacts offered in the interval.
    aht : duration or Series of durations
        Average handle time.
    interval : duration or Series of durations
        The interval's length, e.g. ``"30min"``.

    Returns
    -------
    float or Series
        Float64 Series when any input is a Series.

    Examples
    --------
    >>> from cvframe import erlang
    >>> erlang.offered_load(100, "3min", "30min")
    10.0
    """
    b = _Broadcast()
    count = _non_negative(b.number(volume, "volume"), "volume")
    aht_s, interval_s = b.seconds(aht, "aht"), b.seconds(interval, "interval")
    count, aht_s, interval_s = b.shape(count, aht_s, interval_s)
    return b.wrap(count * aht_s / interval_s, "Float64")


def probability_of_waiting(
    agents: Values, load: Values, *, aht: Values = None, patience: Values = None
) -> Any:
    """The probability that a contact waits at all, with ``agents`` serving ``load``.

    Erlang C (``patience=None``): ``C(N, A)``, 1 when ``agents <= load`` (the queue
    never clears). Erlang A (a ``patience``): the probability that an arriving
    contact finds every agent busy, which needs ``aht`` (the patience is measured
    against it); below 1 even when ``agents <= load``, as hang-ups keep the queue
    finite.

    Parameters
    ----------
    agents : int or Series
        Agents answering (whole numbers).
    load : float or Series
        Offered load in Erlangs (:func:`offered_load`).
    aht : duration or Series of durations, optional
        Average handle time; needed with a ``patience``.
    patience : duration or Series of durations, optional
        Mean time a contact waits before hanging up (exponential). None,
        ``math.inf`` or ``pd.Timedelta.max`` (what :func:`estimate_patience` gives
        where nobody abandoned): nobody hangs up (Erlang C). NaT is unknown: NaN.

    Returns
    -------
    float or Series
        0 when ``load`` is 0.

    Examples
    --------
    >>> from cvframe import erlang
    >>> round(erlang.probability_of_waiting(14, 10.0), 4)
    0.1741
    >>> float(erlang.probability_of_waiting(10, 10.0))
    1.0
    >>> 0 < erlang.probability_of_waiting(10, 10.0, aht="3min", patience="2min") < 1
    True
    """
    b = _Broadcast()
    n = _agents(b.number(agents, "agents"))
    a = _non_negative(b.number(load, "load"), "load")
    if patience is None:
        n, a = b.shape(n, a)
        return b.wrap(_wait_probability(n, a), "Float64")
    aht_s = _model_aht(b, aht, "probability_of_waiting")
    p = _patience_seconds(b, patience)
    n, a, aht_s, p = b.shape(n, a, aht_s, p)
    return b.wrap(_erlang_a_arrays(n, a, aht_s, p, 0.0).wait_probability, "Float64")


def service_level(
    agents: Values,
    load: Values,
    aht: Values,
    *,
    sl_threshold: Duration = DEFAULT_SL_THRESHOLD,
    patience: Values = None,
    sl_denominator: str = "offered",
    threshold: Duration | None = None,
) -> Any:
    """The share of contacts answered within ``sl_threshold``.

    Erlang C (``patience=None``): ``SL = 1 - C·exp(-(agents - load)·T / aht)``, 0
    when ``agents <= load``; nobody hangs up, so over offered and over answered are
    the same. Erlang A (a ``patience``): with ``sl_denominator="offered"`` the
    probability that a contact is answered *and* waited at most T (a hang-up counts
    against); with ``"answered"``, the same among the answered contacts only
    (hang-ups ignored), which is higher.

    Parameters
    ----------
    agents : int or Series
        Agents answering.
    load : float or Series
        Offered load in Erlangs.
    aht : duration or Series of durations
        Average handle time.
    sl_threshold : str or Timedelta, default "20s"
        The service-level threshold T, a duration with its unit.
    patience : duration or Series of durations, optional
        Mean patience (Erlang A); None, ``math.inf`` or ``pd.Timedelta.max`` for
        Erlang C; NaT (unknown) gives NaN.
    sl_denominator : {"offered", "answered"}, default "offered"
        What the answered-within-T contacts are divided by ("answered+abandoned" is
        "offered" in the model).
    threshold : str or Timedelta, optional
        Deprecated alias of ``sl_threshold`` (``FutureWarning``).

    Returns
    -------
    float or Series

    Examples
    --------
    >>> from cvframe import erlang
    >>> round(erlang.service_level(14, 10.0, "3min", sl_threshold="20s"), 4)
    0.8884

    With 10 agents for 10 Erlangs Erlang C says 0%; if contacts hang up after two
    minutes on average, the queue still answers many of them quickly:

    >>> erlang.service_level(10, 10.0, "3min")
    0.0
    >>> erlang.service_level(10, 10.0, "3min", patience="2min") > 0.3
    True
    """
    answered = _answered_denominator(sl_denominator)
    b = _Broadcast()
    n = _agents(b.number(agents, "agents"))
    a = _non_negative(b.number(load, "load"), "load")
    aht_s = _non_negative(b.seconds(aht, "aht"), "aht")
    t = _sl_threshold_seconds(sl_threshold, threshold)
    if patience is None:
        n, a, aht_s = b.shape(n, a, aht_s)
        level = _service_level(n, a, aht_s, np.asarray(t), _wait_probability(n, a))
        return b.wrap(level, "Float64")
    p = _patience_seconds(b, patience)
    n, a, aht_s, p = b.shape(n, a, aht_s, p)
    model = _erlang_a_arrays(n, a, aht_s, p, t)
    level = model.service_level_answered if answered else model.service_level
    return b.wrap(np.where(np.isnan(aht_s), np.nan, level), "Float64")


def asa(agents: Values, load: Values, aht: Values, *, patience: Values = None) -> Any:
    """Average speed of answer: the mean wait of the answered contacts.

    Erlang C (``patience=None``): ``C·aht / (agents - load)``, NaT when ``agents <=
    load`` (no finite wait). Erlang A (a ``patience``): the mean wait of those
    answered (hang-ups excluded), finite for any number of agents > 0.

    Parameters
    ----------
    agents : int or Series
        Agents answering.
    load : float or Series
        Offered load in Erlangs.
    aht : duration or Series of durations
        Average handle time.
    patience : duration or Series of durations, optional
        Mean patience (Erlang A); None, ``math.inf`` or ``pd.Timedelta.max`` for
        Erlang C; NaT (unknown) gives NaN.

    Returns
    -------
    Timedelta or Series of timedelta64[ms]
        Rounded to the millisecond.

    Examples
    --------
    >>> import pandas as pd
    >>> from cvframe import erlang
    >>> erlang.asa(14, 10.0, "3min")
    Timedelta('0 days 00:00:07.836000')
    >>> erlang.asa(10, 10.0, "3min") is pd.NaT
    True
    >>> erlang.asa(10, 10.0, "3min", patience="2min") < pd.Timedelta("1min")
    True
    """
    b = _Broadcast()
    n = _agents(b.number(agents, "agents"))
    a = _non_negative(b.number(load, "load"), "load")
    aht_s = b.seconds(aht, "aht")
    if patience is None:
        n, a, aht_s = b.shape(n, a, aht_s)
        seconds = _asa_seconds(n, a, aht_s, _wait_probability(n, a))
        return b.wrap(seconds * 1000.0, "timedelta64[ms]")
    _non_negative(aht_s, "aht")
    p = _patience_seconds(b, patience)
    n, a, aht_s, p = b.shape(n, a, aht_s, p)
    seconds = np.where(np.isnan(aht_s), np.nan, _erlang_a_arrays(n, a, aht_s, p, 0.0).asa_s)
    return b.wrap(seconds * 1000.0, "timedelta64[ms]")


def abandonment(agents: Values, load: Values, aht: Values, *, patience: Values) -> Any:
    """Erlang A: the probability that an offered contact hangs up before an answer.

    ``P(ab) = θ·E[Q] / λ`` with ``θ = 1 / patience``, E[Q] the mean number waiting
    and λ the arrival rate (every waiting contact hangs up at rate θ). 0 with
    ``patience=None`` (Erlang C: nobody hangs up).

    Parameters
    ----------
    agents : int or Series
        Agents answering.
    load : float or Series
        Offered load in Erlangs.
    aht : duration or Series of durations
        Average handle time.
    patience : duration or Series of durations
        Mean time a contact waits before hanging up (exponential); None,
        ``math.inf`` or ``pd.Timedelta.max``: nobody hangs up; NaT (unknown) gives NaN.

    Returns
    -------
    float or Series
        In [0, 1]; the expected abandon rate (abandoned / offered).

    Examples
    --------
    >>> from cvframe import erlang
    >>> p = erlang.abandonment(10, 10.0, "3min", patience="2min")
    >>> 0.05 < p < 0.2
    True
    >>> erlang.abandonment(10, 10.0, "3min", patience=None)
    0.0
    """
    b = _Broadcast()
    n = _agents(b.number(agents, "agents"))
    a = _non_negative(b.number(load, "load"), "load")
    aht_s = _non_negative(b.seconds(aht, "aht"), "aht")
    p = _patience_seconds(b, patience)
    n, a, aht_s, p = b.shape(n, a, aht_s, p)
    if np.all(np.isinf(p)):
        none = np.where(np.isnan(n) | np.isnan(a) | np.isnan(aht_s), np.nan, 0.0)
        return b.wrap(none, "Float64")
    abandon = _erlang_a_arrays(n, a, aht_s, p, 0.0).abandon_probability
    return b.wrap(np.where(np.isnan(aht_s), np.nan, abandon), "Float64")


def occupancy(agents: Values, load: Values, *, aht: Values = None, patience: Values = None) -> Any:
    """The share of time agents are busy.

    Erlang C (``patience=None``): ``load / agents``, 1 when ``agents <= load``.
    Erlang A (a ``patience``, which needs ``aht``): the carried load over the agents,
    ``load·(1 - P(ab)) / agents``: contacts who hang up take no agent time.

    Parameters
    ----------
    agents : int or Series
        Agents answering; 0 agents give NaN (NA in a Series).
    load : float or Series
        Offered load in Erlangs.
    aht : duration or Series of durations, optional
        Average handle time; needed with a ``patience``.
    patience : duration or Series of durations, optional
        Mean patience (Erlang A); None, ``math.inf`` or ``pd.Timedelta.max`` for
        Erlang C; NaT (unknown) gives NaN.

    Returns
    -------
    float or Series

    Examples
    --------
    >>> from cvframe import erlang
    >>> erlang.occupancy(14, 10.5)
    0.75
    >>> erlang.occupancy(10, 10.0, aht="3min", patience="2min") < 1
    True
    """
    b = _Broadcast()
    n = _agents(b.number(agents, "agents"))
    a = _non_negative(b.number(load, "load"), "load")
    if patience is None:
        n, a = b.shape(n, a)
        return b.wrap(_occupancy(n, a), "Float64")
    aht_s = _model_aht(b, aht, "occupancy")
    p = _patience_seconds(b, patience)
    n, a, aht_s, p = b.shape(n, a, aht_s, p)
    busy = np.where(np.isnan(aht_s), np.nan, _erlang_a_arrays(n, a, aht_s, p, 0.0).occupancy)
    return b.wrap(busy, "Float64")


def required_agents(
    volume: Values,
    aht: Values,
    interval: Values,
    *,
    sl_target: float = 0.8,
    sl_threshold: Duration = DEFAULT_SL_THRESHOLD,
    max_occupancy: float | None = None,
    shrinkage: Values = 0.0,
    model: str = "erlang_c",
    patience: Values = None,
    concurrency: Values = 1,
    sl_denominator: str = "offered",
    threshold: Duration | None = None,
) -> Any:
    """The fewest agents so that ``sl_target`` of contacts wait at most ``sl_threshold``.

    The smallest N whose service level (Erlang C, or Erlang A with
    ``model="erlang_a"`` and a ``patience``) reaches ``sl_target``; then at least
    ``ceil(load / max_occupancy)`` if a cap is given; then divided by
    ``1 - shrinkage`` (breaks, training, absence) and rounded up. No volume needs
    no agents. With ``concurrency=k`` each agent handles k contacts at once: N
    agents serve as N·k independent slots of the contact's own handle time, so the
    result is the fewest N whose N·k slots meet the target (and ``load / (N·k) <=
    max_occupancy``).

    Parameters
    ----------
    volume : number or Series
        Contacts offered in the interval: finite and ``>= 0``, fractional for a
        forecast; NaN or NA gives NA.
    aht : duration or Series of durations
        Average handle time (per contact, concurrency already inside it).
    interval : duration or Series of durations
        The interval's length, e.g. ``"30min"``.
    sl_target : float, default 0.8
        The service level to reach, strictly between 0 and 1.
    sl_threshold : str or Timedelta, default "20s"
        The service-level threshold T, a duration with its unit.
    max_occupancy : float, optional
        The highest acceptable occupancy, in (0, 1]. With Erlang A it caps the
        offered load per slot, an upper bound of the occupancy (hang-ups take no
        agent time), so the cap always holds.
    shrinkage : float or Series, default 0.0
        The share of paid time agents are not available: one number in [0, 1), or
        one per row in [0, 1] (a Series, e.g. the measured ``shrinkage`` of
        :func:`cvframe.agent_occupancy`, or an array); NA gives NA. A row at 1
        (everyone logged in was not ready, e.g. in a meeting: an interval
        agent_occupancy measures like any other) gets NA, since no number of agents
        makes up for it, or 0 if it needs no agents. A value outside [0, 1] is
        refused, naming its row; one number of 1 too (a plan that staffs nothing).
    model : {"erlang_c", "erlang_a"}, default "erlang_c"
        Erlang C (nobody hangs up) or Erlang A (contacts hang up after an
        exponential patience, ``patience`` required).
    patience : duration or Series of durations, optional
        The mean patience, for ``model="erlang_a"`` only (e.g. from
        :func:`estimate_patience` on the history); ``math.inf`` or
        ``pd.Timedelta.max``: nobody hangs up; NaT (unknown) gives NA.
    concurrency : int or Series, default 1
        Contacts one agent handles at once (chat), a whole number >= 1.
    sl_denominator : {"offered", "answered"}, default "offered"
        For Erlang A, whether the target is over offered contacts (hang-ups count
        against) or over answered ones. Over answered, a queue meets a target by
        losing callers: 10 Erlangs of callers who hang up after 10 s on average
        "need" 3 agents for 95% of the answered in 20 s, while most hang up. Plan
        over offered, or read the expected abandon rate (:func:`staffing`).
    threshold : str or Timedelta, optional
        Deprecated alias of ``sl_threshold`` (``FutureWarning``).

    Returns
    -------
    int or Series
        Int64 Series (NA where an input is missing) when any input is a Series.

    Examples
    --------
    >>> import cvframe
    >>> cvframe.required_agents(100, "3min", "30min", sl_target=0.8, sl_threshold="20s")
    14
    >>> cvframe.required_agents(100, "3min", "30min", max_occupancy=0.7, shrinkage=0.3)
    22

    With a measured shrinkage per interval (NA where none was measured):

    >>> import pandas as pd
    >>> cvframe.required_agents(100, "3min", "30min", shrinkage=pd.Series([0.0, 0.3, None]))
    0      14
    1      20
    2    <NA>
    dtype: Int64

    Chat agents handling three conversations at once, and a queue whose callers
    hang up after 90 seconds on average (Erlang A):

    >>> cvframe.required_agents(100, "9min", "30min", concurrency=3)
    12
    >>> n = cvframe.required_agents(100, "3min", "30min", model="erlang_a", patience="90s")
    >>> n <= 14
    True
    """
    _check_target(sl_target, max_occupancy, shrinkage)
    _check_model(model, patience)
    answered = _answered_denominator(sl_denominator)
    if model == "erlang_a" and patience is None:
        raise ValueError(
            "required_agents with model='erlang_a' needs patience, the mean time a "
            "contact waits before hanging up (e.g. '90s'); estimate it from history with "
            "cvframe.erlang.estimate_patience, or let cvframe.staffing estimate it per row"
        )
    b = _Broadcast()
    shrink = b.number(shrinkage, "shrinkage")
    _shrinkage_range(np.atleast_1d(shrink), getattr(shrinkage, "index", None))
    slots = b.number(concurrency, "concurrency")
    _concurrency_range(np.atleast_1d(slots), getattr(concurrency, "index", None))
    count = _non_negative(b.number(volume, "volume"), "volume")
    aht_s = _non_negative(b.seconds(aht, "aht"), "aht")
    interval_s = b.seconds(interval, "interval")
    if np.any(interval_s[~np.isnan(interval_s)] <= 0):
        raise ValueError("interval must be a positive duration")
    t = _sl_threshold_seconds(sl_threshold, threshold)
    p = None if model == "erlang_c" else _patience_seconds(b, patience)
    arrays = (count, aht_s, interval_s, shrink, slots) + (() if p is None else (p,))
    count, aht_s, interval_s, shrink, slots, *rest = b.shape(*arrays)
    load = count * aht_s / interval_s
    agents = _plan(
        load, aht_s, rest[0] if rest else None, t, sl_target, max_occupancy, slots, answered
    )
    return b.wrap(_shrink(agents, shrink), "Int64")


def estimate_patience(df: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.Series:
    """The mean patience of the contacts of each row (or group): the exponential MLE.

    ``patience = (queue_hold_time_answered + queue_hold_time_abandoned) /
    abandoned_contacts``: the total time every contact spent waiting over the
    contacts who hung up. It is the maximum-likelihood estimate when patience is
    exponential (the assumption of Erlang A, not a fact about the queue): each
    abandoned contact's wait is one observed patience, and each answered contact's
    wait a censored one (its patience was at least that), so the likelihood
    ``θ^B·exp(-θ·Σ waits)`` peaks at ``θ = B / Σ waits``.

    One quarter hour holds few hang-ups, so per-row estimates are noisy: pool the
    totals with ``by="queue_id"`` (one estimate per queue over the whole frame), or
    resample first (:func:`cvframe.resample_intervals`) to pool per day.

    Parameters
    ----------
    df : pandas.DataFrame
        Records or buckets with ``queue_hold_time_answered``,
        ``queue_hold_time_abandoned`` and ``abandoned_contacts``.
    by : str or list of str, optional
        Key columns to pool by (e.g. ``"queue_id"`` or ``"queue_name"``); None gives
        one estimate per row.

    Returns
    -------
    pandas.Series
        ``timedelta64[ms]`` named ``patience``: with ``df``'s index (``by=None``), or
        indexed by the ``by`` keys. Two cases are not a number of seconds, and are
        kept apart:

        - no contact abandoned: the estimate is unbounded, and a duration cannot be
          infinite, so it is ``pd.Timedelta.max`` to the millisecond
          (``pd.Timedelta.max.floor("ms")``, 106,751 days). Every function of
          :mod:`cvframe.erlang` reads it as "nobody hangs up" (Erlang C);
        - unknown: NaT, where a total it needs is NA, or where contacts abandoned
          but no wait was recorded (all three totals 0 ms: an estimate of 0, which
          no queue can have; a channel that does not time its queue). A NaT
          patience gives NA, never Erlang C.

        Pooled (``by``), a row that is unknown on its own (a total NA, or abandons
        with no recorded wait) is left out of its key's sums, its waits and its
        abandons together: the estimate is over the other rows, NaT only where no
        row is left.

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a", "queueId": "q1",
    ...     "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
    ...     "intervalEndTimeStamp": "2024-01-01T09:15:00Z",
    ...     "offeredContacts": 50, "answeredContacts": 46, "abandonedContacts": 4,
    ...     "queueHoldTimeAnswered": 46 * 20_000, "queueHoldTimeAbandoned": 4 * 50_000}])
    >>> cvframe.erlang.estimate_patience(df).tolist()
    [Timedelta('0 days 00:04:40')]

    Where nobody hung up the estimate is unbounded; where a total is missing, unknown:

    >>> df = cvframe.records_to_frame([{
    ...     "_id": f"r{i}", "queueId": "q1",
    ...     "intervalStartTimeStamp": f"2024-01-01T{9 + i}:00:00Z",
    ...     "intervalEndTimeStamp": f"2024-01-01T{9 + i}:15:00Z",
    ...     "offeredContacts": 50, "answeredContacts": 50, "abandonedContacts": 0,
    ...     "queueHoldTimeAnswered": 50 * 20_000,
    ...     "queueHoldTimeAbandoned": None if i else 0} for i in (0, 1)])
    >>> cvframe.erlang.estimate_patience(df).tolist()
    [Timedelta('106751 days 23:47:16.854000'), NaT]
    """
    columns = ["queue_hold_time_answered", "queue_hold_time_abandoned", "abandoned_contacts"]
    keys = key_list(by)
    require_columns(df, [*columns, *keys], what="estimate_patience")
    check_input(df, columns, what="estimate_patience")
    total_ms, abandoned = _estimated_patience_ms(df)
    b = _Broadcast()
    b.vector = True
    if not keys:
        b.index = df.index
        return b.wrap(_reported_ms(_patience_of(total_ms, abandoned)), "timedelta64[ms]").rename(
            "patience"
        )
    # Pooled over the rows that have all three totals and, where someone abandoned, a
    # recorded wait: a row missing one, or not timed, is a missing observation (its waits
    # and its abandons are left out together), not a reason to give up on the queue; a
    # key with no such row is unknown.
    with np.errstate(invalid="ignore"):
        complete = ~np.isnan(total_ms) & ~((abandoned > 0) & (total_ms == 0))
    sums = (
        pd.DataFrame(
            {
                "total": np.where(complete, total_ms, 0.0),
                "abandoned": np.where(complete, abandoned, 0.0),
                "complete": complete,
            }
        )
        .groupby([df[k].to_numpy() for k in keys], sort=True, dropna=False)
        .sum()
    )
    ms = _patience_of(sums["total"].to_numpy(), sums["abandoned"].to_numpy())
    ms = np.where(sums["complete"].to_numpy() > 0, ms, np.nan)
    out = b.wrap(_reported_ms(ms), "timedelta64[ms]").rename("patience")
    out.index = sums.index.set_names(keys)
    return out


def staffing(
    df: pd.DataFrame,
    *,
    sl_target: float = 0.8,
    sl_threshold: Duration = DEFAULT_SL_THRESHOLD,
    max_occupancy: float | None = None,
    shrinkage: float | str | pd.Series = 0.0,
    aht: Duration | pd.Series | None = None,
    model: str = "erlang_c",
    patience: Any = None,
    concurrency: Any = 1,
    sl_denominator: str = "offered",
    threshold: Duration | None = None,
) -> pd.DataFrame:
    """Staffing for every row, from its offered volume, AHT and length.

    Each row's volume is ``offered_contacts``, its interval ``interval_end -
    interval_start`` (so a local day of 23 hours is 23 hours) and its AHT
    ``conversation_handle_time / completed_contacts`` unless ``aht`` is given (a
    planning AHT for every row, or a Series). A row with no completed contact and
    no ``aht`` gets NA.

    ``model="erlang_c"`` (the default) assumes nobody hangs up. ``model="erlang_a"``
    lets contacts hang up after an exponential patience: given, or estimated for
    each row by :func:`estimate_patience` (total queue wait of all contacts /
    abandoned contacts). A row that had no abandoned contact has an unbounded
    estimate: it is planned with Erlang C, and says so with ``patience``
    ``pd.Timedelta.max`` (to the ms) and ``expected_abandon_rate`` 0. A row whose
    patience is unknown (a total NA, or abandons with no recorded wait) gets NA.
    Quarter-hour estimates are noisy (few hang-ups each): pass
    ``patience=estimate_patience(history, by="queue_id")`` to plan with one pooled
    patience per queue; the same rules hold for it.

    ``concurrency=k``: an agent handles k contacts at once (chat). N agents serve
    as N·k independent slots, each taking a contact for the contact's own handle
    time (the AHT, measured per contact, has the concurrency inside it);
    ``productive_agents`` is the fewest N whose N·k slots meet the target, and
    ``expected_occupancy`` is ``load / (N·k)`` (Erlang C).

    Parameters
    ----------
    df : pandas.DataFrame
        Records or buckets of :func:`cvframe.resample_intervals`.
    sl_target, sl_threshold, max_occupancy
        As for :func:`required_agents`.
    shrinkage : float, str or Series, default 0.0
        The share of paid time agents are not available: one number in [0, 1)
        for every row, the name of a column of ``df`` holding one per row in
        [0, 1] (e.g. the measured ``shrinkage`` of :func:`cvframe.agent_occupancy`,
        merged in on ``interval_start``), or a Series with ``df``'s index. A row
        whose shrinkage is NA gets NA ``required_agents``. A row at 1 gets NA too
        (0 if it needs no agents): agent_occupancy measures 1 whenever everyone
        logged in was not ready (a meeting, training), and no number of agents
        makes up for that, so the row says "cannot be staffed by headcount" rather
        than the whole frame being refused. A value outside [0, 1] is refused,
        naming its row; one number of 1 too (a plan of 100% shrinkage staffs
        nothing).
    aht : duration or Series, optional
        The AHT to plan with, instead of each row's own.
    model : {"erlang_c", "erlang_a"}, default "erlang_c"
        The queue model. ``patience`` with ``"erlang_c"`` is a ValueError.
    patience : duration, str, Series or mapping, optional
        For ``"erlang_a"``: one mean patience, a column's name, a Series with
        ``df``'s index or indexed by ``queue_id``/``queue_name`` (as
        ``estimate_patience(history, by=...)`` gives), or a mapping by queue. None:
        estimated per row from ``queue_hold_time_answered``,
        ``queue_hold_time_abandoned`` and ``abandoned_contacts``, as
        :func:`estimate_patience` gives it. ``math.inf`` or ``pd.Timedelta.max``
        (and longer): nobody hangs up (Erlang C for that row); NaT: unknown (NA). A
        patience <= 0 is refused, naming its row or queue.
    concurrency : int, str, Series or mapping, default 1
        Contacts an agent handles at once: a whole number >= 1, a column's name, a
        Series with ``df``'s index, or a mapping by ``queue_id`` (or by
        ``queue_name`` when every key is a queue name), which must name every
        queue of ``df``. NA gives NA.
    sl_denominator : {"offered", "answered"}, default "offered"
        For Erlang A: the target over offered contacts (hang-ups count against) or
        over answered ones.
    threshold : str or Timedelta, optional
        Deprecated alias of ``sl_threshold`` (``FutureWarning``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``offered_load`` (Erlangs), ``productive_agents``
        (before shrinkage), ``required_agents`` (to schedule),
        ``expected_service_level``, ``expected_asa`` and ``expected_occupancy``
        (with the productive agents); with ``model="erlang_a"`` also
        ``expected_abandon_rate`` and the ``patience`` planned with
        (``timedelta64[ms]``).

    Raises
    ------
    ValueError
        If ``df`` lacks a column it reads, or one breaks the input contract (the
        README's "Input contract"): a repeated ``id``; an ``offered_contacts`` or
        ``completed_contacts`` that is negative, fractional, infinite or not
        numeric; a negative or non-duration handle time; naive or missing
        timestamps; ``interval_end <= interval_start``. Also for a bad argument,
        e.g. an ``sl_threshold`` without a unit, a concurrency of 0 or 1.5, or a
        queue missing from a concurrency mapping.

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a", "queueId": "q1",
    ...     "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
    ...     "intervalEndTimeStamp": "2024-01-01T09:30:00Z",
    ...     "offeredContacts": 100, "completedContacts": 95,
    ...     "conversationHandleTime": 95 * 180_000}])
    >>> out = cvframe.staffing(df, sl_target=0.8, sl_threshold="20s", shrinkage=0.25)
    >>> out[["offered_load", "productive_agents", "required_agents"]]
       offered_load  productive_agents  required_agents
    0          10.0                 14               19

    A measured shrinkage, one per row, is a column's name (or a Series):

    >>> import pandas as pd
    >>> df["shrinkage"] = pd.array([0.3], dtype="Float64")
    >>> cvframe.staffing(df, shrinkage="shrinkage")["required_agents"].tolist()
    [20]

    A measured 1 (everyone in a meeting) leaves that row's need unknown:

    >>> df["shrinkage"] = pd.array([1.0], dtype="Float64")
    >>> cvframe.staffing(df, shrinkage="shrinkage")["required_agents"].tolist()
    [<NA>]

    Erlang A with a given patience adds the expected abandon rate:

    >>> out = cvframe.staffing(df, model="erlang_a", patience="90s")
    >>> out[["productive_agents", "patience"]]
       productive_agents        patience
    0                 12 0 days 00:01:30
    >>> round(float(out["expected_abandon_rate"].iloc[0]), 3)
    0.068
    """
    _check_target(sl_target, max_occupancy, shrinkage)
    _check_model(model, patience)
    answered = _answered_denominator(sl_denominator)
    required = ["interval_start", "interval_end", "offered_contacts"]
    if aht is None:
        required += list(AVERAGES["aht"])
    estimated = model == "erlang_a" and patience is None
    if estimated:
        required += ["queue_hold_time_answered", "queue_hold_time_abandoned", "abandoned_contacts"]
    require_columns(df, required, what="staffing")
    t = _sl_threshold_seconds(sl_threshold, threshold)
    check_input(df, required, what="staffing")
    shrink = _row_shrinkage(shrinkage, df)
    slots_per_agent = _row_concurrency(concurrency, df)
    patience_s: np.ndarray | None = None
    if estimated:
        # The MLE in whole ms, as estimate_patience reports it (the plan uses the patience
        # it shows): infinite where nobody abandoned, NaN where it cannot be estimated.
        patience_s = _patience_of(*_estimated_patience_ms(df)) / 1000.0
    elif model == "erlang_a":
        patience_s = _row_patience(patience, df)
    index = df.index
    volume, missing = measure_arrays(df["offered_contacts"], "int")
    count = np.where(missing, np.nan, volume.astype(np.float64))
    length_s = (
        instants_ms(df["interval_end"], name="interval_end")
        - instants_ms(df["interval_start"], name="interval_start")
    ) / 1000.0
    if aht is None:
        total, total_missing = measure_arrays(df["conversation_handle_time"], "duration")
        done, done_missing = measure_arrays(df["completed_contacts"], "int")
        unknown = total_missing | done_missing | (done == 0)
        aht_s = np.where(unknown, np.nan, total / np.where(unknown, 1, done) / 1000.0)
    else:
        if isinstance(aht, pd.Series):
            aht = aht.set_axis(index) if len(aht) == len(index) else aht
        aht_s = np.broadcast_to(_Broadcast().seconds(aht, "aht"), count.shape).astype(float)
    _non_negative(aht_s, "aht")
    load = np.where(count == 0, 0.0, count * aht_s / length_s)
    productive = _plan(
        load, aht_s, patience_s, t, sl_target, max_occupancy, slots_per_agent, answered
    )
    unknown_row = np.isnan(productive)
    safe_n = np.where(unknown_row, 0.0, productive * np.where(unknown_row, 1, slots_per_agent))
    safe_a = np.where(np.isnan(load), 0.0, load)
    abandon: np.ndarray | None = None
    if patience_s is None:
        wait = _wait_probability(safe_n, safe_a)
        level = _service_level(safe_n, safe_a, aht_s, np.asarray(t), wait)
        asa_s = _asa_seconds(safe_n, safe_a, aht_s, wait)
        busy = _occupancy(safe_n, safe_a)
    else:
        safe_p = np.where(np.isnan(patience_s), np.inf, patience_s)
        queue = _erlang_a_arrays(safe_n, safe_a, aht_s, safe_p, t)
        level = queue.service_level_answered if answered else queue.service_level
        level = np.where(np.isnan(aht_s), np.nan, level)  # as Erlang C's: no AHT, no SL
        asa_s, busy, abandon = queue.asa_s, queue.occupancy, queue.abandon_probability
    level, asa_s, busy = (np.where(unknown_row, np.nan, x) for x in (level, asa_s, busy))

    # Every column either model adds goes, so an Erlang C plan of an Erlang A plan
    # carries no stale abandon rate or patience.
    out = df.drop(columns=[c for c in STAFFING_COLUMNS_A if c in df.columns])
    b = _Broadcast()
    b.vector, b.index = True, index
    out["offered_load"] = b.wrap(load, "Float64")
    out["productive_agents"] = b.wrap(productive, "Int64")
    out["required_agents"] = b.wrap(_shrink(productive, shrink), "Int64")
    out["expected_service_level"] = b.wrap(level, "Float64")
    out["expected_asa"] = b.wrap(asa_s * 1000.0, "timedelta64[ms]")
    out["expected_occupancy"] = b.wrap(busy, "Float64")
    if patience_s is not None and abandon is not None:
        out["expected_abandon_rate"] = b.wrap(np.where(unknown_row, np.nan, abandon), "Float64")
        out["patience"] = b.wrap(_reported_ms(np.rint(patience_s * 1000.0)), "timedelta64[ms]")
    return out
