"""The package's layers, read from the source (lazy imports inside functions included): experiments
import nothing from analysis, and no two analysis modules import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import bsc_sim

ROOT = Path(bsc_sim.__file__).parent


def _imports(path: Path) -> set[str]:
    """Absolute names of the bsc_sim modules ``path`` imports, anywhere in the file."""
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            name = ".".join(p for p in (base, node.module or "") if p) if node.level else node.module or ""
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)  # "from . import x" names a module
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {n for n in out if n.startswith("bsc_sim")}


def test_experiments_import_nothing_from_analysis():
    upward = {f"{p.name}: {n}" for p in (ROOT / "experiments").glob("*.py") for n in _imports(p)
              if n.startswith("bsc_sim.analysis")}
    assert upward == set()


def test_no_two_analysis_modules_import_each_other():
    modules = {p.stem: _imports(p) for p in (ROOT / "analysis").glob("*.py")}
    pairs = {tuple(sorted((a, b))) for a, names in modules.items() for b in modules
             if a != b and any(n == f"bsc_sim.analysis.{b}" or n.startswith(f"bsc_sim.analysis.{b}.") for n in names)
             and any(n == f"bsc_sim.analysis.{a}" or n.startswith(f"bsc_sim.analysis.{a}.") for n in modules[b])}
    assert pairs == set()


def test_the_import_check_sees_a_lazy_relative_import(tmp_path):
    # The checks above can fail: a relative import inside a function is found and resolved.
    assert "bsc_sim.analysis.optimize" in _imports(ROOT / "analysis" / "optimize_cli.py")
    assert "bsc_sim.cost_effectiveness" in _imports(ROOT / "experiments" / "ce_outputs.py")


def test_the_bootstrap_constants_agree_across_layers():
    from bsc_sim import cost_effectiveness
    from bsc_sim.analysis import stats

    assert (cost_effectiveness.BOOTSTRAP_SEED, cost_effectiveness.N_BOOTSTRAP) == (stats.BOOTSTRAP_SEED, stats.N_BOOTSTRAP)
