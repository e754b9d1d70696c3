"""Fixtures of the browser tests: the view served by ``python -m bsc_sim.viz`` and headless Chromium.

The tests skip (with the reason) only where Chromium is missing and ``CI`` is unset; under CI
(``.ci/run`` installs Debian's chromium) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Chromium flags for a machine without a network: without them it waits on connections it cannot make.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_TIMEOUT = 90.0  # seconds for the server to answer (imports of mesa/solara/altair on a busy 2-core machine)


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: drives the served view in headless Chromium (deselect with -m 'not e2e')")


def chromium_path() -> Path | None:
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def _need(condition: bool, reason: str) -> None:
    """Skip outside CI, fail inside it."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser test must run)")
    pytest.skip(reason)


@dataclass
class Server:
    url: str
    start_seconds: float
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def viz_server(tmp_path_factory):
    """``python -m bsc_sim.viz`` on a free port, in its own process group, always stopped afterwards."""
    _need(chromium_path() is not None, f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from bsc_sim.viz.assets import AssetsError, ensure_frontend_assets

    try:
        ensure_frontend_assets()  # before the clock starts: the first run fetches them with npm
    except AssetsError as exc:
        _need(False, f"Solara's front-end files are missing and could not be fetched: {exc}")
    port = _free_port()
    log = tmp_path_factory.mktemp("viz") / "server.log"
    url = f"http://127.0.0.1:{port}/"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bsc_sim.viz", "--host", "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        t0 = time.monotonic()
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the view server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() - t0 > SERVER_TIMEOUT:
                pytest.fail(f"the view server did not answer within {SERVER_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(url, time.monotonic() - t0, log)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server's process group (the CLI process and the Solara server it started)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    time.sleep(0.2)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything of the group still alive (e.g. a stuck Solara server)
    except ProcessLookupError:
        pass
    proc.wait(timeout=5)


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium for the module's tests (each test opens its own context and page)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    path = chromium_path()
    _need(path is not None, f"Chromium not found at {CHROMIUM}")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(chromium, viz_server):
    """``open_page(width, height)``: a fresh page of the view at that screen size, loaded and drawn.

    Script errors in any page fail the test when it ends.
    """
    contexts, errors = [], []

    def open_(width: int = 1600, height: int = 1000):
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(viz_server.url, wait_until="domcontentloaded", timeout=60_000)
        page.wait_for_selector(".bsc-tile-week .bsc-tile-value", timeout=60_000)  # the kernel built the model
        page.wait_for_selector("img.bsc-picture", timeout=60_000)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"script errors in the page: {errors}"
