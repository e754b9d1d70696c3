"""Documentation that is generated from code stays in sync with it."""

from pathlib import Path

from bsc_sim.cli import params_document

ROOT = Path(__file__).resolve().parents[2]


def test_parameter_table_in_docs_matches_code():
    text = (ROOT / "docs" / "parameters.md").read_text()
    assert text == params_document(), "stale: run `uv run bsc-sim params --markdown > docs/parameters.md`"


def test_readme_lever_figures_are_those_of_docs_levers():
    """Every figure in the README's lever summary is a difference printed in docs/levers.md."""
    import re

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    start = readme.index("intermediate state it acts on ([docs/levers.md]")
    paragraph = readme[start:readme.index("\n\n", start)]
    levers = (root / "docs" / "levers.md").read_text()
    printed = set(re.findall(r"\| \**([+-][\d,.]+ pts|[+-]\$[\d,]+)", levers))
    quoted = re.findall(r"([+-][\d,.]+ pts|[+-]\$[\d,]+)", paragraph)
    assert len(quoted) >= 8
    missing = [q for q in quoted if q not in printed]
    assert not missing, f"README lever figures not in docs/levers.md (re-run bsc-sim levers or fix the README): {missing}"


def test_the_cluster_docs_setting_pins_numpys_exp_and_log_to_the_c_library():
    """docs/cluster.md tells a mixed x86 cluster how to get the same exp and log on every worker;
    numpy must accept the names it gives (an unknown name is ignored with only an ImportWarning)."""
    import platform
    import re
    import subprocess
    import sys

    import pytest

    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("the setting names x86 kernels")
    doc = (ROOT / "docs" / "cluster.md").read_text()
    value = re.search(r'`NPY_DISABLE_CPU_FEATURES="([^"]+)"`', doc).group(1)
    check = ("import math, numpy as np\n"
             "x = np.random.default_rng(1).uniform(-10, 5, 20000)\n"
             "assert (np.exp(x) == np.array([math.exp(v) for v in x])).all(), 'exp'\n"
             "assert (np.log(x + 11) == np.array([math.log(v + 11) for v in x])).all(), 'log'\n")
    done = subprocess.run([sys.executable, "-W", "error::ImportWarning", "-c", check], capture_output=True,
                          text=True, env={"NPY_DISABLE_CPU_FEATURES": value, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-800:]
