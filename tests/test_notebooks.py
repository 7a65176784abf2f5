"""The notebooks run top to bottom, fresh, on this interpreter, and draw their charts.

Each notebook in ``notebooks/`` is executed in memory with nbclient on a kernel of
``sys.executable`` (so the venv under test, not whatever ``python`` is on PATH);
the executed copy is never written back. A notebook that raises, writes to stderr
(warnings included) or stops drawing its charts fails the suite.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
        nb,
        km=kernel_manager,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        # Run in a scratch directory: a notebook must not depend on, or litter, the repo.
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

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
