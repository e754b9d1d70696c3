"""Scenario discovery (``bsc-sim discover``): the contexts in which one design beats another.

Question: under which conditions (staff turnover, readiness, leadership, data capacity, cohort
mix, how well the practices work) does the first design (a BSC, by default) do better than the
second (a coach per programme)?

Method.
1. **Contexts**: ``n`` points drawn by Latin hypercube (scipy's ``qmc.LatinHypercube``, seeded by
   ``seed``) over the ranges of a discover file (``configs/discover/default.yaml``; each range
   cites its source or says "assumption"). ``practice_effect_shift`` is added to the effect of
   every practice of the change package (clipped to [0.01, 0.99]); every other key is a parameter.
2. **Runs**: at every point both designs run the same ``replications`` seeds (common random
   numbers: replicate ``r`` of every design and point uses one seed), through the experiment
   runner and store, so executors, resume, failures and the exit-code contract are those of
   ``compare`` and ``sweep``. With ``uncertainty=posterior`` (the default) each replicate also
   runs one world drawn from the calibrated posterior, minus the parameters the context sets (the
   same world for both designs at a point); ``uncertainty=parameters`` draws them from the prior
   ranges instead, and ``uncertainty=none`` varies only the seed (the output says so).
3. **Cases of interest**: a point where the first design beats the second, i.e. where the
   difference in the outcome (first minus second; second minus first for a cost), pooled over the
   point's replicate pairs, exceeds ``threshold``. The outcome is one of the outcomes of
   ``bsc-sim levers`` (ratios of pooled sums, e.g. ``sustained`` = classrooms sustained / classrooms)
   or ``net_benefit`` = ``wtp`` x classrooms sustained - cost, per cohort.
4. **PRIM** from EMA Workbench finds the boxes of context where those points concentrate
   (:mod:`.scenario_prim`): coverage, density, limits and quasi-p values.

Outputs (published together, or not at all): ``discover.json`` (the outcome, threshold and PRIM
settings this analysis used: they are not part of the runs, so a re-run with others re-analyses
the same store, and writes its files under new names, ``discover-2.json``, ``points-2.csv``, ...,
beside the earlier analysis instead of over it), ``points.csv`` (per point: context, each design's
value, the paired difference with its 95% bootstrap interval, whether the first beats the
second), ``results.csv`` (one row per run), ``prim_boxes.csv``, ``prim_peeling.csv`` and
``prim.png``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..paramtools import ParamError
from ..params import Params
from .scenario_prim import PrimSettings

__all__ = ["ContextRange", "DiscoverConfig", "load_discover", "context_points", "discover_specs", "point_table",
           "run_discover", "cmd_discover", "EFFECT_SHIFT"]

EFFECT_SHIFT = "practice_effect_shift"  # a context that moves every practice's effect together
TOP_KEYS = {"question", "designs", "outcome", "threshold", "wtp", "n", "replications", "seed", "context", "prim"}


@dataclass(frozen=True)
class ContextRange:
    key: str
    low: float
    high: float
    source: str


@dataclass(frozen=True)
class DiscoverConfig:
    """A discover file, with any command-line settings applied."""

    name: str
    context: tuple[ContextRange, ...]
    question: str = ""
    designs: tuple[str, str] = ("bsc", "coach")       # labels, as in the results' design column
    outcome: str = "sustained"
    threshold: float = 0.0
    wtp: float | None = None
    n: int = 64
    replications: int = 5
    seed: int = 0
    prim: PrimSettings = field(default_factory=PrimSettings)
    design_refs: tuple[str, ...] = ()  # as given: names, design files or variants (default: the labels)

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.context]

    def describe(self) -> dict[str, Any]:
        return {"discover": self.name, "question": self.question, "designs": list(self.designs),
                "design_refs": list(self.design_refs or self.designs), "outcome": self.outcome, "threshold": self.threshold, "wtp": self.wtp, "n": self.n,
                "replications": self.replications, "seed": self.seed,
                "context": {c.key: {"low": c.low, "high": c.high, "source": c.source} for c in self.context},
                "prim": asdict(self.prim)}


def _outcome(name: str):
    from .levers import OUTCOMES

    known = {o.key: o for o in OUTCOMES}
    if name == "net_benefit":
        return None
    if name not in known:
        raise ParamError(f"outcome = {name!r}: unknown (known: net_benefit, {', '.join(known)})")
    return known[name]


def _number(value: Any, key: str, lo: float | None = None, integer: bool = False) -> Any:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (not integer or isinstance(value, int))
    if not ok or (lo is not None and value < lo):
        kind = "a whole number" if integer else "a number"
        raise ParamError(f"{key} = {value!r}: must be {kind}{f' >= {lo:g}' if lo is not None else ''}")
    return value


def parse_discover(data: Mapping[str, Any], name: str = "discover") -> DiscoverConfig:
    """Check a discover file's data; one line naming the bad key and value."""
    from ..config import known_keys

    if not isinstance(data, Mapping):
        raise ParamError(f"discover {name}: expected a mapping at the top level")
    for key in data:
        if key not in TOP_KEYS:
            raise ParamError(f"discover.{key}: unknown key (value {data[key]!r}); known: {', '.join(sorted(TOP_KEYS))}")
    defaults = known_keys()
    ctx = data.get("context") or {}
    if not isinstance(ctx, Mapping) or not ctx:
        raise ParamError(f"discover.context = {ctx!r}: give at least one context range")
    ranges = []
    for key, spec in ctx.items():
        where = f"discover.context.{key}"
        if key != EFFECT_SHIFT and (key not in defaults or isinstance(defaults[key], bool)
                                    or not isinstance(defaults[key], (int, float))):
            raise ParamError(f"{where}: not a numeric model parameter (or {EFFECT_SHIFT})")
        if not isinstance(spec, Mapping) or set(spec) != {"low", "high", "source"}:
            raise ParamError(f"{where} = {spec!r}: give low:, high: and source: (a citation, or 'assumption')")
        lo, hi = _number(spec["low"], f"{where}.low"), _number(spec["high"], f"{where}.high")
        if not lo < hi:
            raise ParamError(f"{where} = {spec!r}: low must be below high")
        if not isinstance(spec["source"], str) or not spec["source"].strip():
            raise ParamError(f"{where}.source = {spec['source']!r}: cite a source or write 'assumption'")
        ranges.append(ContextRange(key, float(lo), float(hi), spec["source"].strip()))
    designs = data.get("designs", ["bsc", "coach"])
    if isinstance(designs, str):
        designs = [d.strip() for d in designs.split(",") if d.strip()]
    if not isinstance(designs, list) or len(designs) != 2 or len(set(designs)) != 2:
        raise ParamError(f"designs = {designs!r}: name two different designs, the first to test against the second")
    from ..experiments.designs import resolve_design

    refs = [str(d) for d in designs]
    designs = [resolve_design(d).label for d in refs]  # names, design files or variants; one line if bad
    if len(set(designs)) != 2:
        raise ParamError(f"designs = {refs!r}: the two designs have the same label {designs[0]!r}")
    prim = data.get("prim") or {}
    if not isinstance(prim, Mapping) or set(prim) - set(vars(PrimSettings())):
        raise ParamError(f"discover.prim = {prim!r}: known keys are {', '.join(vars(PrimSettings()))}")
    try:
        prim_settings = PrimSettings(**prim)
    except TypeError as exc:
        raise ParamError(f"discover.prim = {prim!r}: {exc}") from None
    for key in ("peel_alpha", "paste_alpha", "mass_min", "min_coverage"):
        value = _number(getattr(prim_settings, key), f"prim.{key}", 0.0)
        if not 0 < value < 1 and not (key == "min_coverage" and value == 1):
            raise ParamError(f"prim.{key} = {value!r}: must lie between 0 and 1")
    _number(prim_settings.max_boxes, "prim.max_boxes", 1, integer=True)
    outcome = str(data.get("outcome", "sustained"))
    _outcome(outcome)
    wtp = data.get("wtp")
    if outcome == "net_benefit":
        if wtp is None:
            raise ParamError("wtp: required with outcome=net_benefit (US dollars per classroom sustained), e.g. wtp=20000")
        _number(wtp, "wtp", 0.0)
    cfg = DiscoverConfig(name=name, context=tuple(ranges), question=str(data.get("question", "")),
                         designs=tuple(designs), design_refs=tuple(refs), outcome=outcome, threshold=_number(data.get("threshold", 0.0), "threshold"),
                         wtp=None if wtp is None else float(wtp), n=_number(data.get("n", 64), "n", 4, integer=True),
                         replications=_number(data.get("replications", 5), "replications", 1, integer=True),
                         seed=_number(data.get("seed", 0), "seed", 0, integer=True), prim=prim_settings)
    return cfg


def load_discover(name_or_path: str | None, settings: Mapping[str, Any] | None = None) -> DiscoverConfig:
    """``configs/discover/NAME.yaml`` (default ``default``) or a path, with ``settings`` on top."""
    from ..config import config_dir
    from ..datafiles import read_yaml_file

    name_or_path = name_or_path or "default"
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = config_dir() / "discover" / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ParamError(f"config = {name_or_path!r}: no such discover file (configs/discover/NAME or a path to a .yaml file)")
    data = dict(read_yaml_file(path, f"config = {str(path)!r}") or {})
    data.update({k: v for k, v in (settings or {}).items() if v is not None})
    return parse_discover(data, name=path.stem)


# ----------------------------------------------------------------------------------------------
# Points and runs


def context_points(cfg: DiscoverConfig) -> pd.DataFrame:
    """``n`` Latin-hypercube points over the context ranges (seeded by ``cfg.seed``), one column per key."""
    from scipy.stats import qmc

    u = qmc.LatinHypercube(d=len(cfg.context), seed=np.random.default_rng(cfg.seed)).random(cfg.n)
    return pd.DataFrame({c.key: c.low + u[:, j] * (c.high - c.low) for j, c in enumerate(cfg.context)})


def context_values(point: Mapping[str, float], params: Params) -> dict[str, Any]:
    """Parameter values of a context point for ``params`` (the effect shift moves every practice)."""
    values: dict[str, Any] = {k: float(v) for k, v in point.items() if k != EFFECT_SHIFT}
    if EFFECT_SHIFT in point:
        for name, practice in params.practices.items():
            values[f"practices.{name}.effect"] = float(np.clip(practice.effect + point[EFFECT_SHIFT], 0.01, 0.99))
    return values


def discover_specs(cfg: DiscoverConfig, points: pd.DataFrame, overrides: Sequence[str] = ()) -> list:
    """Every point x design x replicate, replicate ``r`` on the same seed everywhere."""
    from ..experiments.specs import RunSpec, params_with, replicate_seeds

    for text in overrides:
        key = text.split("=", 1)[0].strip()
        if key in ("design", "seed") or key in cfg.keys:
            raise ParamError(f"{text}: {key} is set by {'the context' if key in cfg.keys else 'designs= and seed='}; "
                             "it cannot be overridden for every run")
    seeds = replicate_seeds(cfg.seed, cfg.replications)
    from ..experiments.designs import resolve_design

    refs = cfg.design_refs or cfg.designs
    from ..experiments.designs import matching_reference

    matching_reference(list(refs), None, overrides)  # a state and one cohort are not compared (as in compare)
    bases = {label: resolve_design(ref).params(overrides) for label, ref in zip(cfg.designs, refs)}
    specs = []
    for i, row in enumerate(points.to_dict("records")):
        for design in cfg.designs:
            try:
                params = params_with(bases[design], context_values(row, bases[design]))
            except ParamError as exc:
                raise ParamError(f"context point {i}: {exc}") from None
            for r, s in enumerate(seeds):
                specs.append(RunSpec(f"p{i:04d}/{design}/r{r:03d}", len(specs), params, s,
                                     {"point": i, "design": design, "replicate": r, **row}))
    return specs


def _arrays(df: pd.DataFrame, cfg: DiscoverConfig) -> tuple[np.ndarray, np.ndarray | None]:
    if cfg.outcome == "net_benefit":
        return (cfg.wtp * df["n_classrooms_sustained_followup"] - df["cost_total"]).to_numpy(np.float64), None
    o = _outcome(cfg.outcome)
    return df[o.num].to_numpy(np.float64), (df[o.den].to_numpy(np.float64) if o.den else None)


def point_table(results: pd.DataFrame, cfg: DiscoverConfig) -> pd.DataFrame:
    """Per point: its context, each design's value (pooled over replicates), the paired difference
    first minus second (second minus first for a cost) with its interval, and whether the first beats
    the second (difference above the threshold)."""
    from .stats import paired_ratio_difference, pooled_ratio

    first, second = cfg.designs
    lower_is_better = cfg.outcome != "net_benefit" and _outcome(cfg.outcome).unit == "usd"
    rows = []
    for point, df in results.groupby("point", sort=True):
        a = df[df["design"] == first].sort_values("replicate").set_index("replicate")
        b = df[df["design"] == second].sort_values("replicate").set_index("replicate")
        common = a.index.intersection(b.index)
        (na, da), (nb, db) = _arrays(a.loc[common], cfg), _arrays(b.loc[common], cfg)
        if lower_is_better:
            n, diff, lo, hi = paired_ratio_difference(na, da, nb, db)       # second minus first: a saving
        else:
            n, diff, lo, hi = paired_ratio_difference(nb, db, na, da)       # first minus second
        rows.append({"point": point, **{k: df[k].iloc[0] for k in cfg.keys},
                     f"value_{first}": pooled_ratio(na, da), f"value_{second}": pooled_ratio(nb, db),
                     "difference": diff, "diff_ci_low": lo, "diff_ci_high": hi, "n_pairs": n,
                     "first_beats_second": bool(np.isfinite(diff) and diff > cfg.threshold)})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# The experiment


ANALYSIS_NAMES = ("discover.json", "points.csv", "prim_boxes.csv", "prim_peeling.csv", "prim.png")


def _suffixed(name: str, k: int) -> str:
    stem, dot, ext = name.partition(".")
    return name if k == 1 else f"{stem}-{k}{dot}{ext}"


def analysis_names(root: Path, settings: Mapping[str, Any]) -> dict[str, str]:
    """The file names of this analysis in ``root``: the plain names for the first analysis of a
    store or one with the same settings (outcome, threshold, PRIM, ...); for a re-analysis with
    other settings, the first free set ``discover-2.json``, ``points-2.csv``, ... (or the set that
    already holds these settings), so that an earlier analysis is never overwritten.
    The store knows these numbered names (``store.NUMBERED_ANALYSIS``), so publishing accepts them
    and replacing the store removes them."""
    import json

    k = 1
    while True:
        names = {n: _suffixed(n, k) for n in ANALYSIS_NAMES}
        path = root / names["discover.json"]
        try:
            earlier = json.loads(path.read_text()) if path.is_file() else None
        except (OSError, ValueError):
            earlier = {}
        if earlier is None or all(earlier.get(key) == value for key, value in settings.items()):
            break
        k += 1
    return names


def run_discover(cfg: DiscoverConfig, out_dir: str | Path, *, overrides: Sequence[str] = (),
                 uncertainty: str | None = "posterior", verbose: bool = True, **options: Any):
    """Run the design pair over the context points, then PRIM; returns (run, written, boxes)."""
    from ..experiments.analysis import STORE_FILES, _csv, _experiment, _figure
    from ..experiments.store import publish_analysis
    from ..experiments.uncertainty import with_uncertainty
    from .scenario_prim import find_boxes, plot_prim

    out_dir = Path(out_dir)
    from ..results import dumps_json
    import json

    settings = json.loads(dumps_json(cfg.describe()))  # as discover.json holds them
    names = analysis_names(out_dir, settings)
    points = context_points(cfg)
    specs = discover_specs(cfg, points, overrides)
    description = {"kind": "discover", **cfg.describe(), "overrides": list(overrides)}
    specs, description = with_uncertainty(specs, description, uncertainty, overrides=overrides, skip=cfg.keys)
    with _experiment(specs, out_dir, description, **options) as run:
        written = list(STORE_FILES)
        if not run.ok:
            return run, written, None
        table = point_table(run.results, cfg)
        boxes, peeling = find_boxes(table[cfg.keys], table["first_beats_second"].to_numpy(),
                                    {c.key: (c.low, c.high) for c in cfg.context}, cfg.prim)
        first, second = cfg.designs
        title = (f"Where {first} beats {second} on {cfg.outcome} (difference > {cfg.threshold:g}): "
                 f"{int(table['first_beats_second'].sum())} of {len(table)} context points, "
                 f"{cfg.replications} paired replicates each")
        # The outcome, threshold and PRIM settings are not part of the runs: a re-run with others
        # re-analyses the same store, under new file names (analysis_names), and records the ones it used.
        analysis = {**cfg.describe(), "base_rate": float(table["first_beats_second"].mean()),
                    "n_points_first_beats_second": int(table["first_beats_second"].sum()),
                    "n_boxes": int(boxes["box"].nunique()) if len(boxes) else 0,
                    "uncertainty": description.get("uncertainty", "none")}
        written += publish_analysis(out_dir, {
            names["discover.json"]: lambda p: p.write_text(dumps_json(analysis)),
            names["points.csv"]: _csv(table), "results.csv": _csv(run.results),
            names["prim_boxes.csv"]: _csv(boxes), names["prim_peeling.csv"]: _csv(peeling),
            names["prim.png"]: _figure(plot_prim(boxes, peeling, title)),
        })
    if verbose:
        print(format_boxes(table, boxes, cfg))
        if description.get("uncertainty") == "none":
            from ..experiments.uncertainty import seed_only_note

            print(f"NOTE: {seed_only_note()}.")
        if names["discover.json"] != "discover.json":
            print(f"a re-analysis with other settings than the store's earlier one: written as {names['points.csv']}, "
                  f"{names['prim_boxes.csv']}, ... beside it (nothing overwritten)")
    return run, written, boxes


QUASI_P = 0.05  # a box limit whose quasi-p exceeds this may be chance: the console says so


def beats_phrase(cfg: DiscoverConfig) -> str:
    """What "beats" means here: the outcome, which difference, and its threshold."""
    first, second = cfg.designs
    cost = cfg.outcome != "net_benefit" and _outcome(cfg.outcome).unit == "usd"
    diff = f"{second} minus {first}" if cost else f"{first} minus {second}"
    return (f"{first} beats {second} on {cfg.outcome} where {diff}, pooled over the {cfg.replications} paired "
            f"replicates of a point, exceeds {cfg.threshold:g} (threshold=)")


def format_boxes(table: pd.DataFrame, boxes: pd.DataFrame, cfg: DiscoverConfig) -> str:
    share = table["first_beats_second"].mean()
    lines = [f"{beats_phrase(cfg)}:", f"  at {int(table['first_beats_second'].sum())} of {len(table)} "
             f"context points ({100 * share:.0f}%)."]
    if not len(boxes):
        lines.append("No box: PRIM needs points of both kinds.")
    weak = []
    for b, rows in boxes.groupby("box"):
        r0 = rows.iloc[0]
        lines.append(f"  box {b}: coverage {r0['coverage']:.2f}, density {r0['density']:.2f} "
                     f"(base rate {r0['base_rate']:.2f}), {int(r0['n_points'])} points")
        for r in rows.itertuples():
            if r.dimension:
                lo = "" if np.isnan(r.lower) else f"{r.lower:.3g} <= "
                hi = "" if np.isnan(r.upper) else f" <= {r.upper:.3g}"
                qp = np.nanmin([r.qp_lower, r.qp_upper]) if np.isfinite([r.qp_lower, r.qp_upper]).any() else float("nan")
                flag = "   <- quasi-p > 0.05: may be chance" if qp > QUASI_P else ""
                lines.append(f"      {lo}{r.dimension}{hi}   (sampled {r.sampled_low:g}-{r.sampled_high:g}; "
                             f"quasi-p {qp:.2g}){flag}")
                if qp > QUASI_P:
                    weak.append(f"box {b}: {r.dimension}")
    if weak:
        lines.append(f"WARNING: {len(weak)} box limit{'s' if len(weak) > 1 else ''} with quasi-p above {QUASI_P} "
                     f"({'; '.join(weak)}): a box that random points would often give too; more points (n=) or "
                     "replicates would tell whether it is real.")
    if cfg.replications < 10 or len(table) < 30:
        lines.append(f"CAUTION: {len(table)} points x {cfg.replications} replicates is few; boxes and rates are rough.")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Command line

OWN = {
    "config": "discover file: a name in configs/discover/ or a path to a .yaml file (default: default)",
    "designs": "the two designs, the first tested against the second: names, design files or variants (default: the file's, bsc,coach)",
    "outcome": "sustained, reach_end, frontline_fidelity, culture_end, cost, ... (bsc-sim levers' outcomes) "
               "or net_benefit (default: the file's)",
    "threshold": "the first beats the second when the difference exceeds this (default: the file's, 0)",
    "wtp": "US dollars per classroom sustained, for outcome=net_benefit",
    "n": "context points, by Latin hypercube (default: the file's)",
    "replications": "seeds per point and design, the same at every point (default: the file's)",
    "seed": "root seed of the hypercube and of the replicate seeds (default: the file's)",
    "uncertainty": "posterior | parameters | none | PATH.yaml: the world of each replicate, for the parameters the "
                   "context does not set: drawn from the calibrated posterior (default), from the prior ranges "
                   "(parameters), or none (seed noise only)",
}


def cmd_discover(argv: Sequence[str]) -> int:
    """``bsc-sim discover [KEY=VALUE ...]``: run (or resume) a scenario discovery."""
    from ..exits import DONE, EXIT_HELP, RUNS_FAILED, guarded
    from ..experiments.cli import EXECUTOR_KEYS, _prestart, parse_settings, run_options

    keys = {**OWN, **EXECUTOR_KEYS}
    if any(a in ("-h", "--help") for a in argv):
        width = max(map(len, keys))
        print("usage: bsc-sim discover [KEY=VALUE ...] [MODEL_OVERRIDE ...]\n\n"
              "Sample the context by Latin hypercube, run two designs on common seeds at every point, and find\n"
              "with PRIM (EMA Workbench) the regions of context where the first beats the second. Writes points.csv,\n"
              "results.csv, prim_boxes.csv, prim_peeling.csv, prim.png and discover.json to out_dir (default\n"
              "outputs/discover). Docs: docs/optimize-and-discover.md.\n\n"
              "  bsc-sim discover designs=bsc,coach outcome=reach_end threshold=0.05 n=64 replications=5 out_dir=outputs/discover\n\n"
              "Settings:\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in keys.items())
              + "\n\nAny other KEY=VALUE is a model override applied to every run (not a context key).\n"
              "out_dir must be new, empty or this experiment's store (re-running resumes it).\n" + EXIT_HELP)
        return DONE
    _prestart(argv)

    def body() -> int:
        from ..config import _check_override_keys
        from ..experiments.store import ExperimentStore

        settings, overrides = parse_settings(argv, keys, command="discover")
        _check_override_keys(overrides)
        out_dir = Path(settings.get("out_dir") or "outputs/discover")
        ExperimentStore(out_dir).check_location()
        own = {k: settings[k] for k in ("designs", "outcome", "threshold", "wtp", "n", "replications", "seed")
               if k in settings}
        cfg = load_discover(None if settings.get("config") is None else str(settings["config"]), own)
        run, written, _ = run_discover(cfg, out_dir, overrides=overrides,
                                       uncertainty=settings.get("uncertainty") or "posterior",
                                       **run_options(settings))
        print(run.report())
        print(f"wrote {out_dir}/: {', '.join(written)}")
        return DONE if run.ok else RUNS_FAILED

    return guarded("discover", body)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cmd_discover(sys.argv[1:]))
