"""Erlang A (M/M/N+M): the queue with abandonment, on numpy arrays (private).

The model: contacts arrive as a Poisson process (rate λ), ``N`` agents serve them first
come first served with exponential handle times (mean AHT = 1/μ, offered load
``a = λ/μ``), and each waiting contact hangs up after an exponential patience (mean
1/θ). With infinite patience it is Erlang C (M/M/N), computed here by Erlang C's
formulas, so the numbers are exactly those of :mod:`cvframe.erlang_c`.

The formulas (Mandelbaum & Zeltyn, "Service engineering in action: the Palm/Erlang-A
queue, with applications to call centers", 2007; Zeltyn's thesis, 2005), in the
dimensionless ``x = Nμ/θ``, ``y = λ/θ``, time ``t = θ·s``:

* The chain's states ``k > N`` have ``π_{N+j} = π_N · y^j / ((x+1)···(x+j))``, so
  ``P(k ≥ N) / π_N = A(x, y) = Σ_j y^j/((x+1)···(x+j)) = 1F1(1; x+1; y)`` and
  ``Σ_{k<N} π_k / π_N = 1/B − 1`` with ``B`` Erlang B(N, a) (its stable recursion).
* The offered wait ``V`` (how long an arrival would wait if it never hung up): an
  arrival that finds ``j`` waiting waits through ``j+1`` exponential stages of rates
  ``x + j, ..., x + 1, x``; the density of such a sum is
  ``(x)_{j+1}/j! · e^{−xt}(1 − e^{−t})^j``, and mixing over ``j`` (PASTA) gives the
  density of ``V`` on ``t > 0``::

      g(t) = π_N · x · exp(−x·t + y·(1 − e^{−t}))      (∫ g = π_N · A(x, y) = P(V > 0))

  (Mandelbaum & Zeltyn's incomplete-gamma formulas are its integrals.) A contact is
  answered when its patience outlasts ``V`` (probability ``e^{−t}``), so with
  ``L0(τ) = ∫_0^τ exp(−(x+1)t + y(1 − e^{−t})) dt`` and ``L1 = ∫_0^∞ t·(same) dt``::

      P(wait)                 = π_N · (1 + y·L0(∞))          [A(x,y) = 1 + y·A(x+1,y)/(x+1)]
      P(answered, wait ≤ T)   = (1 − P(wait)) + π_N · x · L0(θT)
      P(answered)             = (1 − P(wait)) + π_N · x · L0(∞)
      P(abandon)              = 1 − P(answered) = π_N · (1 + (y − x)·L0(∞))
      mean wait (all)         = P(abandon) / θ,  mean queue = λ · mean wait (Little)
      ASA (answered)          = π_N · x · L1 / θ / P(answered)
      1/π_N                   = 1/B + y · L0(∞)

No factorials and no overflow: B by its recursion; the integrals by composite
Gauss–Legendre quadrature on a window around the peak of the exponent, scaled by its
maximum and combined in log space, so loads of thousands of Erlangs and patience
from a second to hours stay finite. Where ``y < x − 10`` the abandonment term
``1 + (y − x)·L0`` would cancel, and ``∫ x(1 − e^{−t}) exp(−xt + y(1 − e^{−t})) dt``
(the same ``P(abandon)/π_N``) is integrated instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ErlangA", "erlang_a", "erlang_b", "required_agents_a"]

#: The integrands are kept where they are within e^-60 of their peak.
_TAIL = 60.0
#: Composite Gauss–Legendre: panels per window and nodes per panel.
_PANELS = 8
_NODES = 16
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(_NODES)
#: Below this gap ``x − y`` the abandonment term ``1 + (y − x)·L0`` loses at most a digit.
_CANCEL = 10.0
#: Bound on the doubling and bisection steps of :func:`required_agents_a` (2^60 agents).
_MAX_STEPS = 60
#: Elements integrated at once (bounds the memory of the quadrature's nodes).
_CHUNK = 4096
#: Erlang B's recursion goes on element by element once this few rows remain.
_SCALAR_ROWS = 16


@dataclass(frozen=True)
class ErlangA:
    """The M/M/N+M model's figures, each a float64 array of the inputs' broadcast shape."""

    wait_probability: np.ndarray  # P(an arrival waits > 0)
    abandon_probability: np.ndarray  # P(an arrival hangs up before being answered)
    service_level: np.ndarray  # P(answered AND waited <= T), over offered
    service_level_answered: np.ndarray  # P(waited <= T | answered), over answered
    asa_s: np.ndarray  # mean wait of the answered contacts, seconds
    mean_wait_s: np.ndarray  # mean wait of all arrivals (answered and abandoned), seconds
    mean_queue: np.ndarray  # mean number waiting (arrival rate x mean wait)
    occupancy: np.ndarray  # carried load / N = load (1 - P(abandon)) / N; NaN for N = 0


# --------------------------------------------------------------------------- checks


def _as_array(value: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or numbers, got {value!r}") from None


def _check(values: np.ndarray, name: str, rule: str, bad: np.ndarray) -> None:
    if np.any(bad & ~np.isnan(values)):
        first = values[bad & ~np.isnan(values)].reshape(-1)[0]
        raise ValueError(f"{name} must be {rule}, got {first!r}")


def _inputs(
    agents: Any, load: Any, aht_s: Any, patience_s: Any, threshold_s: Any
) -> tuple[np.ndarray, ...]:
    n = _as_array(agents, "agents")
    a = _as_array(load, "load")
    h = _as_array(aht_s, "aht_s")
    p = _as_array(patience_s, "patience_s")
    t = _as_array(threshold_s, "threshold_s")
    _check(n, "agents", "whole numbers >= 0", (n < 0) | (n != np.floor(n)) | np.isinf(n))
    _check(a, "load", "finite and >= 0 (Erlangs)", (a < 0) | np.isinf(a))
    _check(h, "aht_s", "finite and > 0 (seconds)", (h <= 0) | np.isinf(h))
    _check(p, "patience_s", "> 0 (seconds; inf for nobody hangs up)", p <= 0)
    _check(t, "threshold_s", ">= 0 (seconds)", t < 0)
    try:
        return tuple(np.broadcast_arrays(n, a, h, p, t))
    except ValueError:
        raise ValueError(
            "agents, load, aht_s, patience_s and threshold_s have different shapes"
        ) from None


# --------------------------------------------------------------------------- Erlang B and C


def erlang_b(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    """Erlang B blocking probability by the stable recursion, elementwise (NaN agents: 1).

    The elements are taken in order of their agents, so step ``k`` updates only those with
    at least ``k`` agents: the work is the sum of the agents, not their maximum times size.
    """
    agents, load = np.broadcast_arrays(np.asarray(agents, np.float64), np.asarray(load, np.float64))
    flat_agents = agents.reshape(-1)
    order = np.argsort(np.where(np.isnan(flat_agents), -1.0, flat_agents), kind="stable")
    sorted_agents = flat_agents[order]
    sorted_load = load.reshape(-1)[order]
    blocking = np.ones_like(sorted_load)
    finite = ~np.isnan(sorted_agents)
    top = int(np.max(sorted_agents[finite])) if finite.any() else 0
    starts = np.searchsorted(np.where(finite, sorted_agents, -1.0), np.arange(1, top + 2))
    k = 1
    while k <= top and blocking.size - starts[k - 1] > _SCALAR_ROWS:
        start = starts[k - 1]
        step = sorted_load[start:] * blocking[start:]
        blocking[start:] = step / (k + step)
        k += 1
    # The few rows with the most agents go on one at a time in Python floats (the same
    # operations, so the same bits): a numpy step on a handful of elements costs
    # microseconds, a float step a tenth of one, and 10^5 agents are 10^5 steps.
    for i in range(int(starts[k - 1]), blocking.size if k <= top else 0):
        value, offered = float(blocking[i]), float(sorted_load[i])
        for j in range(k, int(sorted_agents[i]) + 1):
            step_i = offered * value
            value = step_i / (j + step_i)
        blocking[i] = value
    out = np.empty_like(blocking)
    out[order] = blocking
    return out.reshape(load.shape)


def _erlang_c(
    agents: np.ndarray, load: np.ndarray, aht_s: np.ndarray, threshold_s: np.ndarray
) -> dict[str, np.ndarray]:
    """Erlang C's figures by the formulas of :mod:`cvframe.erlang_c` (the same numbers)."""
    blocking = erlang_b(agents, load)
    stable = agents > load
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        wait = agents * blocking / (agents - load * (1.0 - blocking))
        wait = np.where(stable, wait, 1.0)
        wait = np.where(load == 0, 0.0, wait)
        level = 1.0 - wait * np.exp(-(agents - load) * threshold_s / aht_s)
        level = np.where(stable, level, 0.0)
        level = np.where(load == 0, 1.0, level)
        asa = wait * aht_s / (agents - load)
        asa = np.where(stable, asa, np.nan)
        asa = np.where(load == 0, 0.0, asa)
        busy = np.where(stable, load / agents, 1.0)
        busy = np.where(agents == 0, np.nan, busy)
    return {
        "wait_probability": wait,
        "abandon_probability": np.zeros_like(wait),
        "service_level": level,
        "service_level_answered": level,
        "asa_s": asa,
        "mean_wait_s": asa,
        "mean_queue": load / aht_s * asa,
        "occupancy": busy,
    }


# --------------------------------------------------------------------------- quadrature


def _decline_right(c: np.ndarray, y: np.ndarray, peak: np.ndarray, top: np.ndarray) -> np.ndarray:
    """The ``t > peak`` where ``−c·t + y(1 − e^{−t})`` is ``_TAIL`` below its maximum ``top``.

    The exponent is concave, so Newton's method from a point beyond the root stays beyond
    it and converges; ``peak + 1 + _TAIL/c`` is beyond it (the slope there is below −c·(1 −
    e^{−1}) and the decline at least ``c·(s − 1)``).
    """
    s = peak + 1.0 + _TAIL / c
    for _ in range(40):
        value = top - (-c * s - y * np.expm1(-s)) - _TAIL
        slope = c - y * np.exp(-s)
        step = np.where(slope > 0, value / np.where(slope > 0, slope, 1.0), 0.0)
        s = s - np.maximum(step, 0.0)
        if np.all(step <= 1e-12 * np.maximum(s, 1.0)):
            break
    return s


def _decline_left(c: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """The ``t < peak`` (or 0) where the exponent is ``_TAIL`` below its maximum.

    Left of the peak ``t* = ln(y/c)`` the decline is ``c(e^s − 1 − s) ≥ c·s²/2``: Newton from
    ``s = sqrt(2·_TAIL/c)`` (beyond the root; the function is convex) converges down to it.
    """
    r = _TAIL / c
    s = np.sqrt(2.0 * r)
    for _ in range(40):
        value = np.expm1(s) - s - r
        slope = np.expm1(s)
        step = np.where(slope > 0, value / np.where(slope > 0, slope, 1.0), 0.0)
        s = s - np.maximum(step, 0.0)
        if np.all(step <= 1e-12 * np.maximum(s, 1.0)):
            break
    return np.maximum(peak - s, 0.0)


def _window(c: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peak value and the window ``[lo, hi]`` of ``exp(−c·t + y(1 − e^{−t}))``, ``c > 0``."""
    rising = y > c
    with np.errstate(divide="ignore", invalid="ignore"):
        peak = np.where(rising, np.log(np.where(rising, y / c, 1.0)), 0.0)
    top = np.where(rising, -c * peak + y - c, 0.0)  # e^{-t*} = c / y at the peak
    return top, _decline_left(c, peak), _decline_right(c, y, peak, top)


def _integrate(
    c: np.ndarray,
    y: np.ndarray,
    top: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    weight: str,
) -> tuple[np.ndarray, np.ndarray]:
    """``∫_lo^hi m(t)·exp(−c·t + y(1 − e^{−t}) − top) dt`` by composite Gauss–Legendre.

    Two integrals from the same nodes: ``m = 1`` and ``m = t`` (``weight="t"``), or
    ``m = 1 − e^{−t}`` alone (``weight="abandon"``, the second is then zeros). Empty
    windows (``hi <= lo``) integrate to 0.
    """
    first, second = np.zeros_like(c), np.zeros_like(c)
    edges = np.arange(_PANELS)[:, None]
    unit = ((edges + (_GL_NODES[None, :] + 1.0) / 2.0) / _PANELS).reshape(-1)
    weights = np.tile(_GL_WEIGHTS / 2.0 / _PANELS, _PANELS)
    for start in range(0, c.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        width = np.maximum(hi[part] - lo[part], 0.0)
        t = lo[part, None] + width[:, None] * unit[None, :]
        values = np.exp(-c[part, None] * t - y[part, None] * np.expm1(-t) - top[part, None])
        if weight == "abandon":
            first[part] = width * ((values * -np.expm1(-t)) @ weights)
        else:
            first[part] = width * (values @ weights)
            second[part] = width * ((values * t) @ weights)
    return first, second


def _finite_patience(
    n: np.ndarray, a: np.ndarray, h: np.ndarray, p: np.ndarray, t: np.ndarray
) -> dict[str, np.ndarray]:
    """Erlang A's figures for ``N >= 1``, ``load > 0`` and a finite patience (1-d arrays)."""
    x = n * p / h  # Nμ/θ
    y = a * p / h  # λ/θ
    tau = t / p  # θT
    c = x + 1.0
    top, lo, hi = _window(c, y)
    l0, l1 = _integrate(c, y, top, lo, hi, "t")
    l0_t = l0.copy()
    cut = tau < hi
    if cut.any():
        l0_t[cut] = _integrate(c[cut], y[cut], top[cut], lo[cut], tau[cut], "one")[0]
    blocking = erlang_b(n, a)
    with np.errstate(divide="ignore", over="ignore"):
        log_b = np.log(blocking)
        log_l0 = np.log(l0)
        log_yl0 = np.log(y) + top + log_l0  # log(y·L0(∞))
        log_pi = log_b - np.logaddexp(0.0, log_b + log_yl0)  # log π_N = log(B/(1 + B·y·L0))
        log_p = log_pi + top  # log(π_N·e^top), the scale of the integrals
        no_wait = -np.expm1(log_b) / (1.0 + np.exp(log_b + log_yl0))  # (1 − B)/(1 + B·y·L0)
        wait = np.exp(log_pi) + np.exp(log_p + np.log(y) + log_l0)
        within = np.exp(log_p + np.log(x) + np.log(l0_t))
        served = np.exp(log_p + np.log(x) + log_l0)
        wait_answered = np.exp(log_p + np.log(x) + np.log(l1))  # θ·E[V; answered]
    # P(abandon)/π_N: 1 + (y − x)·L0, or where that cancels its own integral.
    gap = y - x
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rising = gap >= 0
        abandon = np.where(
            rising,
            np.exp(np.logaddexp(log_pi, log_p + np.log(np.where(rising, gap, 1.0)) + log_l0)),
            np.exp(log_pi) * (1.0 + gap * np.exp(top) * l0),
        )
    far = gap < -_CANCEL
    if far.any():
        top_x, lo_x, hi_x = _window(x[far], y[far])
        direct = _integrate(x[far], y[far], top_x, lo_x, hi_x, "abandon")[0]
        abandon[far] = np.exp(log_pi[far] + top_x + np.log(x[far]) + np.log(direct))
    answered = no_wait + served
    level = no_wait + within
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = wait_answered * p / answered
        level_answered = level / answered
    return {
        "wait_probability": np.minimum(wait, 1.0),
        "abandon_probability": np.clip(abandon, 0.0, 1.0),
        "service_level": np.clip(level, 0.0, 1.0),
        "service_level_answered": np.clip(level_answered, 0.0, 1.0),
        "asa_s": asa,
        "mean_wait_s": abandon * p,
        "mean_queue": y * abandon,
        "occupancy": np.minimum(a * (1.0 - abandon) / n, 1.0),
    }


# --------------------------------------------------------------------------- public (private API)


def erlang_a(agents: Any, load: Any, aht_s: Any, patience_s: Any, threshold_s: Any) -> ErlangA:
    """Erlang A (M/M/N+M) figures for ``agents`` serving ``load`` with mean ``patience_s``.

    Parameters
    ----------
    agents : array_like
        Whole numbers >= 0: the slots answering.
    load : array_like
        Offered load in Erlangs (arrival rate × AHT), >= 0.
    aht_s : array_like
        Mean handle time, seconds (> 0).
    patience_s : array_like
        Mean patience of a waiting contact, seconds (> 0); ``inf`` gives Erlang C.
    threshold_s : array_like
        The service-level threshold, seconds (>= 0).

    Returns
    -------
    ErlangA
        Each field a float64 array of the broadcast shape; NaN where an input is NaN.
        With infinite patience, Erlang C's numbers and conventions (``agents <= load``:
        wait 1, service level 0, ASA, mean wait and mean queue NaN, occupancy 1). At
        ``load == 0``: no wait, no abandons, service level 1, ASA 0. At ``agents == 0``
        with a load and a finite patience everyone abandons (service level 0, ASA NaN).

    Examples
    --------
    >>> from cvframe._analytics._erlang_a import erlang_a
    >>> model = erlang_a(14, 10.0, 180.0, float("inf"), 20.0)  # Erlang C
    >>> round(float(model.service_level), 4)
    0.8884
    >>> model = erlang_a(9, 10.0, 180.0, 120.0, 20.0)  # 9 agents for 10 Erlangs: not 0%
    >>> round(float(model.service_level), 3), round(float(model.abandon_probability), 3)
    (0.524, 0.192)
    """
    n, a, h, p, t = _inputs(agents, load, aht_s, patience_s, threshold_s)
    shape = n.shape
    n, a, h, p, t = (v.reshape(-1) for v in (n, a, h, p, t))
    fields = {name: np.full(n.shape, np.nan) for name in ErlangA.__dataclass_fields__}
    known = ~(np.isnan(n) | np.isnan(a) | np.isnan(h) | np.isnan(p) | np.isnan(t))
    classic = known & np.isinf(p)
    if classic.any():
        rows = _erlang_c(n[classic], a[classic], h[classic], t[classic])
        for name, values in rows.items():
            fields[name][classic] = values
    idle = known & ~classic & (a == 0)
    for name, value in (
        ("wait_probability", 0.0),
        ("abandon_probability", 0.0),
        ("service_level", 1.0),
        ("service_level_answered", 1.0),
        ("asa_s", 0.0),
        ("mean_wait_s", 0.0),
        ("mean_queue", 0.0),
        ("occupancy", 0.0),
    ):
        fields[name][idle] = value
    nobody = known & ~classic & (a > 0) & (n == 0)
    for name, value in (
        ("wait_probability", 1.0),
        ("abandon_probability", 1.0),
        ("service_level", 0.0),
    ):
        fields[name][nobody] = value
    fields["mean_wait_s"][nobody] = p[nobody]
    fields["mean_queue"][nobody] = a[nobody] / h[nobody] * p[nobody]
    queue = known & ~classic & (a > 0) & (n > 0)
    if queue.any():
        rows = _finite_patience(n[queue], a[queue], h[queue], p[queue], t[queue])
        for name, values in rows.items():
            fields[name][queue] = values
    fields["occupancy"][known & (n == 0)] = np.nan
    return ErlangA(**{name: values.reshape(shape) for name, values in fields.items()})


def required_agents_a(
    load: Any,
    aht_s: Any,
    patience_s: Any,
    threshold_s: Any,
    sl_target: float,
    *,
    answered_denominator: bool = False,
) -> np.ndarray:
    """The fewest whole agents whose Erlang A service level reaches ``sl_target``.

    Parameters
    ----------
    load, aht_s, patience_s, threshold_s : array_like
        As for :func:`erlang_a`.
    sl_target : float
        In (0, 1): the share to answer within ``threshold_s``.
    answered_denominator : bool
        Measure the service level over answered contacts
        (``service_level_answered``) instead of over offered ones.

    Returns
    -------
    numpy.ndarray
        Float64 agents of the broadcast shape; 0 where ``load == 0``; NaN where an input
        is NaN.

    Notes
    -----
    The service level rises with the agents (over offered: more agents answer more
    contacts sooner), so doubling from ``floor(load) + 1`` and then bisecting finds the
    fewest. Over answered a target can be met by few agents when patience is short
    against the threshold: those who stay are answered quickly because most hang up
    (2 Erlangs, 20 s patience, 20 s threshold: 96% of answered contacts within 20 s
    with one agent). That is what the denominator measures; read the abandonment too.

    Examples
    --------
    >>> from cvframe._analytics._erlang_a import required_agents_a
    >>> required_agents_a(10.0, 180.0, float("inf"), 20.0, 0.8)  # Erlang C: 14
    array(14.)
    >>> required_agents_a(10.0, 180.0, 120.0, 20.0, 0.8)  # patience 2 minutes
    array(12.)
    """
    if not 0.0 < sl_target < 1.0:
        raise ValueError(f"sl_target must be between 0 and 1 (exclusive), got {sl_target!r}")
    _, a, h, p, t = _inputs(0.0, load, aht_s, patience_s, threshold_s)
    shape = a.shape
    a, h, p, t = (v.reshape(-1) for v in (a, h, p, t))
    known = ~(np.isnan(a) | np.isnan(h) | np.isnan(p) | np.isnan(t))
    busy = known & (a > 0)
    field = "service_level_answered" if answered_denominator else "service_level"

    def meets(agents: np.ndarray, rows: np.ndarray) -> np.ndarray:
        model = erlang_a(agents, a[rows], h[rows], p[rows], t[rows])
        return np.asarray(getattr(model, field) >= sl_target)

    fails = np.zeros_like(a)
    passes = np.where(busy, np.floor(a) + 1.0, 0.0)
    rows = np.flatnonzero(busy)
    for _ in range(_MAX_STEPS):
        if rows.size == 0:
            break
        ok = meets(passes[rows], rows)
        short = rows[~ok]
        fails[short] = passes[short]
        passes[short] = 2.0 * passes[short]
        rows = short
    if rows.size:
        raise ValueError(f"sl_target {sl_target!r} is not reached by 2^{_MAX_STEPS} agents")
    rows = np.flatnonzero(busy & (passes - fails > 1))
    for _ in range(_MAX_STEPS):
        if rows.size == 0:
            break
        middle = np.floor((fails[rows] + passes[rows]) / 2.0)
        ok = meets(middle, rows)
        passes[rows[ok]] = middle[ok]
        fails[rows[~ok]] = middle[~ok]
        rows = rows[passes[rows] - fails[rows] > 1]
    out = np.where(known, np.where(busy, passes, 0.0), np.nan)
    return out.reshape(shape)
