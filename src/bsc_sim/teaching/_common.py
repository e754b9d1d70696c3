"""Shared by the teaching helpers: the default parameters and seeded child streams."""

from __future__ import annotations

import numpy as np

from ..config import load_params
from ..params import Params


def _params(params: Params | None) -> Params:
    return load_params() if params is None else params


def _child_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(seed).spawn(n)
