"""The cost-effectiveness plane and acceptability curve: design colours, dollar axes, keys that
say what is drawn and how many replicates stand behind it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from bsc_sim.analysis.cost_effectiveness import acceptability, cost_effectiveness, paired_increments
from bsc_sim.experiments.ce_figures import plot_acceptability, plot_ce_plane
from bsc_sim.palette import design_colors


def _results(n=9) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for d, (cost, gain) in {"business_as_usual": (0, 0), "bsc": (90_000, 6), "coach": (30_000, 1),
                            "bsc+collaborative.modality=virtual": (80_000, 5)}.items():
        for r in range(n):
            e = max(0, gain + rng.normal(0, 1.5))
            rows.append({"design": d, "replicate": r, "cost_total": cost + rng.normal(0, 1000) * (cost > 0),
                         "n_classrooms_sustained_followup": round(2 + e), "n_children_reached_end": 14 * round(4 + e),
                         "n_classrooms_reached_end": round(4 + 2 * e)})
    return pd.DataFrame(rows)


def _texts(fig) -> str:
    return " ".join(" ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text)).split())  # unwrapped


def test_the_plane_marks_every_design_in_its_colour_with_dollar_axes():
    results = _results()
    table = cost_effectiveness(results, "business_as_usual", wtp=20_000)
    fig = plot_ce_plane(paired_increments(results, "business_as_usual"), table, wtp=20_000)
    colours = design_colors(dict.fromkeys(results["design"]))
    for ax in fig.axes:
        found = {line.get_gid(): to_hex(line.get_color()) for line in ax.get_lines() if line.get_gid()}
        assert found == {d: to_hex(colours[d]) for d in colours if d != "business_as_usual"}
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert ticks and all("$" in t for t in ticks), ticks
    text = _texts(fig)
    assert "mean over 9 replicates" in text and "95% bootstrap intervals" in text
    assert "efficiency frontier" in text and "$20k per classroom sustained" in text
    assert fig.axes[0].get_xlabel() == "extra classrooms sustained per cohort"  # the decision effect first


def test_the_acceptability_curve_says_how_it_was_estimated():
    results = _results()
    curve = acceptability(results, np.linspace(0, 60_000, 13))
    fig = plot_acceptability(curve, wtp=20_000, n_pairs=9)
    fig.canvas.draw()
    ax = fig.axes[0]
    assert all("$" in t.get_text() for t in ax.get_xticklabels() if t.get_text())
    assert all("%" in t.get_text() for t in ax.get_yticklabels() if t.get_text())
    assert "bootstrap resamples of the 9 paired replicates" in _texts(fig)
    per_world = plot_acceptability(curve, wtp=20_000, n_pairs=9, method="replicates")
    assert "each one possible world" in _texts(per_world)


def test_designs_off_the_frontier_are_drawn_hollow_and_the_curve_shows_the_frontier_and_switches():
    from matplotlib.colors import to_rgba

    from bsc_sim.cost_effectiveness import switch_prices

    results = _results()
    table = cost_effectiveness(results, "business_as_usual", wtp=20_000)
    fig = plot_ce_plane(paired_increments(results, "business_as_usual"), table, wtp=20_000)
    status = table[table["effect"] == "classrooms_sustained"].set_index("design")["status"]
    assert (status != "frontier").any() and (status == "frontier").sum() > 1
    for line in fig.axes[0].get_lines():
        if line.get_gid() in status.index:
            hollow = to_rgba(line.get_markerfacecolor()) == to_rgba("white")
            assert hollow == (status[line.get_gid()] != "frontier"), line.get_gid()
    curve = acceptability(results, np.linspace(0, 60_000, 13))
    fig = plot_acceptability(curve, wtp=20_000, n_pairs=9, switches=switch_prices(table))
    assert any(line.get_gid() == "ceaf" for line in fig.axes[0].get_lines())
    assert "price at which the best buy changes" in _texts(fig)
