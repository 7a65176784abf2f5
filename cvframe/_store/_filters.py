"""Which stored rows a window ``[begin, stop)`` and a list of queues select.

One rule, in the shapes the store needs: the days a window can touch, a bound as an
Arrow scalar, and a dataset expression pyarrow pushes down to the files. A row
belongs to the queues by the rule :func:`cvframe.read_callvolume` filters with
(``cvframe._frame``'s ``queue_expression``, the same rule as its row mask
``queue_mask``). Stored times are whole milliseconds, so a
bound is rounded up to one, which keeps ``>=`` and ``<`` exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from .._frame import queue_expression
from .._times import format_day
from ._layout import PARTITION_FIELD

if TYPE_CHECKING:
    import pyarrow.dataset as ds

__all__ = ["ms_scalar", "row_filter", "window_days"]

# In milliseconds, so that subtracting it from a far-past bound (unit "s" on pandas 2.2)
# does not cast the bound to nanoseconds, which cannot hold the year 999.
_MS = pd.Timedelta(milliseconds=1).as_unit("ms")


def ms_scalar(moment: pd.Timestamp) -> pa.Scalar:
    """``moment`` rounded up to a whole millisecond, as an Arrow UTC timestamp."""
    return pa.scalar(moment.ceil("ms").to_pydatetime(), pa.timestamp("ms", tz="UTC"))


def window_days(
    begin: pd.Timestamp | None, stop: pd.Timestamp | None
) -> tuple[str | None, str | None]:
    """The first and last UTC day (``YYYY-MM-DD``) holding rows of ``[begin, stop)``.

    None where the window is open on that side.
    """
    first = None if begin is None else format_day(begin)
    last = None if stop is None else format_day(stop.ceil("ms") - _MS)
    return first, last


def row_filter(
    begin: pd.Timestamp | None,
    stop: pd.Timestamp | None,
    queues: Sequence[str] | None,
    column: str = "interval_start",
) -> ds.Expression | None:
    """The dataset filter, with the partition bounds that let pyarrow skip whole days.

    ``column`` is the time the window bounds (the endpoint's interval column).
    """
    import pyarrow.dataset as ds  # on first use: not with ``import cvframe``

    parts: list[ds.Expression] = []
    day = ds.field(PARTITION_FIELD)
    start_field = ds.field(column)
    first, last = window_days(begin, stop)
    if begin is not None:
        parts.append(day >= first)
        parts.append(start_field >= ms_scalar(begin))
    if stop is not None:
        parts.append(day <= last)
        parts.append(start_field < ms_scalar(stop))
    if queues is not None:
        parts.append(queue_expression(queues))
    if not parts:
        return None
    expr = parts[0]
    for part in parts[1:]:
        expr = expr & part
    return expr
