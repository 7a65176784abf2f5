"""The generic layout and your own: an output column per source field, in a unit.

A mapping of output column -> source field, or -> ``(source field, unit)``, gives one
row per record; :data:`GENERIC_COLUMNS` is the mapping of the ``"generic"`` export.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TypeAlias

import pandas as pd

from .._analytics import SL_DENOMINATORS, check_input
from ._fields import SOURCE_FIELDS, ServiceLevelOptions, check_unit, convert

__all__ = ["GENERIC_COLUMNS", "WfmMapping", "mapped_table"]

#: An output column -> a source field, or (source field, unit).
WfmMapping: TypeAlias = Mapping[str, "str | tuple[str, str]"]

#: The "generic" export: interval, queue, counts, AHT and ASA in seconds, service level.
GENERIC_COLUMNS: Mapping[str, str | tuple[str, str]] = {
    "interval_start": "interval_start",
    "interval_end": "interval_end",
    "queue_id": "queue_id",
    "queue_name": "queue_name",
    "offered": "offered",
    "answered": "answered",
    "abandoned": "abandoned",
    "handled": "handled",
    "aht_seconds": ("aht", "s"),
    "asa_seconds": ("asa", "s"),
    "service_level": ("service_level", "fraction"),
}


def _parse_mapping(target: object) -> list[tuple[str, str, str | None]]:
    """``[(output column, source field, unit or None)]``, or ValueError saying what is wrong."""
    if not isinstance(target, Mapping) or not target:
        raise ValueError(
            "target must be 'genesys', 'generic' or a non-empty mapping of output column "
            f"-> source field (or (source field, unit)), got {target!r}"
        )
    spec: list[tuple[str, str, str | None]] = []
    for out, source in target.items():
        if not isinstance(out, str):
            raise ValueError(f"output column names must be strings, got {out!r}")
        if isinstance(source, str):
            field, unit = source, None
        elif (
            isinstance(source, tuple)
            and len(source) == 2
            and all(isinstance(part, str) for part in source)
        ):
            field, unit = source
        else:
            raise ValueError(
                f"output column {out!r}: give a source field name or a (field, unit) "
                f"pair, got {source!r}"
            )
        if field not in SOURCE_FIELDS:
            close = difflib.get_close_matches(field, list(SOURCE_FIELDS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"output column {out!r}: unknown source field {field!r}{hint}; "
                f"known fields: {', '.join(SOURCE_FIELDS)}"
            )
        check_unit(out, field, unit)
        spec.append((out, field, unit))
    return spec


def mapped_table(df: pd.DataFrame, target: object, options: ServiceLevelOptions) -> pd.DataFrame:
    """The export ``target`` (a mapping) describes: one row per row of ``df``."""
    spec = _parse_mapping(target)
    needed = {c for _, f, _ in spec for c in SOURCE_FIELDS[f].needs}
    if any(f == "service_level" for _, f, _ in spec):
        # kpis divides by these and, handed the checked frame, does not check them itself.
        definition = SL_DENOMINATORS.get(options.sl_denominator)
        needed |= set(definition.columns if definition is not None else ())
    check_input(df, sorted(needed), what="to_wfm")
    # Output rows follow input rows by position, whatever index a filter left behind.
    df = df.reset_index(drop=True)
    out = {
        name: convert(SOURCE_FIELDS[field].compute(df, options), SOURCE_FIELDS[field].kind, unit)
        for name, field, unit in spec
    }
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))
