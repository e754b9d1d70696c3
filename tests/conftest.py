"""Shared fixtures: small, fast parameter sets and a fixed seed."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from bsc_sim import load_params  # noqa: E402


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
