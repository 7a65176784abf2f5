"""The bucket calendar: which bucket of ``freq`` on the clock of ``tz`` holds an instant.

How buckets are found: every 15-minute slot (UTC) around the data is

1. read on the wall clock of ``tz``;
2. floored to ``freq`` there (a multiple of minutes or days from the Unix epoch, a
   week or a calendar month);
3. mapped back to an instant, keeping the slot's own UTC offset when the floored
   wall time exists with it (so at a fall-back the repeated hour is a bucket of its
   own), else the first instant the wall clock shows it;
4. and, if that instant is earlier than the previous slot's (the wall clock went back
   into a bucket that has ended), given the previous slot's bucket instead.

Consecutive slots with the same result form a bucket, from its first slot to the end
of its last, which is what makes a local day 23 or 25 hours long on a DST day without
a special case. A record belongs to the bucket that holds its start and must end in it.
Instants are milliseconds since the epoch (UTC) throughout.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from ._blocks import row_blocks

__all__ = [
    "FREQUENCY_PATTERN",
    "INTERVAL_LENGTH",
    "Buckets",
    "Frequency",
    "bucket_grid",
    "bucket_span",
    "check_edge",
    "check_multiple",
    "duration_words",
    "instant_text",
    "parse_freq",
    "to_utc_ms",
]

#: The length of one API record's interval. A fixed ``freq`` must be a whole multiple
#: of it (and of the intervals of the frame being resampled).
INTERVAL_LENGTH = pd.Timedelta(minutes=15)

_MS_PER_DAY = 86_400_000
_EPOCH = pd.Timestamp(0, tz="UTC")
#: More than any DST shift (the largest in tzdata is 2 hours), for margins around data.
_DST_SLACK_MS = 3 * 3_600_000
_SLOT_MS = int(INTERVAL_LENGTH / pd.Timedelta(milliseconds=1))


@dataclass(frozen=True)
class Frequency:
    """A bucket length as cvframe understands it: fixed, days, a week or a month."""

    kind: Literal["fixed", "day", "week", "month"]
    text: str
    step_ms: int = 0
    #: First day of the week, Monday = 0 (weeks only).
    week_start: int = 0

    def floor_wall(self, wall_ms: np.ndarray) -> np.ndarray:
        """Floor wall-clock times (ms since the epoch, read as naive) to bucket starts."""
        if self.kind in ("fixed", "day"):
            return (wall_ms // self.step_ms) * self.step_ms
        if self.kind == "week":
            days = wall_ms // _MS_PER_DAY
            weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
            return (days - (weekday - self.week_start) % 7) * _MS_PER_DAY
        months = wall_ms.astype("datetime64[ms]").astype("datetime64[M]")
        return months.astype("datetime64[ms]").astype(np.int64)

    def longest_ms(self) -> int:
        """An upper bound on the length of one bucket, DST days included."""
        if self.kind == "week":
            return 7 * _MS_PER_DAY + _DST_SLACK_MS
        if self.kind == "month":
            return 31 * _MS_PER_DAY + _DST_SLACK_MS
        return self.step_ms + _DST_SLACK_MS

    def index_offset(self) -> pd.DateOffset:
        """The pandas offset that steps from one bucket start to the next."""
        if self.kind == "week":
            return to_offset(f"W-{_WEEKDAYS[self.week_start]}")
        if self.kind == "month":
            return to_offset("MS")
        if self.kind == "day":
            return to_offset(f"{self.step_ms // _MS_PER_DAY}D")
        return to_offset(pd.Timedelta(milliseconds=self.step_ms))


_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


#: The frequency strings cvframe accepts, the same on pandas 2.2 and 3.x (whose aliases
#: differ: "M" and "H" mean month end and hour on 2.2 and are refused by 3.x, and "ME"
#: is a month *end*, not the month-start buckets cvframe makes): an optional whole
#: number, then ``min``, ``h``, ``s`` or ``ms`` (a fixed length), ``D`` (days); or one
#: ``W`` / ``W-MON`` ... ``W-SUN`` (a week) or ``MS`` (a calendar month). Timedeltas and
#: pandas offsets of those kinds are accepted too. The README's resampling section
#: lists the same set.
FREQUENCY_PATTERN = re.compile(
    r"(?P<n>[0-9]*)(?P<unit>min|h|s|ms|D|W(?:-(?:MON|TUE|WED|THU|FRI|SAT|SUN))?|MS)"
)

_ACCEPTED_TEXT = (
    "cvframe accepts a fixed length that is a whole multiple of the data's interval "
    "length ('15min', '30min', '45min', '1h', '90min', '2h'; units 'min', 'h', 's', "
    "'ms'), days ('D', '7D'), a week ('W', Monday to Sunday, or 'W-SAT', 'W-MON' ... "
    "'W-SUN' for the week ending that day) or a calendar month ('MS'), or a Timedelta "
    "or pandas offset of those kinds"
)

#: Alias letters users may try -> what to use instead.
_FREQ_HINTS: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "M",
            "ME",
            "BM",
            "BME",
            "CBME",
            "SM",
            "SME",
            "BMS",
            "SMS",
            "CBMS",
            "Q",
            "QE",
            "QS",
            "BQ",
            "BQE",
            "BQS",
            "Y",
            "YE",
            "YS",
            "A",
            "AS",
            "BY",
            "BYE",
            "BYS",
        ),
        "for calendar buckets use 'MS' (one calendar month, labelled by its first day); "
        "month-end, quarter and year buckets are not supported",
    ),
    "W": "a week bucket is one week: use 'W', 'W-SAT' ..., or '7D' for seven days",
    "MS": "a calendar-month bucket is one month: use 'MS'",
    **dict.fromkeys(
        ("B", "C", "BH", "CBH"),
        "business-day buckets are not supported: use 'D' (local calendar days)",
    ),
    "H": "use 'h' for hours",
    "T": "use 'min' for minutes",
    "MIN": "use 'min' for minutes",
    "S": "use 's' for seconds",
    "L": "use 'ms' for milliseconds",
}


def _freq_refused(freq: Any, text: str = "") -> ValueError:
    """The ValueError for an unsupported ``freq``: what was given, a hint, the accepted set."""
    letters = text.lstrip("0123456789").split("-")[0]
    hint = _FREQ_HINTS.get(letters) or _FREQ_HINTS.get(letters.upper(), "")
    shown = freq.freqstr if isinstance(freq, pd.offsets.BaseOffset) else freq
    return ValueError(
        f"freq {shown!r} is not supported{'; ' + hint if hint else ''}. {_ACCEPTED_TEXT}"
    )


def parse_freq(freq: Any) -> Frequency:
    """Read ``freq`` (an accepted alias, a DateOffset or a Timedelta) as a Frequency."""
    if isinstance(freq, str):
        text = freq.strip()
        match = FREQUENCY_PATTERN.fullmatch(text)
        one_only = match is not None and match["unit"][0] in "WM"
        if match is None or (one_only and match["n"] not in ("", "1")):
            raise _freq_refused(freq, text)
        offset = to_offset(text)
    elif isinstance(freq, pd.Timedelta | dt.timedelta | np.timedelta64):
        delta = pd.Timedelta(freq)
        if delta is pd.NaT:
            raise _freq_refused(freq)
        offset = to_offset(delta)
    elif isinstance(freq, pd.offsets.BaseOffset):
        offset = freq
    else:
        raise _freq_refused(freq)
    text = offset.freqstr
    if isinstance(offset, pd.offsets.Day):  # a Tick in pandas 2, a calendar day in 3
        if offset.n < 1:
            raise ValueError(f"freq must be positive, got {text!r}")
        return Frequency("day", text, step_ms=offset.n * _MS_PER_DAY)
    if isinstance(offset, pd.offsets.Tick):
        step = pd.Timedelta(offset)
        if step <= pd.Timedelta(0):
            raise ValueError(f"freq must be positive, got {text!r}")
        return Frequency("fixed", text, step_ms=int(step / pd.Timedelta(milliseconds=1)))
    if type(offset) is pd.offsets.Week and offset.n == 1 and offset.weekday is not None:
        # "W-SUN" (pandas' "W") is the week that ends on Sunday: it starts on Monday.
        return Frequency("week", text, week_start=(offset.weekday + 1) % 7)
    if type(offset) is pd.offsets.MonthBegin and offset.n == 1:
        return Frequency("month", text)
    raise _freq_refused(offset, text)


def duration_words(ms: int) -> str:
    """A length in words: '15 minutes', '1 hour', '90 seconds'."""
    for unit, size in (
        ("day", _MS_PER_DAY),
        ("hour", 3_600_000),
        ("minute", 60_000),
        ("second", 1000),
    ):
        if ms % size == 0:
            n = ms // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{ms} ms"


def _wall_ms(utc_ms: np.ndarray, tz: str) -> np.ndarray:
    if tz == "UTC":
        return utc_ms
    index = pd.DatetimeIndex(utc_ms.astype("datetime64[ms]")).tz_localize("UTC")
    return np.asarray(index.tz_convert(tz).tz_localize(None).as_unit("ms").asi8, dtype=np.int64)


def _bucket_labels(utc_ms: np.ndarray, freq: Frequency, tz: str) -> np.ndarray:
    """The instant (UTC ms) that labels the bucket of each instant in ``utc_ms``."""
    wall = _wall_ms(utc_ms, tz)
    floor = freq.floor_wall(wall)
    if tz == "UTC":
        return floor
    # Keep the instant's own UTC offset where the floored wall time exists with it.
    labels = floor - (wall - utc_ms)
    other = np.flatnonzero(_wall_ms(labels, tz) != floor)
    if len(other):
        labels[other] = _first_showing(floor[other], labels[other], utc_ms[other], tz)
    return labels


def _first_showing(floor: np.ndarray, before: np.ndarray, after: np.ndarray, tz: str) -> np.ndarray:
    """The first instant from which the wall clock of ``tz`` shows ``floor`` or later.

    ``floor`` is a wall time (ms, naive) that the clock does not show with the offset
    of ``after``, an instant that shows it or later; ``before`` is ``floor`` read with
    that offset. A wall time shown twice (a fall-back) gives its first instant; one
    never shown (a spring-forward gap, 30 or 45 minutes long in some zones) gives the
    end of the gap. pandas' ``nonexistent="shift_forward"`` is not used: it moves a
    time in a 30-minute gap a whole hour on.
    """
    naive = pd.DatetimeIndex(floor.astype("datetime64[ms]"))
    candidates = []
    for ambiguous in (True, False):  # which side is "DST" varies by zone: take the earlier
        local = naive.tz_localize(
            tz, ambiguous=np.full(len(naive), ambiguous), nonexistent="NaT"
        ).as_unit("ms")
        candidates.append(np.where(local.isna(), np.iinfo(np.int64).max, local.asi8))
    first = np.minimum(*candidates)
    gap = first == np.iinfo(np.int64).max
    if gap.any():
        # In a gap the clock jumps past ``floor`` at the transition, which lies after
        # ``before`` (whose clock is still short of it) and no later than ``after``:
        # bisect to the millisecond where it first shows ``floor`` or later.
        lo, hi = np.minimum(before[gap], after[gap]), after[gap].copy()
        target = floor[gap]
        while (hi - lo > 1).any():
            mid = lo + (hi - lo) // 2
            reached = _wall_ms(mid, tz) >= target
            hi = np.where(reached, mid, hi)
            lo = np.where(reached, lo, mid)
        first[gap] = hi
    return first


@dataclass(frozen=True)
class Buckets:
    """Consecutive buckets: each one's start and end (UTC ms), sorted, end = next start."""

    start: np.ndarray
    end: np.ndarray

    def locate(self, instants: np.ndarray) -> np.ndarray:
        """Position of the bucket that holds each instant (-1 before the first)."""
        if len(self.start) > 1 and len(instants) > len(self.start):
            step = int(self.start[1] - self.start[0])
            if np.all(np.diff(self.start) == step) and np.all(self.end - self.start == step):
                # Buckets of one length (UTC, or hours of most zones): arithmetic,
                # the same answer as the binary search without its log factor (and
                # in place: one array of the instants' length, no temporary).
                where = instants - self.start[0]
                where //= step
                if where.min() < -1 or where.max() > len(self.start) - 1:
                    return np.clip(where, -1, len(self.start) - 1)
                return where  # the usual case: every instant on the grid, no copy
        return np.searchsorted(self.start, instants, side="right") - 1

    def locate_spans(self, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, int | None]:
        """The bucket holding each ``[start, end)`` span, and the first one that straddles two.

        The position is that of the span's first row not wholly inside the bucket of its
        start (None when every span nests in one bucket); the caller words the refusal.
        """
        where = self.locate(start)
        for block in row_blocks(len(where)):  # small temporaries, reused block after block
            inside = where[block]
            bad = (start[block] < self.start[inside]) | (end[block] > self.end[inside])
            if bad.any():
                return where, block.start + int(np.flatnonzero(bad)[0])
        return where, None


def bucket_grid(lo_ms: int, hi_ms: int, freq: Frequency, tz: str) -> Buckets:
    """Every bucket that meets ``[lo_ms, hi_ms)``, read off a grid of slots around it."""
    slot = math.gcd(_SLOT_MS, freq.step_ms) if freq.kind == "fixed" else _SLOT_MS
    margin = freq.longest_ms() + _MS_PER_DAY
    begin = lo_ms - margin
    begin -= begin % slot
    slots = np.arange(begin, hi_ms + margin, slot, dtype=np.int64)
    # Where the wall clock goes back (a fall-back), a slot may floor to a bucket that
    # already ended; it joins the bucket in progress instead, so buckets never go back.
    labels = np.maximum.accumulate(_bucket_labels(slots, freq, tz))
    change = np.flatnonzero(np.diff(labels)) + 1
    first_slot = np.concatenate([[0], change])
    after_last = np.concatenate([change, [len(slots)]])
    start = slots[first_slot]
    end = slots[after_last - 1] + slot
    # The first and last buckets of the grid may be cut short by it: never keep them.
    keep = (end > lo_ms) & (start < hi_ms) & (first_slot > 0) & (after_last < len(slots))
    return Buckets(start[keep], end[keep])


def to_utc_ms(value: Any, tz: str, *, name: str) -> int:
    """A timestamp argument as an instant (UTC ms); a naive one is read on the clock of ``tz``."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be a timestamp, got {value!r}") from None
    if stamp is pd.NaT:
        raise ValueError(f"{name} must be a timestamp, got {value!r}")
    if stamp.tzinfo is None:
        return _local_ms(stamp, tz, name=name, value=value)
    return int((stamp.tz_convert("UTC") - _EPOCH) // pd.Timedelta(milliseconds=1))


#: More than any UTC offset (they range from -12:00 to +14:00): a search window.
_OFFSET_SLACK_MS = 15 * 3_600_000


def _local_ms(stamp: pd.Timestamp, tz: str, *, name: str, value: Any) -> int:
    """A naive wall time read on the clock of ``tz``, or ValueError if it is skipped or repeated."""
    naive = pd.DatetimeIndex([stamp]).as_unit("ms")
    instants = [
        naive.tz_localize(tz, ambiguous=np.array([side]), nonexistent="NaT")
        for side in (True, False)
    ]
    if instants[0].isna().all():
        wall = np.asarray(naive.asi8, dtype=np.int64)
        after = _first_showing(wall, wall - _OFFSET_SLACK_MS, wall + _OFFSET_SLACK_MS, tz)
        raise ValueError(
            f"{name} ({value!r}) is a wall time that the clock of {tz} skips (it jumps forward "
            f"there); pass a timezone-aware timestamp, e.g. {instant_text(int(after[0]), tz)}, the "
            "first instant after the gap"
        )
    first, second = sorted(int(i.asi8[0]) for i in instants)
    if first != second:
        raise ValueError(
            f"{name} ({value!r}) is a wall time that the clock of {tz} shows twice (it goes "
            f"back there); pass it with its UTC offset: {instant_text(first, tz)} (the first time) "
            f"or {instant_text(second, tz)} (the second)"
        )
    return first


def check_multiple(freq: Frequency, lengths_ms: np.ndarray) -> None:
    """ValueError unless a fixed ``freq`` is a whole multiple of every record's length."""
    if freq.kind != "fixed":
        return
    if not len(lengths_ms):
        lengths_ms = np.array([_SLOT_MS])
    shortest, longest = int(lengths_ms.min()), int(lengths_ms.max())
    if shortest == longest:  # the usual case: every record is one interval long
        lengths_ms = lengths_ms[:1]
    # One pass over the rows; only the lengths that fail are sorted (for the message).
    misfit = freq.step_ms % np.maximum(lengths_ms, 1) != 0
    for length in np.unique(lengths_ms[misfit]):
        if freq.step_ms % int(length):
            raise ValueError(
                f"freq {freq.text!r} is not a whole multiple of the data's interval length "
                f"({duration_words(int(length))}); pass a multiple of it"
            )


def instant_text(ms: int, tz: str) -> str:
    """An instant (UTC ms) as text on the clock of ``tz``, for messages."""
    return str(pd.Timestamp(int(ms), unit="ms", tz="UTC").tz_convert(tz))


def check_edge(
    grid: Buckets, edge: int | None, freq: Frequency, tz: str, *, name: str, at_end: bool
) -> None:
    """ValueError unless ``edge`` (the ``start`` or ``end`` argument) is a bucket boundary."""
    if edge is None:
        return
    i = int(grid.locate(np.array([edge - 1 if at_end else edge]))[0])
    bound = grid.end[i] if at_end else grid.start[i]
    if bound != edge:
        raise ValueError(
            f"{name} ({instant_text(edge, tz)}) is not a boundary of the {freq.text!r} buckets in "
            f"{tz}; the nearest one before it is {instant_text(grid.start[i], tz)}"
        )


def bucket_span(
    first_start_ms: int, last_start_ms: int, last_end_ms: int, freq: Any, tz: str
) -> tuple[int, int]:
    """The start of the bucket holding the first record and the end of the last's (UTC ms).

    For records whose earliest start, latest start and latest end are given: the span
    over which every part of a split frame is resampled, so that all fill the same gaps.
    """
    grid = bucket_grid(first_start_ms, last_end_ms, parse_freq(freq), tz)
    where = grid.locate(np.array([first_start_ms, last_start_ms], dtype=np.int64))
    return int(grid.start[where[0]]), int(grid.end[where[1]])
