"""Which point estimate of "answered within T" is closest to the truth: a seeded comparison.

A record carries, of its ``A`` answered contacts, only the total wait ``S`` and the
longest ``M``; :func:`cvframe._analytics._service_level.missed_bounds` bounds the number
that waited longer than ``T`` and estimates it. This script simulates quarter hours of
several wait distributions contact by contact, aggregates them as the API does (whole
milliseconds; total and longest), and compares candidate estimates of the contacts that
missed, each clipped to the bounds, against the true count: the mean absolute error and
the mean error (bias) of the service level (answered within T / answered) per quarter
hour and per day (the day's counts summed over its quarter hours, as
``resample_intervals(sl_threshold=...)`` carries them).

Run ``python benchmarks/sl_estimators.py [--days N] [--seed S]`` from the repository
root; it prints a markdown table (the README's). ``tests/analytics/test_sl_estimator.py``
runs the same code at a smaller size.

Distributions (threshold 20 s, a daily load curve peaking at 14:00):

* ``queue``: an M/M/N+M FCFS queue (``tests/_queue_sim.py``; AHT 240 s, patience
  90 s), loads from 2 to 100 Erlangs, staffed above and below the load: an atom of
  immediate answers plus a tail;
* ``exponential``: mean 5 to 45 s with the load;
* ``lognormal``: median 3 to 23 s, sigma 1.2 (a heavy tail);
* ``uniform``: on [0, 10 to 60 s];
* ``emulator``: ``cvframe.emulator``'s own, exponential with mean 4 + 55·load² s.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cvframe._analytics._service_level import missed_bounds  # noqa: E402
from tests._queue_sim import simulate_queue  # noqa: E402

#: The service-level threshold of every simulated record, ms.
THRESHOLD_MS = 20_000.0
QUARTERS_PER_DAY = 96
DEFAULT_DAYS = 40
DEFAULT_SEED = 14

#: queue distribution: (offered load in Erlangs, servers) per simulated queue.
QUEUE_CONFIGS: tuple[tuple[float, int], ...] = (
    (2.0, 3),
    (8.0, 8),
    (8.0, 10),
    (20.0, 19),
    (20.0, 22),
    (50.0, 48),
    (50.0, 54),
    (100.0, 104),
)
QUEUE_AHT_S = 240.0
QUEUE_PATIENCE_S = 90.0


@dataclass(frozen=True)
class Records:
    """Quarter-hour aggregates of one distribution and each record's true misses."""

    answered: np.ndarray  # A
    total_wait: np.ndarray  # S, ms
    max_wait: np.ndarray  # M, ms
    missed: np.ndarray  # the true number of answered contacts that waited > T
    day: np.ndarray  # which simulated day each record belongs to


def _aggregate(waits: list[np.ndarray], day: list[int]) -> Records:
    """Per record: A, S, M of its whole-millisecond waits, and how many exceed T."""
    ms = [np.rint(w * 1000.0) for w in waits]
    return Records(
        np.array([len(w) for w in ms], dtype=np.float64),
        np.array([w.sum() for w in ms], dtype=np.float64),
        np.array([w.max() if len(w) else 0.0 for w in ms], dtype=np.float64),
        np.array([(w > THRESHOLD_MS).sum() for w in ms], dtype=np.float64),
        np.array(day),
    )


def _loads(days: int) -> Iterator[tuple[int, float]]:
    """(day, load in (0, 1]) of each quarter hour: a daily curve peaking at 14:00."""
    hours = np.arange(QUARTERS_PER_DAY) / 4.0
    curve = 0.05 + 0.95 * np.exp(-(((hours - 14.0) / 3.5) ** 2))
    for d in range(days):
        for load in curve:
            yield d, float(load)


def _independent(
    rng: np.random.Generator, days: int, draw: Callable[[float, int], np.ndarray]
) -> Records:
    """Records whose waits (s) are drawn independently, ``draw(load, n)``; A ~ Poisson(40·load)."""
    waits, day = [], []
    for d, load in _loads(days):
        waits.append(draw(load, int(rng.poisson(40.0 * load))))
        day.append(d)
    return _aggregate(waits, day)


def _queue(seed: int, days: int) -> Records:
    """Answered waits of simulated M/M/N+M queues, cut into quarter hours by arrival."""
    waits: list[np.ndarray] = []
    day: list[int] = []
    per_config = max(1, days // len(QUEUE_CONFIGS))
    for i, (load, servers) in enumerate(QUEUE_CONFIGS):
        rate = load / QUEUE_AHT_S
        horizon = per_config * QUARTERS_PER_DAY * 900.0
        warmup = 3600.0
        n = int((horizon + warmup) * rate * 1.05) + 100
        contacts = simulate_queue(
            arrival_rate=rate,
            aht=QUEUE_AHT_S,
            patience=QUEUE_PATIENCE_S,
            servers=servers,
            contacts=n,
            seed=seed * 1000 + i,
        ).measured(warmup)
        quarter = ((contacts.arrival - warmup) // 900.0).astype(np.int64)
        keep = contacts.answered & (quarter < per_config * QUARTERS_PER_DAY)
        order = np.argsort(quarter[keep], kind="stable")
        q, w = quarter[keep][order], contacts.wait[keep][order]
        bounds = np.searchsorted(q, np.arange(per_config * QUARTERS_PER_DAY + 1))
        for k in range(per_config * QUARTERS_PER_DAY):
            waits.append(w[bounds[k] : bounds[k + 1]])
            day.append(i * per_config + k // QUARTERS_PER_DAY)
    return _aggregate(waits, day)


def simulate(seed: int = DEFAULT_SEED, days: int = DEFAULT_DAYS) -> dict[str, Records]:
    """Each distribution's quarter-hour records, ``days`` days of them, seeded."""
    rng = np.random.default_rng(seed)
    return {
        "queue": _queue(seed, days),
        "exponential": _independent(rng, days, lambda load, n: rng.exponential(5 + 40 * load, n)),
        "lognormal": _independent(
            rng, days, lambda load, n: rng.lognormal(np.log(3 + 20 * load), 1.2, n)
        ),
        "uniform": _independent(rng, days, lambda load, n: rng.uniform(0, 10 + 50 * load, n)),
        "emulator": _independent(rng, days, lambda load, n: rng.exponential(4 + 55 * load**2, n)),
    }


# --------------------------------------------------------------------------- estimators

Estimator = Callable[
    [np.ndarray, np.ndarray, np.ndarray, float, np.ndarray, np.ndarray], np.ndarray
]


def current(
    a: np.ndarray, s: np.ndarray, m: np.ndarray, t: float, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """The estimate before issue 14: the longest one miss, the others exponential (uncut)."""
    others = np.maximum(a - 1.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = np.where(others > 0, np.maximum(s - m, 0.0) / others, 0.0)
        tail = np.where(mean > 0, np.exp(-t / np.where(mean > 0, mean, 1.0)), 0.0)
    return np.where((a > 0) & (m > t), 1.0 + others * tail, 0.0)


def midpoint(
    a: np.ndarray, s: np.ndarray, m: np.ndarray, t: float, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """The middle of the bounds."""
    return (low + high) / 2.0


def truncated_exponential(
    a: np.ndarray, s: np.ndarray, m: np.ndarray, t: float, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """The longest one miss; the others exponential truncated at M, rate solved from their mean."""
    others = np.maximum(a - 1.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(
            (others > 0) & (m > 0), np.maximum(s - m, 0.0) / others / np.where(m > 0, m, 1.0), 0.5
        )
    tail = _truncated_tail(
        np.clip(ratio, 1e-9, 1 - 1e-9), np.where(m > 0, t / np.where(m > 0, m, 1.0), 1.0)
    )
    return np.where((a > 0) & (m > t), 1.0 + others * tail, 0.0)


def _truncated_tail(ratio: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(X > x | X <= 1) for X with density proportional to exp(-c·x) on [0, 1] (any real
    c), c solved by bisection from E[X] = ratio."""
    lo, hi = np.full_like(ratio, -1e4), np.full_like(ratio, 1e4)
    for _ in range(80):  # the mean falls as c grows
        c = (lo + hi) / 2.0
        mean = _truncated_mean(c)
        lo, hi = np.where(mean > ratio, c, lo), np.where(mean > ratio, hi, c)
    c = (lo + hi) / 2.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        small = np.abs(c) < 1e-9
        safe = np.where(small, 1.0, c)
        rising = np.expm1(safe * (1.0 - x)) / np.expm1(safe)
        falling = (np.exp(-safe * x) - np.exp(-safe)) / -np.expm1(-safe)
        tail = np.where(safe > 0, falling, rising)
    return np.clip(np.where(small, 1.0 - x, tail), 0.0, 1.0)


def _truncated_mean(c: np.ndarray) -> np.ndarray:
    """E[X] for X with density proportional to exp(-c·x) on [0, 1]."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        small = np.abs(c) < 1e-6
        safe = np.where(small, 1.0, c)
        mean = 1.0 / safe - 1.0 / np.expm1(safe)
    return np.where(small, 0.5 - c / 12.0, mean)


def _harmonic(k: np.ndarray) -> np.ndarray:
    """H_k for real k >= 1 (the expected maximum of k unit exponentials), ~1e-6 accurate."""
    k = np.asarray(k, dtype=np.float64)
    # H_k = ψ(k + 1) + γ; asymptotic series after shifting k up by 6.
    shifted = k + 7.0
    psi = np.log(shifted) - 1 / (2 * shifted) - 1 / (12 * shifted**2) + 1 / (120 * shifted**4)
    for j in range(1, 7):
        psi = psi - 1.0 / (k + j)
    return psi + 0.5772156649015329


def atom_exponential(
    a: np.ndarray, s: np.ndarray, m: np.ndarray, t: float, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """An atom at 0 plus ``K`` exponential waits, ``K`` chosen so their expected maximum is M.

    ``K`` exponential waits with total ``S`` have rate ``K / S`` and expected longest
    ``H_K · S / K``; ``K`` in ``[1, A]`` solves ``H_K / K = M / S`` (``H_K / K`` falls
    with ``K``), and ``K·exp(-T·K / S)`` of them exceed T.
    """
    target = np.where(s > 0, m / np.where(s > 0, s, 1.0), 1.0)
    lo, hi = np.ones_like(a), np.maximum(a, 1.0)
    for _ in range(50):
        k = (lo + hi) / 2.0
        ratio = _harmonic(k) / k
        lo, hi = np.where(ratio > target, k, lo), np.where(ratio > target, hi, k)
    k = (lo + hi) / 2.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        missed = np.where(s > 0, k * np.exp(-t * k / np.where(s > 0, s, 1.0)), 0.0)
    return np.where(a > 0, missed, 0.0)


def _positive_count(a: np.ndarray, s: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``K`` in ``[1, A]`` with ``H_K / K = M / S``: K exponential waits expect a longest of M."""
    target = np.where(s > 0, m / np.where(s > 0, s, 1.0), 1.0)
    lo, hi = np.ones_like(a), np.maximum(a, 1.0)
    for _ in range(50):  # bisection: H_K / K falls as K grows
        k = (lo + hi) / 2.0
        ratio = _harmonic(k) / k
        lo, hi = np.where(ratio > target, k, lo), np.where(ratio > target, hi, k)
    return (lo + hi) / 2.0


def atom_truncated(
    a: np.ndarray, s: np.ndarray, m: np.ndarray, t: float, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """An atom at 0 (``A - K`` waits, ``K`` as in :func:`atom_exponential`), the longest one
    miss, the other ``K - 1`` exponential truncated at M with their mean."""
    k = np.minimum(_positive_count(a, s, m), a)
    others = np.maximum(k - 1.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(
            (others > 0) & (m > 0),
            np.maximum(s - m, 0.0) / np.where(others > 0, others, 1.0) / np.where(m > 0, m, 1.0),
            0.5,
        )
    tail = _truncated_tail(
        np.clip(ratio, 1e-9, 1 - 1e-9), np.where(m > 0, t / np.where(m > 0, m, 1.0), 1.0)
    )
    return np.where((a > 0) & (m > t), 1.0 + others * tail, 0.0)


def blend(
    a: np.ndarray, s: np.ndarray, m: np.ndarray, t: float, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Half the midpoint, half the truncated exponential (clipped)."""
    return 0.5 * midpoint(a, s, m, t, low, high) + 0.5 * np.clip(
        truncated_exponential(a, s, m, t, low, high), low, high
    )


#: The candidates compared, by name.
ESTIMATORS: Mapping[str, Estimator] = {
    "current": current,
    "midpoint": midpoint,
    "truncated_exponential": truncated_exponential,
    "atom_exponential": atom_exponential,
    "atom_truncated": atom_truncated,
    "blend": blend,
}


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Row:
    """One estimator on one distribution: errors of the service level (estimate − truth)."""

    distribution: str
    estimator: str
    mae_quarter: float
    bias_quarter: float
    mae_day: float
    bias_day: float
    within_bounds: bool


def estimates(records: Records) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The bounds on the misses and each candidate's estimate, clipped to them."""
    a, s, m = records.answered, records.total_wait, records.max_wait
    low, _, high = missed_bounds(a, s, m, np.zeros(len(a), dtype=bool), THRESHOLD_MS)
    return (
        low,
        high,
        {
            name: np.clip(estimator(a, s, m, THRESHOLD_MS, low, high), low, high)
            for name, estimator in ESTIMATORS.items()
        },
    )


def compare(seed: int = DEFAULT_SEED, days: int = DEFAULT_DAYS) -> list[Row]:
    """Every estimator on every distribution, then ``overall`` (the mean over distributions)."""
    rows: list[Row] = []
    for distribution, records in simulate(seed, days).items():
        a, truth = records.answered, records.missed
        low, high, candidates = estimates(records)
        some = a > 0
        day_answered = np.bincount(records.day, weights=a)
        day_truth = np.bincount(records.day, weights=truth)
        days_some = day_answered > 0
        for name, missed in candidates.items():
            error = (truth[some] - missed[some]) / a[some]  # SL estimate − SL truth
            day_missed = np.bincount(records.day, weights=missed)
            day_error = (day_truth - day_missed)[days_some] / day_answered[days_some]
            inside = bool(np.all((low <= missed) & (missed <= high)))
            inside &= bool(np.all((low <= truth) & (truth <= high)))
            rows.append(
                Row(
                    distribution,
                    name,
                    float(np.abs(error).mean()),
                    float(error.mean()),
                    float(np.abs(day_error).mean()),
                    float(day_error.mean()),
                    inside,
                )
            )
    for name in ESTIMATORS:
        mine = [row for row in rows if row.estimator == name]

        def mean(field: str, mine: list[Row] = mine) -> float:
            return float(np.mean([getattr(row, field) for row in mine]))

        rows.append(
            Row(
                "overall",
                name,
                mean("mae_quarter"),
                mean("bias_quarter"),
                mean("mae_day"),
                mean("bias_day"),
                all(row.within_bounds for row in mine),
            )
        )
    return rows


def overall_score(row: Row) -> float:
    """What the choice minimises: the mean of the quarter-hour and the day MAE."""
    return (row.mae_quarter + row.mae_day) / 2.0


def best(rows: list[Row]) -> str:
    """The estimator with the lowest overall score."""
    overall = [row for row in rows if row.distribution == "overall"]
    return min(overall, key=overall_score).estimator


def markdown(rows: list[Row]) -> str:
    """The comparison as a markdown table."""
    lines = [
        "| distribution | estimator | MAE per quarter hour | bias per quarter hour "
        "| MAE per day | bias per day |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.distribution} | {row.estimator} | {row.mae_quarter:.4f} | "
            f"{row.bias_quarter:+.4f} | {row.mae_day:.4f} | {row.bias_day:+.4f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    rows = compare(args.seed, args.days)
    print(markdown(rows))
    print()
    print(f"lowest overall error: {best(rows)}")


if __name__ == "__main__":
    main()
