"""Figures for talks: one colour per design everywhere, formatted axes, and keys that say what is drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from bsc_sim import load_params, run_sim
from bsc_sim.config import design_names
from bsc_sim.experiments.compare import KEY_OUTCOMES
from bsc_sim.experiments.figures import plot_curve_bands, plot_differences, plot_indices, plot_sweep
from bsc_sim.palette import DESIGN_COLORS, design_color, design_label, param_label
from bsc_sim.plotting import money, plot_adoption

DESIGNS = design_names()


def _comparison(designs, n=12) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for outcome in KEY_OUTCOMES:
        for d in designs:
            diff = rng.normal(0, 0.1)
            rows.append({"design": d, "outcome": outcome, "n": n, "mean": 0.3, "ci_low": 0.25, "ci_high": 0.35,
                         "reference": designs[0], "n_pairs": 0 if d == designs[0] else n,
                         "diff_mean": np.nan if d == designs[0] else diff,
                         "diff_ci_low": np.nan if d == designs[0] else diff - 0.05,
                         "diff_ci_high": np.nan if d == designs[0] else diff + 0.05})
    return pd.DataFrame(rows)


def _bands(designs, n=12) -> pd.DataFrame:
    weeks = np.arange(104)
    return pd.concat([pd.DataFrame({"design": d, "week": weeks, "mean": weeks / 300 * (i + 1) / len(designs),
                                    "ci_low": 0.0, "ci_high": 0.2, "p10": 0.0, "p90": 0.3, "n": n})
                      for i, d in enumerate(designs)], ignore_index=True)


def _colours_by_design(fig) -> dict[str, str]:
    """Colour of every line tagged with a design (gid), across all axes; a design drawn twice in
    different colours fails here."""
    found: dict[str, set[str]] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_gid():
                found.setdefault(line.get_gid(), set()).add(to_hex(line.get_color()))
    assert all(len(c) == 1 for c in found.values()), found
    return {d: c.pop() for d, c in found.items()}


def test_every_design_has_its_own_colour():
    colours = [design_color(d) for d in DESIGNS]
    assert len(set(colours)) == len(DESIGNS), dict(zip(DESIGNS, colours))
    assert design_color("bsc") != design_color("coach")  # the clash seen on main
    assert design_color("a design added later") == design_color("a design added later")


@pytest.mark.parametrize("designs", [DESIGNS, ["bsc", "coach", "training", "business_as_usual"]],
                         ids=["all designs (small multiples)", "four designs (one panel)"])
def test_a_design_keeps_its_colour_across_two_figures(designs):
    differences = _colours_by_design(plot_differences(_comparison(designs), KEY_OUTCOMES))
    curves = _colours_by_design(plot_curve_bands(_bands(designs)))
    assert set(curves) == set(designs) and set(differences) == set(designs[1:])
    for design in designs[1:]:
        assert differences[design] == curves[design] == to_hex(design_color(design)), design
    assert curves["bsc"] == to_hex(DESIGN_COLORS["bsc"])


def _texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def test_figures_say_what_their_marks_are_and_how_many_replicates():
    text = _texts(plot_curve_bands(_bands(["bsc", "coach"], n=17), session_weeks=[6, 21], end_week=51))
    assert "17 replicates" in text and "95% confidence interval" in text and "middle 80%" in text
    assert "learning session" in text and "collaborative ends" in text
    no_sessions = _texts(plot_curve_bands(_bands(["bsc", "coach"]), end_week=51))
    assert "learning session" not in no_sessions  # drawn only when there are sessions to draw
    text = _texts(plot_differences(_comparison(["bsc", "coach"], n=23), KEY_OUTCOMES))
    assert "23 replicates" in text and "95% confidence interval" in text and "coach" in text


def test_axes_are_formatted_as_percent_points_and_dollars():
    fig = plot_differences(_comparison(["bsc", "coach"]), KEY_OUTCOMES)
    fig.canvas.draw()
    by_title = {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_visible()}
    cost = [t.get_text() for t in by_title["total cost"].get_xticklabels() if t.get_text()]
    assert cost and all("$" in t for t in cost), cost
    reach = by_title["classrooms reached, end"]
    assert reach.get_xlabel() == "percentage points"
    assert money(90010) == "$90k" and money(-60000, signed=True) == "-$60k" and money(1_250_000) == "$1.2M"
    assert money(7501) == "$7.5k" and money(950) == "$950"


def test_sweep_points_sit_on_their_values():
    rng = np.random.default_rng(0)
    rows = [{"point": p, "replicate": r, "collaborative.n_sessions": s, "collaborative.modality": m,
             "frac_classrooms_reached_end": rng.random(), "cost_total": 80_000 + 5_000 * s}
            for p, (s, m) in enumerate([(s, m) for s in (2, 3, 4) for m in ("in_person", "virtual")])
            for r in range(5)]
    fig = plot_sweep(pd.DataFrame(rows), ["collaborative.n_sessions"], ["frac_classrooms_reached_end", "cost_total"],
                     hue="collaborative.modality")
    lines = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    assert len(lines) == 2  # one per modality
    for line in lines:
        np.testing.assert_array_equal(line.get_xdata(), [2.0, 3.0, 4.0])  # not dodged sideways
    text = _texts(fig)
    assert "How the outcomes change" in text and "5 replicates per setting" in text and "in person" in text
    assert param_label("collaborative.n_sessions") in text


def test_morris_bars_show_the_direction_of_each_effect():
    indices = pd.DataFrame({
        "outcome": "frac_classrooms_reached_end", "parameter": ["turnover.annual_rate_mean", "staff.skill_mean",
                                                                "cohort.frac_head_start"],
        "mu": [-0.3, 0.2, 0.01], "mu_star": [0.3, 0.2, 0.15], "mu_star_conf": [0.05, 0.05, 0.05],
        "sigma": [0.1, 0.05, 0.2]})
    fig = plot_indices(indices, "morris", replications=3, n=10)
    ax = fig.axes[0]
    bars = {label.get_text(): patch.get_facecolor() for label, patch in
            zip(ax.get_yticklabels(), [p for p in ax.patches if p.get_height() > 0.3])}
    by_name = {k: to_hex(v) for k, v in bars.items()}
    assert by_name[param_label("turnover.annual_rate_mean").removeprefix("mean ")] == "#b2182b"   # lowers
    assert by_name[param_label("staff.skill_mean").removeprefix("mean ")] == "#2166ac"            # raises
    assert by_name[param_label("cohort.frac_head_start")] == "#969696"                             # either way
    # sigma is drawn as its own bar below each mu* bar, never across the mu* interval whisker
    mu_bars = sorted((p for p in ax.patches if p.get_height() > 0.3), key=lambda p: p.get_y())
    sigma_bars = sorted((p for p in ax.patches if p.get_height() < 0.3), key=lambda p: p.get_y())
    assert len(mu_bars) == len(sigma_bars) == 3
    assert all(s.get_y() + s.get_height() <= m.get_y() for s, m in zip(sigma_bars, mu_bars))
    text = _texts(fig)
    assert "10 trajectories" in text and "3 replicate cohorts" in text and "raises it" in text
    sobol = pd.DataFrame({"outcome": "cost_total", "parameter": ["a", "b"], "S1": [0.5, 0.1], "S1_conf": 0.05,
                          "ST": [0.6, 0.2], "ST_conf": 0.05})
    assert "Sobol" in _texts(plot_indices(sobol, "sobol"))


def test_adoption_whole_cohort_line_is_the_summary_share():
    params = load_params(["cohort.n_programs=4"])
    result = run_sim(params, seed=3)
    end = result.meta["end_week"]
    fig = plot_adoption(result.timeseries, result.program_timeseries, result.programs,
                        session_weeks=result.meta["session_weeks"], end_week=end, title="t")
    thick = [line for line in fig.axes[1].get_lines() if line.get_linewidth() >= 3]
    assert len(thick) == 1
    x, y = thick[0].get_xdata(), thick[0].get_ydata()
    assert y[list(x).index(end)] == pytest.approx(result.summary["frac_classrooms_reached_end"])
    text = _texts(fig)
    assert "learning session" in text and "collaborative ends" in text and "whole cohort" in text


def test_design_labels_are_plain_language():
    assert design_label("business_as_usual") == "business as usual"
    assert all("_" not in design_label(d) for d in DESIGNS)


def test_a_one_parameter_sweep_keeps_its_title_and_a_flat_share_stays_within_100_percent():
    rows = [{"collaborative.n_sessions": n, "replicate": r, "frac_classrooms_reached_end": 1.0, "cost_total": 1000.0 * n}
            for n in (2, 3, 4) for r in range(3)]
    fig = plot_sweep(pd.DataFrame(rows), ["collaborative.n_sessions"], ["frac_classrooms_reached_end", "cost_total"])
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width  # the title fits the figure
    lo, hi = fig.axes[0].get_ylim()
    assert 0.85 <= lo < 1.0 and 1.0 < hi <= 1.02  # not 96-104%
