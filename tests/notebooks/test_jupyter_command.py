"""The README's way to open the notebooks works: JupyterLab from the ``notebooks`` dependency group.

The command is run with ``uv run --isolated``, which builds a throwaway environment from
``uv.lock`` as a fresh clone would, without touching the project's ``.venv``. It runs
``jupyter lab --version`` (the documented command with ``--version``, so no server starts) and
``jupyter nbconvert --version`` (the other Jupyter command people reach for). The README and the
Makefile must name the command tested here, so the documentation cannot drift from it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED = "uv run --group notebooks jupyter lab notebooks/"
UV_TIMEOUT = 600  # seconds: a guard against a hung install, not a speed check


def _uv() -> str | None:
    local = ROOT / ".tools" / "bin" / "uv"  # where `make` installs uv when it is not on the PATH
    return shutil.which("uv") or (str(local) if local.exists() else None)


def test_readme_and_makefile_document_the_command():
    readme = (ROOT / "README.md").read_text()
    assert DOCUMENTED in readme and "make notebooks" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^notebooks: setup\n\t\$\(UV\) run --locked --group notebooks jupyter lab notebooks/$",
                     makefile, flags=re.M), "the Makefile's notebooks target runs the documented command"


@pytest.mark.parametrize("tool", ["lab", "nbconvert"])
def test_the_documented_jupyter_command_runs(tool):
    uv = _uv()
    if uv is None:
        if os.environ.get("CI"):
            pytest.fail("uv not found (CI is set, so the notebooks command must be tested)")
        pytest.skip("uv not found (run `make setup`)")
    cmd = [uv, "run", "--isolated", "--locked", "--group", "notebooks", "jupyter", tool, "--version"]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=UV_TIMEOUT, env=env, check=False)
    assert out.returncode == 0, f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", out.stdout.strip().splitlines()[-1]), out.stdout
