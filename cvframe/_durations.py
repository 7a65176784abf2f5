"""One reader for every duration a user gives cvframe: thresholds, lookbacks, AHTs.

A duration is a string with a unit (``"20s"``, ``"1500ms"``, ``"2h"``, ``"00:00:20"``),
a :class:`pandas.Timedelta`, a :class:`datetime.timedelta` or a ``numpy.timedelta64``.
A bare number, or a string that is only a number (``"20"``), is refused: pandas reads
``pd.Timedelta("20")`` as 20 *nanoseconds*, so ``sl_threshold="20"`` meant "20
seconds" to its writer and 0.00002 ms to the calculation, a service level of 0 without
a word. The refusal shows the fix (``"20s"``).

Units are read the same way on pandas 2.2 and 3.x: ``W``, ``D``, ``h``, ``min`` (or
``m``), ``s``, ``ms``, ``us``, ``ns`` and pandas' spelled-out names (``"2 days"``,
``"20 seconds"``); ``d``, ``H``, ``S`` and ``w`` are taken for ``D``, ``h``, ``s`` and
``W`` (pandas 3.x warns that it will stop reading them; cvframe keeps reading them
without passing the warning on). ``T``, ``L``, ``U`` and ``N``, which pandas 3.x no
longer reads and pandas 2.2 reads with a warning, are refused on both with the
spelling to use instead (``"2T"`` -> ``"2min"``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from ._arguments import read_argument

__all__ = ["Duration", "duration_ms", "parse_duration"]

#: What cvframe takes as a duration argument.
Duration: TypeAlias = str | pd.Timedelta | dt.timedelta | np.timedelta64

#: The unit a refusal suggests for a bare number, per argument name (seconds otherwise):
#: a lookback is hours in the docs' examples, a service-level threshold seconds.
_SUGGESTED_UNIT = {"lookback": "h", "--lookback": "h"}


#: Unit spellings pandas reads today but warns it will stop reading -> the spelling it keeps.
_RESPELLED_UNITS = {"d": "D", "H": "h", "S": "s", "w": "W"}
#: Unit spellings pandas 3.x no longer reads (pandas 2.2 warns) -> the one to write instead.
_REMOVED_UNITS = {"T": "min", "L": "ms", "U": "us", "N": "ns"}
#: A unit written right after a number: "2d", "1d 2h", "1.5 H".
_UNIT_AFTER_NUMBER = re.compile(r"(?<=[0-9.])(\s*)([A-Za-z]+)")
#: What a refusal offers as durations that are read.
_EXAMPLES = "'20s', '1500ms', '30min' or '2h'"


def _respell_units(text: str, name: str) -> str:
    """``text`` with each unit in the spelling every supported pandas reads silently."""
    if text.strip().lstrip("+-").upper().startswith("P"):
        return text  # ISO 8601 ("P2DT3H"): its letters are designators, not units
    removed = [unit for _, unit in _UNIT_AFTER_NUMBER.findall(text) if unit in _REMOVED_UNITS]
    if removed:
        fixed = _UNIT_AFTER_NUMBER.sub(
            lambda m: m.group(1) + _REMOVED_UNITS.get(m.group(2), m.group(2)), text
        )
        raise ValueError(
            f"{name}={text!r} uses the unit {removed[0]!r}, which pandas 3 no longer reads; "
            f"write {fixed!r}"
        )
    return _UNIT_AFTER_NUMBER.sub(
        lambda m: m.group(1) + _RESPELLED_UNITS.get(m.group(2), m.group(2)), text
    )


def _looks_like_a_number(text: str) -> bool:
    """True for "20", " 2.5 ", "1e3": text pandas would read as nanoseconds ("nan" is NaT)."""
    try:
        return math.isfinite(float(text.strip()))
    except ValueError:
        return False


def _fix(value: Any, name: str) -> str:
    """The argument as the user probably meant it, e.g. ``'20s'``."""
    unit = _SUGGESTED_UNIT.get(name, "s")
    try:
        number = float(str(value).strip())
    except ValueError:
        return repr(f"20{unit}")
    text = str(int(number)) if number.is_integer() else f"{number:g}"
    return repr(f"{text}{unit}")


def parse_duration(value: Any, *, name: str, allow_zero: bool = False) -> pd.Timedelta:
    """Read ``value`` as a positive (or, with ``allow_zero``, non-negative) duration.

    Parameters
    ----------
    value : str, Timedelta, timedelta or numpy.timedelta64
        A string must carry its unit (``"20s"``, ``"2h"``, ``"1 days 00:00:20"``,
        ``"P1D"``); a bare number or a string of digits only is refused.
    name : str
        The argument's name, for the message.
    allow_zero : bool, default False
        Accept a zero duration (a lookback may be none).

    Returns
    -------
    pandas.Timedelta

    Raises
    ------
    ValueError
        For a bare or unitless number (the message shows the fix, e.g. ``"20s"``),
        anything pandas cannot read as a duration, NaT, a negative duration, or zero
        unless ``allow_zero``.

    Examples
    --------
    >>> from cvframe._durations import parse_duration
    >>> parse_duration("20s", name="sl_threshold")
    Timedelta('0 days 00:00:20')
    >>> parse_duration("20", name="sl_threshold")
    Traceback (most recent call last):
    ...
    ValueError: sl_threshold='20' has no unit (pandas would read it as 20 nanoseconds); write it with one, e.g. '20s'
    """  # noqa: E501
    if isinstance(value, bool | int | float | np.number) and not isinstance(value, np.timedelta64):
        raise ValueError(
            f"{name}={value!r} is a bare number, whose unit would be a guess: {name} must be "
            f"a duration with its unit, e.g. {_fix(value, name)}"
        )
    if isinstance(value, str) and _looks_like_a_number(value):
        raise ValueError(
            f"{name}={value!r} has no unit (pandas would read it as {value.strip()} "
            f"nanoseconds); write it with one, e.g. {_fix(value, name)}"
        )
    if isinstance(value, np.timedelta64) and np.datetime_data(value.dtype)[0] == "generic":
        raise ValueError(
            f"{name}={value!r} is a numpy.timedelta64 without a unit; give it one, e.g. "
            "np.timedelta64(20, 's')"
        )
    if not isinstance(value, str | pd.Timedelta | dt.timedelta | np.timedelta64):
        raise ValueError(
            f"{name} must be a duration such as '20s' or pd.Timedelta(seconds=20), got "
            f"{type(value).__name__} {value!r}"
        )
    text = _respell_units(value, name) if isinstance(value, str) else value
    delta = read_argument(text, pd.Timedelta, name=name, noun="a duration", examples=_EXAMPLES)
    if delta < pd.Timedelta(0) or (delta == pd.Timedelta(0) and not allow_zero):
        wanted = "a duration >= 0" if allow_zero else "a positive duration"
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    return delta


def duration_ms(value: Any, *, name: str) -> float:
    """A positive duration (see :func:`parse_duration`) in milliseconds, as a float."""
    return float(parse_duration(value, name=name) / pd.Timedelta(milliseconds=1))
