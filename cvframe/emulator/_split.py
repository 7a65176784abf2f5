"""Exact integer splits: how the emulator shares a queue's totals among agents and skills.

Every split here gives integers that add up to the total exactly, so the agent-level
and skill-level data the emulator serves sum back to its call-volume records.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["capped_shares", "split_exactly"]

#: Float weights become integers at this scale, so the split itself is exact arithmetic.
_SCALE = 1_000_000


def split_exactly(total: int, weights: Sequence[float]) -> list[int]:
    """Integers >= 0 summing to ``total``, in proportion to ``weights`` (largest remainder).

    Each share is below its exact proportion by less than one, or above by less than
    one; ties go to the earlier weight. All-zero weights split evenly.

    >>> split_exactly(10, [1, 1, 1])
    [4, 3, 3]
    >>> split_exactly(7, [0.0, 2.0, 5.0])
    [0, 2, 5]
    """
    if not weights:
        if total:
            raise ValueError("cannot split a non-zero total among no one")
        return []
    scaled = [max(0, round(w * _SCALE)) for w in weights]
    if not any(scaled):
        scaled = [1] * len(weights)
    whole = sum(scaled)
    shares = [total * w // whole for w in scaled]
    remainders = [total * w % whole for w in scaled]
    order = sorted(range(len(scaled)), key=lambda k: (-remainders[k], k))
    for k in order[: total - sum(shares)]:
        shares[k] += 1
    return shares


def capped_shares(total: float, weights: Sequence[float], caps: Sequence[float]) -> list[float]:
    """``total`` shared in proportion to ``weights`` but none above its cap (water-filling).

    The caller makes sure the caps hold the total (``sum(caps) >= total``); a share
    that would pass its cap is held at it and the rest goes to the others.

    >>> capped_shares(10, [1, 1], [3, 100])
    [3.0, 7.0]
    """
    if total > sum(caps) + 1e-6:
        raise ValueError(f"the caps ({sum(caps)}) cannot hold {total}")
    shares: list[float] = [0.0] * len(weights)
    active = [k for k in range(len(weights)) if caps[k] > 0]
    left = float(total)
    while active and left > 0:
        weight = sum(max(weights[k], 1e-9) for k in active)
        level = left / weight
        capped = [k for k in active if level * max(weights[k], 1e-9) >= caps[k]]
        if not capped:
            for k in active:
                shares[k] = level * max(weights[k], 1e-9)
            return shares
        for k in capped:
            shares[k] = float(caps[k])
            left -= caps[k]
        active = [k for k in active if k not in capped]
    return shares
