"""Erlang C or Erlang A: which predicts the service level a queue with hang-ups delivers.

A seeded comparison on simulated quarter hours. Each quarter hour of a New York day
(07:00-22:00) is an M/M/N+M queue (``tests/_queue_sim.py``, contact by contact, warmed
up for an hour so that it is in its steady state): a load curve with a late-morning
and an afternoon peak, from a few to about 50 Erlangs; AHT 4-6 minutes; a mean
patience of 1-3 minutes per day. The agents are those a planner would have had:
Erlang C's required agents for 80% in 20 s on a forecast that is off by ~12%, less
each day's absence (0-12% of them) and, over lunch, another 10%.

Each quarter hour is aggregated as the API reports it (offered, answered, abandoned,
total and longest wait of the answered and of the abandoned contacts, handle time).
From those alone: the load ``offered × AHT / 15 min`` with ``AHT = handle time /
answered``, and the mean patience by the exponential-patience MLE ``(total wait of all
contacts) / abandoned`` (the answered contacts' waits are patience censored by an
answer), per quarter hour (infinite, i.e. Erlang C, where nobody abandoned) or pooled
over the day. With the agents the queue really had, Erlang C and Erlang A
(``cvframe.erlang.service_level``) predict the service level over offered (answered
within 20 s / offered), which is compared with what the simulated queue delivered.

Run ``python benchmarks/erlang_fit.py [--days N] [--seed S]`` from the repository
root; it prints a markdown table (the README's).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cvframe import erlang  # noqa: E402
from tests._queue_sim import simulate_queue  # noqa: E402

#: The quarter hour, the service-level threshold and target, seconds and share.
INTERVAL_S, THRESHOLD_S, TARGET = 900.0, 20.0, 0.8
#: Quarter hours of a day: 07:00 to 22:00 New York.
FIRST_HOUR, LAST_HOUR = 7, 22
#: Simulated time before the measured quarter hour (the queue starts empty).
WARMUP_S = 3600.0


def load_curve(hour: np.ndarray) -> np.ndarray:
    """Erlangs by hour of day: peaks near 10:30 (~45) and 15:00 (~38), ~3 at the edges."""
    morning = 42.0 * np.exp(-0.5 * ((hour - 10.5) / 1.6) ** 2)
    afternoon = 35.0 * np.exp(-0.5 * ((hour - 15.0) / 2.0) ** 2)
    return 3.0 + morning + afternoon


@dataclass(frozen=True)
class Day:
    """One simulated day's quarter hours, aggregated as the API reports them."""

    day: np.ndarray
    agents: np.ndarray
    true_load: np.ndarray
    true_aht_s: np.ndarray
    true_patience_s: np.ndarray
    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    wait_answered_s: np.ndarray  # total
    wait_abandoned_s: np.ndarray  # total
    handle_s: np.ndarray  # total, answered contacts
    within: np.ndarray  # answered within the threshold (what the queue delivered)


def simulate_interval(
    rng: np.random.Generator, load: float, aht: float, patience: float, agents: int
) -> tuple[float, ...]:
    """One quarter hour after the warm-up: the API's aggregates and the answered within T."""
    rate = load / aht
    span = WARMUP_S + INTERVAL_S
    contacts = int(rate * span + 8.0 * math.sqrt(rate * span) + 50)
    seed = int(rng.integers(2**63))
    if agents == 0:  # nobody to answer: everyone who arrives hangs up
        offered = int(rng.poisson(rate * INTERVAL_S))
        waits = rng.exponential(patience, offered)
        return (offered, 0, offered, 0.0, float(waits.sum()), 0.0, 0)
    for _ in range(20):  # bounded: the contacts must outlast the span
        sim = simulate_queue(
            arrival_rate=rate,
            aht=aht,
            patience=patience,
            servers=agents,
            contacts=contacts,
            seed=seed,
        )
        if sim.arrival[-1] > span:
            break
        contacts *= 2
    else:
        raise RuntimeError("the simulated arrivals did not cover the quarter hour")
    keep = (sim.arrival >= WARMUP_S) & (sim.arrival < span)
    answered, wait, handle = sim.answered[keep], sim.wait[keep], sim.handle[keep]
    return (
        int(keep.sum()),
        int(answered.sum()),
        int((~answered).sum()),
        float(wait[answered].sum()),
        float(wait[~answered].sum()),
        float(handle[answered].sum()),
        int((answered & (wait <= THRESHOLD_S)).sum()),
    )


def simulate(days: int, seed: int) -> Day:
    """``days`` days of quarter hours, seeded; weekends carry 60% of a weekday's load."""
    rng = np.random.default_rng(seed)
    hours = FIRST_HOUR + np.arange((LAST_HOUR - FIRST_HOUR) * 4) / 4.0 + 0.125
    columns: dict[str, list[float]] = {name: [] for name in Day.__dataclass_fields__}
    for day in range(days):
        scale = (0.6 if day % 7 in (5, 6) else 1.0) * rng.lognormal(0.0, 0.08)
        aht_day = rng.uniform(240.0, 330.0)
        patience = rng.uniform(60.0, 180.0)
        absence = rng.uniform(0.0, 0.12)
        loads = load_curve(hours) * scale * rng.lognormal(0.0, 0.05, hours.size)
        ahts = np.clip(aht_day * rng.lognormal(0.0, 0.06, hours.size), 240.0, 360.0)
        forecast = loads * rng.lognormal(0.0, 0.12, hours.size)
        planned = erlang.required_agents(
            pd.Series(forecast * INTERVAL_S / ahts),
            pd.Series(pd.to_timedelta(np.full(hours.size, aht_day), unit="s")),
            "15min",
            sl_target=TARGET,
            sl_threshold=f"{THRESHOLD_S:g}s",
        ).to_numpy(np.int64)
        lunch = (hours >= 12.0) & (hours < 14.0)
        missing = np.where(lunch, absence + 0.10, absence)
        agents = planned - rng.binomial(planned, np.clip(missing, 0.0, 0.9))
        for i in range(hours.size):
            aggregates = simulate_interval(rng, loads[i], ahts[i], patience, int(agents[i]))
            row = (day, agents[i], loads[i], ahts[i], patience, *aggregates)
            for name, value in zip(Day.__dataclass_fields__, row, strict=True):
                columns[name].append(float(value))
    return Day(**{name: np.asarray(values) for name, values in columns.items()})


def measured_load(data: Day) -> tuple[np.ndarray, np.ndarray]:
    """AHT (handle time / answered; the day's where none was answered) and the load."""
    frame = pd.DataFrame({"day": data.day, "handle": data.handle_s, "answered": data.answered})
    sums = frame.groupby("day")[["handle", "answered"]].transform("sum")
    day_aht = (sums["handle"] / sums["answered"]).to_numpy(np.float64)
    aht = np.where(data.answered > 0, data.handle_s / np.maximum(data.answered, 1), day_aht)
    return aht, data.offered * aht / INTERVAL_S


def predictions(data: Day) -> dict[str, np.ndarray]:
    """Each model's service level over offered from the aggregates (and one oracle)."""
    aht, load = measured_load(data)
    total_wait = data.wait_answered_s + data.wait_abandoned_s
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(data.abandoned > 0, total_wait / data.abandoned, np.inf)
    frame = pd.DataFrame({"day": data.day, "wait": total_wait, "abandoned": data.abandoned})
    sums = frame.groupby("day")[["wait", "abandoned"]].transform("sum")
    pooled = (sums["wait"] / sums["abandoned"]).to_numpy(np.float64)

    def level(load: np.ndarray, aht_s: np.ndarray, patience_s: np.ndarray | None) -> np.ndarray:
        patience = None
        if patience_s is not None:
            finite = np.where(np.isfinite(patience_s), patience_s, 0.0)
            patience = pd.Series(pd.to_timedelta(finite, unit="s"))
            # No abandon: the estimate is unbounded, pd.Timedelta.max (nobody hangs up).
            patience = patience.mask(np.isinf(patience_s), pd.Timedelta.max)
        out = erlang.service_level(
            pd.Series(data.agents.astype(np.int64)),
            pd.Series(load),
            pd.Series(pd.to_timedelta(aht_s, unit="s")),
            sl_threshold=f"{THRESHOLD_S:g}s",
            patience=patience,
        )
        return np.asarray(out.to_numpy(np.float64, na_value=np.nan))

    return {
        "Erlang C": level(load, aht, None),
        "Erlang A, patience per quarter hour": level(load, aht, own),
        "Erlang A, patience pooled over the day": level(load, aht, pooled),
        "Erlang A, the true load, AHT and patience": level(
            data.true_load, data.true_aht_s, data.true_patience_s
        ),
    }


def table(data: Day) -> str:
    """The markdown comparison: errors of each prediction against the delivered level.

    Per quarter hour, and per day (the day's answered within T over its offered, against
    the predictions weighted by offered contacts): a quarter hour's own randomness is
    large (see the row with the true parameters), a day's is not.
    """
    served = data.offered > 0
    offered = data.offered[served]
    delivered = data.within[served] / offered
    overloaded = (data.agents <= measured_load(data)[1])[served]
    abandon = data.abandoned[served] / offered
    day = data.day[served].astype(np.int64)
    day_offered = np.bincount(day, offered)
    day_delivered = np.bincount(day, data.within[served]) / day_offered
    lines = [
        f"{int(served.sum()):,} quarter hours ({day_offered.size} days, 07:00-22:00), "
        f"abandons {np.percentile(abandon, 25):.0%}-{np.percentile(abandon, 75):.0%} "
        f"(quartiles; {abandon.mean():.1%} on average), service level delivered "
        f"{delivered.mean():.3f} on average (80% in 20 s planned). Erlang C calls "
        f"{int(overloaded.sum())} of them overloaded (0%): they delivered "
        f"{delivered[overloaded].mean():.3f}. Nobody abandoned in "
        f"{int((data.abandoned[served] == 0).sum())} (the patience per quarter hour is "
        "then infinite: Erlang C).",
        "",
        "| prediction, from the agents the queue had | mean error | mean abs. error "
        "| per day: mean error | per day: mean abs. error | where Erlang C says 0% |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, predicted in predictions(data).items():
        error = predicted[served] - delivered
        day_error = np.bincount(day, predicted[served] * offered) / day_offered - day_delivered
        lines.append(
            f"| {name} | {error.mean():+.3f} | {np.abs(error).mean():.3f} "
            f"| {day_error.mean():+.3f} | {np.abs(day_error).mean():.3f} "
            f"| {predicted[served][overloaded].mean():.3f} |"
        )
    lines.append(
        f"| delivered by the simulated queue | | | | | {delivered[overloaded].mean():.3f} |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of quarter hours (30)")
    parser.add_argument("--seed", type=int, default=14, help="seed of the simulation (14)")
    args = parser.parse_args(argv)
    print(table(simulate(args.days, args.seed)))


if __name__ == "__main__":
    main()
