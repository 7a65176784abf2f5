"""A seeded discrete-event simulation of one queue: M/M/N+M (Erlang A), FCFS.

The reference the Erlang A tests and the service-level estimator comparison build
themselves (pyworkforce's release has no Erlang A). Contacts arrive as a Poisson
process, wait in one first-come-first-served line for the first of ``servers`` free
slots, and hang up when their (exponential) patience runs out first. Because the line
is FCFS and a contact that hangs up never takes a slot, the contacts can be placed one
by one in arrival order: a contact is answered when the earliest slot frees, if that
is before its patience ends; otherwise it abandons and the slots are as they were.
That is exact, not an approximation, and costs one heap operation per contact.

``servers`` counts slots: N agents who each handle ``k`` contacts at once are
``N * k`` slots (the concurrency model of :func:`cvframe.staffing`).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Contacts", "simulate_queue"]


@dataclass(frozen=True)
class Contacts:
    """Every simulated contact, in arrival order (times in seconds)."""

    arrival: np.ndarray  # when it joined the queue
    wait: np.ndarray  # time in queue: until answered, or until it hung up
    answered: np.ndarray  # bool: answered (True) or abandoned (False)
    handle: np.ndarray  # handle time (0 for an abandoned contact)

    def measured(self, warmup: float = 0.0) -> Contacts:
        """The contacts that arrived after ``warmup`` seconds (the queue in steady state)."""
        keep = self.arrival >= warmup
        return Contacts(self.arrival[keep], self.wait[keep], self.answered[keep], self.handle[keep])

    def service_level(self, threshold: float) -> float:
        """Answered within ``threshold`` seconds / offered."""
        return float(np.mean(self.answered & (self.wait <= threshold)))

    def abandon_rate(self) -> float:
        return float(np.mean(~self.answered))

    def mean_queue(self, horizon: float) -> float:
        """Time-average number waiting, over the arrivals' span ``horizon`` (Little's law)."""
        return float(self.wait.sum() / horizon)


def simulate_queue(
    *,
    arrival_rate: float,
    aht: float,
    patience: float,
    servers: int,
    contacts: int,
    seed: int,
) -> Contacts:
    """Simulate ``contacts`` arrivals to an M/M/``servers``+M queue.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per second.
    aht : float
        Mean handle time, seconds (exponential).
    patience : float
        Mean patience, seconds (exponential); ``math.inf`` for nobody hangs up (M/M/N).
    servers : int
        Slots that answer contacts.
    contacts : int
        How many arrivals to simulate (bounds the run).
    seed : int
        For ``numpy.random.default_rng``.
    """
    if servers < 1 or contacts < 1:
        raise ValueError("servers and contacts must be at least 1")
    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1.0 / arrival_rate, size=contacts))
    service = rng.exponential(aht, size=contacts)
    if math.isinf(patience):
        limit = np.full(contacts, math.inf)
    else:
        limit = rng.exponential(patience, size=contacts)
    wait = np.empty(contacts)
    answered = np.empty(contacts, dtype=bool)
    free = [0.0] * servers  # when each slot is next free; a heap
    for i in range(contacts):
        t = float(arrival[i])
        earliest = free[0]
        if earliest <= t:
            heapq.heapreplace(free, t + float(service[i]))
            wait[i], answered[i] = 0.0, True
        elif earliest - t <= limit[i]:
            heapq.heapreplace(free, earliest + float(service[i]))
            wait[i], answered[i] = earliest - t, True
        else:
            wait[i], answered[i] = float(limit[i]), False
    return Contacts(arrival, wait, answered, np.where(answered, service, 0.0))
