"""The README is a contract too: its columns table and commands must match the code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import cvframe
from cvframe._endpoints import ENDPOINTS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_columns_table_matches_the_contract() -> None:
    section = README.split("### Columns\n", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \| ([^|]+) \|", section, flags=re.M)
    documented = [(name, api) for name, api, _ in rows if api in cvframe.API_FIELDS]
    assert documented == [(c.name, c.api_name) for c in cvframe.COLUMNS]
    dtypes = {name: dtype.strip() for name, api, dtype in rows if api in cvframe.API_FIELDS}
    for name, dtype in cvframe.contract_dtypes().items():
        assert dtypes[name] == str(dtype).replace("string", "string[pyarrow]"), name


@pytest.mark.parametrize("name", [n for n in ENDPOINTS if n != "callvolume"])
def test_readme_columns_table_of_each_other_endpoint_matches_its_declaration(name: str) -> None:
    """Each endpoint's table follows a ``<!-- columns: NAME -->`` marker in the README."""
    marker = f"<!-- columns: {name} -->\n"
    assert README.count(marker) == 1, f"the README has no single columns table for {name}"
    table = README.split(marker, 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \| ([^|]+) \| ([^|]+) \|$", table, flags=re.M)
    endpoint = ENDPOINTS[name]
    assert [(n, a) for n, a, _, _ in rows] == [(c.name, c.api_name) for c in endpoint.columns]
    dtypes = cvframe.contract_dtypes(endpoint=name)
    for column, _, dtype, meaning in rows:
        assert dtype.strip() == str(dtypes[column]).replace("string", "string[pyarrow]"), column
        assert meaning.strip() == next(c.description for c in endpoint.columns if c.name == column)


def test_readme_quick_start_is_the_two_make_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", quick, flags=re.M)
    assert commands == ["demo", "test"]


#: Submodules that are public but not imported by ``import cvframe``: optional extras.
OPTIONAL_SUBMODULES = {"dask"}


def test_public_api_is_exactly_all() -> None:
    public = {n for n in dir(cvframe) if not n.startswith("_")}
    assert public <= set(cvframe.__all__) | {"annotations"} | OPTIONAL_SUBMODULES
    assert cvframe.__all__ == sorted(cvframe.__all__, key=lambda s: (not s.isupper(), s))
    for name in cvframe.__all__:
        assert hasattr(cvframe, name), name


def test_every_public_function_and_class_has_a_runnable_example() -> None:
    import inspect

    missing = []
    for name in cvframe.__all__:
        obj = getattr(cvframe, name)
        if inspect.isclass(obj) and issubclass(obj, Exception | Warning):
            continue  # the exception tree is documented in cvframe._errors
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj):
            doc = obj.__doc__ or ""
            if "Examples" not in doc or ">>>" not in doc:
                missing.append(name)
    assert missing == []


def _table_after(marker: str) -> str:
    assert README.count(marker) == 1, f"the README has no single table after {marker}"
    return README.split(marker, 1)[1].strip().split("\n\n", 1)[0]


def test_readme_service_level_definitions_are_the_ones_the_code_uses() -> None:
    from cvframe._analytics import DEFAULT_SL_DENOMINATOR, SL_DENOMINATORS

    rows = re.findall(
        r'^\| `"([^"]+)"`( \(default\))? \| ([^|]+) \| (.+) \|$',
        _table_after("<!-- sl-definitions -->\n"),
        flags=re.M,
    )
    assert [name for name, *_ in rows] == list(SL_DENOMINATORS)
    for name, default, formula, source in rows:
        assert bool(default) == (name == DEFAULT_SL_DENOMINATOR), name
        assert formula.strip() == SL_DENOMINATORS[name].formula, name
        assert source.strip() == SL_DENOMINATORS[name].source, name


def test_readme_estimator_table_is_what_the_benchmark_script_prints() -> None:
    """The README's comparison is the output of ``benchmarks/sl_estimators.py``, rerun."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import sl_estimators
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    printed = sl_estimators.markdown(sl_estimators.compare())
    assert _table_after("<!-- sl-estimators -->\n") == printed


def test_readme_erlang_fit_block_is_what_the_benchmark_script_prints() -> None:
    """The README's Erlang C vs Erlang A evidence is ``benchmarks/erlang_fit.py``, rerun."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import erlang_fit
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    block = README.split("<!-- erlang-fit -->\n", 1)[1].split("\n<!-- /erlang-fit -->", 1)[0]
    assert block == erlang_fit.table(erlang_fit.simulate(30, 14)).strip()
