"""Interval analytics: the input contract, resampling, KPIs, service level, series, Erlang C.

The interface of the ``_analytics`` layer to the rest of cvframe (not public API). No I/O.
"""

from __future__ import annotations

from ._checks import (
    check_input,
    checked,
    require_columns,
)
from ._erlang import (
    DEFAULT_SL_THRESHOLD,
    asa,
    occupancy,
    offered_load,
    probability_of_waiting,
    required_agents,
    service_level,
    staffing,
)
from ._kpis import (
    SL_DENOMINATORS,
    SlDenominator,
    kpis,
)
from ._resample import (
    AGGREGATIONS,
    DEFAULT_CSAT,
    CsatReading,
    IntervalSchema,
    bucket_grid,
    column_tz,
    key_list,
    parse_freq,
    resample_intervals,
)
from ._series import (
    to_series,
)

__all__ = [
    "AGGREGATIONS",
    "DEFAULT_CSAT",
    "DEFAULT_SL_THRESHOLD",
    "SL_DENOMINATORS",
    "CsatReading",
    "IntervalSchema",
    "SlDenominator",
    "asa",
    "bucket_grid",
    "check_input",
    "checked",
    "column_tz",
    "key_list",
    "kpis",
    "occupancy",
    "offered_load",
    "parse_freq",
    "probability_of_waiting",
    "require_columns",
    "required_agents",
    "resample_intervals",
    "service_level",
    "staffing",
    "to_series",
]
