"""Interval analytics: the input contract, resampling, KPIs, service level, series, Erlang.

The interface of the ``_analytics`` layer to the rest of cvframe (not public API). No I/O.
Inside, imports run one way::

    _blocks       row blocks: long columns a block of rows at a time (and on two threads)
    _checks       the input contract of every public entry
    _measures     keys and measures, how each combines, columns as numpy arrays
    _buckets      the bucket calendar: freq, local clocks, DST
    _service_level  answered-within-threshold bounds, and the counts a frame carries
    _bucket_schema  the contract of a frame of buckets (cvframe.IntervalSchema)
    _resample     resample_intervals: grouping and sums
    _kpis         kpis
    _states       agent_state_intervals: state time per agent and bucket from activity
    _occupancy    agent_occupancy: measured occupancy and shrinkage
    _agent_kpis   agent_kpis: per-agent KPIs from agent performance
    _series       to_series
    _erlang_a     Erlang A (M/M/N+M) on numpy arrays
    _erlang       Erlang C and Erlang A: the public functions, staffing (public as cvframe.erlang)
"""

from __future__ import annotations

from ._agent_kpis import agent_kpis
from ._bucket_schema import resampled_schema
from ._buckets import bucket_span
from ._checks import check_input, checked
from ._erlang import (
    abandonment,
    asa,
    estimate_patience,
    occupancy,
    offered_load,
    probability_of_waiting,
    required_agents,
    service_level,
    staffing,
)
from ._kpis import AVERAGES, RATIOS, kpis
from ._measures import AGGREGATIONS, DEFAULT_CSAT, CsatReading, column_tz, key_list
from ._occupancy import agent_occupancy
from ._resample import resample_intervals
from ._series import to_series
from ._service_level import (
    DEFAULT_SL_DENOMINATOR,
    DEFAULT_SL_THRESHOLD,
    SL_DENOMINATORS,
    SlDenominator,
)
from ._states import DEFAULT_STATE_CATEGORIES, agent_state_intervals

__all__ = [
    "AGGREGATIONS",
    "AVERAGES",
    "DEFAULT_CSAT",
    "DEFAULT_SL_DENOMINATOR",
    "DEFAULT_SL_THRESHOLD",
    "DEFAULT_STATE_CATEGORIES",
    "RATIOS",
    "SL_DENOMINATORS",
    "CsatReading",
    "SlDenominator",
    "abandonment",
    "agent_kpis",
    "agent_occupancy",
    "agent_state_intervals",
    "asa",
    "bucket_span",
    "check_input",
    "checked",
    "column_tz",
    "estimate_patience",
    "key_list",
    "kpis",
    "occupancy",
    "offered_load",
    "probability_of_waiting",
    "required_agents",
    "resample_intervals",
    "resampled_schema",
    "service_level",
    "staffing",
    "to_series",
]
