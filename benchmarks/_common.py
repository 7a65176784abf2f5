"""What every benchmark module shares: the row of the results table and the median."""

from __future__ import annotations

import statistics
from typing import Any

Row = dict[str, Any]


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


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
