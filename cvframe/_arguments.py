"""How an argument cvframe cannot read is refused: one shape, one wording.

Durations (:mod:`cvframe._durations`) and times (:mod:`cvframe._times`) are read the
same way: parse, refuse what does not parse, refuse a missing value (``NaT``), then
each checks its own range. A refusal names the argument, repeats what was given and
shows a value that would be taken:

    sl_threshold='soon' is not a duration: sl_threshold must be a duration; use e.g. '20s'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pandas as pd

__all__ = ["queue_list", "read_argument", "unreadable"]

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


def queue_list(queues: str | Iterable[str] | None) -> list[str] | None:
    """The ``queues=`` argument of every reader as a list of names, or ``None`` for all.

    One queue id or name, or a non-empty list of them; each must be text that UTF-8 can
    encode (a lone surrogate cannot match anything the API sends).

    >>> queue_list("Sales"), queue_list(["q-1", "q-2"]), queue_list(None)
    (['Sales'], ['q-1', 'q-2'], None)
    >>> queue_list([])
    Traceback (most recent call last):
    ...
    ValueError: queues must be a queue id or name, or a non-empty list of them
    """
    if queues is None:
        return None
    values = [queues] if isinstance(queues, str) else list(queues)
    if not values or not all(isinstance(q, str) for q in values):
        raise ValueError("queues must be a queue id or name, or a non-empty list of them")
    for value in values:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"queues holds {value!r}, which is not valid Unicode text (a lone "
                "surrogate); pass the queue id or name as the API sends it"
            ) from None
    return values
