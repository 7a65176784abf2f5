"""Per-agent KPIs from agent performance: :func:`agent_kpis`.

The rules are those of :func:`cvframe.kpis`: each KPI is a ratio of two totals of the
same group (never an average of averages); the averages that agent performance can
feed are taken from :data:`cvframe.kpis`' own definitions (``AVERAGES``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._endpoints import AGENT_PERFORMANCE, QUEUES
from .._frame import contract_dtypes
from ._checks import check_input, require_columns
from ._kpis import AVERAGES
from ._measures import column_tz, instants_ms, measure_arrays, measure_series, times_of

__all__ = ["AGENT_AVERAGES", "AGENT_KPI_COLUMNS", "AGENT_RATIOS", "agent_kpis"]

_KINDS: Mapping[str, str] = {c.name: c.kind for c in AGENT_PERFORMANCE.columns}

#: The totals a group adds up, in the contract's order.
_TOTALS: tuple[str, ...] = tuple(
    c.name for c in AGENT_PERFORMANCE.columns if c.kind in ("int", "duration")
)

#: Average durations: KPI -> (total duration, count), those of :data:`cvframe.kpis`'
#: ``AVERAGES`` whose columns agent performance has (``aht`` and the talk, hold and
#: ACW averages; not ``asa``, which is a queue's).
AGENT_AVERAGES: Mapping[str, tuple[str, str]] = {
    name: pair for name, pair in AVERAGES.items() if all(c in _KINDS for c in pair)
}

#: Ratios: KPI -> (numerator, denominator). The transfer rate divides by the contacts
#: the agent answered: a transferred contact was answered by the agent, and the page
#: does not say whether it also counts as completed.
AGENT_RATIOS: Mapping[str, tuple[str, str]] = {
    "transfer_rate": ("transferred_contacts", "answered_contacts"),
    "answer_rate": ("answered_contacts", "offered_contacts"),
    "acw_share": ("acw_duration", "conversation_handle_time"),
}

#: The KPI columns :func:`agent_kpis` adds after the totals, in order.
AGENT_KPI_COLUMNS: tuple[str, ...] = (*AGENT_AVERAGES, *AGENT_RATIOS, "csat_average")

#: The columns every call reads: those of the averages and ratios.
_NEEDED: tuple[str, ...] = tuple(
    dict.fromkeys(n for pair in (*AGENT_AVERAGES.values(), *AGENT_RATIOS.values()) for n in pair)
)

#: The columns ``by`` may name.
_BY_COLUMNS = ("agent_id", "queue_id", "queue_name", "interval_start", "interval_end")


def _keys(by: str | Sequence[str] | None) -> list[str]:
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    unknown = [k for k in keys if k not in _BY_COLUMNS]
    if unknown or len(set(keys)) != len(keys):
        raise ValueError(
            f"agent_kpis: by must name distinct columns among {list(_BY_COLUMNS)} (or be "
            f"None for all rows together), got {keys}"
        )
    return keys


def agent_kpis(
    performance: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = ("agent_id",),
    queues: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-agent totals and KPIs from agent performance, as ratios of sums.

    The rows of each group (an agent, by default) are added up, then each KPI is
    one total over another, as in :func:`cvframe.kpis`; a zero (or missing)
    denominator gives NA, never ``inf``. A group's total is NA where one of its rows
    misses the value (NA propagates, so totals stay exact).

    =================  ====================================================
    column             definition
    =================  ====================================================
    ``aht``            conversation_handle_time / completed_contacts
    ``avg_talk_time``  conversation_talk_time / completed_contacts
    ``avg_hold_time``  hold_duration / completed_contacts
    ``avg_acw_time``   acw_duration / completed_contacts
    ``transfer_rate``  transferred_contacts / answered_contacts
    ``answer_rate``    answered_contacts / offered_contacts
    ``acw_share``      acw_duration / conversation_handle_time
    ``csat_average``   sum(csat_score × completed_contacts) /
                       sum(completed_contacts), over rows with a score
    =================  ====================================================

    Contacts handled are ``completed_contacts`` (the AHT's denominator). The
    transfer rate is over answered contacts: a transferred contact is one the
    agent answered, and the page does not say whether it is also "completed".

    About ``csat_average``, honestly: agent performance sends ``csat_score`` as the
    average score of the contacts an agent handled from a queue in an interval,
    without the number of responses behind it. The exact mean is weighted by
    responses, which the data lacks; completed contacts are the nearest weight
    there is. The result equals the response-weighted mean only if every row had
    the same response rate, so read it as an indication. Rows with an NA score
    are left out. The page does not say what a row without responses sends: if it
    sends 0, mask those first, ``perf["csat_score"] =
    perf["csat_score"].mask(perf["csat_score"] == 0)``.

    Parameters
    ----------
    performance : pandas.DataFrame
        Agent performance (the contract of :func:`cvframe.read_agent_performance`),
        one row per agent, interval and queue. Either dtype backend.
    by : str, list of str or None, default ("agent_id",)
        The columns of a group, among ``agent_id``, ``queue_id``, ``queue_name``,
        ``interval_start`` and ``interval_end``; ``None`` adds all rows together.
        With ``queue_id`` but not ``queue_name``, each group's ``queue_name`` (its
        last non-NA one) follows.
    queues : pandas.DataFrame, optional
        The queue directory (:func:`cvframe.read_queues`: ``queue_id``,
        ``description``); its ``description`` is joined as ``queue_description``
        (NA for a queue it does not list). Needs ``queue_id`` in ``by``.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted by the keys: the keys, the totals (counts
        ``Int64``, durations ``timedelta64[ms]``) and the KPIs of the table above
        (averages ``timedelta64[ms]`` rounded to the millisecond, rates
        ``Float64``).

    Raises
    ------
    ValueError
        If a column is missing or breaks the contract (named), two rows repeat an
        (agent, interval, queue), ``by`` names another column, or ``queues`` is
        given without ``queue_id`` in ``by``, lacks its columns or lists a queue
        twice.

    Examples
    --------
    >>> import pandas as pd
    >>> import cvframe
    >>> t = pd.Timestamp("2024-03-04 09:00", tz="UTC")
    >>> minutes = lambda *m: pd.to_timedelta(m, unit="min")
    >>> perf = pd.DataFrame({
    ...     "agent_id": ["a1", "a1", "a2"], "queue_id": ["q1", "q2", "q1"],
    ...     "interval_start": [t] * 3, "interval_end": [t + pd.Timedelta("15min")] * 3,
    ...     "offered_contacts": [4, 2, 3], "answered_contacts": [4, 1, 3],
    ...     "completed_contacts": [4, 1, 2], "transferred_contacts": [1, 0, 1],
    ...     "conversation_handle_time": minutes(12, 3, 10),
    ...     "conversation_talk_time": minutes(9, 2, 8),
    ...     "hold_duration": minutes(1, 0, 1), "acw_duration": minutes(2, 1, 1),
    ...     "csat_score": [4.0, 5.0, None]}).astype(
    ...     {"agent_id": "string", "queue_id": "string", "csat_score": "Float64"})
    >>> out = cvframe.agent_kpis(perf)
    >>> out[["agent_id", "completed_contacts", "aht", "transfer_rate", "csat_average"]]
      agent_id  completed_contacts             aht  transfer_rate  csat_average
    0       a1                   5 0 days 00:03:00            0.2           4.2
    1       a2                   2 0 days 00:05:00       0.333333          <NA>

    Per queue, with the names of the queue directory:

    >>> directory = pd.DataFrame({"queue_id": ["q1", "q2"], "description": ["Sales", "Care"]})
    >>> by_queue = cvframe.agent_kpis(perf, by="queue_id", queues=directory.astype("string"))
    >>> by_queue[["queue_id", "queue_description", "aht", "acw_share"]]
      queue_id queue_description             aht  acw_share
    0       q1             Sales 0 days 00:03:40   0.136364
    1       q2              Care 0 days 00:03:00   0.333333
    """
    what = "agent_kpis"
    keys = _keys(by)
    check_input(
        performance,
        [*_NEEDED, *keys],
        what=what,
        endpoint=AGENT_PERFORMANCE,
        keys=[k for k in AGENT_PERFORMANCE.key_columns if k in performance.columns],
    )
    if queues is not None and "queue_id" not in keys:
        raise ValueError(
            f"{what}: queues= names the queues of groups by queue_id; add 'queue_id' to by"
        )
    totals = [c for c in _TOTALS if c in performance.columns]
    has_csat = "csat_score" in performance.columns
    if has_csat:
        check_input(performance, ["csat_score"], what=what, endpoint=AGENT_PERFORMANCE)

    dtypes = contract_dtypes()
    text = dtypes["queue_id"]  # the contract's string dtype
    zones: dict[str, str] = {}
    work: dict[str, Any] = {}
    for key in keys:
        if _KINDS[key] == "datetime":
            zones[key] = column_tz(performance[key])
            work[key] = instants_ms(performance[key], name=key)
        else:
            work[key] = performance[key].astype(text).to_numpy(dtype=object, na_value=None)
    if not keys:
        work["_all"] = np.zeros(len(performance), dtype=np.int64)
    for name in totals:
        values, missing = measure_arrays(performance[name], _KINDS[name])
        work[name] = values
        work[f"{name}__missing"] = missing
    if has_csat:
        score, score_missing = measure_arrays(performance["csat_score"], "float")
        done, done_missing = measure_arrays(performance["completed_contacts"], "int")
        weight = np.where(score_missing | done_missing, 0, done).astype(np.float64)
        work["csat__weighted"] = score * weight
        work["csat__weight"] = weight
    carry_name = "queue_id" in keys and "queue_name" not in keys
    if carry_name and "queue_name" in performance.columns:
        names = performance["queue_name"].astype(dtypes["queue_name"])
        work["queue_name"] = names.to_numpy(dtype=object, na_value=None)
    group_keys = keys or ["_all"]
    aggregations: dict[str, Any] = {
        c: ("any" if c.endswith("__missing") else "sum")
        for c in work
        if c not in group_keys and c != "queue_name"
    }
    if "queue_name" in work:
        aggregations["queue_name"] = "last"  # skips NA: the last name the group has
    summed = (
        pd.DataFrame(work)
        .groupby(group_keys, sort=True, dropna=False)
        .agg(aggregations)
        .reset_index()
    )

    out: dict[str, Any] = {}
    for key in keys:
        if key in zones:
            out[key] = times_of(summed[key].to_numpy(dtype=np.int64), zones[key])
        else:
            out[key] = pd.array(summed[key].to_numpy(dtype=object), dtype=text)
        if key == "queue_id" and "queue_name" in summed.columns:
            out["queue_name"] = pd.array(summed["queue_name"], dtype=dtypes["queue_name"])
        if key == "queue_id" and queues is not None:
            out["queue_description"] = _descriptions(queues, summed["queue_id"], what)
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in totals:
        values = summed[name].to_numpy(dtype=np.int64)
        missing = summed[f"{name}__missing"].to_numpy(dtype=bool)
        columns[name] = (values.astype(np.float64), missing)
        out[name] = measure_series(values, missing, _KINDS[name]).array
    for name, (total, count) in AGENT_AVERAGES.items():
        value, na = _ratio(columns, total, count)
        out[name] = measure_series(np.rint(value).astype(np.int64), na, "duration").array
    for name, (numerator, denominator) in AGENT_RATIOS.items():
        value, na = _ratio(columns, numerator, denominator)
        out[name] = measure_series(value, na, "float").array
    if has_csat:
        weight = summed["csat__weight"].to_numpy(dtype=np.float64)
        na = weight == 0
        mean = np.where(na, 0.0, summed["csat__weighted"].to_numpy() / np.where(na, 1.0, weight))
    else:  # no scores at all
        na, mean = np.ones(len(summed), dtype=bool), np.zeros(len(summed))
    out["csat_average"] = measure_series(mean, na, "float").array
    return pd.DataFrame(out)


def _ratio(
    columns: Mapping[str, tuple[np.ndarray, np.ndarray]], numerator: str, denominator: str
) -> tuple[np.ndarray, np.ndarray]:
    """numerator / denominator, and where it is NA (a missing total or a 0 denominator)."""
    num, num_missing = columns[numerator]
    den, den_missing = columns[denominator]
    na = num_missing | den_missing | (den == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(na, 0.0, num / np.where(na, 1.0, den)), na


def _descriptions(queues: pd.DataFrame, queue_ids: pd.Series, what: str) -> Any:
    """The ``description`` of each queue id from the queue directory (NA if unlisted)."""
    require_columns(queues, ["queue_id", "description"], what=f"{what} (queues)", endpoint=QUEUES)
    repeated = queues["queue_id"].duplicated(keep=False) & queues["queue_id"].notna()
    if repeated.any():
        ids = sorted(set(queues["queue_id"][repeated].astype(str)))
        raise ValueError(
            f"{what}: queues lists the queue(s) {ids[:5]} more than once; pass one row per "
            "queue_id (cvframe.read_queues does)"
        )
    names = dict(
        zip(
            queues["queue_id"].astype(str),
            queues["description"].to_numpy(dtype=object, na_value=None),
            strict=True,
        )
    )
    found = [names.get(q) if q is not None else None for q in queue_ids.to_numpy(dtype=object)]
    return pd.array(found, dtype=contract_dtypes()["queue_name"])
