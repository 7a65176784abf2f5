"""The notebooks run top to bottom, fresh, on this interpreter, and draw their charts.

Each notebook in ``notebooks/`` is executed in memory with nbclient on a kernel of
``sys.executable`` (so the venv under test, not whatever ``python`` is on PATH);
the executed copy is never written back. A notebook that raises, writes to stderr
(warnings included) or stops drawing its charts fails the suite.

Its charts are looked at too: a probe (two cells added to the in-memory copy only)
describes every figure as ``plt.show()`` draws it, and the tests hold each chart to
a title, axis labels with units, a legend that covers no data, and axes of agents
that count whole agents.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import nbclient
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
#: Seconds any one cell may take; the notebooks take a few seconds in all.
CELL_TIMEOUT = 120
#: PNG charts each notebook must draw.
EXPECTED_IMAGES = {
    "01-quickstart.ipynb": 3,
    "02-forecasting-and-staffing.ipynb": 3,
    "03-wfm-export.ipynb": 0,
    "04-agents-occupancy.ipynb": 2,
}


def test_every_notebook_is_tested() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED_IMAGES)


@pytest.fixture
def kernel_manager(tmp_path: Path) -> KernelManager:
    """A manager whose "python3" kernel is this interpreter (not the first on PATH)."""
    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "cvframe tests",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    assert manager.kernel_spec is not None
    assert manager.kernel_spec.argv[0] == sys.executable
    return manager


#: Run after a notebook's first code cell (its imports and ``%matplotlib inline``):
#: wraps ``plt.show`` so that each figure is described as drawn, in display pixels.
_PROBE_SETUP = """
import json as _probe_json

import matplotlib.pyplot as _probe_plt
import numpy as _probe_np

_probe_charts = []
_probe_show = _probe_plt.show


def _probe_box(box):
    return [float(box.x0), float(box.y0), float(box.x1), float(box.y1)]


def _probe_axes(ax, renderer):
    legend = ax.get_legend()
    points = []
    shapes = [_probe_np.asarray(line.get_xydata(), dtype=float) for line in ax.get_lines()]
    # Filled areas (fill_between's bands) drawn in data coordinates: their outlines.
    shapes += [
        _probe_np.asarray(path.vertices, dtype=float)
        for collection in ax.collections
        if collection.get_transform() is ax.transData
        for path in collection.get_paths()
    ]
    for xy in shapes:
        xy = xy[_probe_np.isfinite(xy).all(axis=1)]
        if len(xy):
            points.extend(ax.transData.transform(xy).tolist())
    locator = ax.yaxis.get_major_locator()
    low, high = sorted(ax.get_ylim())
    ticks = [float(t) for t in ax.get_yticks() if low <= t <= high]
    return {
        "titles": [ax.get_title(loc) for loc in ("left", "center", "right")],
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "box": _probe_box(ax.get_window_extent(renderer)),
        "legend": None if legend is None else _probe_box(legend.get_window_extent(renderer)),
        "points": points,
        "y_integer_locator": bool(getattr(locator, "_integer", False)),
        "yticks": ticks,
    }


def _probe_recording_show(*args, **kwargs):
    for number in _probe_plt.get_fignums():
        figure = _probe_plt.figure(number)
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        top = figure._suptitle
        suptitle = top.get_text() if top is not None else ""
        boxes = [] if top is None else [_probe_box(top.get_window_extent(renderer))]
        legends = [_probe_box(legend.get_window_extent(renderer)) for legend in figure.legends]
        _probe_charts.append(
            {
                "suptitle": suptitle,
                "legends": legends,
                "suptitle_box": boxes,
                "axes": [_probe_axes(ax, renderer) for ax in figure.axes],
            }
        )
    return _probe_show(*args, **kwargs)


_probe_plt.show = _probe_recording_show
"""
#: The last cell: every chart's description, as one line of JSON.
_PROBE_REPORT = "print(_probe_json.dumps(_probe_charts))"
#: An axis label names its unit in parentheses: "ASA (seconds)", "interval start (UTC)".
_UNIT = re.compile(r"\([^()]+\)")


def _probed(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with the probe's cells around its code (after the first code cell, at the end)."""
    first = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    nb.cells.insert(first + 1, nbformat.v4.new_code_cell(_PROBE_SETUP))
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE_REPORT))
    return nb


def _unprobed(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """Take the probe's cells out of the executed ``nb``; return the charts it described."""
    setup = next(i for i, cell in enumerate(nb.cells) if cell.source == _PROBE_SETUP)
    assert not nb.cells.pop(setup).outputs
    report = nb.cells.pop()
    assert report.source == _PROBE_REPORT
    (output,) = report.outputs
    charts: list[dict[str, Any]] = json.loads(output.text)
    return charts


def _inside(point: list[float], box: list[float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_charts(name: str, charts: list[dict[str, Any]]) -> None:
    """Every chart has a title and labelled axes with units; legends hide no data."""
    for chart in charts:
        titles = [chart["suptitle"], *(t for ax in chart["axes"] for t in ax["titles"])]
        title = next((t for t in titles if t), "")
        assert title, f"{name}: a chart without a title"
        for legend in chart["legends"]:  # a figure's legend: off every axes
            assert not any(_overlap(legend, ax["box"]) for ax in chart["axes"]), title
            assert not any(_overlap(legend, box) for box in chart["suptitle_box"]), title
        xlabels = [ax["xlabel"] for ax in chart["axes"] if ax["xlabel"]]
        assert xlabels, f"{name}: {title!r} has no x-axis label"
        for ax in chart["axes"]:
            for label in [ax["ylabel"], *([ax["xlabel"]] if ax["xlabel"] else [])]:
                assert _UNIT.search(label), f"{name}: {title!r}: label {label!r} has no (unit)"
            if ax["legend"] is not None:
                covered = [p for p in ax["points"] if _inside(p, ax["legend"])]
                assert not covered, f"{name}: {title!r}: the legend covers {len(covered)} points"
            if "(agents)" in ax["ylabel"]:  # a count of agents: whole numbers on its axis
                assert ax["y_integer_locator"], f"{name}: {title!r}: {ax['ylabel']!r}"
                assert ax["yticks"] and all(t == int(t) for t in ax["yticks"]), ax["yticks"]


def _outputs(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(EXPECTED_IMAGES))
def test_notebook_runs_fresh_and_draws_its_charts(
    name: str, kernel_manager: KernelManager, tmp_path: Path
) -> None:
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # start from nothing, whatever was committed
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None

    client = nbclient.NotebookClient(
        _probed(nb),
        km=kernel_manager,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        # Run in a scratch directory: a notebook must not depend on, or litter, the repo.
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    charts = _unprobed(nb)

    outputs = _outputs(nb)
    errors = [out for out in outputs if out.output_type == "error"]
    assert not errors, [f"{out.ename}: {out.evalue}" for out in errors]
    stderr = [out.text for out in outputs if out.get("name") == "stderr"]
    assert not stderr, stderr
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == EXPECTED_IMAGES[name]
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code_cells)
    assert list(tmp_path.iterdir()) == [tmp_path / "kernels"]
    assert len(charts) == EXPECTED_IMAGES[name]
    check_charts(name, charts)
    if name == "01-quickstart.ipynb":
        (daily,) = [c for c in charts if "Daily offered volume" in c["axes"][0]["titles"][1]]
        (ax,) = daily["axes"]
        # Beside the data region, not on it: the legend does not overlap the axes at all.
        assert ax["legend"] is not None and not _overlap(ax["legend"], ax["box"]), ax
    if name == "02-forecasting-and-staffing.ipynb":
        agents = [a for c in charts for a in c["axes"] if "(agents)" in a["ylabel"]]
        assert len(agents) == 6  # both staffing charts, three queues each


@pytest.mark.parametrize("name", sorted(EXPECTED_IMAGES))
def test_committed_notebook_has_its_outputs_and_prose(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    outputs = _outputs(nb)
    assert not [out for out in outputs if out.output_type == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == EXPECTED_IMAGES[name], "re-execute and commit with outputs"
    assert nb.cells[0].cell_type == "markdown"
    for before, cell in zip(nb.cells, nb.cells[1:], strict=False):
        if cell.cell_type == "code":
            assert before.cell_type == "markdown", f"{name}: no prose before {cell.source!r}"


def _cells(name: str) -> list[nbformat.NotebookNode]:
    cells: list[nbformat.NotebookNode] = nbformat.read(NOTEBOOKS / name, as_version=4).cells
    return cells


def test_a_section_works_in_local_time() -> None:
    """Notebook 01 resamples with tz=, and its stored output shows local times."""
    cells = _cells("01-quickstart.ipynb")
    local = [
        cell
        for cell in cells
        if cell.cell_type == "code"
        and re.search(
            r"(resample_intervals|to_series)\([^)]*tz=\"[A-Za-z]+/[A-Za-z_]+\"", cell.source
        )
    ]
    assert local, "no cell resamples with tz="
    shown = "".join(
        out.get("data", {}).get("text/plain", "") for cell in local for out in cell.outputs
    )
    assert "-05:00" in shown, shown  # New York's winter offset, not UTC's +00:00
    assert "+00:00" not in shown
    headings = [cell.source for cell in cells if cell.cell_type == "markdown"]
    assert any(h.startswith("## In local time") for h in headings)


def test_emu_advance_is_documented_where_notebook_02_uses_it() -> None:
    cells = _cells("02-forecasting-and-staffing.ipynb")
    (at,) = [
        i
        for i, cell in enumerate(cells)
        if cell.cell_type == "code" and "emu.advance(" in cell.source
    ]
    prose = cells[at - 1]
    assert prose.cell_type == "markdown"
    assert "emu.advance" in prose.source and "Emulator.advance" in prose.source
    # The docstring it points to is the Emulator's own, numpydoc, with a runnable
    # example (pytest --doctest-modules runs it).
    from cvframe.emulator import Emulator

    doc = Emulator.__dict__["advance"].__doc__
    assert doc is not None
    for section in ("Parameters\n", "Examples\n", "    emu.advance("):
        assert section in doc, section
