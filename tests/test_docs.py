"""The README is a contract too: its columns table and commands must match the code."""

from __future__ import annotations

import re
from pathlib import Path

import cvframe

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_columns_table_matches_the_contract() -> None:
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \| ([^|]+) \|", README, flags=re.M)
    documented = [(name, api) for name, api, _ in rows if api in cvframe.API_FIELDS]
    assert documented == [(c.name, c.api_name) for c in cvframe.COLUMNS]
    dtypes = {name: dtype.strip() for name, api, dtype in rows if api in cvframe.API_FIELDS}
    for name, dtype in cvframe.contract_dtypes().items():
        assert dtypes[name] == str(dtype).replace("string", "string[pyarrow]"), name


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
