"""The exact splits the emulator shares totals with: integers that add back up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cvframe.emulator._split import capped_shares, split_exactly

weights = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=30)


@given(total=st.integers(0, 10**10), weights=weights)
def test_a_split_is_integers_that_sum_to_the_total_within_one_of_their_share(
    total: int, weights: list[float]
) -> None:
    shares = split_exactly(total, weights)
    assert sum(shares) == total and all(s >= 0 for s in shares)
    whole = sum(weights)
    if whole > 1e-3:  # below that, weights are treated as equal
        for share, weight in zip(shares, weights, strict=True):
            assert abs(share - total * weight / whole) < 1 + total * 1e-6


def test_a_split_among_no_one_is_refused_unless_empty() -> None:
    assert split_exactly(0, []) == []
    with pytest.raises(ValueError, match="among no one"):
        split_exactly(3, [])


@given(
    data=st.lists(st.tuples(st.floats(0.01, 10), st.floats(0, 1000)), min_size=1, max_size=20),
    fill=st.floats(0, 1),
)
def test_capped_shares_keep_every_cap_and_share_out_the_total(
    data: list[tuple[float, float]], fill: float
) -> None:
    weights, caps = [w for w, _ in data], [c for _, c in data]
    total = fill * sum(caps)
    shares = capped_shares(total, weights, caps)
    assert sum(shares) == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert all(0 <= s <= c + 1e-9 for s, c in zip(shares, caps, strict=True))
    with pytest.raises(ValueError, match="cannot hold"):
        capped_shares(sum(caps) + 1, weights, caps)
