"""Run specifications: what to run (parameters) times how often (seeds).

An experiment is a list of :class:`RunSpec`. Each spec carries fully resolved, validated
``Params`` and its own seed, so any run can be repeated alone with ``run_sim(spec.params,
spec.seed)`` or ``bsc-sim run seed=<seed> ...``, whichever executor ran it first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..paramtools import ParamError, to_dict
from ..params import Params

__all__ = ["RunSpec", "replicate_seeds", "params_with", "fingerprint"]


@dataclass(frozen=True)
class RunSpec:
    """One simulation to run.

    Attributes:
        run_id: unique, readable and stable across re-runs of the same experiment
            (e.g. ``coach/r007``); the store keys resume on it.
        index: position in the experiment (results are ordered by it).
        params: validated parameters.
        seed: seed of the run's generator.
        labels: the columns that identify the run in result tables (design, point, replicate,
            parameter values ...), as plain scalars.
    """

    run_id: str
    index: int
    params: Params
    seed: int
    labels: Mapping[str, Any] = field(default_factory=dict)


def replicate_seeds(root: int, replications: int) -> list[int]:
    """``replications`` independent 32-bit seeds spawned from ``SeedSequence(root)``.

    The same root always gives the same list, and replicate ``r`` gets the same seed in every
    design or parameter point of an experiment (common random numbers), which makes paired
    comparisons between designs much sharper than independent draws would.
    """
    if replications < 1:
        raise ParamError(f"replications = {replications}: must be >= 1")
    if root < 0:
        raise ParamError(f"seed = {root}: must be >= 0")
    children = np.random.SeedSequence(root).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def params_with(params: Params, values: Mapping[str, Any]) -> Params:
    """A copy of ``params`` with dotted keys set (``{"pdsa.obs_noise_sd": 0.3}``), validated.

    The same strict conversion as config input, so a bad value raises :class:`ParamError` naming
    the dotted key and the value.
    """
    data = to_dict(params)
    for key, value in values.items():
        node, parts = data, key.split(".")
        for part in parts[:-1]:
            if not isinstance(node, dict) or part not in node:
                raise ParamError(f"{key}: unknown parameter (value {value!r})")
            node = node[part]
        if not isinstance(node, dict) or parts[-1] not in node or isinstance(node[parts[-1]], dict):
            raise ParamError(f"{key}: unknown parameter (value {value!r})")
        node[parts[-1]] = value.item() if isinstance(value, np.generic) else value
    return Params.from_dict(data)


def fingerprint(specs: Sequence[RunSpec]) -> str:
    """A hash of everything that determines an experiment's results (ids, seeds, parameters).

    Each distinct ``Params`` object is serialised once (the specs of one design or sweep point
    share theirs), and the last list fingerprinted is remembered, because the runner checks the
    store several times. The bytes hashed are those of ``json.dumps([run_id, index, seed,
    params], sort_keys=True)``, so stores written by earlier versions keep their fingerprint.
    """
    cached = _LAST_FINGERPRINT.get("specs")
    if cached is not None and cached[0] is specs and cached[1] == len(specs):
        return cached[2]
    digest = hashlib.sha256()
    params_json: dict[int, tuple[Params, str]] = {}
    for spec in specs:
        entry = params_json.get(id(spec.params))
        if entry is None or entry[0] is not spec.params:
            entry = params_json[id(spec.params)] = (spec.params, json.dumps(to_dict(spec.params), sort_keys=True,
                                                                              default=str))
        head = ", ".join(json.dumps(x, default=str) for x in (spec.run_id, spec.index, spec.seed))
        digest.update(f"[{head}, {entry[1]}]".encode())
    value = digest.hexdigest()[:16]
    _LAST_FINGERPRINT["specs"] = (specs, len(specs), value)
    return value


_LAST_FINGERPRINT: dict[str, tuple[Sequence[RunSpec], int, str]] = {}
