"""Queue models for staffing: Erlang C (nobody hangs up) and Erlang A (patience).

This is the public module ``cvframe.erlang`` (``from cvframe import erlang``);
:func:`required_agents` and :func:`staffing` are also at the top level, and
``cvframe.erlang_c`` keeps its older names (the same functions, Erlang C without a
patience). Every function
takes scalars or Series (or arrays) and broadcasts them; a Series in gives a Series
out, with its index. Durations are durations (``"3min"``, Timedeltas, timedelta
Series), never bare numbers whose unit would be a guess.

Both models: contacts arrive at random (Poisson, rate λ), handle times are
exponential with mean AHT (μ = 1 / AHT), N agents (slots), offered load
``A = λ·AHT = volume × AHT / interval`` Erlangs.

**Erlang C** (M/M/N, ``patience=None``): nobody hangs up. With Erlang B from the
stable recursion ``B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1))`` (no factorials, so
thousands of agents are fine), ``C = N·B / (N - A·(1 - B))`` for N > A, and:

- probability of waiting: ``C`` (1 when N ≤ A: the queue grows without bound);
- service level: ``SL(T) = 1 - C·exp(-(N - A)·T / AHT)`` (0 when N ≤ A), the same
  over offered and over answered contacts;
- average speed of answer: ``ASA = C·AHT / (N - A)`` (NaT when N ≤ A);
- occupancy: ``A / N`` (1 when N ≤ A).

**Erlang A** (M/M/N+M, a ``patience``): each waiting contact hangs up after an
exponential patience of mean ``1/θ`` (Palm's model; Mandelbaum & Zeltyn, "Service
engineering in action: the Palm/Erlang-A queue", 2007). The number in the system is
a birth–death chain with births λ and deaths ``min(k, N)·μ + max(k - N, 0)·θ``, so
its stationary law is ``π_k ∝ A^k / k!`` for k ≤ N and
``π_(N+j) = π_N · Π_(i=1..j) λ / (N·μ + i·θ)`` above (finite for any N: hang-ups
keep the queue stable even when N ≤ A). From it:

- probability of waiting: ``P(W > 0) = Σ_(k≥N) π_k``;
- abandonment: ``P(ab) = θ·E[Q] / λ`` (E[Q] the mean number waiting);
- service level over offered: ``P(answered and W ≤ T)``, a hang-up counts against;
  over answered: ``P(W ≤ T | answered)`` (``sl_denominator="answered"``);
- ASA: the mean wait of the answered contacts;
- occupancy: the carried load over the agents, ``A·(1 - P(ab)) / N``.

A contact arriving with j others waiting is answered after j + 1 stages of rates
``N·μ + i·θ`` (i = j, ..., 0) unless its own patience runs out first; the service
level is that race summed over the stationary law (the formulas are in the private
``cvframe._analytics._erlang_a``). With an infinite patience Erlang A is Erlang C;
the more contacts hang up, the fewer agents a service level over offered needs.

"Nobody hangs up" is ``patience=None``, ``math.inf`` or, in a duration column (which
cannot hold infinity), ``pd.Timedelta.max``: what :func:`estimate_patience` gives
where no contact abandoned. A NaT patience is unknown: NaN (NA), never Erlang C.

Concurrency (``concurrency=k``, chat): N agents each handling k contacts at once
serve as N·k independent slots, each holding a contact for the contact's own handle
time; the fewest N whose N·k slots meet the target is planned.

Examples
--------
100 contacts in 30 minutes with a 3-minute AHT are 10 Erlangs; 14 agents answer
80% within 20 seconds (Call Centre Helper's worked example):

>>> from cvframe import erlang
>>> load = erlang.offered_load(100, "3min", "30min")
>>> float(load)
10.0
>>> round(float(erlang.service_level(14, load, "3min", sl_threshold="20s")), 3)
0.888
>>> int(erlang.required_agents(100, "3min", "30min", sl_target=0.8, sl_threshold="20s"))
14

If callers hang up after 90 seconds on average, Erlang A plans with that:

>>> p = erlang.abandonment(14, load, "3min", patience="90s")
>>> bool(0 < p < 0.05)
True
>>> int(erlang.required_agents(100, "3min", "30min", model="erlang_a", patience="90s")) <= 14
True
"""

from ._analytics import (
    abandonment,
    asa,
    estimate_patience,
    occupancy,
    offered_load,
    probability_of_waiting,
    required_agents,
    service_level,
    staffing,
)

__all__ = [
    "abandonment",
    "asa",
    "estimate_patience",
    "occupancy",
    "offered_load",
    "probability_of_waiting",
    "required_agents",
    "service_level",
    "staffing",
]
