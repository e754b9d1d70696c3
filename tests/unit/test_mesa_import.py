"""Mesa imported without the parts the model never uses (bsc_sim.mesa_import, issue 19 start-up).

Each check runs in a fresh interpreter, since what matters is the order of imports in a process.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bsc_sim.mesa_import import DEFERRED


def _python(code: str) -> list:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_running_the_model_never_imports_the_deferred_parts_or_scipy_spatial():
    got = _python(
        "import json, sys\n"
        "from bsc_sim import load_params\n"
        "from bsc_sim.run import run_sim\n"
        "import mesa\n"
        "run_sim(load_params(['cohort.n_programs=2']), seed=3)\n"
        f"names = [n for n, _ in {DEFERRED!r}]\n"
        "print(json.dumps([[m for m in ('scipy.spatial', *names) if m in sys.modules],\n"
        "                  [type(mesa.discrete_space).__name__, type(mesa.experimental.continuous_space).__name__]]))")
    # The check can fail: Mesa's own import of these parts, or the model using them, shows up here.
    assert got == [[], ["Deferred", "Deferred"]]


def test_the_deferred_parts_work_however_they_are_reached_later():
    got = _python(
        "import json, sys\n"
        "import bsc_sim.run, mesa\n"
        "held = mesa.discrete_space\n"                        # a placeholder, as Mesa bound it
        "import mesa.discrete_space.grid as grid\n"           # a module inside it, imported first
        "from mesa.discrete_space import Network, OrthogonalMooreGrid\n"
        "real = sys.modules['mesa.discrete_space']\n"
        "from mesa.experimental.continuous_space import ContinuousSpace\n"
        "print(json.dumps([type(held).__name__, type(real).__name__, mesa.discrete_space is real,\n"
        "                  grid.OrthogonalMooreGrid is OrthogonalMooreGrid, held.Network is Network,\n"
        "                  'Network' in dir(held),\n"
        "                  mesa.experimental.continuous_space.ContinuousSpace is ContinuousSpace,\n"
        "                  'scipy.spatial' in sys.modules]))")
    assert got == ["Deferred", "module", True, True, True, True, True, True]


def test_a_name_read_through_the_placeholder_imports_the_real_package():
    got = _python(
        "import json, sys\n"
        "import bsc_sim.run, mesa\n"
        "cls = mesa.discrete_space.CellAgent\n"
        "real = sys.modules['mesa.discrete_space']\n"
        "print(json.dumps([type(real).__name__, cls is real.CellAgent, mesa.discrete_space is real]))")
    assert got == ["module", True, True]


def test_nothing_is_deferred_when_mesa_is_imported_first():
    got = _python(
        "import json, sys\n"
        "import mesa, bsc_sim.run\n"
        "print(json.dumps([type(mesa.discrete_space).__name__, 'scipy.spatial' in sys.modules]))")
    assert got == ["module", True]


def test_results_are_the_same_with_mesa_imported_whole():
    """The same run in a process that imported all of Mesa first and in one that deferred its parts."""
    code = ("import hashlib, json, sys\n{first}\n"
            "from bsc_sim import load_params\n"
            "from bsc_sim.run import run_sim\n"
            "r = run_sim(load_params(['cohort.n_programs=3']), seed=5)\n"
            "h = hashlib.sha256(r.timeseries.to_csv().encode() + r.programs.to_csv().encode()).hexdigest()\n"
            "kind = type(sys.modules['mesa'].discrete_space).__name__\n"
            "print(json.dumps([h, {{k: repr(v) for k, v in r.summary.items()}}, kind]))")
    whole = _python(code.format(first="import mesa"))
    deferred = _python(code.format(first=""))
    assert (whole[2], deferred[2]) == ("module", "Deferred")
    assert whole[:2] == deferred[:2]
