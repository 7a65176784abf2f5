"""The input checks' fast paths give the answers of the plain pandas ones, on every backend.

:mod:`cvframe._analytics._checks` finds repeated ids without hashing Python strings when it can
(fixed-width Arrow strings are compared as machine words) and compares interval bounds
of any datetime backend; these tests pin that each route says what
``ids.duplicated(keep=False)`` and ``end <= start`` say, and that the one duration
parser reads every documented unit spelling the same way on pandas 2.2 and 3.x.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import cvframe
from cvframe._analytics import _checks
from cvframe._durations import parse_duration
from tests.analytics.test_input_contract import base
from tests.frame.test_bad_input import SETTINGS

# --------------------------------------------------------------------------- repeated ids


def _id_arrays(rng: np.random.Generator) -> list[tuple[str, pd.Series]]:
    """Ids of every backend and shape, some with repeats, some with missing ids."""
    n = int(rng.integers(1, 300))
    numbers = rng.integers(0, n * 2, n)  # repeats likely, not certain
    fixed = [f"{v:024x}" for v in numbers]  # ObjectId-like: 24 characters
    odd = [f"{v:013x}" for v in numbers]  # a width that is not a multiple of 8
    varied = [f"q{v}" for v in numbers]
    with_na = [None if v % 7 == 0 else s for v, s in zip(numbers, fixed, strict=True)]
    chunked = pd.Series(
        pd.arrays.ArrowExtensionArray(
            pa.chunked_array([pa.array(fixed[: n // 2], pa.string()), pa.array(fixed[n // 2 :])])
        )
    )
    return [
        ("arrow fixed", pd.Series(fixed, dtype="string[pyarrow]")),
        ("arrow large_string", pd.Series(fixed, dtype=pd.ArrowDtype(pa.large_string()))),
        ("arrow odd width", pd.Series(odd, dtype="string[pyarrow]")),
        ("arrow varied", pd.Series(varied, dtype="string[pyarrow]")),
        ("arrow with NA", pd.Series(with_na, dtype="string[pyarrow]")),
        ("arrow sliced", pd.Series(fixed, dtype="string[pyarrow]").iloc[1:]),
        ("arrow chunked", chunked),
        ("python string", pd.Series(fixed, dtype="string[python]")),
        ("object", pd.Series(fixed, dtype=object)),
        ("object with NA", pd.Series(with_na, dtype=object)),
        ("int64", pd.Series(numbers)),
        ("Int64 with NA", pd.Series([pd.NA if v % 5 == 0 else v for v in numbers], dtype="Int64")),
    ]


@pytest.mark.parametrize("seed", range(20))
def test_repeated_ids_are_found_as_pandas_finds_them(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for label, ids in _id_arrays(rng):
        expected = (ids.duplicated(keep=False) & ids.notna()).to_numpy(dtype=bool)
        found = _checks.repeated_ids(ids)
        got = np.zeros(len(ids), dtype=bool) if found is None else found
        assert got.tolist() == expected.tolist(), label
        # A frame of unique ids gives None: nothing to report.
        unique = ids.drop_duplicates()
        assert _checks.repeated_ids(unique) is None or not unique.notna().all(), label


def test_ids_alike_in_all_but_one_character_are_distinct() -> None:
    # Each 8-byte word of the id differs in one place only: a fingerprint must keep them apart.
    base_id = "0123456789abcdef01234567"
    ids = [base_id[:i] + ("x" if base_id[i] != "x" else "y") + base_id[i + 1 :] for i in range(24)]
    series = pd.Series([base_id, *ids], dtype="string[pyarrow]")
    assert _checks.repeated_ids(series) is None
    doubled = pd.Series([base_id, *ids, ids[5]], dtype="string[pyarrow]")
    repeated = _checks.repeated_ids(doubled)
    assert repeated is not None
    assert np.flatnonzero(repeated).tolist() == [6, 25]


def test_a_concatenated_copy_of_a_read_frame_is_refused() -> None:
    df = base().astype({"id": "string[pyarrow]"})
    with pytest.raises(ValueError, match=r"1 id\(s\) appear more than once, in 2 rows"):
        cvframe.resample_intervals(pd.concat([df, df.iloc[[1]]], ignore_index=True), "30min")


# --------------------------------------------------------------------------- interval order


def _arrow(series: pd.Series, *, aware: bool = True) -> pd.Series:
    if not aware:
        series = series.dt.tz_localize(None)
    return series.astype(pd.ArrowDtype(pa.timestamp("ms", tz="UTC" if aware else None)))


def test_bounds_of_two_backends_are_compared_not_refused() -> None:
    # pandas 2.2 raised NotImplementedError ("le not implemented for DatetimeArray") when
    # interval_end was Arrow-backed and interval_start numpy-backed.
    df = base()
    df["interval_end"] = _arrow(df["interval_end"])
    assert cvframe.resample_intervals(df, "30min")["offered_contacts"].tolist() == [20]
    assert cvframe.kpis(df)["abandon_rate"].tolist() == [0.2, 0.1]
    df["interval_end"] = df["interval_end"].mask(df.index == 1, df["interval_start"])
    for call in (cvframe.kpis, cvframe.staffing):
        with pytest.raises(ValueError, match=r"interval_end is not after interval_start in 1"):
            call(df)


@pytest.mark.parametrize("backend", ["numpy", "arrow"])
def test_a_naive_bound_beside_an_aware_one_is_named_by_every_function(backend: str) -> None:
    # kpis reads no timestamps, yet checks end > start; a naive bound beside an aware one
    # cannot be ordered: it was skipped (numpy) or a raw pyarrow ArrowInvalid (Arrow).
    df = base()
    naive = df["interval_start"].dt.tz_localize(None)
    df["interval_start"] = naive if backend == "numpy" else _arrow(naive, aware=False)
    calls = {
        "kpis": cvframe.kpis,
        "staffing": cvframe.staffing,
        "resample_intervals": lambda d: cvframe.resample_intervals(d, "30min"),
        "to_wfm": lambda d: cvframe.to_wfm(d, "genesys"),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match="interval_start is timezone-naive") as info:
            call(df)
        assert "tz_localize" in str(info.value), name


def test_bounds_in_two_time_zones_are_compared_as_instants() -> None:
    df = base()
    df["interval_start"] = df["interval_start"].dt.tz_convert("Asia/Kathmandu")
    df["interval_end"] = _arrow(df["interval_end"])
    assert cvframe.staffing(df)["required_agents"].notna().all()


# --------------------------------------------------------------------------- unit spellings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2d", pd.Timedelta(days=2)),
        ("2D", pd.Timedelta(days=2)),
        ("2 days", pd.Timedelta(days=2)),
        ("1d 2h", pd.Timedelta(hours=26)),
        ("1d2H", pd.Timedelta(hours=26)),
        ("2H", pd.Timedelta(hours=2)),
        ("20S", pd.Timedelta(seconds=20)),
        ("1w", pd.Timedelta(weeks=1)),
        ("30min", pd.Timedelta(minutes=30)),
        ("30m", pd.Timedelta(minutes=30)),
        ("1500ms", pd.Timedelta(milliseconds=1500)),
        ("P2DT3H", pd.Timedelta(hours=51)),
        ("1 days 00:00:20", pd.Timedelta(days=1, seconds=20)),
    ],
)
def test_every_documented_unit_spelling_is_read_without_a_pandas_warning(
    text: str, expected: pd.Timedelta
) -> None:
    # pandas 3.x warns (Pandas4Warning) for 'd', 'H', 'S', 'w'; pandas 2.2 for 'H', 'S'.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_duration(text, name="lookback") == expected


@pytest.mark.parametrize(("text", "fix"), [("2T", "'2min'"), ("5L", "'5ms'"), ("3U", "'3us'")])
def test_units_pandas_3_removed_are_refused_on_every_pandas_with_the_fix(
    text: str, fix: str
) -> None:
    # pandas 2.2 read '2T' as two minutes (with a FutureWarning), pandas 3.x refuses it:
    # one set of units on both.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"lookback={text!r} .*{fix}"):
            parse_duration(text, name="lookback")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_duration("soon", name="sl_threshold"), "sl_threshold='soon' is not a"),
        (
            lambda: cvframe.read_callvolume("31/12/2023", "2024-01-01", **SETTINGS),
            "start='31/12/2023' is not a",
        ),
    ],
)
def test_an_unreadable_duration_or_time_is_refused_in_one_wording(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=rf"{message} .*; use e\.g\. '") as info:
        call()
    assert "must be" in str(info.value)
