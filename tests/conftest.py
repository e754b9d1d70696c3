"""Shared fixtures: small, fast parameter sets and a fixed seed."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from bsc_sim import load_params  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _composition_cache(tmp_path_factory):
    """Compositions kept on disk (bsc_sim.config) go to a directory of this session, never the
    user's cache (subprocesses started by tests inherit the setting)."""
    import os

    from bsc_sim.config import CACHE_ENV

    old = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("bsc-sim-cache"))
    yield
    if old is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = old


@pytest.fixture(scope="session")
def default_params():
    return load_params()


@pytest.fixture(scope="session")
def small_params():
    """A 4-programme cohort: enough structure for every process, fast to run."""
    return load_params(["cohort.n_programs=4"])


@pytest.fixture
def seed() -> int:
    return 2


@pytest.fixture(autouse=True)
def _close_figures():
    """Tests that draw a pyplot figure and check it without saving leave it open; close them all, so
    one test process never piles up figures (matplotlib warns past 20)."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
