"""The CPU benchmark's paired ratios: each read against the anchor runs around it.

No timing is asserted here (benchmarks are not tests): only that the pairing takes each
read with its two neighbours, compares times rather than rates, and that the rows
``make bench`` writes say what was measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("msgspec")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import run
from _common import paired_ratios

from cvframe._endpoints import CALLVOLUME


def test_a_read_is_compared_with_the_anchor_runs_just_before_and_after_it() -> None:
    # A machine slowing down steadily: every run takes (1 + t/10) times its work, where
    # t counts the runs. The read does 3x the anchor's work. Paired with its neighbours,
    # each read's ratio is exactly the anchor's share of the work, 1/3, though the
    # runs' own times drift by half.
    slowdown = [1 + t / 10 for t in range(9)]  # anchor, read, anchor, ..., read, anchor
    anchors = [1.0 * slowdown[t] for t in range(0, 9, 2)]
    reads = [3.0 * slowdown[t] for t in range(1, 9, 2)]
    assert paired_ratios(reads, anchors) == pytest.approx([1 / 3] * 4)
    # Against the anchor's median time instead, the first and last reads would be off by
    # a fifth: what the pairing is for.
    assert paired_ratios([3.0, 3.0], [1.0, 1.0, 1.0]) == pytest.approx([1 / 3, 1 / 3])


def test_the_pairing_needs_one_anchor_run_more_than_reads() -> None:
    with pytest.raises(ValueError, match="3 reads need 4 anchor runs"):
        paired_ratios([1.0, 1.0, 1.0], [1.0, 1.0, 1.0])


def test_the_typed_floor_decodes_fields_in_the_apis_order_as_cvframe_does() -> None:
    decode = run.typed_decoder()
    record_type = decode.__self__.type.__annotations__  # type: ignore[attr-defined]
    fields = record_type["records"].__args__[0].__struct_fields__
    by_name = {c.name: c.api_name for c in CALLVOLUME.columns}
    assert tuple(by_name[f] for f in fields) == CALLVOLUME.wire_order


def test_the_cpu_rows_hold_the_runs_their_ratios_come_from() -> None:
    rows = run.bench_cpu(1, quick=True)
    assert [r["target"] for r in rows] == [">= 4x", ">= 0.7x", "(reported)"]
    for row in rows:
        assert row["pairs"] == 1
        assert len(row["read_seconds"]) == 1
        assert len(row["anchor_seconds"]) == 2
        ratios = paired_ratios(row["read_seconds"], row["anchor_seconds"])
        # the seconds are kept to six significant digits, the range to three decimals
        assert row["ratio"] == pytest.approx(ratios[0], rel=1e-5)
        assert row["ratio_range"] == pytest.approx([ratios[0]] * 2, abs=5e-4 + 1e-6)
    assert rows[0]["met"] is (rows[0]["ratio"] >= 4)
    assert rows[1]["met"] is (rows[1]["ratio"] >= 0.7)
    assert "orjson" in rows[1]["parsers"]
