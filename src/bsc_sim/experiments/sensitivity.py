"""Global sensitivity analysis through SALib: Morris screening and Sobol variance decomposition.

The bridge is generic (names and bounds in, tidy index table out), so it is tested on the
Ishigami function with known indices; the model enters only through :func:`sensitivity_specs`,
which turns SALib's sample matrix into run specs for the shared runner.

Replicate seeds are shared by every sample row (common random numbers); a row's outcome is the
mean over its replicates. Integer parameters are rounded when the model is run; the analysis
uses SALib's unrounded sample, as the design it generated.

References:
    Saltelli A. et al. (2010) Variance based sensitivity analysis of model output. Comput Phys
    Commun 181:259-270. doi:10.1016/j.cpc.2009.09.018
    Morris M.D. (1991) Factorial sampling plans for preliminary computational experiments.
    Technometrics 33:161-174. doi:10.1080/00401706.1991.10484804
    Campolongo F., Cariboni J., Saltelli A. (2007) An effective screening design for sensitivity
    analysis of large models. Environ Model Softw 22:1509-1518. doi:10.1016/j.envsoft.2006.10.004
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..paramtools import ParamError
from .design import ExperimentConfig, specs_for_points
from .specs import RunSpec

__all__ = ["SensitivityProblem", "sample", "analyze", "n_runs", "sensitivity_specs", "row_outcomes"]


@dataclass(frozen=True)
class SensitivityProblem:
    """Parameter names and their uniform ranges."""

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]

    def salib(self) -> dict:
        return {"num_vars": len(self.names), "names": list(self.names), "bounds": [list(b) for b in self.bounds]}

    @classmethod
    def from_experiment(cls, cfg: ExperimentConfig) -> SensitivityProblem:
        for p in cfg.parameters:
            if not p.is_range:
                raise ParamError(f"experiment.parameters.{p.key}: sensitivity analysis needs low: and high:, "
                                 f"not values: (categorical levers belong in a sweep or comparison)")
        return cls(tuple(p.key for p in cfg.parameters), tuple((p.low, p.high) for p in cfg.parameters))


def n_runs(problem: SensitivityProblem, method: str, n: int, *, calc_second_order: bool = True) -> int:
    """Model evaluations a design needs (before replication)."""
    d = len(problem.names)
    if method == "sobol":
        return n * (2 * d + 2 if calc_second_order else d + 2)
    return n * (d + 1)


def sample(problem: SensitivityProblem, method: str, n: int, seed: int, *, num_levels: int = 4,
           calc_second_order: bool = True) -> np.ndarray:
    """SALib's sample matrix (rows x parameters) for ``method`` with base size ``n``."""
    if method == "sobol":
        from SALib.sample import sobol

        if n & (n - 1):
            raise ParamError(f"n = {n}: Sobol' sampling needs a power of 2 (e.g. {1 << max(n - 1, 1).bit_length()})")
        return sobol.sample(problem.salib(), n, calc_second_order=calc_second_order, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem.salib(), n, num_levels=num_levels, seed=seed)
    raise ParamError(f"method = {method!r}: must be morris or sobol")


def analyze(problem: SensitivityProblem, method: str, X: np.ndarray, outputs: Mapping[str, np.ndarray], seed: int,
            *, num_levels: int = 4, calc_second_order: bool = True, conf_level: float = 0.95,
            num_resamples: int = 1000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indices per parameter and outcome, with bootstrap confidence intervals.

    Returns:
        ``indices``: one row per (outcome, parameter). Sobol: ``S1, S1_conf, ST, ST_conf``;
        Morris: ``mu, mu_star, mu_star_conf, sigma``. ``*_conf`` is the half-width of the
        ``conf_level`` interval. ``second_order``: Sobol ``S2`` per parameter pair (else empty).
    """
    rows, pairs = [], []
    for outcome, y in outputs.items():
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            raise ParamError(f"outcome {outcome!r}: {int((~np.isfinite(y)).sum())} undefined values; "
                             f"choose outcomes that are defined in every run")
        if method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem.salib(), y, calc_second_order=calc_second_order, num_resamples=num_resamples,
                                conf_level=conf_level, seed=seed)
            for j, name in enumerate(problem.names):
                rows.append({"outcome": outcome, "parameter": name, "S1": res["S1"][j], "S1_conf": res["S1_conf"][j],
                             "ST": res["ST"][j], "ST_conf": res["ST_conf"][j]})
            if calc_second_order:
                for j, a in enumerate(problem.names):
                    for k in range(j + 1, len(problem.names)):
                        pairs.append({"outcome": outcome, "parameter_1": a, "parameter_2": problem.names[k],
                                      "S2": res["S2"][j, k], "S2_conf": res["S2_conf"][j, k]})
        else:
            from SALib.analyze import morris

            res = morris.analyze(problem.salib(), X, y, num_resamples=num_resamples, conf_level=conf_level,
                                 num_levels=num_levels, seed=seed)
            for j, name in enumerate(problem.names):
                rows.append({"outcome": outcome, "parameter": name, "mu": res["mu"][j], "mu_star": res["mu_star"][j],
                             "mu_star_conf": res["mu_star_conf"][j], "sigma": res["sigma"][j]})
    return pd.DataFrame(rows), pd.DataFrame(pairs)


def sensitivity_specs(cfg: ExperimentConfig, X: np.ndarray, overrides: Sequence[str] = ()) -> list[RunSpec]:
    """One spec per sample row and replicate seed."""
    ranges = {p.key: p for p in cfg.parameters}
    points = [{key: (int(round(x)) if ranges[key].integer else float(x)) for key, x in zip(ranges, row)} for row in X]
    return specs_for_points(points, cfg.base_params(overrides), cfg.replications, cfg.seed, prefix="s", label="row")


def row_outcomes(results: pd.DataFrame, n_rows: int, outcomes: Sequence[str]) -> dict[str, np.ndarray]:
    """Each outcome averaged over replicates, in sample-row order (what SALib analyses)."""
    # skipna=False: a row with an undefined replicate is undefined, not averaged over fewer seeds.
    means = results.groupby("row")[list(outcomes)].agg(lambda x: x.mean(skipna=False))
    if len(means) != n_rows:
        raise ValueError(f"{n_rows - len(means)} sample rows have no finished run; re-run to complete them")
    return {o: means[o].to_numpy(np.float64) for o in outcomes}
