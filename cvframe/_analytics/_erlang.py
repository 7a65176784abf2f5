"""Erlang C: the implementation behind the public :mod:`cvframe.erlang_c` (formulas there)."""

from __future__ import annotations

import warnings
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from .._durations import Duration, duration_ms
from ._checks import check_input, is_duration_dtype, require_columns
from ._kpis import AVERAGES
from ._measures import instants_ms, measure_arrays
from ._service_level import DEFAULT_SL_THRESHOLD, is_default_sl_threshold

__all__ = [
    "asa",
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

#: Tolerance for ceil() of a ratio that is a whole number up to rounding (8 / 0.8).
_CEIL_SLACK = 1e-9


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


def _erlang_b(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    """Erlang B blocking probability by the stable recursion, elementwise."""
    blocking = np.ones_like(load)
    finite = ~np.isnan(agents)
    top = int(np.max(agents[finite])) if finite.any() else 0
    for k in range(1, top + 1):
        step = load * blocking / (k + load * blocking)
        blocking = np.where(k <= agents, step, blocking)
    return blocking


def _erlang_c_from_b(agents: np.ndarray, load: np.ndarray, blocking: np.ndarray) -> np.ndarray:
    stable = agents > load
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = agents * blocking / (agents - load * (1.0 - blocking))
    wait = np.where(stable, wait, 1.0)
    wait = np.where(load == 0, 0.0, wait)
    return np.where(np.isnan(agents) | np.isnan(load), np.nan, wait)


def _wait_probability(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    return _erlang_c_from_b(agents, load, _erlang_b(agents, load))


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
    blocking = _erlang_b(agents, load)
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


def _shrinkage_range(values: np.ndarray, labels: pd.Index | None) -> np.ndarray:
    """``values`` if each is in [0, 1] or NA, else ValueError naming the first bad rows.

    A 1 is taken: :func:`cvframe.agent_occupancy` measures it when everyone logged in
    was not ready (a meeting, training), an interval like any other; :func:`_shrink`
    gives its row NA.
    """
    bad = ~np.isnan(values) & ~((values >= 0.0) & (values <= 1.0))
    if bad.any():
        rows = np.flatnonzero(bad)[:3]
        named = labels is not None and len(labels) == len(values)
        shown = ", ".join(
            f"{(labels[i] if named else int(i))!r}: {float(values[i])!r}"  # type: ignore[index]
            for i in rows
        )
        more = ", ..." if bad.sum() > 3 else ""
        raise ValueError(
            f"shrinkage must be in [0, 1] in every row; {int(bad.sum())} row(s) are not "
            f"(index: value) {{{shown}{more}}}. A measured shrinkage (not-ready time over "
            "logged-in time, cvframe.agent_occupancy) is in [0, 1] by its definition; a "
            "share given in percent (30 for 30%) must be divided by 100"
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
        if not shrinkage.index.equals(index):
            if not (index.is_unique and shrinkage.index.is_unique) or set(shrinkage.index) != set(
                index
            ):
                raise ValueError(
                    "shrinkage is a Series whose index is not the frame's rows; align it "
                    "first (e.g. by merging it into the frame and passing the column's name)"
                )
            shrinkage = shrinkage.reindex(index)
        if pd.api.types.is_bool_dtype(shrinkage.dtype) or not pd.api.types.is_numeric_dtype(
            shrinkage.dtype
        ):
            raise ValueError(f"shrinkage must hold numbers, got dtype {shrinkage.dtype}")
        values = shrinkage.astype("Float64").to_numpy(np.float64, na_value=np.nan)
        return _shrinkage_range(values, index)
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
    >>> from cvframe import erlang_c
    >>> erlang_c.offered_load(100, "3min", "30min")
    10.0
    """
    b = _Broadcast()
    count = _non_negative(b.number(volume, "volume"), "volume")
    aht_s, interval_s = b.seconds(aht, "aht"), b.seconds(interval, "interval")
    count, aht_s, interval_s = b.shape(count, aht_s, interval_s)
    return b.wrap(count * aht_s / interval_s, "Float64")


def probability_of_waiting(agents: Values, load: Values) -> Any:
    """Erlang C: the probability that a contact waits, with ``agents`` serving ``load``.

    Parameters
    ----------
    agents : int or Series
        Agents answering (whole numbers).
    load : float or Series
        Offered load in Erlangs (:func:`offered_load`).

    Returns
    -------
    float or Series
        1 when ``agents <= load`` (the queue never clears); 0 when ``load`` is 0.

    Examples
    --------
    >>> from cvframe import erlang_c
    >>> round(erlang_c.probability_of_waiting(14, 10.0), 4)
    0.1741
    """
    b = _Broadcast()
    n = _agents(b.number(agents, "agents"))
    a = _non_negative(b.number(load, "load"), "load")
    n, a = b.shape(n, a)
    return b.wrap(_wait_probability(n, a), "Float64")


def service_level(
    agents: Values,
    load: Values,
    aht: Values,
    *,
    sl_threshold: Duration = DEFAULT_SL_THRESHOLD,
    threshold: Duration | None = None,
) -> Any:
    """Erlang C service level: the share of contacts answered within ``sl_threshold``.

    ``SL = 1 - C·exp(-(agents - load)·sl_threshold / aht)``, 0 when ``agents <= load``.

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
    threshold : str or Timedelta, optional
        Deprecated alias of ``sl_threshold`` (``FutureWarning``).

    Returns
    -------
    float or Series

    Examples
    --------
    >>> from cvframe import erlang_c
    >>> round(erlang_c.service_level(14, 10.0, "3min", sl_threshold="20s"), 4)
    0.8884
    """
    b = _Broadcast()
    n = _agents(b.number(agents, "agents"))
    a = _non_negative(b.number(load, "load"), "load")
    aht_s = _non_negative(b.seconds(aht, "aht"), "aht")
    t = _sl_threshold_seconds(sl_threshold, threshold)
    n, a, aht_s = b.shape(n, a, aht_s)
    return b.wrap(_service_level(n, a, aht_s, np.asarray(t), _wait_probability(n, a)), "Float64")


def asa(agents: Values, load: Values, aht: Values) -> Any:
    """Erlang C average speed of answer: ``C·aht / (agents - load)``.

    Parameters
    ----------
    agents : int or Series
        Agents answering.
    load : float or Series
        Offered load in Erlangs.
    aht : duration or Series of durations
        Average handle time.

    Returns
    -------
    Timedelta or Series of timedelta64[ms]
        Rounded to the millisecond; NaT when ``agents <= load`` (no finite wait).

    Examples
    --------
    >>> from cvframe import erlang_c
    >>> erlang_c.asa(14, 10.0, "3min")
    Timedelta('0 days 00:00:07.836000')
    """
    b = _Broadcast()
    n = _agents(b.number(agents, "agents"))
    a = _non_negative(b.number(load, "load"), "load")
    aht_s = b.seconds(aht, "aht")
    n, a, aht_s = b.shape(n, a, aht_s)
    seconds = _asa_seconds(n, a, aht_s, _wait_probability(n, a))
    return b.wrap(seconds * 1000.0, "timedelta64[ms]")


def occupancy(agents: Values, load: Values) -> Any:
    """The share of time agents are busy: ``load / agents`` (1 when ``agents <= load``).

    Parameters
    ----------
    agents : int or Series
        Agents answering; 0 agents give NaN (NA in a Series).
    load : float or Series
        Offered load in Erlangs.

    Returns
    -------
    float or Series

    Examples
    --------
    >>> from cvframe import erlang_c
    >>> erlang_c.occupancy(14, 10.5)
    0.75
    """
    b = _Broadcast()
    n = _agents(b.number(agents, "agents"))
    a = _non_negative(b.number(load, "load"), "load")
    n, a = b.shape(n, a)
    return b.wrap(_occupancy(n, a), "Float64")


def required_agents(
    volume: Values,
    aht: Values,
    interval: Values,
    *,
    sl_target: float = 0.8,
    sl_threshold: Duration = DEFAULT_SL_THRESHOLD,
    max_occupancy: float | None = None,
    shrinkage: Values = 0.0,
    threshold: Duration | None = None,
) -> Any:
    """The fewest agents so that ``sl_target`` of contacts wait at most ``sl_threshold``.

    The smallest N > load with Erlang C service level ≥ ``sl_target``; then at
    least ``ceil(load / max_occupancy)`` if a cap is given; then divided by
    ``1 - shrinkage`` (breaks, training, absence) and rounded up. No volume
    needs no agents.

    Parameters
    ----------
    volume : number or Series
        Contacts offered in the interval: finite and ``>= 0``, fractional for a
        forecast; NaN or NA gives NA.
    aht : duration or Series of durations
        Average handle time.
    interval : duration or Series of durations
        The interval's length, e.g. ``"30min"``.
    sl_target : float, default 0.8
        The service level to reach, strictly between 0 and 1.
    sl_threshold : str or Timedelta, default "20s"
        The service-level threshold T, a duration with its unit.
    max_occupancy : float, optional
        The highest acceptable occupancy, in (0, 1].
    shrinkage : float or Series, default 0.0
        The share of paid time agents are not available: one number in [0, 1), or
        one per row in [0, 1] (a Series, e.g. the measured ``shrinkage`` of
        :func:`cvframe.agent_occupancy`, or an array); NA gives NA. A row at 1
        (everyone logged in was not ready, e.g. in a meeting: an interval
        agent_occupancy measures like any other) gets NA, since no number of agents
        makes up for it, or 0 if it needs no agents. A value outside [0, 1] is
        refused, naming its row; one number of 1 too (a plan that staffs nothing).
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
    """
    _check_target(sl_target, max_occupancy, shrinkage)
    b = _Broadcast()
    shrink = b.number(shrinkage, "shrinkage")
    _shrinkage_range(np.atleast_1d(shrink), getattr(shrinkage, "index", None))
    count = _non_negative(b.number(volume, "volume"), "volume")
    aht_s = _non_negative(b.seconds(aht, "aht"), "aht")
    interval_s = b.seconds(interval, "interval")
    if np.any(interval_s[~np.isnan(interval_s)] <= 0):
        raise ValueError("interval must be a positive duration")
    t = _sl_threshold_seconds(sl_threshold, threshold)
    count, aht_s, interval_s, shrink = b.shape(count, aht_s, interval_s, shrink)
    load = count * aht_s / interval_s
    agents = _required(load, aht_s, t, sl_target, max_occupancy)
    return b.wrap(_shrink(agents, shrink), "Int64")


def staffing(
    df: pd.DataFrame,
    *,
    sl_target: float = 0.8,
    sl_threshold: Duration = DEFAULT_SL_THRESHOLD,
    max_occupancy: float | None = None,
    shrinkage: float | str | pd.Series = 0.0,
    aht: Duration | pd.Series | None = None,
    threshold: Duration | None = None,
) -> pd.DataFrame:
    """Erlang C staffing for every row, from its offered volume, AHT and length.

    Each row's volume is ``offered_contacts``, its interval ``interval_end -
    interval_start`` (so a local day of 23 hours is 23 hours) and its AHT
    ``conversation_handle_time / completed_contacts`` unless ``aht`` is given (a
    planning AHT for every row, or a Series). A row with no completed contact and
    no ``aht`` gets NA.

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
    threshold : str or Timedelta, optional
        Deprecated alias of ``sl_threshold`` (``FutureWarning``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``offered_load`` (Erlangs), ``productive_agents``
        (before shrinkage), ``required_agents`` (to schedule),
        ``expected_service_level``, ``expected_asa`` and ``expected_occupancy``
        (with the productive agents).

    Raises
    ------
    ValueError
        If ``df`` lacks a column it reads, or one breaks the input contract (the
        README's "Input contract"): a repeated ``id``; an ``offered_contacts`` or
        ``completed_contacts`` that is negative, fractional, infinite or not
        numeric; a negative or non-duration handle time; naive or missing
        timestamps; ``interval_end <= interval_start``. Also for a bad argument,
        e.g. an ``sl_threshold`` without a unit.

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
    """
    _check_target(sl_target, max_occupancy, shrinkage)
    required = ["interval_start", "interval_end", "offered_contacts"]
    if aht is None:
        required += list(AVERAGES["aht"])
    require_columns(df, required, what="staffing")
    t = _sl_threshold_seconds(sl_threshold, threshold)
    check_input(df, required, what="staffing")
    shrink = _row_shrinkage(shrinkage, df)
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
    productive = _required(load, aht_s, t, sl_target, max_occupancy)
    safe_n = np.where(np.isnan(productive), 0.0, productive)
    safe_a = np.where(np.isnan(load), 0.0, load)
    wait = _wait_probability(safe_n, safe_a)
    unknown_row = np.isnan(productive)
    level = np.where(
        unknown_row, np.nan, _service_level(safe_n, safe_a, aht_s, np.asarray(t), wait)
    )
    asa_s = np.where(unknown_row, np.nan, _asa_seconds(safe_n, safe_a, aht_s, wait))
    busy = np.where(unknown_row, np.nan, _occupancy(safe_n, safe_a))

    out = df.drop(columns=[c for c in STAFFING_COLUMNS if c in df.columns])
    b = _Broadcast()
    b.vector, b.index = True, index
    out["offered_load"] = b.wrap(load, "Float64")
    out["productive_agents"] = b.wrap(productive, "Int64")
    out["required_agents"] = b.wrap(_shrink(productive, shrink), "Int64")
    out["expected_service_level"] = b.wrap(level, "Float64")
    out["expected_asa"] = b.wrap(asa_s * 1000.0, "timedelta64[ms]")
    out["expected_occupancy"] = b.wrap(busy, "Float64")
    return out
