"""Every teaching notebook in ``notebooks/`` is paired, clean, a thin client, and runs.

The notebooks are found by globbing ``notebooks/*.ipynb``, so new ones are tested automatically.
For each notebook:

* its ``.ipynb`` and its jupytext ``.py`` (percent format) hold the same cells, so an edit to one
  without the other fails (re-pair with ``uv run jupytext --sync notebooks/NAME.py``);
* the ``.ipynb`` is stored without outputs (clean diffs);
* it holds no model code: no ``def`` or ``class`` anywhere, and imports only ``bsc_sim``, the
  plotting/data libraries in :data:`ALLOWED_IMPORTS` and the standard library (except ``random``,
  whose global generator is unseeded state);
* its prose cannot go stale unnoticed: at least :data:`MIN_PROSE_ASSERTS` ``assert`` statements
  outside the exercise solutions check the claims its text makes (numbers in the text are
  computed and shown with ``IPython.display.Markdown`` or printed);
* it has 2-3 exercises, each with a solution cell tagged ``solution`` whose source is hidden in
  JupyterLab (``jupyter.source_hidden``) and which checks its own answer with an ``assert``;
* it executes top to bottom with nbclient (solutions included), from the ``notebooks/`` directory, on a kernel that
  runs this test's own interpreter (the project's ``.venv``), without errors, within the time
  budget, and shows at least one figure.

Run the slow part alone with ``uv run pytest tests/notebooks -k execute --durations=0``.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
ALLOWED_IMPORTS = {"bsc_sim", "matplotlib", "seaborn", "pandas", "numpy", "IPython"}
ALLOWED_IMPORTS |= set(sys.stdlib_module_names) - {"random"}  # utilities such as pathlib are not model code
MIN_PROSE_ASSERTS = 3  # issue 21: every notebook checks at least three of its prose claims
EXERCISES = (2, 3)     # solutions per notebook, fewest and most
CELL_TIMEOUT = 120      # seconds per cell: a guard against a hung kernel, not a speed check
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

notebooks = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def _python_source(source: str) -> str:
    """Cell source with IPython magics and shell escapes removed, ready for ``ast.parse``."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def test_notebooks_exist():
    assert len(NOTEBOOKS) >= 2, f"expected the teaching notebooks in {NOTEBOOK_DIR}"


def test_every_script_has_its_notebook():
    """A paired .py without its .ipynb would escape every other test here."""
    scripts = sorted(NOTEBOOK_DIR.glob("*.py"))
    missing = [p.name for p in scripts if not p.with_suffix(".ipynb").exists()]
    assert not missing, f"run `uv run jupytext --to ipynb` on: {missing}"


def sync_problems(nb, py) -> list[str]:
    """Why a notebook and its paired script differ (empty if their cells match)."""
    a, b = _cells(nb), _cells(py)
    problems = [f"{len(a)} cells vs {len(b)}"] if len(a) != len(b) else []
    problems += [f"cell {i} differs" for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return problems


def model_code_problems(nb) -> list[str]:
    """Definitions and disallowed imports in a notebook's code cells (empty if it is a thin client)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(_python_source(cell.source))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                problems.append(f"cell {i} line {node.lineno}: defines {node.name!r}; move it to bsc_sim.teaching")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                if isinstance(node, ast.ImportFrom) and node.level:
                    problems.append(f"cell {i}: relative import")
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                problems += [f"cell {i}: imports {m}" for m in modules if m.split(".")[0] not in ALLOWED_IMPORTS]
    return problems


@notebooks
def test_ipynb_and_py_are_in_sync(path):
    script = path.with_suffix(".py")
    assert script.exists(), f"{path.name} has no paired {script.name}"
    nb, py = jupytext.read(path), jupytext.read(script)
    assert "py:percent" in nb.metadata.get("jupytext", {}).get("formats", ""), "pair it: formats ipynb,py:percent"
    assert py.metadata.get("kernelspec", {}).get("name") == "python3"
    problems = sync_problems(nb, py)
    assert not problems, f"{path.name} and {script.name}: {problems}; run `uv run jupytext --sync {script}`"


@notebooks
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"cells {dirty} of {path.name} have stored outputs; clear them"


@notebooks
def test_no_model_code(path):
    """Notebooks import only bsc_sim, plotting/data libraries and the standard library, and define nothing."""
    problems = model_code_problems(jupytext.read(path.with_suffix(".py")))
    assert not problems, f"{path.name}: {problems}"


def _asserts(cell) -> int:
    return sum(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(_python_source(cell.source))))


def _solutions(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]


@notebooks
def test_prose_claims_are_asserted(path):
    """A claim in the text that the model stops supporting fails here, not in front of a room."""
    nb = nbformat.read(path, as_version=4)
    solutions = {id(c) for c in _solutions(nb)}
    n = sum(_asserts(c) for c in nb.cells if c.cell_type == "code" and id(c) not in solutions)
    assert n >= MIN_PROSE_ASSERTS, f"{path.name} checks {n} prose claims with assert; at least {MIN_PROSE_ASSERTS}"


@notebooks
def test_exercises_have_hidden_checked_solutions(path):
    nb = nbformat.read(path, as_version=4)  # the .ipynb: what JupyterLab opens
    solutions = _solutions(nb)
    assert EXERCISES[0] <= len(solutions) <= EXERCISES[1], f"{path.name} has {len(solutions)} solution cells"
    shown = [i for i, c in enumerate(solutions) if not c.metadata.get("jupyter", {}).get("source_hidden")]
    assert not shown, f"{path.name}: solutions {shown} are not hidden (metadata jupyter.source_hidden)"
    unchecked = [i for i, c in enumerate(solutions) if not _asserts(c)]
    assert not unchecked, f"{path.name}: solutions {unchecked} check nothing (no assert)"


def test_the_checks_catch_problems():
    """The sync and thin-client checks fail on notebooks that break the rules."""
    good = jupytext.reads("# %%\n%matplotlib inline\nfrom bsc_sim import run_sim\nimport pandas as pd\n"
                          "from pathlib import Path\nx = sorted([2, 1], key=lambda v: -v)\n", fmt="py:percent")
    assert model_code_problems(good) == []
    for bad in ("def f():\n    return 1", "class A:\n    pass", "if True:\n    def g(): pass",
                "import scipy", "from random import random", "from networkx import Graph", "from . import x"):
        assert model_code_problems(jupytext.reads(f"# %%\n{bad}\n", fmt="py:percent")), bad
    edited = jupytext.reads("# %%\nfrom bsc_sim import run_sim\nx = 2\n", fmt="py:percent")
    assert sync_problems(good, good) == []
    assert sync_problems(good, edited)
    longer = jupytext.reads("# %%\n%matplotlib inline\nfrom bsc_sim import run_sim\nimport pandas as pd\n"
                            "from pathlib import Path\nx = sorted([2, 1], key=lambda v: -v)\n\n# %%\ny = 1\n",
                            fmt="py:percent")
    assert sync_problems(good, longer)
    hidden = jupytext.reads('# %% tags=["solution"] jupyter={"source_hidden": true}\nassert 1\n\n# %%\nx = 1\n',
                            fmt="py:percent")
    assert [_asserts(c) for c in _solutions(hidden)] == [1]
    assert hidden.cells[0].metadata["jupyter"]["source_hidden"] is True


def _kernel_manager():
    """A kernel on *this* interpreter: only ipykernel's native spec, never an installed 'python3'
    kernelspec from the user's or the system's Jupyter directories."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    ksm = KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=ksm)
    assert km.kernel_spec.argv[0] == sys.executable
    return km


def _figures(nb) -> int:
    return sum("image/png" in out.get("data", {})
               for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


@notebooks
def test_execute(path):
    nb = nbformat.read(path, as_version=4)
    # A probe cell: which interpreter and directory the kernel really used.
    nb.cells.append(nbformat.v4.new_code_cell("import os, sys\nprint(sys.prefix)\nprint(os.getcwd())"))
    # MPLBACKEND=Agg (set for the test run) would stop inline figures in the kernel.
    env = {**os.environ, "MPLBACKEND": INLINE_BACKEND}
    client = nbclient.NotebookClient(nb, km=_kernel_manager(), timeout=CELL_TIMEOUT, allow_errors=False,
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute(env=env)
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert not errors, errors
    probe = "".join(out.get("text", "") for out in nb.cells[-1].outputs if out.output_type == "stream").split("\n")
    assert probe[0] == sys.prefix, f"kernel ran {probe[0]}, not this environment {sys.prefix}"
    assert Path(probe[1]).resolve() == NOTEBOOK_DIR
    assert _figures(nb) >= 1, f"{path.name} produced no figure"
