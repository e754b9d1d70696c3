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


FIXTURE_POSTERIOR_WORLDS = 40


def write_fixture_posterior(path, n: int = FIXTURE_POSTERIOR_WORLDS, seed: int = 18):
    """A stand-in posterior in the format of ``configs/posterior/draws.csv``: ``n`` worlds drawn
    from the prior ranges of ``configs/uncertainty/default.yaml`` with random weights (summing to 1).
    It is no calibration: tests use it so that they do not depend on the shipped posterior."""
    import numpy as np
    import pandas as pd

    from bsc_sim.experiments.uncertainty import draw_world, load_uncertainty

    unc = load_uncertainty()
    table = pd.DataFrame([draw_world(unc, 10_000 + s) for s in range(n)])
    w = np.random.default_rng(seed).random(n) + 0.05
    table["weight"] = w / w.sum()
    table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session", autouse=True)
def fixture_posterior(tmp_path_factory):
    """Every test reads the stand-in posterior where ``uncertainty=posterior`` (the default of
    compare, optimize, discover, levers) and ``validate`` look for ``configs/posterior/draws.csv``."""
    from bsc_sim.experiments import uncertainty

    path = write_fixture_posterior(tmp_path_factory.mktemp("posterior") / "draws.csv")
    patch = pytest.MonkeyPatch()
    patch.setattr(uncertainty, "default_posterior_file", lambda: path)
    yield path
    patch.undo()
