"""Who worked when: shifts, agent performance and agent activity, from the call volume.

Everything here follows from the seed and the call-volume records of one UTC day
(:class:`~cvframe.emulator._data.SyntheticData`), day by day and cached, so any
window is the same however it is asked for. The rules, which the tests check on the
served payloads:

- **Shifts.** Each queue is staffed so that its own agents on duty can carry its
  handle time at 85% of the interval (765 s) each, their slots hold all of it, and
  one agent at least is on duty at any time (a 24/7 centre). Shifts start on
  interval boundaries, greedily where staff is short of that need, and last eight
  hours, or six or four where the need has passed by then; afterwards each is cut
  by whole hours (to four at least) where the later shifts cover what it would
  leave. They are cut at midnight UTC, and an agent works at most one shift a day.
  A shift has a 15-minute break (``notready``, reason ``"1"``) after about two hours
  (and six), a 30-minute lunch (``"2"``) after about four, sometimes a 15-minute
  meeting (``"3"``) after three: each within half an hour of that time where its
  queue keeps its need without the agent, else skipped. Where a queue still has
  agents beyond its need, some go to offline work (``notready``, ``"3"``), one
  interval at a time, at most one interval per two hours of a shift, as a
  supervisor would release them. Breaks and offline work fill whole intervals; the
  agent handles nothing then. Shifts that touch midnight go to agents of
  alternating pool parity on alternate days, so no agent logs out at midnight and
  in again at the same second. Measured occupancy (handle over available time) of
  four queues on a weekday is thus about 74% from 08:00 to 18:00 UTC (69-78% over
  four seeds and two weeks), about 62% over the day (57-67%) and 17-26% at night,
  with 20-25% in-shift shrinkage; weekends are quieter (about 58% by day).
  ``tests/emulator/test_occupancy.py`` pins the bands.
- **Agent performance.** For every queue and interval, the call-volume record's
  ``answeredContacts``, ``completedContacts`` and durations (talk, hold, after-call
  work; handle = their sum) are split exactly among the agents on duty who take
  that queue's contacts (integers that sum back to the record's). An agent of one
  queue may carry 810 s of it in an interval; an agent of two, 720 s of its own
  queue's and 90 s of its second's; so no agent carries more than
  ``AGENT_CAPACITY_MS`` (810 s, 90% of the interval). ``offeredContacts`` =
  ``answeredContacts`` (every contact routed to an agent is accepted),
  ``abandonedContacts`` = 0 (contacts abandon in the queue, before routing),
  ``transferredContacts`` about 6% of completed, ``csatScore`` an integer 1-5 where
  the agent's split of the record's CSAT responses is not empty, absent otherwise.
  A queue appears in an agent's interval when it sent the agent any work. When an
  interval's few contacts are longer than the agents' slots (the record puts a
  contact's whole handle time in one interval), agents beyond the contacts carry
  handle time with no completed contact.
- **Agent activity.** Event times are whole seconds. In each interval of a shift the
  agent is ``busy`` for ``floor((talk + hold) / 1000)`` seconds of its agent
  performance (all queues together), in ``acw`` for ``floor(acw / 1000)`` seconds,
  and ``available`` the rest (so busy and acw are within one second below the
  milliseconds, and the state times of an interval sum to its 900 seconds). Its
  contacts come as busy/acw stretches between available ones. The first event of a
  shift is the state entered at its start; ``logout`` ends it. ``ReasonCode`` is
  ``"1"``/``"2"``/``"3"`` for ``notready`` and ``"0"`` for every other activity.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np

from ._agents import AgentSpec, agent_pool
from ._data import INTERVAL, SyntheticData, format_ts
from ._split import capped_shares, split_exactly

__all__ = [
    "NO_REASON",
    "Event",
    "WorkforceData",
]

_PER_DAY = 96
_INTERVAL_S = int(INTERVAL.total_seconds())
#: The shifts' lengths, in intervals: eight, six and four hours.
_SHIFTS = (32, 24, 16)
#: The lengths a shift may be cut to afterwards: seven hours down to four, by the hour.
_CUTS = (28, 24, 20, 16)
#: A shift is as long as there is still work short of staff in its last two hours.
_SHIFT_TAIL = 8
#: ``ReasonCode`` of every activity but ``notready``.
NO_REASON = "0"
_BREAK, _LUNCH, _MEETING = "1", "2", "3"
#: A shift's breaks: (planned interval from its start, reason, intervals long).
_BREAK_PLAN = ((8, _BREAK, 1), (16, _LUNCH, 2), (24, _BREAK, 1))
_MEETING_SHARE = 0.2
_TRANSFER_SHARE = 0.06
#: The handle time a queue's agents are sized to carry each: 85% of the interval.
_TARGET_LOAD_MS = 765_000
#: At most one interval of offline work per this many intervals of a shift (2 hours).
_OFFLINE_SPAN = 8
#: Streams of the day's generator, apart from the call volume's (queue indexes).
_SCHEDULE_STREAM = 1_000_003
_WORK_STREAM = 1_000_033
_ACTIVITY_STREAM = 1_000_037


@dataclass(frozen=True)
class Event:
    """One agent state change: seconds since the epoch (UTC), agent, activity, reason."""

    at: int
    agent_id: str
    activity: str
    reason_code: str


@dataclass
class _Shift:
    agent: AgentSpec
    start: int  # first interval of the day
    end: int  # the interval it ends before (96: midnight)
    breaks: dict[int, str] = field(default_factory=dict)  # interval -> reason code

    def working(self, i: int) -> bool:
        return self.start <= i < self.end and i not in self.breaks


@dataclass(frozen=True)
class _Day:
    #: agent id -> its intervals of the day, as served: ``{intervalStartTimeStamp,
    #: intervalEndTimeStamp, queues: [...]}`` in time order.
    performance: dict[str, list[dict[str, Any]]]
    events: list[Event]


class WorkforceData:
    """The agents of one emulated account, and what they did each UTC day (cached)."""

    def __init__(self, data: SyntheticData) -> None:
        self.data = data
        self.agents = agent_pool(data.seed, data.queues)
        self._pools = [[a for a in self.agents if a.queue == q] for q in range(len(data.queues))]
        self._lock = threading.Lock()
        self._day = lru_cache(maxsize=512)(self._generate_day)

    def day(self, day: date) -> _Day:
        """The performance and events of the shifts of one UTC day (cached)."""
        with self._lock:  # one generation per day, even under concurrent requests
            return self._day(day)

    def performance(
        self, first: date, last: date, lo: datetime | None, hi: datetime | None
    ) -> list[dict[str, Any]]:
        """``{agentId, intervals}`` of the days ``[first, last)``, intervals starting in
        ``[lo, hi)``, for the agents with any, sorted by agent id."""
        lo_text = "" if lo is None else format_ts(lo)
        hi_text = "~" if hi is None else format_ts(hi)
        merged: dict[str, list[dict[str, Any]]] = {}
        for day in _days(first, last):
            for agent_id, intervals in self.day(day).performance.items():
                kept = [i for i in intervals if lo_text <= i["intervalStartTimeStamp"] < hi_text]
                if kept:
                    merged.setdefault(agent_id, []).extend(kept)
        return [{"agentId": a, "intervals": merged[a]} for a in sorted(merged)]

    def events(self, first: date, last: date, lo: datetime, hi: datetime) -> list[Event]:
        """The events of the shifts of days ``[first, last)`` with a time in ``[lo, hi)``,
        by time, then agent."""
        lo_s, hi_s = lo.timestamp(), hi.timestamp()
        return [
            e for day in _days(first, last) for e in self.day(day).events if lo_s <= e.at < hi_s
        ]

    # ------------------------------------------------------------------ one day
    def _generate_day(self, day: date) -> _Day:
        queues = range(len(self.data.queues))
        records = [{_slot(r): r for r in self.data.day(q, day)} for q in queues]
        shifts = self._schedule(day, records)
        work = self._allocate(day, records, shifts)
        performance: dict[str, list[dict[str, Any]]] = {}
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for (agent_id, i), entries in sorted(work.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            start = midnight + i * INTERVAL
            performance.setdefault(agent_id, []).append(
                {
                    "intervalStartTimeStamp": format_ts(start),
                    "intervalEndTimeStamp": format_ts(start + INTERVAL),
                    "queues": entries,
                }
            )
        events = self._activity(day, shifts, work)
        return _Day(performance, events)

    def _schedule(self, day: date, records: list[dict[int, dict[str, Any]]]) -> list[_Shift]:
        """Shifts that staff every queue in every interval of the day (greedily), their
        breaks, and offline work where a queue has staff to spare."""
        rng = np.random.default_rng([self.data.seed, _SCHEDULE_STREAM, day.toordinal()])
        parity = day.toordinal() % 2
        covers = [_Cover.of(by_slot) for by_slot in records]
        orders = [list(rng.permutation(len(pool))) for pool in self._pools]
        used: set[str] = set()
        shifts: list[_Shift] = []
        for i in range(_PER_DAY):
            for q, cover in enumerate(covers):
                while cover.short(i):
                    end = min(i + _shift_length(cover, i), _PER_DAY)
                    at_midnight = i == 0 or end == _PER_DAY
                    agent = self._free_agent(q, orders[q], used, parity if at_midnight else None)
                    used.add(agent.agent_id)
                    shifts.append(_Shift(agent, i, end))
                    cover.add(i, end, agent.slot(q))
        for shift in shifts:  # shorter where the staff after it covers its end
            _trim(shift, covers[shift.agent.queue])
        for shift in shifts:
            q = shift.agent.queue
            shift.breaks = _breaks(rng, shift, covers[q])
        _offline(rng, shifts, covers)
        return shifts

    def _free_agent(
        self, queue: int, order: list[int], used: set[str], parity: int | None
    ) -> AgentSpec:
        pool = self._pools[queue]
        for k in order:
            agent = pool[k]
            if agent.agent_id not in used and (parity is None or agent.place % 2 == parity):
                return agent
        raise RuntimeError(  # the pool is sized so that this never happens
            f"the emulator's pool of {len(pool)} agents cannot staff queue "
            f"{self.data.queues[queue].name!r}; this is a bug of the emulator"
        )

    def _allocate(
        self,
        day: date,
        records: list[dict[int, dict[str, Any]]],
        shifts: list[_Shift],
    ) -> dict[tuple[str, int], list[dict[str, Any]]]:
        """(agent id, interval) -> its queue entries: each record split among agents."""
        rng = np.random.default_rng([self.data.seed, _WORK_STREAM, day.toordinal()])
        work: dict[tuple[str, int], list[dict[str, Any]]] = {}
        by_interval: list[list[AgentSpec]] = [[] for _ in range(_PER_DAY)]
        for shift in shifts:
            for i in range(shift.start, shift.end):
                if shift.working(i):
                    by_interval[i].append(shift.agent)
        for i in range(_PER_DAY):
            on_duty = sorted(by_interval[i], key=lambda a: a.agent_id)
            for q, by_slot in enumerate(records):
                record = by_slot.get(i)
                if record is None:
                    continue
                takers = [a for a in on_duty if q in a.queues()]
                for agent, entry in zip(takers, _split_record(rng, q, record, takers), strict=True):
                    if entry is not None:
                        work.setdefault((agent.agent_id, i), []).append(entry)
        return work

    def _activity(
        self,
        day: date,
        shifts: list[_Shift],
        work: dict[tuple[str, int], list[dict[str, Any]]],
    ) -> list[Event]:
        """Each shift's state changes, consistent with the agent's performance."""
        rng = np.random.default_rng([self.data.seed, _ACTIVITY_STREAM, day.toordinal()])
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        events: list[Event] = []
        for shift in sorted(shifts, key=lambda s: (s.start, s.agent.agent_id)):
            agent_id = shift.agent.agent_id
            state: tuple[str, str] | None = None

            def enter(at: int, activity: str, reason: str = NO_REASON) -> None:
                nonlocal state
                if state != (activity, reason):
                    events.append(Event(at, agent_id, activity, reason))  # noqa: B023
                    state = (activity, reason)

            for i in range(shift.start, shift.end):
                t = midnight + i * _INTERVAL_S
                if i in shift.breaks:
                    enter(t, "notready", shift.breaks[i])
                    continue
                for activity, seconds in _stretches(rng, work.get((agent_id, i), [])):
                    if seconds > 0:
                        enter(t, activity)
                        t += seconds
            events.append(Event(midnight + shift.end * _INTERVAL_S, agent_id, "logout", NO_REASON))
        events.sort(key=lambda e: (e.at, e.agent_id))
        return events


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day < last:
        yield day
        day += timedelta(days=1)


def _slot(record: dict[str, Any]) -> int:
    """A record's interval of its UTC day (0 .. 95)."""
    start = datetime.fromisoformat(record["intervalStartTimeStamp"].replace("Z", "+00:00"))
    return (start.hour * 60 + start.minute) // 15


@dataclass
class _Cover:
    """One queue's staffing over a day: what each interval needs, what it has."""

    #: Agents needed: its handle time at ``_TARGET_LOAD_MS`` each, one at least.
    need: np.ndarray
    #: The handle time (ms) its agents carry.
    handle: np.ndarray
    #: Agents on duty (breaks count off), and the handle time their slots hold.
    working: np.ndarray
    room: np.ndarray

    @classmethod
    def of(cls, by_slot: dict[int, dict[str, Any]]) -> _Cover:
        handle = np.zeros(_PER_DAY, dtype=np.int64)
        for i, record in by_slot.items():
            handle[i] = int(record.get("conversationHandleTime", 0))
        need = np.maximum(1, -(-handle // _TARGET_LOAD_MS))
        zeros = np.zeros(_PER_DAY, dtype=np.int64)
        return cls(need, handle, zeros, zeros.copy())

    def short(self, i: int) -> bool:
        """Whether interval ``i`` wants another shift: staff short of the need, or
        slots short of the handle time."""
        return bool(self.working[i] < self.need[i] or self.room[i] < self.handle[i])

    def short_in(self, span: slice) -> bool:
        """Whether any interval of ``span`` has fewer agents than its need."""
        return bool((self.need[span] > self.working[span]).any())

    def spare(self, i: int, slot: int) -> bool:
        """Whether interval ``i`` keeps its need without an agent of this ``slot``."""
        return bool(self.working[i] > self.need[i] and self.room[i] - slot >= self.handle[i])

    def add(self, start: int, end: int, slot: int) -> None:
        self.working[start:end] += 1
        self.room[start:end] += slot

    def leave(self, i: int, slot: int) -> None:
        self.working[i] -= 1
        self.room[i] -= slot


def _shift_length(cover: _Cover, start: int) -> int:
    """The longest shift from ``start`` whose last two hours are still short of staff."""
    for length in _SHIFTS[:-1]:
        end = start + length
        if end >= _PER_DAY:
            return length  # cut at midnight anyway
        if cover.short_in(slice(end - _SHIFT_TAIL, end)):
            return length
    return _SHIFTS[-1]


def _trim(shift: _Shift, cover: _Cover) -> None:
    """Cut a shift by whole hours, to four at least, where the others cover what it
    would leave (when it was placed, the later shifts were not)."""
    slot = shift.agent.slot(shift.agent.queue)
    for length in _CUTS:
        if shift.end - shift.start <= length:
            continue  # already as short (cut at midnight)
        cut = range(shift.start + length, shift.end)
        if not all(cover.spare(i, slot) for i in cut):
            return
        for i in cut:
            cover.leave(i, slot)
        shift.end = shift.start + length


def _breaks(rng: np.random.Generator, shift: _Shift, cover: _Cover) -> dict[int, str]:
    """A shift's breaks (interval -> reason), each within half an hour of its planned
    time where the queue keeps its need without the agent (``cover`` counts it off);
    never in the first or last interval, never next to another break."""
    start, end, slot = shift.start, shift.end, shift.agent.slot(shift.agent.queue)
    plan = list(_BREAK_PLAN)
    if rng.random() < _MEETING_SHARE:
        plan.append((12, _MEETING, 1))
    breaks: dict[int, str] = {}
    for planned, reason, length in plan:
        for offset in rng.permutation(5).tolist():
            first = start + planned + offset - 2
            span = range(first, first + length)
            if first <= start or span[-1] >= end - 1:
                continue
            if any(k in breaks for i in span for k in (i - 1, i, i + 1)):
                continue
            if all(cover.spare(i, slot) for i in span):
                for i in span:
                    breaks[i] = reason
                    cover.leave(i, slot)
                break
    return breaks


def _offline(rng: np.random.Generator, shifts: list[_Shift], covers: list[_Cover]) -> None:
    """Offline work (``notready``, reason ``"3"``) in the intervals where a queue has
    agents to spare beyond its need, as a supervisor would release them: whole
    intervals, the agents with the least offline time first, at most one interval per
    ``_OFFLINE_SPAN`` of a shift, never in its first or last interval."""
    for q, cover in enumerate(covers):
        mine = [s for s in shifts if s.agent.queue == q]
        slot = [s.agent.slot(q) for s in mine]
        limit = [(s.end - s.start) // _OFFLINE_SPAN for s in mine]
        taken = [0] * len(mine)
        ties = rng.random(len(mine)).tolist()
        for i in range(_PER_DAY):
            if cover.working[i] <= cover.need[i]:
                continue
            candidates = sorted(
                (taken[k], ties[k], k)
                for k, s in enumerate(mine)
                if s.start < i < s.end - 1 and i not in s.breaks and taken[k] < limit[k]
            )
            for _, _, k in candidates:
                if not cover.spare(i, slot[k]):
                    break
                mine[k].breaks[i] = _MEETING
                cover.leave(i, slot[k])
                taken[k] += 1


def _split_record(
    rng: np.random.Generator, queue: int, record: dict[str, Any], takers: list[AgentSpec]
) -> list[dict[str, Any] | None]:
    """One record's work split among the agents who take its queue (None: no share)."""
    if not takers:
        raise RuntimeError("an interval with contacts has no agent on duty: an emulator bug")
    slots = [a.slot(queue) for a in takers]
    weights = [
        s * u for s, u in zip(slots, rng.uniform(0.7, 1.3, len(slots)).tolist(), strict=True)
    ]
    completed = int(record.get("completedContacts", 0))
    answered = int(record.get("answeredContacts", 0))
    handle = int(record.get("conversationHandleTime", 0))
    # The agents who take part: the heaviest weights first, as many as there are
    # contacts, more if their slots cannot hold the handle time.
    order = sorted(range(len(takers)), key=lambda k: (-weights[k], k))
    count = max(1, min(len(takers), max(completed, answered)))
    room = sum(slots[k] for k in order[:count])
    while count < len(takers) and room < handle:
        room += slots[order[count]]
        count += 1
    part = order[:count]
    n_completed = [0] * len(takers)
    with_contacts = part[: min(len(part), completed)]
    for k, extra in zip(
        with_contacts,
        split_exactly(completed - len(with_contacts), [weights[k] for k in with_contacts]),
        strict=True,
    ):
        n_completed[k] = 1 + extra
    n_open = [0] * len(takers)
    for k, n in zip(
        part, split_exactly(answered - completed, [weights[k] for k in part]), strict=True
    ):
        n_open[k] = n
    duration_weights = [weights[k] * (n_completed[k] + 0.25) for k in part]
    shares = capped_shares(handle, duration_weights, [slots[k] for k in part])
    durations: dict[str, list[int]] = {}
    for name in ("conversationTalkTime", "holdDuration", "acwDuration"):
        values = split_exactly(int(record.get(name, 0)), shares)
        durations[name] = [0] * len(takers)
        for k, v in zip(part, values, strict=True):
            durations[name][k] = v
    responses = [0] * len(takers)
    for k, n in zip(
        part,
        split_exactly(int(record.get("csatResponses", 0)), [n_completed[k] for k in part]),
        strict=True,
    ):
        responses[k] = n
    score = int(record.get("csatScore", 0)) or 4
    out: list[dict[str, Any] | None] = []
    for k in range(len(takers)):
        talk = durations["conversationTalkTime"][k]
        hold = durations["holdDuration"][k]
        acw = durations["acwDuration"][k]
        answered_k = n_completed[k] + n_open[k]
        if not (answered_k or talk or hold or acw):
            out.append(None)
            continue
        entry: dict[str, Any] = {
            "queueId": record["queueId"],
            "queueName": record.get("queueName", ""),
            "offeredContacts": answered_k,
            "answeredContacts": answered_k,
            "abandonedContacts": 0,
            "completedContacts": n_completed[k],
            "transferredContacts": int(rng.binomial(n_completed[k], _TRANSFER_SHARE))
            if n_completed[k]
            else 0,
            "conversationHandleTime": talk + hold + acw,
            "conversationTalkTime": talk,
            "acwDuration": acw,
            "holdDuration": hold,
        }
        if responses[k]:
            entry["csatScore"] = min(5, max(1, score + int(rng.integers(-1, 2))))
        out.append(entry)
    return out


def _stretches(rng: np.random.Generator, entries: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """An interval of a shift as (activity, seconds) stretches summing to 900 seconds."""
    busy = sum(e["conversationTalkTime"] + e["holdDuration"] for e in entries) // 1000
    acw = sum(e["acwDuration"] for e in entries) // 1000
    contacts = sum(e["answeredContacts"] for e in entries)
    if busy + acw == 0:
        return [("available", _INTERVAL_S)]
    k = max(1, contacts)
    # One draw for the whole interval: k - 1 cuts of busy and of acw, k of idle time.
    draws = rng.random(3 * k - 2).tolist()
    busy_parts = _cut(busy, draws[: k - 1])
    acw_parts = _cut(acw, draws[k - 1 : 2 * k - 2])
    idle_parts = _cut(_INTERVAL_S - busy - acw, draws[2 * k - 2 :])
    out = [("available", idle_parts[0])]
    for b, a, idle in zip(busy_parts, acw_parts, idle_parts[1:], strict=True):
        out += [("busy", b), ("acw", a), ("available", idle)]
    return out


def _cut(total: int, draws: list[float]) -> list[int]:
    """``total`` seconds cut at ``draws`` (uniform in [0, 1)) into whole-second parts."""
    if not draws:
        return [total]
    cuts = [0, *sorted(int(d * (total + 1)) for d in draws), total]
    return [b - a for a, b in pairwise(cuts)]
