"""Frames for the analytics tests: API-style records by hand, or synthetic by the thousand."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

import cvframe
from cvframe._analytics._measures import MEASURE_COLUMNS
from cvframe._endpoints import AGENT_ACTIVITY, AGENT_PERFORMANCE

#: Contract column -> API field, to write records in the wire format.
API_NAME = {column: api for api, column in cvframe.API_FIELDS.items()}

QUARTER = pd.Timedelta(minutes=15)
COUNTS = [c.name for c in MEASURE_COLUMNS if c.kind == "int"]
DURATIONS = [c.name for c in MEASURE_COLUMNS if c.kind == "duration"]
MEASURES = [c.name for c in MEASURE_COLUMNS]


def record(
    start: str | pd.Timestamp,
    *,
    queue: str = "q1",
    name: str | None = None,
    length: pd.Timedelta = QUARTER,
    **fields: Any,
) -> dict[str, Any]:
    """One API record (wire field names) for ``queue`` starting at ``start`` (UTC if naive).

    ``fields`` use contract names; durations are milliseconds, as on the wire.
    """
    begin = pd.Timestamp(start)
    begin = begin.tz_localize("UTC") if begin.tzinfo is None else begin.tz_convert("UTC")
    out: dict[str, Any] = {
        "_id": f"{queue}@{begin.isoformat()}",
        "queueId": queue,
        "queueName": name if name is not None else f"Queue {queue}",
        "intervalStartTimeStamp": begin.isoformat(),
        "intervalEndTimeStamp": (begin + length).isoformat(),
    }
    for column, value in fields.items():
        out[API_NAME[column]] = value
    return out


def frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The contract frame of ``records`` (validated, so tests start from a legal frame)."""
    return cvframe.validate(cvframe.records_to_frame(list(records)))


def quarter_hours(day: str, tz: str) -> pd.DatetimeIndex:
    """Every quarter-hour start of the local calendar ``day`` in ``tz``, in UTC."""
    begin = pd.Timestamp(day, tz=tz)
    end = (begin.tz_localize(None) + pd.Timedelta(days=1)).tz_localize(tz)
    return pd.date_range(begin, end, freq=QUARTER, inclusive="left").tz_convert("UTC")


def synthetic(
    rng: np.random.Generator,
    *,
    queues: Sequence[str] = ("q1", "q2", "q3"),
    start: str = "2024-03-08",
    days: int = 4,
    keep: float = 0.8,
) -> pd.DataFrame:
    """A contract frame of random but self-consistent quarter-hour records.

    Some (queue, quarter) records are left out (``keep``) so there are gaps. Counts
    and waits are drawn so that answered + abandoned = offered, max <= total, and
    handle = talk + hold + ACW; csat_score is the average of 1-5 scores.
    """
    slots = pd.date_range(start, periods=days * 96, freq=QUARTER, tz="UTC")
    rows: list[dict[str, Any]] = []
    for queue in queues:
        for slot in slots[rng.random(len(slots)) < keep]:
            rows.append(_random_record(rng, slot, queue))
    df = cvframe.records_to_frame(rows)
    return cvframe.validate(df)


def _random_record(rng: np.random.Generator, slot: pd.Timestamp, queue: str) -> dict[str, Any]:
    offered = int(rng.poisson(rng.choice([0.5, 4, 20])))
    abandoned = int(rng.binomial(offered, 0.1))
    answered = offered - abandoned
    completed = answered
    waits = (rng.exponential(15_000, answered) * (rng.random(answered) < 0.6)).astype(int)
    abandon_waits = rng.exponential(40_000, abandoned).astype(int)
    talk = rng.integers(30_000, 400_000, completed).sum() if completed else 0
    hold = rng.integers(0, 60_000, completed).sum() if completed else 0
    acw = rng.integers(0, 90_000, completed).sum() if completed else 0
    responses = int(rng.binomial(completed, 0.3))
    return record(
        slot,
        queue=queue,
        offered_contacts=offered,
        answered_contacts=answered,
        completed_contacts=completed,
        abandoned_contacts=abandoned,
        message_count=int(rng.integers(0, 50)),
        saved_message_count=int(rng.integers(0, 5)),
        csat_responses=responses,
        csat_score=float(rng.integers(1, 6, responses).mean()) if responses else 0.0,
        queue_hold_time_answered=int(waits.sum()),
        max_queue_hold_time_answered=int(waits.max()) if answered else 0,
        queue_hold_time_abandoned=int(abandon_waits.sum()),
        max_queue_hold_time_abandoned=int(abandon_waits.max()) if abandoned else 0,
        conversation_handle_time=int(talk + hold + acw),
        conversation_talk_time=int(talk),
        hold_duration=int(hold),
        acw_duration=int(acw),
    )


def totals(df: pd.DataFrame) -> dict[str, Any]:
    """Column totals (counts, durations) and maxima of the max_* fields.

    ``csat_score`` is an average over ``csat_responses``, so its total is the sum of
    the scores it stands for, ``csat_score * csat_responses``.
    """
    out: dict[str, Any] = {}
    for name in MEASURES:
        out[name] = df[name].max() if name.startswith("max_") else df[name].sum()
    weighted = df["csat_score"].astype(float) * df["csat_responses"].astype(float)
    out["csat_score"] = float(weighted[df["csat_responses"] > 0].sum())
    return out


# --------------------------------------------------------------------------- agents' frames

#: The backends a read frame comes in.
BACKENDS = ("numpy_nullable", "pyarrow")

_ARROW_KIND = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "datetime": pa.timestamp("ms", tz="UTC"),
    "duration": pa.duration("ms"),
}
_NUMPY_KIND = {
    "string": pd.StringDtype("pyarrow"),
    "int": "Int64",
    "float": "Float64",
    "datetime": "datetime64[ms, UTC]",
    "duration": "timedelta64[ms]",
}


def with_contract_dtypes(df: pd.DataFrame, endpoint: Any, backend: str) -> pd.DataFrame:
    """``df`` with the dtypes a reader gives ``endpoint``'s columns on ``backend``."""
    kinds = {c.name: c.kind for c in endpoint.columns}
    out = df.copy()
    for name in out.columns:
        kind = kinds[name]
        numpy_dtype = _NUMPY_KIND[kind]
        if kind == "datetime":
            out[name] = pd.to_datetime(out[name], utc=True).astype(numpy_dtype)
        elif kind == "duration":
            out[name] = pd.to_timedelta(out[name]).astype(numpy_dtype)
        else:
            out[name] = out[name].astype(numpy_dtype)
        if backend == "pyarrow":
            out[name] = out[name].astype(pd.ArrowDtype(_ARROW_KIND[kind]))
    return out


def events(
    rows: Sequence[tuple[Any, ...]], *, backend: str = "numpy_nullable", day: str = "2024-03-04"
) -> pd.DataFrame:
    """An agent-activity frame from ``(agent, "HH:MM[:SS]" or a timestamp, activity[, reason])``.

    A bare clock time is on ``day`` in UTC.
    """
    records = []
    for row in rows:
        agent, when, activity = row[:3]
        reason = row[3] if len(row) > 3 else None
        stamp = pd.Timestamp(f"{day} {when}" if isinstance(when, str) and len(when) <= 8 else when)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        records.append(
            {"agent_id": agent, "event_time": stamp, "activity": activity, "reason_code": reason}
        )
    df = pd.DataFrame(records, columns=["agent_id", "event_time", "activity", "reason_code"])
    return with_contract_dtypes(df, AGENT_ACTIVITY, backend)


def performance(
    rows: Sequence[dict[str, Any]],
    *,
    backend: str = "numpy_nullable",
    day: str = "2024-03-04",
    length: pd.Timedelta = QUARTER,
) -> pd.DataFrame:
    """An agent-performance frame: each row ``{agent, start ("HH:MM"), queue, <column>: value}``.

    Durations are given in minutes (``handle=12`` is 12 minutes of
    conversation_handle_time); other columns by contract name; the rest are 0.
    """
    short = {
        "handle": "conversation_handle_time",
        "talk": "conversation_talk_time",
        "hold": "hold_duration",
        "acw": "acw_duration",
    }
    records = []
    for row in rows:
        begin = pd.Timestamp(f"{day} {row['start']}", tz="UTC")
        record: dict[str, Any] = {
            "agent_id": row["agent"],
            "interval_start": begin,
            "interval_end": begin + row.get("length", length),
            "queue_id": row.get("queue", "q1"),
            "queue_name": row.get("queue_name", f"Queue {row.get('queue', 'q1')}"),
        }
        for column in AGENT_PERFORMANCE.columns:
            if column.kind == "int":
                record[column.name] = 0
            elif column.kind == "duration":
                record[column.name] = pd.Timedelta(0)
        record["csat_score"] = None
        for key, value in row.items():
            if key in ("agent", "start", "queue", "queue_name", "length"):
                continue
            name = short.get(key, key)
            if name in short.values() and value is not None and not isinstance(value, pd.Timedelta):
                value = pd.Timedelta(minutes=value)
            record[name] = pd.NaT if value is None and name in short.values() else value
        records.append(record)
    df = pd.DataFrame(records, columns=AGENT_PERFORMANCE.column_names())
    return with_contract_dtypes(df, AGENT_PERFORMANCE, backend)
