"""Synthetic, deterministic call-volume records in the API's exact wire format.

Each (queue, UTC day) is generated on its own from a seeded generator, so any
window is the same whichever way it is asked for. Volumes follow a daily curve
(morning and afternoon peaks, quiet nights) and a weekly one (quiet weekends);
waits and abandons grow with load; handle time = talk + hold + after-call work;
durations are integer milliseconds, as the real API sends them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "INTERVAL",
    "QueueSpec",
    "SyntheticData",
    "default_queues",
    "format_ts",
    "stable_hex",
    "uuidish",
]

#: The API's record interval.
INTERVAL = timedelta(minutes=15)
_PER_DAY = 96
_WEEKLY = (1.15, 1.05, 1.0, 1.0, 0.95, 0.5, 0.35)  # Monday .. Sunday
_CSAT_P = (0.05, 0.07, 0.13, 0.35, 0.40)  # ratings 1..5


@dataclass(frozen=True)
class QueueSpec:
    """One synthetic queue: its ids, peak contacts per interval and channel."""

    queue_id: str
    name: str
    peak: float
    mean_talk_s: float
    chat: bool = False


def stable_hex(*parts: object, length: int) -> str:
    """``length`` hex digits fixed by ``parts``: the emulator's ids, the same on every run."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:length]


def uuidish(prefix: str, *parts: object) -> str:
    """A UUID-shaped id after ``prefix`` (``qu-1a2b...``), fixed by ``parts``."""
    h = stable_hex(prefix, *parts, length=32)
    return f"{prefix}-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


_QUEUE_TEMPLATES = (
    ("Billing", 22.0, 280.0, False),
    ("Tech Support", 16.0, 420.0, False),
    ("Sales", 10.0, 330.0, False),
    ("Chat Care", 12.0, 520.0, True),
    ("Retention", 6.0, 460.0, False),
    ("Claims", 9.0, 390.0, False),
)


def default_queues(count: int, seed: int) -> tuple[QueueSpec, ...]:
    """``count`` queues with plausible names and volumes, ids fixed by ``seed``."""
    specs = []
    for i in range(count):
        name, peak, talk, chat = _QUEUE_TEMPLATES[i % len(_QUEUE_TEMPLATES)]
        if i >= len(_QUEUE_TEMPLATES):
            name = f"{name} {i // len(_QUEUE_TEMPLATES) + 1}"
        specs.append(QueueSpec(uuidish("qu", seed, i), name, peak, talk, chat))
    return tuple(specs)


def format_ts(moment: datetime) -> str:
    """``2023-06-01T09:45:00.000Z``, the API's timestamp format (four-digit years)."""
    # strftime's %Y writes 999 for 0999 on glibc, which sorts after 2023 as text.
    return (
        f"{moment.year:04d}-"
        + moment.strftime("%m-%dT%H:%M:%S.")
        + (f"{moment.microsecond // 1000:03d}Z")
    )


def _daily_curve() -> np.ndarray:
    hours = (np.arange(_PER_DAY) + 0.5) / 4.0
    curve = (
        0.04 + np.exp(-(((hours - 10.5) / 2.4) ** 2)) + 0.8 * np.exp(-(((hours - 15.0) / 2.6) ** 2))
    )
    return np.asarray(curve / curve.max())


_CURVE = _daily_curve()


def _millis(seconds: np.ndarray) -> np.ndarray:
    return np.asarray(np.rint(seconds * 1000), dtype=np.int64)


class SyntheticData:
    """The records of one emulated account, per queue and UTC day."""

    def __init__(
        self,
        *,
        seed: int,
        queues: tuple[QueueSpec, ...],
        org_id: str,
        instance_id: str,
    ) -> None:
        self.seed = seed
        self.queues = queues
        self.org_id = org_id
        self.instance_id = instance_id
        self._day = lru_cache(maxsize=4096)(self._generate_day)

    def day(self, queue_index: int, day: date) -> list[dict[str, Any]]:
        """The records of one queue on one UTC day, in interval order (cached)."""
        return self._day(queue_index, day)

    def _generate_day(self, queue_index: int, day: date) -> list[dict[str, Any]]:
        spec = self.queues[queue_index]
        rng = np.random.default_rng([self.seed, queue_index, day.toordinal()])
        lam = spec.peak * _CURVE * _WEEKLY[day.weekday()] * rng.uniform(0.9, 1.1)
        load = lam / (spec.peak * 1.15)
        offered = rng.poisson(lam)
        abandoned = rng.binomial(offered, 0.015 + 0.09 * load**2)
        answered = offered - abandoned
        completed = answered - rng.binomial(answered, 0.01)

        def per_contact(counts: np.ndarray) -> np.ndarray:
            return np.repeat(np.arange(_PER_DAY), counts)

        # Waits of answered contacts: mostly short, long when the queue is busy.
        ans_idx = per_contact(answered)
        mean_wait_s = 4.0 + 55.0 * load[ans_idx] ** 2
        ans_wait = np.rint(rng.exponential(mean_wait_s) * 1000).astype(np.int64)
        aband_idx = per_contact(abandoned)
        aband_wait = np.rint(rng.exponential(35.0, size=aband_idx.size) * 1000).astype(np.int64)

        comp_idx = per_contact(completed)
        n = comp_idx.size
        talk = _millis(rng.lognormal(np.log(spec.mean_talk_s) - 0.18, 0.6, n))
        hold = _millis(np.where(rng.random(n) < 0.18, rng.exponential(45.0, n), 0.0))
        acw = _millis(rng.gamma(2.0, 15.0, n))
        handle = talk + hold + acw

        responses = rng.binomial(completed, 0.15)
        ratings = rng.choice(np.arange(1, 6), size=int(responses.sum()), p=_CSAT_P)
        # csatScore is the average rating of the interval's responses (as the newer API
        # pages document), an integer on the wire ("for example, 4"): rounded half up.
        rating_sum = np.bincount(per_contact(responses), weights=ratings, minlength=_PER_DAY)
        score = np.floor(rating_sum / np.maximum(responses, 1) + 0.5) * (responses > 0)

        def total(idx: np.ndarray, values: np.ndarray) -> np.ndarray:
            return np.bincount(idx, weights=values, minlength=_PER_DAY).astype(np.int64)

        def maximum(idx: np.ndarray, values: np.ndarray) -> np.ndarray:
            out = np.zeros(_PER_DAY, dtype=np.int64)
            np.maximum.at(out, idx, values)
            return out

        sums = {
            "queueHoldTimeAnswered": total(ans_idx, ans_wait),
            "maxQueueHoldTimeAnswered": maximum(ans_idx, ans_wait),
            "queueHoldTimeAbandoned": total(aband_idx, aband_wait),
            "maxqueueHoldTimeAbandoned": maximum(aband_idx, aband_wait),
            "conversationHandleTime": total(comp_idx, handle),
            "conversationTalkTime": total(comp_idx, talk),
            "holdDuration": total(comp_idx, hold),
            "acwDuration": total(comp_idx, acw),
        }
        if spec.chat:
            messages = rng.poisson(14.0 * completed)
            saved = rng.binomial(messages, 0.9)
        else:
            messages = saved = np.zeros(_PER_DAY, dtype=np.int64)

        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        records = []
        for i in np.flatnonzero(offered):
            start = midnight + int(i) * INTERVAL
            start_text = format_ts(start)
            record: dict[str, Any] = {
                "_id": stable_hex(self.seed, spec.queue_id, start_text, length=24),
                "intervalStartTimeStamp": start_text,
                "orgId": self.org_id,
                "queueId": spec.queue_id,
                "source": "rtm",
                "__v": 0,
                "intervalEndTimeStamp": format_ts(start + INTERVAL),
                "offeredContacts": int(offered[i]),
                "answeredContacts": int(answered[i]),
                "maxQueueHoldTimeAnswered": int(sums["maxQueueHoldTimeAnswered"][i]),
                "queueHoldTimeAnswered": int(sums["queueHoldTimeAnswered"][i]),
                "acwDuration": int(sums["acwDuration"][i]),
                "completedContacts": int(completed[i]),
                "conversationHandleTime": int(sums["conversationHandleTime"][i]),
                "conversationTalkTime": int(sums["conversationTalkTime"][i]),
                "holdDuration": int(sums["holdDuration"][i]),
                "messageCount": int(messages[i]),
                "savedMessageCount": int(saved[i]),
                "csatResponses": int(responses[i]),
                "csatScore": int(score[i]),
                "abandonedContacts": int(abandoned[i]),
                "maxqueueHoldTimeAbandoned": int(sums["maxqueueHoldTimeAbandoned"][i]),
                "queueHoldTimeAbandoned": int(sums["queueHoldTimeAbandoned"][i]),
                "iId": self.instance_id,
                "queueName": spec.name,
            }
            records.append(record)
        return records
