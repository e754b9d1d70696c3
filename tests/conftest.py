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
