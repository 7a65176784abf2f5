"""The Genesys Cloud WFM historical import: its columns, rules and file names.

The layout follows "Prepare the historical data import .csv file"
(help.mypurecloud.com); change :data:`GENESYS_COLUMNS` with that page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd

from .._analytics import check_input
from ._fields import ISO_SECONDS, count_values, milliseconds

log = logging.getLogger("cvframe")

__all__ = [
    "GENESYS_COLUMNS",
    "GENESYS_INTERVAL",
    "GENESYS_MEDIA_TYPES",
    "PerQueue",
    "genesys_file_stem",
    "genesys_table",
]

#: One value for every queue, or queue id / queue name -> value.
PerQueue: TypeAlias = "str | Mapping[str, str | Sequence[str]] | None"

#: The Genesys Cloud WFM historical import columns, in the importer's order.
GENESYS_COLUMNS = (
    "Interval Start UTC Date",
    "Queue",
    "Media Type",
    "Skill Set",
    "Language",
    "Offered",
    "Interactions Handled",
    "Total Handle Time (Seconds)",
)
#: The media types the Genesys importer accepts.
GENESYS_MEDIA_TYPES = ("voice", "chat", "email", "callback", "message")
#: Genesys takes intervals starting on :00, :15, :30 and :45 only.
GENESYS_INTERVAL = pd.Timedelta(minutes=15)
#: Genesys separates the skills of one row with three pipes.
_SKILL_SEPARATOR = "|||"
#: The Genesys columns cvframe fills from a measure, which the importer needs as numbers.
_MEASURES = ("offered_contacts", "completed_contacts", "conversation_handle_time")
#: The columns the Genesys export reads.
_NEEDED = ("interval_start", "interval_end", "queue_id", "queue_name", *_MEASURES)
#: Characters a Genesys file name cannot hold (whitespace, {^}%`]">/:[~<#| and the like).
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _per_queue(df: pd.DataFrame, value: PerQueue, name: str, *, join: bool = False) -> pd.Series:
    """One value per row from a single value or a mapping keyed by queue id or name."""
    if value is None:
        return pd.Series("", index=df.index, dtype="string")
    if isinstance(value, str):
        return pd.Series(value, index=df.index, dtype="string")
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a string or a mapping of queue id or name -> value")

    def text(item: str | Sequence[str]) -> str:
        if isinstance(item, str):
            return item
        if join:
            return _SKILL_SEPARATOR.join(item)
        raise ValueError(f"{name} values must be strings, got {item!r}")

    table = {str(k): text(v) for k, v in value.items()}
    by_id = df["queue_id"].astype("string").map(table)
    by_name = df["queue_name"].astype("string").map(table)
    # Both as strings before filling: an object fillna warns of downcasting on pandas 2.2.
    found = by_id.astype("string").fillna(by_name.astype("string"))
    if name == "media_type":
        # Queues not in the mapping get the documented default, voice. A key that names
        # no queue of the frame may be a typo, or a queue with no rows in this window (a
        # quiet day must not fail a nightly export): said on the log, not refused.
        known = set(df["queue_id"].astype("string").dropna()) | set(
            df["queue_name"].astype("string").dropna()
        )
        unknown = sorted(set(table) - known)
        if unknown and not df.empty:
            log.warning(
                "media_type names %s, which match no queue id or name of the frame (no "
                "rows for them, or a typo); the frame's queues without an entry are voice",
                unknown,
            )
        return found.fillna("voice")
    return found.fillna("")


def _first_records_named(df: pd.DataFrame, bad: np.ndarray) -> str:
    """The first few bad records as 'queue at start', for a message."""
    rows = np.flatnonzero(bad)[:3]
    queue = df["queue_name"].astype("string").fillna(df["queue_id"].astype("string"))
    starts = df["interval_start"].astype("datetime64[ms, UTC]")
    shown = [f"{queue.iloc[i]} at {starts.iloc[i].strftime(ISO_SECONDS)}" for i in rows]
    return ", ".join(shown) + (", ..." if bad.sum() > len(rows) else "")


def _refuse_straddling(df: pd.DataFrame, slots: pd.Series, ends: pd.Series) -> None:
    """ValueError if a record does not nest in one quarter hour (resample_intervals' rule)."""
    straddling = (ends > slots + GENESYS_INTERVAL).to_numpy(dtype=bool, na_value=False)
    if straddling.any():
        raise ValueError(
            f"{int(straddling.sum())} record(s) straddle two Genesys quarter hours "
            f"({_first_records_named(df, straddling)}), so no :00/:15/:30/:45 interval holds "
            "their contacts; the importer needs records that nest in 15-minute UTC intervals, "
            "as cvframe.resample_intervals(df, '15min') does"
        )


def _refuse_missing(df: pd.DataFrame) -> None:
    """ValueError naming the intervals where a measure Genesys needs is missing."""
    for name in _MEASURES:
        missing = df[name].isna().to_numpy(dtype=bool)
        if missing.any():
            raise ValueError(
                f"{name} is missing in {int(missing.sum())} record(s) "
                f"({_first_records_named(df, missing)}) and the Genesys import has no way to "
                "say unknown: writing 0 would train the forecast on invented zeros. Drop those "
                f"records, or fill them yourself if 0 is true: df.fillna({{{name!r}: 0}})"
            )


def genesys_table(
    df: pd.DataFrame, *, media_type: PerQueue, skill_set: PerQueue, language: PerQueue
) -> pd.DataFrame:
    """The Genesys import of ``df``: one row per queue, media type and quarter hour."""
    check_input(df, sorted(_NEEDED), what="to_wfm")
    starts = df["interval_start"].astype("datetime64[ms, UTC]")
    ends = df["interval_end"].astype("datetime64[ms, UTC]")
    too_long = (ends - starts) > GENESYS_INTERVAL
    if too_long.any():
        raise ValueError(
            f"{int(too_long.sum())} record(s) span more than 15 minutes; the Genesys "
            "importer takes 15-minute intervals and cvframe does not split longer ones"
        )
    slots = starts.dt.floor(GENESYS_INTERVAL)
    _refuse_straddling(df, slots, ends)
    _refuse_missing(df)
    media = _per_queue(df, media_type if media_type is not None else "voice", "media_type")
    media = media.str.lower()
    bad = sorted(set(media) - set(GENESYS_MEDIA_TYPES))
    if bad:
        raise ValueError(
            f"media_type {bad} is not a Genesys media type; use one of "
            + ", ".join(GENESYS_MEDIA_TYPES)
        )
    rows = pd.DataFrame(
        {
            # Shorter intervals (e.g. 5 minutes) add up into the 15-minute slot they nest in.
            "start": slots,
            "queue": df["queue_name"].astype("string").fillna(df["queue_id"].astype("string")),
            "media": media,
            "skills": _per_queue(df, skill_set, "skill_set", join=True),
            "language": _per_queue(df, language, "language"),
            "offered": count_values(df, "offered_contacts"),
            "handled": count_values(df, "completed_contacts"),
            "handle_ms": milliseconds(df, "conversation_handle_time"),
        }
    )
    keys = ["queue", "media", "start", "skills", "language"]
    summed = rows.groupby(keys, sort=True, dropna=False)[["offered", "handled", "handle_ms"]]
    grouped = summed.sum().reset_index()
    out = pd.DataFrame(
        {
            "Interval Start UTC Date": grouped["start"].dt.strftime(ISO_SECONDS).astype("string"),
            "Queue": grouped["queue"].astype("string"),
            "Media Type": grouped["media"].astype("string"),
            "Skill Set": grouped["skills"].astype("string"),
            "Language": grouped["language"].astype("string"),
            "Offered": grouped["offered"].astype("Int64"),
            "Interactions Handled": grouped["handled"].astype("Int64"),
            "Total Handle Time (Seconds)": (grouped["handle_ms"].astype("Float64") / 1000).round(3),
        },
        columns=list(GENESYS_COLUMNS),
    )
    out.index = pd.RangeIndex(len(out))
    return out


def genesys_file_stem(queue: str, media: str) -> str:
    """A file name Genesys accepts: no whitespace, none of {^}%`]">/:[~<#|."""
    stem = _UNSAFE_NAME.sub("-", f"{queue}_{media}").strip("-.")
    return stem or "queue"
