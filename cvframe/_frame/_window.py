"""The window a frame was read for, carried in ``DataFrame.attrs``.

A reader knows the window ``[start, end)`` it asked for; the frame alone does not (the
API sends no record for an interval without contacts, so the records' own span can be
shorter than the read). The readers and :func:`cvframe.read_snapshot` record it with
:func:`with_window`; :func:`cvframe.to_series` reads it with :func:`frame_window` to
tell a partial first or last bucket from a quiet one.

pandas carries ``attrs`` through most operations, boolean filtering included, so a
frame cut down after the read (``df[df.interval_start >= ...]``) would still claim the
read's window, and a half-read edge bucket would pass for complete. The window is
therefore recorded with the frame's row count, and trusted only while the frame still
has those rows: any filter, concat or append that changes the rows makes the window
unknown (to_series then keeps the edge buckets and warns), never wrong.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["WINDOW_ATTR", "frame_window", "with_window"]

#: The key of ``DataFrame.attrs`` holding the read's ``[start, end, rows]``: UTC ISO
#: times and the number of rows the frame had when the window was recorded. JSON values,
#: so that ``df.to_parquet`` (which writes ``attrs`` as JSON) takes a read frame, and a
#: parquet round trip (attrs come back as JSON: a list) keeps the window.
WINDOW_ATTR = "cvframe_window"


def with_window(df: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """``df`` with ``attrs[WINDOW_ATTR]`` set to ``(start, end)`` as UTC Timestamps (in place).

    A side missing (``None``) leaves the window unknown: nothing is recorded. The
    window holds for these rows only: :func:`frame_window` forgets it once the frame
    has another number of rows.

    >>> import pandas as pd
    >>> df = with_window(pd.DataFrame(), "2024-03-01", "2024-03-08")
    >>> [str(t) for t in frame_window(df)]
    ['2024-03-01 00:00:00+00:00', '2024-03-08 00:00:00+00:00']

    Filtered to fewer rows, the frame no longer vouches for the window:

    >>> two = with_window(pd.DataFrame({"x": [1, 2]}), "2024-03-01", "2024-03-08")
    >>> frame_window(two[two["x"] > 1]) is None
    True
    """
    if start is None or end is None:
        df.attrs.pop(WINDOW_ATTR, None)
        return df
    df.attrs[WINDOW_ATTR] = [_utc(start).isoformat(), _utc(end).isoformat(), len(df)]
    return df


def frame_window(df: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The ``(start, end)`` a reader recorded on ``df``, or None: none was, or its rows changed."""
    window = df.attrs.get(WINDOW_ATTR)
    if not (isinstance(window, list | tuple) and len(window) == 3):
        return None
    start, end, rows = window
    if not (isinstance(start, str) and isinstance(end, str) and rows == len(df)):
        return None
    try:
        return _utc(start), _utc(end)
    except ValueError:
        return None


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
