"""The window a frame was read for, carried in ``DataFrame.attrs``.

A reader knows the window ``[start, end)`` it asked for; the frame alone does not (the
API sends no record for an interval without contacts, so the records' own span can be
shorter than the read). The readers and :func:`cvframe.read_snapshot` record it with
:func:`with_window`; :func:`cvframe.to_series` reads it with :func:`frame_window` to
tell a partial first or last bucket from a quiet one. pandas carries ``attrs`` through
most operations (selection, ``copy``, ``assign``); where it does not, the window is
simply unknown, never wrong.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["WINDOW_ATTR", "frame_window", "with_window"]

#: The key of ``DataFrame.attrs`` holding the read's ``(start, end)``, UTC Timestamps.
WINDOW_ATTR = "cvframe_window"


def with_window(df: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """``df`` with ``attrs[WINDOW_ATTR]`` set to ``(start, end)`` as UTC Timestamps (in place).

    A side missing (``None``) leaves the window unknown: nothing is recorded.

    >>> import pandas as pd
    >>> df = with_window(pd.DataFrame(), "2024-03-01", "2024-03-08")
    >>> [str(t) for t in frame_window(df)]
    ['2024-03-01 00:00:00+00:00', '2024-03-08 00:00:00+00:00']
    """
    if start is None or end is None:
        df.attrs.pop(WINDOW_ATTR, None)
        return df
    df.attrs[WINDOW_ATTR] = (_utc(start), _utc(end))
    return df


def frame_window(df: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The ``(start, end)`` a reader recorded on ``df``, or None where none was."""
    window = df.attrs.get(WINDOW_ATTR)
    if not (isinstance(window, tuple) and len(window) == 2):
        return None
    start, end = window
    if not (isinstance(start, pd.Timestamp) and isinstance(end, pd.Timestamp)):
        return None
    return start, end


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
