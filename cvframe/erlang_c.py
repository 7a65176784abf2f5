"""Erlang C: waiting, service level and staffing of a queue served by N agents.

This is the public module ``cvframe.erlang_c`` (``from cvframe import erlang_c``),
kept with its names: its functions are those of :mod:`cvframe.erlang`, which holds
both queue models, Erlang C and Erlang A (M/M/N+M, contacts who hang up: the
``patience=`` keyword, and ``model="erlang_a"`` of :func:`staffing` and
:func:`required_agents`). Without a patience they are Erlang C, as they always were.
:func:`required_agents` and :func:`staffing` are also at the top level.

The model (M/M/N): contacts arrive at random, ``load`` A = volume × AHT / interval
Erlangs, N agents. With Erlang B from the stable recursion
``B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1))`` (no factorials, so thousands of
agents are fine), Erlang C is ``C = N·B / (N - A·(1 - B))`` for N > A, and:

- probability of waiting: ``C`` (1 when N ≤ A: the queue grows without bound);
- service level: ``SL(T) = 1 - C·exp(-(N - A)·T / AHT)`` (0 when N ≤ A);
- average speed of answer: ``ASA = C·AHT / (N - A)`` (NaT when N ≤ A);
- occupancy: ``A / N`` (1 when N ≤ A).

Every function takes scalars or Series (or arrays) and broadcasts them; a Series
in gives a Series out, with its index. Durations are durations (``"3min"``,
Timedeltas, timedelta Series), never bare numbers whose unit would be a guess.

Examples
--------
100 contacts in 30 minutes with a 3-minute AHT are 10 Erlangs; 14 agents answer
80% within 20 seconds (Call Centre Helper's worked example):

>>> from cvframe import erlang_c
>>> load = erlang_c.offered_load(100, "3min", "30min")
>>> float(load)
10.0
>>> round(float(erlang_c.service_level(14, load, "3min", sl_threshold="20s")), 3)
0.888
>>> int(erlang_c.required_agents(100, "3min", "30min", sl_target=0.8, sl_threshold="20s"))
14

The threshold is ``sl_threshold``, as in :func:`cvframe.kpis`; the older name
``threshold`` still works and gives a ``FutureWarning``.
"""

from ._analytics import (
    asa,
    occupancy,
    offered_load,
    probability_of_waiting,
    required_agents,
    service_level,
    staffing,
)

__all__ = [
    "asa",
    "occupancy",
    "offered_load",
    "probability_of_waiting",
    "required_agents",
    "service_level",
    "staffing",
]
