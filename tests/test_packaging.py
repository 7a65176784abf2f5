"""The package's metadata as an installer and a user's type checker see it.

``make package`` (run by CI) builds the wheel and sdist, installs the wheel into a fresh
venv, reads from the emulator with it and type-checks user code against it; these tests
hold the metadata that build starts from.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import cvframe

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_has_one_source() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "cvframe._version.__version__"
    assert metadata.version("cvframe") == cvframe.__version__


def test_the_installed_metadata_describes_the_project() -> None:
    meta = metadata.metadata("cvframe")
    assert "WFM Integration" in meta["Summary"]
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Framework :: Pandas" in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)
    assert meta.get_all("Project-URL"), "no project URLs"
    assert meta["Requires-Python"] == ">=3.11"


def test_py_typed_ships_with_the_package() -> None:
    package_data = PYPROJECT["tool"]["setuptools"]["package-data"]["cvframe"]
    assert "py.typed" in package_data
    assert (Path(cvframe.__file__).parent / "py.typed").is_file()


def test_the_editable_install_is_a_path_entry_that_type_checkers_follow() -> None:
    # setuptools' default editable install is an import hook, which mypy cannot follow
    # (users saw import-not-found); the Makefile asks for a plain path entry.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "editable_mode=compat" in makefile
    installs = [line for line in makefile.splitlines() if "install -e" in line]
    assert installs and all("$(EDITABLE)" in line for line in installs)
