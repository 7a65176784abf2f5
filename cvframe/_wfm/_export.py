"""Exports for workforce-management (WFM) tools: :func:`to_wfm` shapes, :func:`write_wfm` writes.

A target is ``"genesys"`` (:mod:`._genesys`), ``"generic"`` or a mapping of your own
(:mod:`._mapped`), each built from the source fields of :mod:`._fields`. Each CSV file
is written atomically and durably (:func:`cvframe._atomic.write_atomically`).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Literal, TypeAlias

import pandas as pd

from .._analytics import DEFAULT_SL_DENOMINATOR, DEFAULT_SL_THRESHOLD, SlDenominator
from .._atomic import write_atomically
from .._durations import parse_duration
from ._fields import ServiceLevelOptions
from ._genesys import PerQueue, genesys_file_stem, genesys_table
from ._mapped import GENERIC_COLUMNS, WfmMapping, mapped_table

__all__ = ["WfmTarget", "to_wfm", "write_wfm"]

WfmTarget: TypeAlias = 'Literal["genesys", "generic"] | WfmMapping'


def to_wfm(
    df: pd.DataFrame,
    target: WfmTarget = "genesys",
    *,
    media_type: PerQueue = "voice",
    skill_set: PerQueue = None,
    language: PerQueue = None,
    sl_threshold: str | pd.Timedelta | timedelta = DEFAULT_SL_THRESHOLD,
    sl_denominator: SlDenominator = DEFAULT_SL_DENOMINATOR,
) -> pd.DataFrame:
    """Shape a call-volume frame as a WFM tool's interval import table.

    Parameters
    ----------
    df : pandas.DataFrame
        A call-volume frame (:func:`cvframe.read_callvolume`,
        :func:`cvframe.read_snapshot`); only the columns the target uses are needed.
    target : {"genesys", "generic"} or mapping, default "genesys"
        ``"genesys"``: the Genesys Cloud WFM historical import (:data:`GENESYS_COLUMNS`):
        interval starts in UTC ISO 8601 on :00/:15/:30/:45 (shorter intervals are
        summed into their 15-minute slot), the queue name, media type, optional
        skill set and language, offered, handled (completed) contacts and the total
        handle time in seconds; one row per queue, media type and interval.

        ``"generic"``: one row per record with ``interval_start``, ``interval_end``
        (ISO 8601 UTC), ``queue_id``, ``queue_name``, ``offered``, ``answered``,
        ``abandoned``, ``handled``, ``aht_seconds``, ``asa_seconds`` and
        ``service_level``.

        A mapping of output column -> source field, or -> ``(source field, unit)``,
        for any other tool: the source fields are the contract's columns plus
        ``offered``, ``answered``, ``abandoned``, ``handled``, ``handle_time``,
        ``aht``, ``asa``, ``abandon_rate`` and ``service_level``. Durations take
        ``"s"`` (default), ``"ms"``, ``"min"`` or ``"h"``; times ``"iso"``
        (default), ``"epoch_s"``, ``"epoch_ms"`` or a strftime pattern; ratios
        ``"fraction"`` (default) or ``"percent"``.
    media_type : str or mapping, default "voice"
        Genesys only: the media type of every queue, or queue id or name -> media
        type (voice, chat, email, callback, message); the API does not say it. A
        queue the mapping leaves out is voice; a key naming no queue of ``df`` is
        said in a warning on the ``cvframe`` logger (a typo, or no rows for it).
    skill_set, language : str or mapping, optional
        Genesys only: the optional Skill Set and Language columns, for every queue
        or per queue id or name (a list of skills is joined with ``|||``).
    sl_threshold : str or timedelta, default "20s"
        The ``service_level`` field's threshold: answered within this wait.
    sl_denominator : str, default "offered"
        The ``service_level`` field's definition: a denominator or a vendor's named
        definition such as ``"genesys"`` or ``"cisco_ignore_abandons"`` (every name
        and its formula: :func:`cvframe.kpis`).

    Returns
    -------
    pandas.DataFrame
        The table, with the cells as they will be written (times as text).

    Raises
    ------
    ValueError
        For an unknown target, source field or unit, a missing column, a media
        type Genesys does not take, an ``sl_threshold`` without a unit; input that
        breaks the input contract (the README's "Input contract": a repeated ``id``, a
        negative, fractional, infinite or non-numeric count, a negative duration,
        naive timestamps, ``interval_end <= interval_start``) in the columns the
        target reads; and for Genesys, records longer than 15 minutes or not
        nested in one UTC quarter hour, or a missing offered count, handled count
        or handle time (Genesys cannot say "unknown", and a 0 would be invented).

    Notes
    -----
    The records hold total and longest waits, not each contact's wait, so the
    ``service_level`` field is :func:`cvframe.kpis`' estimate (exact when the
    longest wait is within the threshold; ``kpis`` also gives its bounds).

    Examples
    --------
    >>> import cvframe
    >>> df = cvframe.records_to_frame([{
    ...     "_id": "a1", "queueId": "qu-1", "queueName": "Billing", "__v": 0,
    ...     "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
    ...     "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
    ...     "offeredContacts": 3, "answeredContacts": 2, "completedContacts": 2,
    ...     "conversationHandleTime": 68043, "queueHoldTimeAnswered": 34035}])
    >>> genesys = cvframe.to_wfm(df, "genesys")
    >>> list(genesys.columns[:3])
    ['Interval Start UTC Date', 'Queue', 'Media Type']
    >>> print(genesys.to_csv(index=False, header=False), end="")
    2023-06-01T09:45:00Z,Billing,voice,,,3,2,68.043
    >>> cvframe.to_wfm(df, {"Start": ("interval_start", "%Y-%m-%d %H:%M"),
    ...                     "Calls": "offered", "AHT (min)": ("aht", "min")})
                  Start  Calls  AHT (min)
    0  2023-06-01 09:45      3    0.56702
    """
    # Read at once, whether or not the target has a service level, so that a bad one
    # (a bare "20") is refused rather than silently unused.
    parse_duration(sl_threshold, name="sl_threshold")
    options = ServiceLevelOptions(sl_threshold, sl_denominator)
    if isinstance(target, str):
        if target == "genesys":
            return genesys_table(df, media_type=media_type, skill_set=skill_set, language=language)
        if target == "generic":
            return mapped_table(df, GENERIC_COLUMNS, options)
        raise ValueError(
            f"target must be 'genesys', 'generic' or a mapping of output column -> source "
            f"field, got {target!r}"
        )
    return mapped_table(df, target, options)


def _write_csv(table: pd.DataFrame, final: Path) -> None:
    """Write ``table`` to the CSV file ``final`` (UTF-8, ``\\n`` line ends), atomically."""
    write_atomically(
        final, lambda fh: table.to_csv(fh, index=False, lineterminator="\n", encoding="utf-8")
    )


def write_wfm(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    target: WfmTarget = "genesys",
    *,
    media_type: PerQueue = "voice",
    skill_set: PerQueue = None,
    language: PerQueue = None,
    sl_threshold: str | pd.Timedelta | timedelta = DEFAULT_SL_THRESHOLD,
    sl_denominator: SlDenominator = DEFAULT_SL_DENOMINATOR,
) -> list[Path]:
    """Write a WFM import: for Genesys a directory of files, otherwise one CSV file.

    The Genesys importer takes one queue and media type per file, so for
    ``target="genesys"`` ``path`` is a directory (created if missing) that gets one
    ``<queue>_<media type>.csv`` per combination, named without whitespace or the
    characters Genesys refuses. For any other target ``path`` is the CSV file.
    Each file is written atomically.

    Parameters
    ----------
    df : pandas.DataFrame
        A call-volume frame.
    path : str or os.PathLike
        The directory (Genesys) or the file (other targets).
    target, media_type, skill_set, language, sl_threshold, sl_denominator
        As for :func:`to_wfm`.

    Returns
    -------
    list of pathlib.Path
        The files written, sorted.

    Raises
    ------
    ValueError
        As for :func:`to_wfm` (nothing is written then), or if ``path`` is a file
        where a directory is needed, or the other way round.

    Examples
    --------
    >>> import tempfile, cvframe
    >>> df = cvframe.records_to_frame([
    ...     {"_id": f"r{i}", "queueId": f"qu-{i}", "queueName": name, "__v": 0,
    ...      "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
    ...      "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
    ...      "offeredContacts": 3, "completedContacts": 2, "conversationHandleTime": 68043}
    ...     for i, name in enumerate(["Billing", "Chat Care"])])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = cvframe.write_wfm(df, tmp, "genesys",
    ...                               media_type={"Billing": "voice", "Chat Care": "chat"})
    ...     names = [f.name for f in files]
    ...     header, row = files[1].read_text().splitlines()
    >>> names
    ['Billing_voice.csv', 'Chat-Care_chat.csv']
    >>> header.split(",")[-1], row
    ('Total Handle Time (Seconds)', '2023-06-01T09:45:00Z,Chat Care,chat,,,3,2,68.043')
    """
    table = to_wfm(
        df,
        target,
        media_type=media_type,
        skill_set=skill_set,
        language=language,
        sl_threshold=sl_threshold,
        sl_denominator=sl_denominator,
    )
    out = Path(path)
    if not (isinstance(target, str) and target == "genesys"):
        if out.is_dir():
            raise ValueError(f"{out} is a directory; the {target!r} export is one CSV file")
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_csv(table, out)
        return [out]
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; the Genesys export is a directory of CSV files")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    used: set[str] = set()
    for (queue, media), part in table.groupby(["Queue", "Media Type"], sort=True):
        stem = genesys_file_stem(str(queue), str(media))
        name, n = stem, 1
        while name.lower() in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name.lower())
        final = out / f"{name}.csv"
        _write_csv(part, final)
        written.append(final)
    return sorted(written)
