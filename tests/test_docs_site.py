"""The documentation site covers the public API and the notebooks, and builds strictly.

``make docs`` itself runs in CI (it takes a while and needs the ``docs`` extra); these
checks are the fast part: every public name has an API page (an autosummary entry
under its module) and no entry names something that is not public, every notebook is
an example page, the home page leads to each part, and the build's configuration keeps
warnings as errors without ignoring any cvframe reference.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

import cvframe

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
API = DOCS / "api"
PUBLIC_MODULES = ("cvframe.erlang", "cvframe.erlang_c", "cvframe.emulator", "cvframe.dask")


def _autosummary_entries() -> dict[str, set[str]]:
    """Fully qualified names listed by the API pages' autosummary directives, per page."""
    pages: dict[str, set[str]] = {}
    for page in sorted(API.glob("*.rst")):
        names: set[str] = set()
        module = ""
        in_autosummary = False
        for line in page.read_text(encoding="utf-8").splitlines():
            if found := re.match(r"\.\. (?:current|auto)?module:: (\S+)", line):
                module = found.group(1)
            if line.startswith(".. autosummary::"):
                in_autosummary = True
                continue
            if in_autosummary:
                if line.strip().startswith(":") or not line.strip():
                    continue
                if not line.startswith("   "):
                    in_autosummary = False
                    continue
                names.add(f"{module}.{line.strip()}")
        pages[page.name] = names
    return pages


def _public_names() -> set[str]:
    names = {f"cvframe.{name}" for name in cvframe.__all__}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names |= {f"{module_name}.{name}" for name in module.__all__}
    # A public module is documented by its own page (its docstring and its members),
    # not by an autosummary entry of the module object.
    return names - {f"cvframe.{m.rsplit('.', 1)[1]}" for m in PUBLIC_MODULES}


def _automodules() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in API.glob("*.rst"))
    return set(re.findall(r"^\.\. automodule:: (\S+)", text, flags=re.MULTILINE))


def test_every_public_name_has_an_api_page() -> None:
    listed = set().union(*_autosummary_entries().values())
    missing = sorted(_public_names() - listed)
    assert not missing, f"public names without an API page (add them to docs/api/*.rst): {missing}"


def test_api_pages_list_only_public_names() -> None:
    listed = set().union(*_autosummary_entries().values())
    stale = sorted(listed - _public_names())
    assert not stale, f"docs/api/*.rst lists names that are not public: {stale}"


def test_each_name_is_listed_once() -> None:
    seen: dict[str, str] = {}
    for page, names in _autosummary_entries().items():
        for name in names:
            assert name not in seen, f"{name} is listed on both {seen[name]} and {page}"
            seen[name] = page


def test_every_public_module_has_its_page() -> None:
    assert set(PUBLIC_MODULES) <= _automodules()


def test_errors_page_draws_the_tree_and_lists_every_exception() -> None:
    errors = importlib.import_module("cvframe._errors")
    tree = errors.__doc__ or ""
    listed = _autosummary_entries()["errors.rst"]
    for name in errors.__all__:
        assert re.search(rf"\b{name}\b", tree), f"{name} is missing from _errors' drawn tree"
        assert f"cvframe.{name}" in listed, f"{name} is missing from docs/api/errors.rst"
    assert "cvframe._errors" in _automodules()  # the page shows the drawn tree


def _toctree(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    block = re.search(r"```\{toctree\}\n(.*?)```", text, flags=re.DOTALL)
    assert block, f"{page} has no toctree"
    return [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.startswith(":")
    ]


def test_examples_are_the_notebooks() -> None:
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    assert _toctree(DOCS / "examples" / "index.md") == notebooks


def test_home_page_leads_to_each_part() -> None:
    entries = _toctree(DOCS / "index.md")
    assert entries == [
        "getting-started",
        "user-guide/index",
        "api/index",
        "examples/index",
        "changelog",
    ]
    for entry in entries:
        assert any((DOCS / f"{entry}{suffix}").exists() for suffix in (".md", ".rst")), entry


def _conf() -> ModuleType:
    """docs/conf.py as a module (it copies the notebooks into docs/examples, git-ignored)."""
    spec = importlib.util.spec_from_file_location("cvframe_docs_conf", DOCS / "conf.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_is_strict_offline_and_renders_stored_outputs() -> None:
    conf = _conf()
    assert conf.nitpicky is True
    assert conf.nb_execution_mode == "off"
    assert "sphinx.ext.intersphinx" not in conf.extensions  # no inventory can be fetched
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"sphinx-build -W --keep-going -n .*-b html docs docs/_build/html", makefile)


@pytest.mark.parametrize(
    "target",
    ["cvframe.read_callvolume", "cvframe._api._read.MAX_READ_PASSES", "cvframe", "read_callvolume"],
)
def test_no_cvframe_reference_is_ignored(target: str) -> None:
    conf = _conf()
    for _domain, pattern in conf.nitpick_ignore_regex:
        assert not re.fullmatch(pattern, target), f"{pattern!r} would hide a cvframe reference"


def test_unresolved_reference_fails_unless_the_object_exists() -> None:
    """The build's fallback shows a real private object as code; a made-up name still fails."""
    conf = _conf()
    assert conf._private_object_exists("MAX_READ_PASSES", None)
    assert conf._private_object_exists("cvframe._redact", None)
    assert conf._private_object_exists("retries", "cvframe.RetryingTransport")
    assert not conf._private_object_exists("MAX_READ_PASSAGES", None)
    assert not conf._private_object_exists("cvframe.read_callvolumes", None)
    assert not conf._private_object_exists("retried", "cvframe.RetryingTransport")


def test_every_public_constant_is_documented() -> None:
    """A constant's API page shows its ``#:`` comment (or the site's own text for it)."""
    # The comment is read with Sphinx's own parser: the docs extra's. Without it (the
    # pandas 2.2 run) make docs, which CI runs, fails on an undocumented constant anyway.
    pytest.importorskip("sphinx")
    conf = _conf()
    constants = [
        name
        for name in _public_names()
        if not callable(obj := _resolve(name)) and not isinstance(obj, ModuleType)
    ]
    assert "cvframe.COLUMNS" in constants and "cvframe.__version__" in constants
    for name in constants:
        documented = conf._defining_comment(name, _resolve(name)) or name in conf.DATA_DOCS
        assert documented, f"{name} has no #: comment where it is assigned"


def _resolve(name: str) -> object:
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)
