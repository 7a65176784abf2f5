"""How an argument cvframe cannot read is refused: one shape, one wording.

Durations (:mod:`cvframe._durations`) and times (:mod:`cvframe._times`) are read the
same way: parse, refuse what does not parse, refuse a missing value (``NaT``), then
each checks its own range. A refusal names the argument, repeats what was given and
shows a value that would be taken:

    sl_threshold='soon' is not a duration: sl_threshold must be a duration; use e.g. '20s'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

__all__ = ["read_argument", "unreadable"]

_T = TypeVar("_T")


def unreadable(name: str, value: Any, noun: str, examples: str) -> ValueError:
    """The error for ``value`` that is not ``noun`` (e.g. ``"a duration"``)."""
    return ValueError(f"{name}={value!r} is not {noun}: {name} must be {noun}; use e.g. {examples}")


def read_argument(
    value: Any, parse: Callable[[Any], _T], *, name: str, noun: str, examples: str
) -> _T:
    """``parse(value)``, or a ValueError in the shared wording if it fails or gives NaT."""
    try:
        parsed = parse(value)
    except (ValueError, TypeError, OverflowError):
        raise unreadable(name, value, noun, examples) from None
    if parsed is pd.NaT or pd.isna(parsed):
        raise ValueError(
            f"{name} must be {noun}, got {value!r} (NaT: a missing value); use e.g. {examples}"
        )
    return parsed
