"""Synthetic inputs for the benchmarks: API page bytes and large contract frames."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cvframe._frame import arrow_schema, frame_from_tables

_SLOT_MS = 15 * 60 * 1000
_EPOCH_MS = int(pd.Timestamp("2023-01-02", tz="UTC").value // 1_000_000)

# One record in the API's wire format, with the values a busy queue has; the page
# builder varies what must vary (id, queue, interval) and leaves the rest.
_TEMPLATE = (
    '{{"_id":"{id}","intervalStartTimeStamp":"{start}","orgId":"o-8aa0607b-1d81",'
    '"queueId":"qu-{queue:08x}-19ca-49ac-a085-2292bba5","source":"rtm","__v":0,'
    '"intervalEndTimeStamp":"{end}","offeredContacts":{offered},"answeredContacts":{answered},'
    '"maxQueueHoldTimeAnswered":{maxwait},"queueHoldTimeAnswered":{wait},"acwDuration":{acw},'
    '"completedContacts":{answered},"conversationHandleTime":{handle},'
    '"conversationTalkTime":{talk},"holdDuration":0,"messageCount":0,"savedMessageCount":0,'
    '"csatResponses":{csat},"csatScore":{score},"abandonedContacts":{abandoned},'
    '"maxqueueHoldTimeAbandoned":{maxaband},"queueHoldTimeAbandoned":{aband},'
    '"iId":"st-b6ff0557-e54b-5ac1-946f","queueName":"Queue {queue}"}}'
)


@lru_cache(maxsize=4096)
def _stamp(ms: int) -> str:
    return pd.Timestamp(ms, unit="ms", tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.000Z")


def page_bytes(skip: int, limit: int, total: int, *, queues: int = 100) -> bytes:
    """The API's page at ``skip`` of a window of ``total`` records, in API order."""
    rng = np.random.default_rng(skip)
    stop = min(skip + limit, total)
    n = stop - skip
    offered = rng.integers(1, 40, n)
    abandoned = rng.integers(0, 5, n) % (1 + offered // 8)
    answered = offered - abandoned
    talk = answered * rng.integers(150_000, 400_000, n)
    acw = answered * 20_000
    parts = []
    for i, (o, ab, an, tk, ac) in enumerate(
        zip(
            offered.tolist(),
            abandoned.tolist(),
            answered.tolist(),
            talk.tolist(),
            acw.tolist(),
            strict=True,
        )
    ):
        slot, queue = divmod(skip + i, queues)
        start = _EPOCH_MS + slot * _SLOT_MS
        parts.append(
            _TEMPLATE.format(
                id=f"{skip + i:024x}",
                start=_stamp(start),
                end=_stamp(start + _SLOT_MS),
                queue=queue,
                offered=o,
                answered=an,
                abandoned=ab,
                wait=an * 9_000,
                maxwait=40_000,
                aband=ab * 30_000,
                maxaband=60_000 if ab else 0,
                talk=tk,
                acw=ac,
                handle=tk + ac,
                csat=an // 5,
                score=4 * (an // 5),
            )
        )
    body = ",".join(parts)
    more = "true" if stop < total else "false"
    return f'{{"hasMore":{more},"CallVolumeUpdate":[{body}],"totalCount":{total}}}'.encode()


def pages(total: int, page_size: int = 1000) -> Iterator[bytes]:
    """Every page of a window of ``total`` records."""
    for skip in range(0, total, page_size):
        yield page_bytes(skip, page_size, total)


def interval_frame(queues: int, days: int, *, seed: int = 0) -> pd.DataFrame:
    """A contract frame of ``queues`` x ``days`` x 96 intervals, every interval present."""
    rng = np.random.default_rng(seed)
    slots = days * 96
    n = queues * slots
    start = _EPOCH_MS + np.repeat(np.arange(slots, dtype=np.int64) * _SLOT_MS, queues)
    queue = np.tile(np.arange(queues), slots)
    offered = rng.poisson(12, n)
    abandoned = rng.binomial(offered, 0.06)
    answered = offered - abandoned
    talk = answered * rng.integers(150_000, 400_000, n)
    hold = answered * rng.integers(0, 20_000, n)
    acw = answered * 20_000
    wait = answered * rng.integers(1_000, 30_000, n)
    csat = rng.binomial(answered, 0.2)
    queue_ids = pa.array([f"qu-{q:08x}-19ca-49ac-a085-2292bba5" for q in range(queues)])
    queue_names = pa.array([f"Queue {q}" for q in range(queues)])
    ids = pc.utf8_lpad(pa.array(np.arange(n)).cast(pa.string()), 24, "0")
    queue_index = pa.array(queue)
    columns = {
        "id": ids,
        "org_id": pa.array(["o-8aa0607b-1d81"]).take(np.zeros(n, np.int64)),
        "queue_id": queue_ids.take(queue_index),
        "queue_name": queue_names.take(queue_index),
        "instance_id": pa.array(["st-b6ff0557"]).take(np.zeros(n, np.int64)),
        "source": pa.array(["rtm"]).take(np.zeros(n, np.int64)),
        "version": np.zeros(n, np.int64),
        "interval_start": start,
        "interval_end": start + _SLOT_MS,
        "offered_contacts": offered,
        "answered_contacts": answered,
        "completed_contacts": answered,
        "abandoned_contacts": abandoned,
        "message_count": np.zeros(n, np.int64),
        "saved_message_count": np.zeros(n, np.int64),
        "csat_responses": csat,
        "csat_score": (csat * 4).astype(np.float64),
        "queue_hold_time_answered": wait,
        "max_queue_hold_time_answered": np.where(
            answered > 0, wait // np.maximum(answered, 1) * 3, 0
        ),
        "queue_hold_time_abandoned": abandoned * 30_000,
        "max_queue_hold_time_abandoned": np.where(abandoned > 0, 60_000, 0),
        "conversation_handle_time": talk + hold + acw,
        "conversation_talk_time": talk,
        "hold_duration": hold,
        "acw_duration": acw,
    }
    schema = arrow_schema()
    arrays = [
        pa.array(columns[f.name]).cast(f.type)
        if not isinstance(columns[f.name], pa.Array)
        else columns[f.name]
        for f in schema
    ]
    table = pa.Table.from_arrays(arrays, schema=schema)
    return frame_from_tables([table])


def page_records(body: bytes) -> list[dict]:
    """The records of a page (for the naive route)."""
    return json.loads(body)["CallVolumeUpdate"]
