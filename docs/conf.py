"""Sphinx configuration of cvframe's documentation site (``make docs``).

The site is built with warnings as errors and nitpicky cross-references
(``sphinx-build -W --keep-going -n``), offline: no intersphinx inventory is
fetched, so references to other projects' types are ignored by name below.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import cvframe  # noqa: E402  (after the path: the checkout's cvframe, not an installed one)

project = "cvframe"
author = "cvframe developers"
copyright = "cvframe developers"
release = cvframe.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",
]

exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["cvframe.css"]

# --- The examples: the notebooks of notebooks/, rendered from their stored outputs ----
# They are copied next to docs/examples/index.md on every build (the copies are
# git-ignored): a Sphinx source must live under docs/, and notebooks/ stays where
# `make test` runs them. A copy is rewritten only when it differs, so an unchanged
# notebook is not rebuilt, and a copy whose notebook is gone is removed.
EXAMPLES = DOCS / "examples"
for _notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
    _copy = EXAMPLES / _notebook.name
    if not _copy.exists() or _copy.read_bytes() != _notebook.read_bytes():
        shutil.copyfile(_notebook, _copy)
for _copy in EXAMPLES.glob("*.ipynb"):  # a notebook removed from notebooks/ leaves too
    if not (ROOT / "notebooks" / _copy.name).exists():
        _copy.unlink()

nb_execution_mode = "off"  # the stored outputs are the ones `make test` checked
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# --- The API reference: one page per public name -------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc's Parameters already give each type, in words
autodoc_member_order = "bysource"
add_module_names = False
# autosummary lists the members of a class on its page (templates); numpydoc would list
# them a second time.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- Nitpicky, offline ---------------------------------------------------------------
nitpicky = True
# No intersphinx (the build has no network): a reference to another project's name
# cannot resolve. These are ignored by package, narrowly; a cvframe.* target is never
# ignored, so a broken reference into cvframe fails the build.
_EXTERNAL = (
    r"(pd|pandas|np|numpy|pa|pyarrow|pandera|pa_pandas|requests|dask|dd|distributed"
    r"|fsspec|s3fs|urllib3|jwt|tqdm|msgspec|matplotlib)(\..+)?"
)
_STDLIB = (
    r"(collections|collections\.abc|typing|datetime|os|pathlib|io|logging|threading"
    r"|concurrent|http|socket|types|enum|decimal|numbers|json|contextlib|warnings)(\..+)?"
)
_BUILTINS = (
    r"(str|int|float|bool|bytes|dict|list|tuple|set|frozenset|object|type|None|callable"
    r"|Exception|ValueError|TypeError|KeyError|UserWarning|Warning|RuntimeError|OSError"
    r"|TimeoutError|ConnectionError|Iterable|Iterator|Mapping|Sequence|Callable|Any"
    r"|Path|PathLike|Literal|Self)"
)
nitpick_ignore_regex = [
    ("py:.*", _EXTERNAL),
    ("py:.*", _STDLIB),
    ("py:.*", _BUILTINS),
]

# --- HTML ------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"cvframe {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    # The errors page draws the exception tree as a wide literal block: it gets the
    # page's full width instead of a one-line "on this page".
    "secondary_sidebar_items": {"**": ["page-toc"], "api/errors": []},
}
html_context = {"default_mode": "light"}
# Pages without sub-pages: no empty "Section Navigation" column beside them.
html_sidebars = {"getting-started": [], "changelog": []}
html_show_sourcelink = False


# --- References inside cvframe -------------------------------------------------------
# The docstrings are written for readers of the source too, so they name things as the
# code sees them: `estimate_patience` from cvframe.staffing (it lives in cvframe.erlang),
# `records` on the Emulator (inherited from a private base), private constants such as
# `MAX_READ_PASSES`. A reference Sphinx cannot resolve is looked up here: a public page
# of that name (cvframe.X, cvframe.erlang.X, cvframe.emulator.X, cvframe.dask.X, or a
# member of the class being documented) is linked; a private cvframe object that really
# exists (a constant, class, module, or an attribute set in the class) is shown as code,
# unlinked. Anything else stays a warning, so a misspelt or removed cvframe name still
# fails the build.
PUBLIC_MODULES = ("cvframe", "cvframe.erlang", "cvframe.emulator", "cvframe.dask")


def _private_object_exists(target, context_class):
    """Whether ``target`` names a real object in one of cvframe's modules."""
    head = target.split(".", 1)[0]
    if target.startswith("cvframe."):
        return _dotted_exists(target)
    if context_class is not None:
        cls = _dotted(context_class)
        if cls is not None and (hasattr(cls, head) or f"self.{head} =" in _source_or_empty(cls)):
            return True
    for name, module in list(sys.modules.items()):
        if (name == "cvframe" or name.startswith("cvframe.")) and hasattr(module, head):
            return _dotted_exists(f"{name}.{target}")
    return False


def _dotted(path):
    import importlib

    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            if not hasattr(obj, part):
                return None
            obj = getattr(obj, part)
        return obj
    return None


def _dotted_exists(path):
    return _dotted(path) is not None


def _source_or_empty(obj):
    import inspect

    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _resolve_cvframe(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    if not (target.startswith("cvframe") or node.get("py:module", "").startswith("cvframe")):
        return None
    module = node.get("py:module") or "cvframe"
    context = f"{module}.{node['py:class']}" if node.get("py:class") else None
    objects = env.get_domain("py").objects
    candidates = [f"{context}.{target}"] if context else []
    candidates += [target] + [f"{m}.{target}" for m in PUBLIC_MODULES]
    if context and "." in target:  # `RetryingTransport.wait_budget` from a sibling class
        candidates += [f"{module}.{target}"]
    for name in candidates:
        if name in objects:
            entry = objects[name]
            from sphinx.util.nodes import make_refnode

            return make_refnode(
                app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, name
            )
    if _private_object_exists(target, context):
        return contnode
    return None


# --- Public data (constants) ----------------------------------------------------------
# A constant's text is the ``#:`` comment above it in the module that defines it (for a
# name imported into cvframe, autodoc would show the docstring of its type: "int([x]) ->
# integer"). Names defined where no comment can sit are described here. A public
# constant with neither is a warning, so -W fails until it is documented.
DATA_DOCS = {
    "cvframe.__version__": "The version of the installed cvframe package.",
    "cvframe.IntervalSchema": (
        "The pandera schema of :func:`cvframe.resample_intervals`' output: a "
        "``DataFrameSchema`` instance (where :class:`cvframe.CallVolumeSchema` is a "
        "class), built on first use. ``cvframe.IntervalSchema.validate(frame)`` checks a "
        "resampled frame's columns and dtypes."
    ),
}


def _defining_comment(name, obj):
    """The ``#:`` comment of ``obj`` in the cvframe module that assigns it, if any."""
    from sphinx.pycode import ModuleAnalyzer

    short = name.rsplit(".", 1)[-1]
    for module_name, module in sorted(sys.modules.items()):
        if not module_name.startswith("cvframe") or getattr(module, short, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        except Exception:  # a module without source: look on
            continue
        if ("", short) in docs:
            return list(docs[("", short)])
    return None


def _data_docstring(app, what, name, obj, options, lines):
    if what != "data" or not name.startswith("cvframe"):
        return
    doc = _defining_comment(name, obj)
    if doc is None and name in DATA_DOCS:
        doc = [DATA_DOCS[name], ""]
    if doc is None:
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            "%s has no documentation: add a #: comment above it where it is assigned", name
        )
        doc = []
    if isinstance(obj, (int, str)):
        doc += ["", f"Value: ``{obj!r}``."]
    lines[:] = doc


def _public_bases(app, name, obj, options, bases):
    """Show a public class's bases without cvframe's private ones (their bases instead)."""

    def public(base):
        if (
            base.__module__.startswith("cvframe")
            and any(part.startswith("_") for part in base.__module__.split("."))
            and not any(getattr(_dotted(m), base.__name__, None) is base for m in PUBLIC_MODULES)
        ):
            return [b for parent in base.__bases__ for b in public(parent)]
        return [base]

    # ``object`` says nothing: a class whose only base it is shows no "Bases" line.
    bases[:] = [b for base in list(bases) for b in public(base) if b is not object]


def _skip_member(app, what, name, obj, skip, options):
    """Keep private helpers, and members inherited from outside cvframe, off the pages."""
    if re.match(r"_[^_]", name.rsplit(".", 1)[-1]):
        return True
    if what in ("class", "exception"):
        owner = getattr(getattr(obj, "fget", obj), "__module__", None)
        if owner is not None and not str(owner).startswith("cvframe"):
            return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("autodoc-process-docstring", _data_docstring)
    app.connect("missing-reference", _resolve_cvframe)
