"""validate()'s fast checks give pandera's verdict on every kind of violation, every endpoint.

validate() runs the contract's checks as vectorised reductions and calls pandera only
when one fails (to build the report). These tests hold the fast checks to the
schema's verdict on frames broken at random (hypothesis), and hold the report of a
broken frame to what pandera says.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cvframe
from cvframe._endpoints import ENDPOINTS
from cvframe._frame import (
    DtypeBackend,
    _arrow_to_pandas,
    _validation,
    arrow_schema,
    frame_from_tables,
    keep_latest_versions,
    records_to_table,
)
from cvframe._frame._per_endpoint import INTERVAL_PAIR, required_columns, resolve
from tests.frame.test_contracts import sample_frame
from tests.frame.test_schema import SAMPLE

BACKENDS = ("numpy_nullable", "pyarrow")

#: One mutation: (what, a number picking the column, a number picking the row).
MUTATION = st.tuples(
    st.sampled_from(["negative", "zero", "null", "duplicate", "end_not_after_start"]),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)


def _negative(kind: str) -> Any:
    return {"int": -1, "float": -0.5, "duration": pd.Timedelta(-1, unit="ms")}[kind]


def _zero(kind: str) -> Any:
    return {"int": 0, "float": 0.0, "duration": pd.Timedelta(0)}[kind]


def _mutated(
    df: pd.DataFrame, endpoint: str, mutations: list[tuple[str, int, int]]
) -> pd.DataFrame:
    declared = resolve(endpoint)
    measured = [c for c in declared.columns if c.kind in ("int", "float", "duration")]
    out = df.copy()
    for what, pick_column, pick_row in mutations:
        row = pick_row % len(out)
        if what == "duplicate":
            out = pd.concat([out, out.iloc[[row]]], ignore_index=True)
        elif what == "null":
            name = declared.columns[pick_column % len(declared.columns)].name
            out.loc[row, name] = None
        elif what in ("negative", "zero") and measured:
            column = measured[pick_column % len(measured)]
            make = _negative if what == "negative" else _zero
            out.loc[row, column.name] = make(column.kind)
        elif what == "end_not_after_start" and all(n in out.columns for n in INTERVAL_PAIR):
            out.loc[row, "interval_end"] = out.loc[row, "interval_start"]
    return out


def _pandera_passes(df: pd.DataFrame, endpoint: str, backend: str) -> bool:
    import pandera.pandas as pa

    schema = _validation._pandera_schema(df, backend, resolve(endpoint))  # type: ignore[arg-type]
    try:
        schema.validate(df, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError):
        return False
    return True


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(MUTATION, max_size=4))
def test_the_fast_checks_agree_with_pandera_on_randomly_broken_frames(
    endpoint: str, backend: DtypeBackend, mutations: list[tuple[str, int, int]]
) -> None:
    df = _mutated(sample_frame(endpoint, backend), endpoint, mutations)
    expected = cvframe.contract_dtypes(backend, endpoint=endpoint)
    # The mutations keep every dtype, so the checks (not the dtype test) decide.
    assert {n: str(t) for n, t in df.dtypes.items()} == {n: str(t) for n, t in expected.items()}
    passes = _pandera_passes(df, endpoint, backend)
    assert _validation._contract_holds(df, resolve(endpoint)) is passes
    if passes:
        assert cvframe.validate(df, endpoint=endpoint) is df
    else:
        with pytest.raises(cvframe.SchemaError, match="breaks the"):
            cvframe.validate(df, endpoint=endpoint)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_kind_of_violation_alone_is_refused_with_pandera_s_report(
    endpoint: str, backend: str
) -> None:
    declared = resolve(endpoint)
    good = sample_frame(endpoint, backend)
    assert _validation._contract_holds(good, declared)
    assert cvframe.validate(good, endpoint=endpoint) is good
    broken = [_mutated(good, endpoint, [("null", declared.columns.index(c), 0)])
              for c in declared.columns if c.name in required_columns(declared)]  # fmt: skip
    broken.append(_mutated(good, endpoint, [("duplicate", 0, 0)]))
    measured = [c for c in declared.columns if c.kind in ("int", "float", "duration")]
    broken.extend(_mutated(good, endpoint, [("negative", i, 0)]) for i in range(len(measured)))
    if all(name in good.columns for name in INTERVAL_PAIR):
        broken.append(_mutated(good, endpoint, [("end_not_after_start", 0, 0)]))
    assert len(broken) >= 2
    for df in broken:
        assert not _validation._contract_holds(df, declared)
        assert not _pandera_passes(df, endpoint, backend)
        with pytest.raises(cvframe.SchemaError) as info:
            cvframe.validate(df, endpoint=endpoint)
        assert f"the frame breaks the {declared.label} contract" in str(info.value)
        assert isinstance(info.value.failure_cases, pd.DataFrame)


def test_a_frame_whose_columns_are_out_of_order_is_left_to_pandera() -> None:
    good = sample_frame("callvolume")
    swapped = good[[good.columns[1], good.columns[0], *good.columns[2:]]]
    assert not _validation._contract_holds(swapped, resolve("callvolume"))
    with pytest.raises(cvframe.SchemaError):
        cvframe.validate(swapped)


def test_a_nan_score_is_refused_as_pandera_refuses_it() -> None:
    good = sample_frame("callvolume")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nan = good.assign(csat_score=pd.array([float("nan")] * len(good), dtype="Float64"))
    holds = _validation._contract_holds(nan, resolve("callvolume"))
    # Never laxer than the schema: a NaN the schema refuses is refused here too.
    assert holds is False or _pandera_passes(nan, "callvolume", "numpy_nullable")


def _outcome(make: Any) -> tuple[str, Any]:
    """("ok", frame) or ("error", message) of ``make()``."""
    try:
        return "ok", make()
    except cvframe.SchemaError as error:
        return "error", str(error)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(MUTATION, max_size=4))
def test_validating_the_arrow_table_gives_validate_s_verdict_and_report(
    endpoint: str, backend: DtypeBackend, mutations: list[tuple[str, int, int]]
) -> None:
    df = _mutated(sample_frame(endpoint, "numpy_nullable"), endpoint, mutations)
    table = pa.Table.from_pandas(df, schema=arrow_schema(endpoint), preserve_index=False)
    plain = frame_from_tables([table], endpoint=endpoint, dtype_backend=backend)
    # frame_from_tables checks the table it keeps: one row per natural key.
    kept = keep_latest_versions(table, endpoint=endpoint)
    assert _validation.table_holds(kept, resolve(endpoint)) is _validation._contract_holds(
        plain, resolve(endpoint)
    )
    expected = _outcome(lambda: cvframe.validate(plain, endpoint=endpoint))
    got = _outcome(
        lambda: frame_from_tables([table], endpoint=endpoint, dtype_backend=backend, validate=True)
    )
    assert got[0] == expected[0]
    if got[0] == "ok":
        pd.testing.assert_frame_equal(got[1], plain)
    else:
        assert got[1] == expected[1]


def test_a_large_read_frame_is_the_same_frame_with_its_pools_released() -> None:
    # Past the size at which frame_from_tables hands freed memory back around to_pandas.
    records = [
        {**SAMPLE, "_id": f"r{i:07d}", "offeredContacts": i % 7}
        for i in range(_arrow_to_pandas.RELEASE_ROWS + 10)
    ]
    tables = [records_to_table(records[i : i + 5000]) for i in range(0, len(records), 5000)]
    df = frame_from_tables(tables, validate=True)
    assert len(df) == len(records) and df["id"].is_unique
    assert df["offered_contacts"].sum() == sum(i % 7 for i in range(len(records)))
    assert cvframe.validate(df) is df
