"""``import cvframe`` stays light: what only some uses need is imported on first use.

A module-set check, not a time: one fresh interpreter imports cvframe, then uses it step
by step, listing after each step the watched top-level packages loaded so far (``make
bench`` compares the import times).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Loaded only by what needs them: the HTTP client (requests, urllib3) with the first
#: CallVolumeClient, tqdm with the first progress bar, fsspec with a snapshot at a URL,
#: and the optional packages never by cvframe itself.
ON_FIRST_USE = ("requests", "urllib3", "tqdm", "fsspec", "dask", "duckdb", "polars", "msgspec")
#: Loaded on first use too (cvframe's ``__init__``, ``_frame`` and ``_analytics`` build
#: the pandera schemas and load the emulator lazily): pandera (and pydantic, typeguard
#: under it) with the first validation, PyJWT with the first signed token, the
#: emulator's HTTP server with ``cvframe.emulator``.
PANDERA_AND_EMULATOR = ("pandera", "pydantic", "typeguard", "jwt", "cryptography", "socketserver")
#: Modules (full names) the snapshot store loads where it reads or writes a file.
STORE_MODULES = ("pyarrow.dataset", "pyarrow.parquet")
#: cvframe's own modules a read never needs, loaded with the first analytics or WFM name.
ANALYTICS_MODULES = ("cvframe._analytics", "cvframe._wfm", "cvframe.erlang", "cvframe.erlang_c")

#: The steps, each followed by a listing of what is loaded.
_STEPS = {
    "import": "import cvframe",
    "client": "cvframe.CallVolumeClient(host='127.0.0.1', account_id='a', token='t')",
    "public names": (
        "from cvframe import CallVolumeSchema, IntervalSchema, emulator\n"
        "assert set(cvframe.__all__) <= set(dir(cvframe))\n"
        "assert CallVolumeSchema.to_schema().columns['id'].unique\n"
        "assert IntervalSchema.name == 'IntervalSchema'\n"
        "assert emulator.Emulator is cvframe.emulator.Emulator"
    ),
    "analytics": (
        "from cvframe import kpis, to_wfm, erlang\n"
        "import cvframe.erlang_c\n"
        "assert kpis is cvframe._analytics.kpis and erlang is cvframe.erlang\n"
        "assert to_wfm is cvframe._wfm.to_wfm and cvframe.erlang_c.staffing is erlang.staffing\n"
        "assert {'kpis', 'staffing', 'erlang', 'write_wfm'} <= set(dir(cvframe))"
    ),
}


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str]]:
    """Step name -> the watched packages loaded after it, from one fresh interpreter."""
    watched = sorted({*ON_FIRST_USE, *PANDERA_AND_EMULATOR})
    lines = ["import json, sys", "seen = {}"]
    for name, code in _STEPS.items():
        lines.append(code)
        lines.append(
            f"seen[{name!r}] = sorted(({{m.split('.')[0] for m in sys.modules}} & "
            f"{set(watched)!r}) | (set(sys.modules) & {set(STORE_MODULES + ANALYTICS_MODULES)!r}))"
        )
    lines.append("print(json.dumps(seen))")
    done = subprocess.run(
        [sys.executable, "-c", "\n".join(lines)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_import_cvframe_loads_no_http_client_progress_bar_or_optional_package(
    loaded: dict[str, list[str]],
) -> None:
    assert set(loaded["import"]) & set(ON_FIRST_USE) == set()


def test_the_http_client_loads_with_the_first_client(loaded: dict[str, list[str]]) -> None:
    assert {"requests", "urllib3"} <= set(loaded["client"])


def test_the_lazy_public_names_still_import_and_list(loaded: dict[str, list[str]]) -> None:
    # The step's assertions ran in the child (check=True); pandera is loaded by now.
    assert "pandera" in loaded["public names"]


def test_import_cvframe_loads_neither_pandera_nor_the_emulator(
    loaded: dict[str, list[str]],
) -> None:
    assert set(loaded["import"]) & set(PANDERA_AND_EMULATOR) == set()


def test_import_cvframe_loads_no_parquet_or_dataset_module(loaded: dict[str, list[str]]) -> None:
    assert set(loaded["import"]) & set(STORE_MODULES) == set()


def test_import_cvframe_loads_no_analytics_or_wfm_module(loaded: dict[str, list[str]]) -> None:
    assert set(loaded["import"]) & set(ANALYTICS_MODULES) == set()


def test_the_analytics_names_load_with_their_first_use(loaded: dict[str, list[str]]) -> None:
    # The step's assertions ran in the child: the names are the functions they were.
    assert set(ANALYTICS_MODULES) <= set(loaded["analytics"])
