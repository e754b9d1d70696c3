"""PRIM boxes from EMA Workbench, as tidy tables and one figure (no model here: data in, tables out).

The Patient Rule Induction Method (Friedman & Fisher 1999), in its scenario-discovery form
(Bryant & Lempert 2010), looks for hyper-rectangles ("boxes") of the input space where the cases
of interest are concentrated. It peels thin slices off the box one at a time, each time the slice
whose removal raises the share of cases of interest most, which traces a *peeling trajectory* from
the whole space (coverage 1, density = the base rate) to small, dense boxes. Along it:

- **coverage**: the share of all cases of interest that fall in the box;
- **density**: the share of the box's points that are cases of interest;
- **mass**: the share of all points in the box.

The algorithm is EMA Workbench's (``ema_workbench.analysis.prim.Prim``, Kwakkel 2017), not a
re-implementation; this module only chooses a box on each trajectory (the densest whose coverage
is at least ``min_coverage``), asks for further boxes on the points left outside it, and writes
what was found as tables: one row per box and restricted dimension (``prim_boxes.csv``) and the
trajectories (``prim_peeling.csv``), with the quasi-p values EMA reports for each limit (a
one-sided binomial test of whether the limit matters).

References: Friedman & Fisher 1999, doi:10.1023/A:1008894516817; Bryant & Lempert 2010,
doi:10.1016/j.techfore.2009.08.002; Kwakkel 2017, doi:10.1016/j.envsoft.2017.06.054.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PrimSettings", "find_boxes", "plot_prim"]


@dataclass(frozen=True)
class PrimSettings:
    """PRIM's own settings (EMA's defaults) and how boxes are chosen."""

    peel_alpha: float = 0.05       # share of points peeled per step
    paste_alpha: float = 0.05      # share pasted back per step
    mass_min: float = 0.05         # smallest box, as a share of the points
    min_coverage: float = 0.5      # the box chosen on a trajectory: the densest with at least this coverage
    max_boxes: int = 2             # boxes sought, each on the points outside the boxes before it


def _import_prim():
    """EMA Workbench's PRIM (importing the workbench takes 10-40 s, so only when asked)."""
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "ipyparallel not installed": irrelevant to PRIM
        from ema_workbench.analysis.prim import Prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return Prim


def find_boxes(x: pd.DataFrame, y: np.ndarray, ranges: Mapping[str, tuple[float, float]] | None = None,
               settings: PrimSettings = PrimSettings()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Boxes where ``y`` (True: a case of interest) concentrates in the space of ``x``.

    Args:
        x: one row per point, one float column per input.
        y: booleans, one per row of ``x``.
        ranges: the sampled range of each column (reported beside each limit; default: the data's).
        settings: PRIM settings and the choice of box.

    Returns:
        (boxes, peeling): ``boxes`` has one row per box and restricted dimension (a box that
        restricts nothing has one row with an empty dimension); ``peeling`` one row per step of
        each box's trajectory, with ``chosen`` marking the box kept.
    """
    y = np.asarray(y, dtype=bool)
    x = x.astype(np.float64).reset_index(drop=True)  # EMA's pasting fails on int64 columns under pandas 3
    ranges = dict(ranges or {c: (float(x[c].min()), float(x[c].max())) for c in x.columns})
    base_rate = float(y.mean()) if len(y) else float("nan")
    box_cols = ["box", "coverage", "density", "mass", "n_points", "n_of_interest", "res_dim", "base_rate",
                "dimension", "lower", "upper", "sampled_low", "sampled_high", "qp_lower", "qp_upper"]
    if y.all() or not y.any():
        return pd.DataFrame(columns=box_cols), pd.DataFrame(columns=["box", "step", "coverage", "density", "mass",
                                                                     "res_dim", "chosen"])
    import warnings

    Prim = _import_prim()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=FutureWarning)  # EMA's use of drop(inplace=True) under pandas 3
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        prim = Prim(x, y.astype(int), peel_alpha=settings.peel_alpha, paste_alpha=settings.paste_alpha,
                    mass_min=settings.mass_min)
    init = prim.box_init
    box_rows, peel_rows = [], []
    for b in range(1, settings.max_boxes + 1):
        box = prim.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        eligible = traj.index[traj["coverage"] >= settings.min_coverage]
        chosen = int(traj.loc[eligible, "density"].idxmax()) if len(eligible) else int(traj["density"].idxmax())
        box.select(chosen)
        for i, step in traj.iterrows():
            peel_rows.append({"box": b, "step": int(i), "coverage": step["coverage"], "density": step["density"],
                              "mass": step["mass"], "res_dim": int(step["res_dim"]), "chosen": i == chosen})
        stats = traj.loc[chosen]
        lims = box.box_lims[chosen]
        qp = box.p_values[chosen]
        common = {"box": b, "coverage": stats["coverage"], "density": stats["density"], "mass": stats["mass"],
                  "n_points": int(stats["n"]), "n_of_interest": int(stats["k"]), "res_dim": int(stats["res_dim"]),
                  "base_rate": base_rate}
        restricted = [c for c in x.columns if lims.loc[0, c] > init.loc[0, c] or lims.loc[1, c] < init.loc[1, c]]
        for c in restricted:
            lo_p, hi_p = qp.get(c, (-1.0, -1.0))
            box_rows.append({**common, "dimension": c,
                             "lower": float(lims.loc[0, c]) if lims.loc[0, c] > init.loc[0, c] else float("nan"),
                             "upper": float(lims.loc[1, c]) if lims.loc[1, c] < init.loc[1, c] else float("nan"),
                             "sampled_low": ranges[c][0], "sampled_high": ranges[c][1],
                             "qp_lower": float(lo_p) if lo_p >= 0 else float("nan"),
                             "qp_upper": float(hi_p) if hi_p >= 0 else float("nan")})
        if not restricted:
            box_rows.append({**common, "dimension": ""})
            break  # the whole space: nothing more to find
    return pd.DataFrame(box_rows, columns=box_cols), pd.DataFrame(peel_rows)


def plot_prim(boxes: pd.DataFrame, peeling: pd.DataFrame, title: str, labels: Mapping[str, str] | None = None):
    """Left: each box's peeling trajectory (coverage against density, coloured by the number of
    restricted dimensions; the chosen box starred). Right: the chosen boxes' limits on each
    dimension, as a share of the sampled range."""
    import matplotlib.pyplot as plt

    labels = dict(labels or {})
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [1, 1.3]})
    if not len(peeling):
        for ax in (left, right):
            ax.text(0.5, 0.5, "no box: the first design beats the second at all points or at none",
                    ha="center", va="center", wrap=True)
            ax.set_axis_off()
        fig.suptitle(title, fontsize=10)
        return fig
    from matplotlib.colors import BoundaryNorm

    markers = "os^D"
    top = int(max(1, peeling["res_dim"].max()))
    # Restricted dimensions are whole numbers: one colour per count, a tick per count (not 0.25 steps).
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), plt.get_cmap("viridis").N)
    for b, traj in peeling.groupby("box"):
        sc = left.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=18,
                          marker=markers[(b - 1) % len(markers)], norm=norm, label=f"box {b}")
        pick = traj[traj["chosen"]]
        left.scatter(pick["coverage"], pick["density"], marker="*", s=220, facecolor="none", edgecolor="tab:red", lw=1.5)
        left.annotate(f"box {b}", (pick["coverage"].iloc[0], pick["density"].iloc[0]), xytext=(6, -12),
                      textcoords="offset points", fontsize=8, color="tab:red")
    bar = fig.colorbar(sc, ax=left, label="restricted dimensions", ticks=range(0, top + 1, max(1, (top + 1) // 8)))
    bar.ax.minorticks_off()
    left.set_xlabel("coverage (share of the cases of interest inside)")
    left.set_ylabel("density (share of the box that is of interest)")
    left.set_xlim(0, 1.02)
    left.set_ylim(0, 1.02)
    left.set_title("peeling trajectories (star: the box reported)", fontsize=9)
    dims = [d for d in boxes["dimension"].unique() if d]
    n_boxes = boxes["box"].nunique()
    height = 0.8 / max(1, n_boxes)
    colours = plt.get_cmap("tab10")
    for j, (b, rows) in enumerate(boxes[boxes["dimension"] != ""].groupby("box")):
        for _, r in rows.iterrows():
            span = r["sampled_high"] - r["sampled_low"]
            lo = 0.0 if np.isnan(r["lower"]) else (r["lower"] - r["sampled_low"]) / span
            hi = 1.0 if np.isnan(r["upper"]) else (r["upper"] - r["sampled_low"]) / span
            y = dims.index(r["dimension"]) - 0.4 + height * (j + 0.5)
            right.barh(y, hi - lo, left=lo, height=height * 0.9, color=colours(j), alpha=0.8,
                       label=f"box {b}: coverage {r['coverage']:.2f}, density {r['density']:.2f}" if _ == rows.index[0] else None)
            for v, raw in ((lo, r["lower"]), (hi, r["upper"])):
                if not np.isnan(raw):
                    right.text(v, y, f"{raw:.3g}", fontsize=7, va="center", ha="center",
                               bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    right.set_yticks(range(len(dims)), [labels.get(d, d) for d in dims], fontsize=8)
    right.set_xlim(0, 1)
    right.set_xlabel("position within the sampled range (0 = low end, 1 = high end)")
    right.set_title("limits of the boxes reported (unlisted dimensions are unrestricted)", fontsize=9)
    if dims:
        right.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
