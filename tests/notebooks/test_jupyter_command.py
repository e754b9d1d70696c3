"""The README's way to open the notebooks works: JupyterLab from the ``notebooks`` dependency group.

The documented command runs with ``uv run --isolated``, which builds a throwaway environment from
``uv.lock`` as a fresh clone would, without touching the project's ``.venv``: JupyterLab starts on
``notebooks/``, serves its page and lists the four notebooks, and ``jupyter nbconvert`` (the other
Jupyter command people reach for) answers. The throwaway environment is not compiled to bytecode
(``--no-compile-bytecode``, against the compiled environment of ``make setup``): it is used once,
and compiling its ~12,000 files would cost about 40 s of CPU per test. The README and the Makefile must name the command
tested here, so the documentation cannot drift from it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED = "uv run --group notebooks jupyter lab notebooks/"
UV_TIMEOUT = 600  # seconds: guards against a hung install or server, not speed checks
POLLS = 1200      # tries, 0.5 s apart, for the server to answer (a hang guard)
ISOLATED = ["run", "--isolated", "--no-compile-bytecode", "--locked"]  # a throwaway environment, used once
TOKEN = "bsc-sim-test"


def _uv() -> str:
    local = ROOT / ".tools" / "bin" / "uv"  # where `make` installs uv when it is not on the PATH
    found = shutil.which("uv") or (str(local) if local.exists() else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("uv not found (CI is set, so the notebooks command must be tested)")
        pytest.skip("uv not found (run `make setup`)")
    return found


def _env() -> dict[str, str]:
    # the test's own virtual environment must not leak into uv's choice of environment
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_and_makefile_document_the_command():
    readme = (ROOT / "README.md").read_text()
    assert DOCUMENTED in readme and "make notebooks" in readme and "--allow-root" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^notebooks: setup\n\t\$\(UV\) run --locked --group notebooks jupyter lab notebooks/ ",
                     makefile, flags=re.M), "the Makefile's notebooks target runs the documented command"


def test_the_documented_command_serves_the_notebooks(tmp_path):
    port = _free_port()
    root = ["--allow-root"] if os.geteuid() == 0 else []  # as `make notebooks` does
    cmd = [_uv(), *ISOLATED, "--group", "notebooks", "jupyter", "lab", "notebooks/",
           "--no-browser", f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", *root]
    log = tmp_path / "jupyter.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        listing = None
        for _ in range(POLLS):  # a bounded number of tries guards against a hung server; no clock is read
            assert proc.poll() is None, f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{base}/api/contents?token={TOKEN}", timeout=5) as response:
                    listing = json.load(response)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.5)
        assert listing is not None, f"no answer from JupyterLab after {POLLS} tries:\n{log.read_text()[-3000:]}"
        names = {item["name"] for item in listing["content"]}
        assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= names
        with urllib.request.urlopen(f"{base}/lab?token={TOKEN}", timeout=30) as response:
            assert response.status == 200 and b"JupyterLab" in response.read()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_nbconvert_answers():
    cmd = [_uv(), *ISOLATED, "--group", "notebooks", "jupyter", "nbconvert", "--version"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=UV_TIMEOUT, env=_env(), check=False)
    assert out.returncode == 0, f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", out.stdout.strip().splitlines()[-1]), out.stdout
