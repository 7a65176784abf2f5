"""The README and the docs pages are a contract too: their tables, names and code must
match the code.

Every ``python`` block of ``README.md``, ``docs/getting-started.md`` and
``docs/user-guide/*.md`` runs as pasted, in order, one fresh namespace per page, against
the emulator the pages point at (``cvframe emulator`` and its ``CVFRAME_*`` variables);
a block after ``<!-- no-run: why -->`` is skipped (it needs an account, a bucket or a
cluster), a shell block after ``<!-- run -->`` runs too (``cvframe`` on ``PATH``), and a
block after ``<!-- output -->`` is what the blocks before it printed.
The generated tables (service-level definitions, the estimator comparison, the Erlang
fit, the benchmark table) are held equal to their sources;
``python tests/test_docs.py --write`` rewrites them from those sources (after ``make
bench`` has written ``benchmarks/results.json``).
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import inspect
import io
import itertools
import os
import re
import shlex
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "user-guide"
PAGES = [README, ROOT / "docs" / "getting-started.md", *sorted(GUIDE.glob("*.md"))]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _guide(name: str) -> str:
    return _text(GUIDE / f"{name}.md")


# ---------------------------------------------------------------- code blocks


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    lang: str
    code: str
    marker: str  # "", "output" or "no-run: <why>"


_FENCE = re.compile(r"^([ \t]*)```(\S*)[^\n]*\n(.*?)^\1```[ \t]*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*(output|run|no-run:[^>]*?)\s*-->\s*$")


def blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a page, each with the marker on the line before it."""
    text = _text(path)
    found = []
    for match in _FENCE.finditer(text):
        indent, lang, body = match.groups()
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _MARKER.search(before)
        code = "\n".join(line.removeprefix(indent) for line in body.splitlines())
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(_rel(path), line, lang, code, marker.group(1) if marker else ""))
    return found


def _runnable_pages() -> list[Path]:
    return [p for p in PAGES if any(b.lang == "python" for b in blocks(p))]


@pytest.fixture
def docs_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[None]:
    """What the pages assume: ``cvframe emulator``'s variables set, a fresh directory."""
    from cvframe.emulator import Emulator

    with Emulator() as emu:
        for name, value in emu.env().items():
            monkeypatch.setenv(name, value)
        # The cvframe command is on PATH, as in an activated virtual environment.
        bin_dir = str(Path(sys.executable).parent)
        monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))
        monkeypatch.chdir(tmp_path)
        yield


def _run_page(path: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    printed = io.StringIO()
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for block in blocks(path):
        where = f"{block.page}:{block.line}"
        if block.marker == "output":
            got, printed = printed.getvalue(), io.StringIO()
            want = block.code + "\n"
            assert checker.check_output(want, got, flags), (
                f"{where}: the output shown is not what the code before it printed:\n"
                + checker.output_difference(doctest.Example("", want), got, flags)
            )
        elif block.marker == "run":
            import subprocess

            assert block.lang in {"sh", "bash"}, f"{where}: only shell blocks are marked run"
            done = subprocess.run(
                ["bash", "-e", "-c", block.code], capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, f"{where} fails when pasted: {done.stderr}"
            printed.write(done.stdout)
        elif block.lang == "python" and not block.marker.startswith("no-run"):
            with contextlib.redirect_stdout(printed), warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                try:
                    exec(compile(block.code, where, "exec"), namespace)
                except Exception as error:
                    raise AssertionError(f"{where} fails when pasted: {error!r}") from error
            # A warning from cvframe (or from the block's own lines) is a page that shows a
            # misuse; third-party libraries' own deprecations are theirs.
            ours = [w for w in seen if "site-packages" not in w.filename]
            assert not ours, f"{where} warns: {[str(w.message) for w in ours]}"


@pytest.mark.parametrize("path", _runnable_pages(), ids=_rel)
def test_every_python_block_of_the_page_runs_as_pasted(path: Path, docs_environment: None) -> None:
    _run_page(path)


def test_blocks_that_do_not_run_are_few_and_say_why() -> None:
    skipped = [b for p in PAGES for b in blocks(p) if b.marker.startswith("no-run")]
    python = [b for p in PAGES for b in blocks(p) if b.lang == "python"]
    assert all(b.marker.removeprefix("no-run:").strip() for b in skipped)
    assert all(b.lang == "python" for b in skipped), "mark only python blocks no-run"
    assert len(skipped) <= 5 and len(skipped) * 5 <= len(python), [
        f"{b.page}:{b.line}" for b in skipped
    ]


def test_every_output_block_follows_code() -> None:
    for path in PAGES:
        found = blocks(path)
        for before, block in itertools.pairwise(found):
            if block.marker == "output":
                runs = before.lang == "python" or before.marker == "run"
                assert runs, f"{block.page}:{block.line}: output after a block that does not run"


_SHELLS = {"sh", "bash", "console", "shell"}


def _commands() -> list[tuple[str, list[str], str]]:
    """Each ``cvframe ...`` line of the shell blocks: where, its arguments, its output.

    The output is what a ``console`` block shows under a ``$ cvframe ...`` line.
    """
    found = []
    for path in PAGES:
        for block in blocks(path):
            if block.lang not in _SHELLS:
                continue
            lines = block.code.splitlines()
            for number, line in enumerate(lines):
                command = line.strip()
                if block.lang == "console" and not command.startswith("$ "):
                    continue
                command = command.removeprefix("$ ")
                if not command.startswith("cvframe "):
                    continue
                try:
                    words = shlex.split(command, comments=True)
                except ValueError:  # unbalanced quotes: the parser test names the line
                    words = ["cvframe", f"<unbalanced quotes: {command}>"]
                output = []
                if block.lang == "console":
                    rest = itertools.takewhile(
                        lambda ln: not ln.startswith("$ "), lines[number + 1 :]
                    )
                    output = list(rest)
                where = f"{block.page}:{block.line + 1 + number}"
                found.append((where, words[1:], "\n".join(output)))
    return found


def test_every_command_line_shown_is_one_the_cli_takes() -> None:
    """Options and choices as the parser knows them (bad usage would exit 2)."""
    from cvframe._cli._main import build_parser

    bad = []
    for where, words, _ in _commands():
        if {"-h", "--help", "--version"} & set(words):
            continue
        with contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                build_parser().parse_args(words)
            except SystemExit:
                bad.append(f"{where}: cvframe {shlex.join(words)}: {err.getvalue().strip()}")
    assert bad == []


@pytest.mark.parametrize(
    "where, words, output",
    [c for c in _commands() if c[2]] or [pytest.param("", [], "", marks=pytest.mark.skip)],
    ids=lambda v: v if isinstance(v, str) and ".md:" in v else "",
)
def test_every_console_output_shown_is_what_the_command_prints(
    where: str, words: list[str], output: str, tmp_path: Path
) -> None:
    import subprocess

    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "cvframe", *words],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,  # cvframe demo writes demo-output/ there
    )
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    got = done.stdout + done.stderr
    assert checker.check_output(output + "\n", got, flags), (
        f"{where}: cvframe {shlex.join(words)} prints\n{got}"
    )


# ---------------------------------------------------------------- names


_ROLE = re.compile(r"\{(func|class|exc|mod|meth|attr|data|obj)\}`~?([\w.]+)`")


#: The modules whose ``__all__`` D1's API reference documents.
PUBLIC_MODULES = (
    "cvframe",
    "cvframe.erlang",
    "cvframe.erlang_c",
    "cvframe.dask",
    "cvframe.emulator",
)


def _resolve(target: str) -> object:
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(target)


def test_every_api_role_names_a_public_object() -> None:
    """D1's nitpicky build resolves these; a wrong one fails here first, naming the page."""
    bad = []
    for path in PAGES:
        for role, target in _ROLE.findall(_text(path)):
            if target in PUBLIC_MODULES[1:] and role == "mod":
                continue  # each has its API page; cvframe's names have theirs
            owner = max(
                (m for m in PUBLIC_MODULES if target.startswith(m + ".")), key=len, default=""
            )
            name = target.removeprefix(owner + ".")  # the API pages are of public names
            exported = getattr(importlib.import_module(owner), "__all__", []) if owner else []
            try:
                _resolve(target)
            except (ImportError, AttributeError):
                exported = []
            if name not in exported:
                bad.append(f"{_rel(path)}: {{{role}}}`{target}`")
    assert bad == []


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").rglob("*.py"):
        names |= set(re.findall(r"^\s*def (test_\w+)", _text(path), flags=re.M))
    return names


def test_every_test_the_docs_name_exists() -> None:
    """A test named as proof (the reliability table, the prose) must exist."""
    defined = _test_names()
    files = {p.name for p in (ROOT / "tests").rglob("test_*.py")}
    missing = []
    for path in PAGES:
        text = _text(path)
        for name in set(re.findall(r"\b(test_\w+)\b(?!\.py)", text)):
            if name not in defined:
                missing.append(f"{_rel(path)}: {name}")
        for ref in set(re.findall(r"`((?:tests/)?[\w/]*test_\w+\.py)", text)):
            if Path(ref).name not in files or (
                ref.startswith("tests/") and not (ROOT / ref).is_file()
            ):
                missing.append(f"{_rel(path)}: {ref}")
    assert sorted(missing) == []


def _anchors(path: Path) -> set[str]:
    """GitHub's (and MyST's ``myst_heading_anchors``) slugs of a page's headings."""
    text = re.sub(r"^```.*?^```", "", _text(path), flags=re.M | re.S)
    titles = re.findall(r"^#{1,3} (.+)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", t.strip().lower()).replace(" ", "-") for t in titles}


def test_every_relative_link_points_at_a_page_and_heading_that_exist() -> None:
    bad = []
    for path in PAGES:
        links = re.findall(r"\]\(([^)#:\s]*)(?:#([\w-]+))?\)", _text(path))
        for target, anchor in links:
            page = (path.parent / target).resolve() if target else path
            if not page.exists():
                bad.append(f"{_rel(path)}: {target}")
            elif anchor and page.suffix == ".md" and anchor not in _anchors(page):
                bad.append(f"{_rel(path)}: {target}#{anchor}")
    assert bad == []


_SIGNATURE = re.compile(r"`(?:cvframe\.)?(\w+)\(([^`]*)\)`")


def _parameters(params: str) -> list[str]:
    """The names in ``a, b=(1, 2), *, c=None, **kw``: top-level commas only."""
    names, depth, current = [], 0, ""
    for char in params + ",":
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            name = current.split("=")[0].strip().lstrip("*")
            if name and name not in {"...", "…"}:
                names.append(name)
            current = ""
        else:
            current += char
    return names


def _shown_signatures(path: Path) -> list[tuple[str, list[str]]]:
    """``name(a, b=1, *, c=None)`` spans and ``text`` blocks (with a ``*``: a signature)."""
    import cvframe

    text = re.sub(r"\s*\n\s*", " ", _text(path))
    spans = _SIGNATURE.findall(text)
    for block in blocks(path):
        match = re.fullmatch(r"(?:cvframe\.)?(\w+)\((.*)\)", block.code.strip(), flags=re.S)
        if block.lang == "text" and match:
            spans.append((match.group(1), " ".join(match.group(2).split())))
    return [
        (name, _parameters(params))
        for name, params in spans
        if name in cvframe.__all__ and re.search(r"(^|,)\s*\*\s*(,|$)", params)
    ]


def test_every_signature_shown_is_the_functions_own() -> None:
    """A signature written out in the docs names every parameter, in order."""
    import cvframe

    wrong = []
    for path in PAGES:
        for name, shown in _shown_signatures(path):
            real = [
                p.name
                for p in inspect.signature(getattr(cvframe, name)).parameters.values()
                if p.name not in {"threshold"}  # the deprecated alias, documented apart
            ]
            if shown != real:
                wrong.append(f"{_rel(path)}: {name}({', '.join(shown)}) is ({', '.join(real)})")
    assert wrong == []


def test_the_readme_is_short_and_its_quick_start_is_the_two_make_commands() -> None:
    text = _text(README)
    assert len(text.splitlines()) < 150
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^make (\w+)", quick, flags=re.M) == ["demo", "test"]


#: Submodules that are public but not imported by ``import cvframe``: optional extras.
OPTIONAL_SUBMODULES = {"dask"}


def test_public_api_is_exactly_all() -> None:
    import cvframe

    public = {n for n in dir(cvframe) if not n.startswith("_")}
    assert public <= set(cvframe.__all__) | {"annotations"} | OPTIONAL_SUBMODULES
    assert cvframe.__all__ == sorted(cvframe.__all__, key=lambda s: (not s.isupper(), s))
    for name in cvframe.__all__:
        assert hasattr(cvframe, name), name


def test_every_public_function_and_class_has_a_runnable_example() -> None:
    import cvframe

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


# ---------------------------------------------------------------- tables


@pytest.mark.parametrize(
    "name", ["callvolume", "skillvolume", "agentperformance", "agentactivity", "queues", "agents"]
)
def test_each_endpoints_columns_table_matches_its_declaration(name: str) -> None:
    """Each endpoint's table follows a ``<!-- columns: NAME -->`` marker."""
    import cvframe
    from cvframe._endpoints import ENDPOINTS

    page = _guide("reading" if name == "callvolume" else "endpoints")
    marker = f"<!-- columns: {name} -->\n"
    assert page.count(marker) == 1, f"no single columns table for {name}"
    table = page.split(marker, 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \| ([^|]+) \| ([^|]+) \|$", table, flags=re.M)
    endpoint = ENDPOINTS[name]
    assert [(n, a) for n, a, _, _ in rows] == [(c.name, c.api_name) for c in endpoint.columns]
    dtypes = cvframe.contract_dtypes(endpoint=name)
    for column, _, dtype, meaning in rows:
        assert dtype.strip() == str(dtypes[column]), column
        assert meaning.strip() == next(c.description for c in endpoint.columns if c.name == column)


def _between(page: str, name: str) -> str:
    start, end = f"<!-- {name} -->\n", f"\n<!-- /{name} -->"
    assert page.count(start) == 1 and page.count(end) == 1, f"no single {name} block"
    return page.split(start, 1)[1].split(end, 1)[0]


def test_service_level_definitions_are_the_ones_the_code_uses() -> None:
    from cvframe._analytics import DEFAULT_SL_DENOMINATOR, SL_DENOMINATORS

    rows = re.findall(
        r'^\| `"([^"]+)"`( \(default\))? \| ([^|]+) \| (.+) \|$',
        _between(_guide("service-level"), "sl-definitions"),
        flags=re.M,
    )
    assert [name for name, *_ in rows] == list(SL_DENOMINATORS)
    for name, default, formula, source in rows:
        assert bool(default) == (name == DEFAULT_SL_DENOMINATOR), name
        assert formula.strip() == SL_DENOMINATORS[name].formula, name
        assert source.strip() == SL_DENOMINATORS[name].source, name


@contextlib.contextmanager
def _benchmarks() -> Iterator[None]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        yield
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def sl_estimators_block() -> str:
    with _benchmarks():
        import sl_estimators
    return str(sl_estimators.markdown(sl_estimators.compare()))


def erlang_fit_block() -> str:
    with _benchmarks():
        import erlang_fit
    return str(erlang_fit.table(erlang_fit.simulate(30, 14))).strip()


def bench_block() -> str:
    """The benchmark table of ``benchmarks/results.json``, with the machine it ran on."""
    import json

    with _benchmarks():
        import run
    result = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    m = result["machine"]
    machine = (
        f"Measured on {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB), Python "
        f"{m['python']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}, numpy {m['numpy']}, "
        f"cvframe {m['cvframe']}; each figure the median of {result['runs']} runs."
    )
    pairs = max((r.get("pairs", 0) for r in result["rows"]), default=0)
    if pairs:
        machine += (
            f" The CPU rows pair runs instead: each of {pairs} reads against the anchor's "
            "runs just before and after it. Their ratio is the median of those reads' "
            "ratios, with the lowest and highest beside it (so not the row's two "
            "figures divided); cvframe's figure is the median of all its reads, the "
            "anchor's the median of its runs."
        )
    return f"{machine}\n\n{run.table(result['rows'])}"


def error_tree_block() -> str:
    """The exception tree ``cvframe._errors``' docstring draws (D1's errors page shows it)."""
    from cvframe import _errors

    doc = inspect.getdoc(_errors) or ""
    tree = doc.split("The tree::\n\n", 1)[1].split("\n\n", 2)
    lines = "\n\n".join(tree[:2]).splitlines()
    return "```text\n" + "\n".join(line.removeprefix("    ") for line in lines) + "\n```"


#: page, block name, what the block must be
GENERATED = {
    ("reading", "error-tree"): error_tree_block,
    ("service-level", "sl-estimators"): sl_estimators_block,
    ("staffing", "erlang-fit"): erlang_fit_block,
    ("performance", "bench-table"): bench_block,
}


@pytest.mark.parametrize("page, name", list(GENERATED), ids=[n for _, n in GENERATED])
def test_each_generated_block_is_what_its_source_gives(page: str, name: str) -> None:
    assert _between(_guide(page), name) == GENERATED[page, name](), (
        f"docs/user-guide/{page}.md's {name} block is stale: run python tests/test_docs.py --write"
    )


def write() -> None:
    """Rewrite every generated block from its source."""
    for (page, name), make in GENERATED.items():
        path = GUIDE / f"{page}.md"
        text = _text(path)
        old = _between(text, name)
        path.write_text(text.replace(f"<!-- {name} -->\n{old}\n", f"<!-- {name} -->\n{make()}\n"))
        print(f"{_rel(path)}: {name} written")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_docs.py --write")
    sys.path.insert(0, str(ROOT))
    write()
