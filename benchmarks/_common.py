"""What every benchmark module shares: the row of the results table and the median."""

from __future__ import annotations

import statistics
from typing import Any

Row = dict[str, Any]


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _significant(seconds: float) -> float:
    """``seconds`` to six significant digits: a ratio recomputed from it stays exact to
    about 1e-6, however short the run (four decimals of a 3 ms run lost 2%)."""
    return float(f"{seconds:.6g}")


def paired_ratios(reads: list[float], anchors: list[float]) -> list[float]:
    """cvframe's rate over the anchor's, per read: each read to the anchor runs around it.

    ``reads`` and ``anchors`` are seconds of the same work, measured in turn:
    ``anchors[0], reads[0], anchors[1], ..., reads[-1], anchors[-1]``. Read ``i`` is
    compared with the mean time of ``anchors[i]`` and ``anchors[i + 1]`` (times, not
    rates: the mean of two rates overstates a drifting anchor's speed).

    >>> paired_ratios([2.0, 2.0], [1.0, 1.0, 3.0])
    [0.5, 1.0]
    """
    if len(anchors) != len(reads) + 1:
        raise ValueError(f"{len(reads)} reads need {len(reads) + 1} anchor runs around them")
    return [
        (before + after) / 2 / read
        for read, before, after in zip(reads, anchors[:-1], anchors[1:], strict=True)
    ]


def _row(
    bench: str, measure: str, value: float, anchor_name: str, anchor: float, target: str,
    met: bool, unit: str, ratio: float | None = None, **extra: Any,
) -> Row:  # fmt: skip
    """One row; ``ratio`` defaults to ``value / anchor`` (a benchmark that pairs its
    runs gives the median of the paired ratios instead)."""
    if ratio is None:
        ratio = value / anchor if anchor else float("nan")
    return {
        "benchmark": bench,
        "measure": measure,
        "unit": unit,
        "cvframe": value,
        "anchor": anchor_name,
        "anchor_value": anchor,
        "ratio": ratio,
        "target": target,
        "met": met,
        **extra,
    }
