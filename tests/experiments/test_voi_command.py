"""bsc-sim voi: the groups, the tables from a probabilistic comparison, and bad input."""

import numpy as np
import pandas as pd
import pytest

from bsc_sim.cli import main
from bsc_sim.experiments.uncertainty import LEVER_PREFIXES, load_uncertainty
from bsc_sim.analysis.voi_cli import VOIGroup, default_population, load_groups, render_next_phase, voi_tables

RESEARCH_QUESTIONS = {"readiness", "data_use", "culture", "learning", "design_adaptations", "sustainment",
                      "coaching", "turnover"}


def test_every_research_question_has_a_group_and_its_parameters_are_drawn_unless_levers():
    groups = {g.name: g for g in load_groups()}
    assert RESEARCH_QUESTIONS <= set(groups)
    drawn = set(load_uncertainty().keys)
    for g in groups.values():
        assert g.question and g.parameters
        for key in g.parameters:  # a parameter left undrawn must be one the uncertainty file refuses
            assert key in drawn or key.startswith(LEVER_PREFIXES), key
        assert any(k in drawn for k in g.parameters), g.name


def _fake_results(n=80, seed=0):
    """Two designs and a reference in n worlds: bsc's sustained classrooms depend on x (nonlinearly),
    not on z; y is listed in a group but never drawn."""
    rng = np.random.default_rng(seed)
    x, z = rng.uniform(size=n), rng.uniform(size=n)
    rows = []
    for r in range(n):
        for design, cost, eff in [("business_as_usual", 0.0, 1.0), ("bsc", 60_000.0, 1.0 + 12 * x[r] ** 2),
                                  ("coach", 30_000.0, 2.5)]:
            rows.append({"design": design, "replicate": r, "cost_total": cost + rng.normal(0, 2000),
                         "n_classrooms_sustained_followup": eff + rng.normal(0, 0.3), "n_classrooms": 30,
                         "a.x": x[r], "a.z": z[r]})
    return pd.DataFrame(rows)


def test_tables_rank_the_group_that_matters_and_report_undrawn_groups():
    groups = [VOIGroup("matters", "q1", ("a.x",)), VOIGroup("noise", "q2", ("a.z",)),
              VOIGroup("unknown", "q3", ("a.y",)), VOIGroup("mixed", "q4", ("a.x", "a.y"))]
    tables = voi_tables(_fake_results(), ["business_as_usual", "bsc", "coach"], "business_as_usual", groups,
                        ["a.x", "a.z"], wtp=10_000, effect="classrooms_sustained", population=300, years=5, n_boot=50)
    voi = tables["voi"].set_index("group")
    assert list(tables["voi"].columns[:8]) == ["group", "parameters", "evppi", "evppi_low", "evppi_high", "evpi",
                                               "population_evppi", "r2_cv"]
    assert voi.loc["matters", "evppi"] > 0.5 * voi.loc["matters", "evpi"]
    assert voi.loc["noise", "evppi"] < 0.1 * voi.loc["matters", "evppi"]
    assert np.isnan(voi.loc["unknown", "evppi"]) and "not drawn" in voi.loc["unknown", "note"]
    assert voi.loc["mixed", "evppi"] == pytest.approx(voi.loc["matters", "evppi"], rel=0.05)
    assert "a.y" in voi.loc["mixed", "note"]
    assert voi.loc["matters", "r2_cv"] > 0.5
    assert voi.loc["matters", "population_evppi"] == pytest.approx(voi.loc["matters", "evppi"] / 30 * 300 * 5)
    est = voi["evppi"].dropna()
    assert (est >= 0).all() and (est <= voi.loc[est.index, "evpi"] + 1e-9).all()
    curve = tables["wtp"]
    assert set(curve["group"]) == {"matters", "noise", "mixed", "all_parameters"}
    assert (curve.loc[curve.wtp == 0, "evppi"] < 1e-6 + 0.05 * curve["evpi"].max()).all()
    meta = {"command": "bsc-sim voi", "version": "x", "n_draws": 80, "n_runs": 240, "elapsed": "1 min",
            "designs": ["business_as_usual", "bsc", "coach"], "reference": "business_as_usual",
            "effect": "classrooms_sustained", "wtp": 10_000, "population": 300, "years": 5, "population_how": "given",
            "classrooms": 30.0, "scale": 50.0, "uncertainty_file": "u.yaml"}
    page = render_next_phase(tables, meta)
    assert page.index("**matters**") < page.index("**noise**")  # ranked by value
    assert "**unknown**" in page and "not drawn" in page and "[strong2014]" in page


def test_default_population_is_stated():
    per_year, how = default_population()
    assert per_year > 0 and "programmes" in how


@pytest.mark.parametrize(("args", "fragment"), [
    (["draws=5"], "draws = 5"),
    (["population=-3"], "population = -3"),
    (["years=0"], "years = 0"),
    (["wtp=-1"], "wtp = -1"),
    (["uncertainty=seed"], "uncertainty = seed"),
    (["uncertainty=none"], "uncertainty = none"),
    (["reference=none"], "reference = none"),
    (["effect=smiles"], "effect = 'smiles'"),
    (["designs=[nosuchdesign]"], "nosuchdesign"),
    (["doc=notes.txt"], "doc = 'notes.txt'"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, args, fragment):
    out = tmp_path / "voi"
    assert main(["voi", f"out_dir={out}", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_a_bad_groups_file_is_refused(tmp_path, capsys):
    bad = tmp_path / "groups.yaml"
    bad.write_text("groups:\n  readiness:\n    question: q\n    parameters: [readiness.no_such_key]\n")
    out = tmp_path / "voi"
    assert main(["voi", f"out_dir={out}", f"groups={bad}"]) == 2
    assert "readiness.no_such_key" in capsys.readouterr().err
    assert not out.exists()


def test_the_report_gains_what_to_study_next_from_voi_csv(tmp_path):
    from bsc_sim.report.context import _study_next

    assert _study_next(tmp_path) is None  # no VOI run, no section
    groups = [VOIGroup("matters", "q1", ("a.x",)), VOIGroup("unknown", "q3", ("a.y",))]
    tables = voi_tables(_fake_results(n=40), ["business_as_usual", "bsc", "coach"], "business_as_usual", groups,
                        ["a.x", "a.z"], wtp=10_000, effect="classrooms_sustained", population=300, years=5, n_boot=20)
    tables["voi"].to_csv(tmp_path / "voi.csv", index=False)
    section = _study_next(tmp_path)
    names = [r["group"] for r in section["rows"]]
    assert names[0] in ("matters", "all_parameters") and "unknown" in names
    assert next(r for r in section["rows"] if r["group"] == "unknown")["evppi"] == "not drawn"
    assert section["n"] == 40 and section["figure"] is None


def test_readme_voi_figures_are_those_of_the_generated_page():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    section = readme[readme.index("### What to study next: `voi`"):readme.index("## Interactive view")]
    page = (root / "docs" / "next-phase.md").read_text()
    for figure in re.findall(r"\$\d(?:[\d,]*\d)?(?:\.\d+)?(?: million)?", section):
        if figure != "$20,000":
            assert figure in page, f"README quotes {figure}, not in docs/next-phase.md: re-run bsc-sim voi doc="
    for r2 in re.findall(r"R² (-?\d\.\d\d)", section):
        assert f"| {r2} |" in page
    assert "$20,000 for each classroom sustained" in page and "907 classrooms a year" in page


def _worlds(tmp_path, n=10, **extra):
    rng = np.random.default_rng(4)
    table = pd.DataFrame({"sustain.lapse_weekly": rng.uniform(0.012, 0.032, n),
                          "turnover.annual_rate_mean": rng.uniform(0.13, 0.4, n), **extra})
    path = tmp_path / "worlds.csv"
    table.to_csv(path, index=False)
    return path, table


def test_a_table_of_weighted_worlds_replaces_the_drawn_ones(tmp_path):
    path, table = _worlds(tmp_path, weight=np.r_[np.zeros(5), np.ones(5)])
    out = tmp_path / "voi"
    assert main(["voi", "designs=[bsc]", f"draws={path}", "cohort.n_programs=2", "executor=serial",
                 "progress=false", f"out_dir={out}"]) == 0
    results = pd.read_csv(out / "results.csv")
    for r, row in table.iterrows():  # replicate r ran row r, in every design
        ran = results[results.replicate == r]
        assert (ran["sustain.lapse_weekly"] == row["sustain.lapse_weekly"]).all() and len(ran) == 2
    voi = pd.read_csv(out / "voi.csv").set_index("group")
    assert voi.loc["sustainment", "n_draws"] == 10 and np.isnan(voi.loc["readiness", "evppi"])
    designs = pd.read_csv(out / "voi_designs.csv").set_index("design")
    nb = {d: 20_000 * results[results.design == d]["n_classrooms_sustained_followup"].to_numpy()
          - results[results.design == d]["cost_total"].to_numpy() for d in ("business_as_usual", "bsc")}
    assert designs.loc["bsc", "expected_nb"] == pytest.approx(nb["bsc"][5:].mean() - nb["business_as_usual"][5:].mean()
                                                              + designs.loc["business_as_usual", "expected_nb"])


@pytest.mark.parametrize(("extra", "fragment"), [
    ({"collaborative.n_sessions": 3}, "design lever"),
    ({"sustain.no_such": 1.0}, "not a model parameter"),
    ({"weight": -1.0}, "'weight'"),
])
def test_a_bad_worlds_table_is_refused(tmp_path, capsys, extra, fragment):
    path, _ = _worlds(tmp_path, **extra)
    out = tmp_path / "voi"
    assert main(["voi", f"draws={path}", f"out_dir={out}"]) == 2
    assert fragment in capsys.readouterr().err
    assert not out.exists()


def test_every_drawn_parameter_belongs_to_a_group():
    grouped = {k for g in load_groups() for k in g.parameters}
    assert set(load_uncertainty().keys) <= grouped, "add the new uncertain parameter to configs/voi/groups.yaml"
