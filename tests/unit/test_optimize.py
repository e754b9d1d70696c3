"""``bsc-sim optimize``: never a design over budget, resumable, design files that load, bad input.

The budget logic is tested twice: with a stand-in for the model whose confirmation runs cost
more than the search runs (so a design that looked affordable is not), which must be excluded,
and with the real model on a tiny cohort, where every design returned and every design file
must be within the budget on the confirmation seeds.
"""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from bsc_sim.analysis import optimize as opt
from bsc_sim.analysis.design_space import (DIMENSIONS, design_yaml, max_followup_support, max_spacing, parse_design_yaml,
                                           point_values)
from bsc_sim.analysis.optimize import OptimizeSpec, optimize, pareto_front
from bsc_sim.analysis.optimize_cli import cmd_optimize
from bsc_sim.config import load_params
from bsc_sim.experiments.specs import params_with, replicate_seeds

TINY = ("cohort.n_programs=2", "followup_weeks=8")


def test_pareto_front_keeps_the_non_dominated_designs():
    points = pd.DataFrame({"trial": range(6), "gain": [1.0, 2.0, 2.0, 3.0, 1.5, 3.0],
                           "cost_mean": [10.0, 20.0, 25.0, 30.0, 20.0, 30.0]})
    front = pareto_front(points, ["gain"], cost="cost_mean")
    # 2 is dominated by 1 (same gain, dearer), 4 by 1 (less gain, same cost), 5 duplicates 3
    assert list(front["trial"]) == [0, 1, 3]


def test_a_design_over_budget_on_confirmation_is_never_returned(tmp_path, monkeypatch):
    spec = OptimizeSpec(budget=45_000, trials=14, replications=2, confirm_replications=3, levers=("sessions",),
                        overrides=TINY)
    search = replicate_seeds(spec.seed, spec.replications)

    def fake(params, seeds, columns, executor=None, uncertainty=None):
        n = params.collaborative.n_sessions
        cost = 10_000 * n + (0 if list(seeds) == search else 6_000)   # the search is optimistic about cost
        assert columns == [opt.COST, "n_classrooms_sustained_followup"]
        return np.array([[cost + 10 * i, float(n)] for i in range(len(seeds))])

    monkeypatch.setattr(opt, "evaluate", fake)
    result = optimize(spec, tmp_path / "o")
    pareto = result.pareto.set_index("sessions")
    assert set(pareto.index) == {2, 3, 4}                    # 5 sessions ($50,000) was never feasible
    assert not pareto.loc[4, "within_budget"] and pareto.loc[4, "cost"] > spec.budget
    assert pareto.loc[4, "design_file"] == ""
    assert set(result.front["sessions"]) == {2, 3} and (result.front["cost"] <= spec.budget).all()
    files = sorted(p.name for p in (tmp_path / "o" / "designs").iterdir())
    assert files == sorted(result.front["design"] + ".yaml")
    written = pd.read_csv(tmp_path / "o" / "pareto.csv")
    assert written["within_budget"].tolist() == result.pareto["within_budget"].tolist()
    trials = pd.read_csv(tmp_path / "o" / "trials.csv")
    assert ((trials["cost_mean"] <= spec.budget) == trials["within_budget"]).all()


def test_the_real_model_returns_only_designs_within_budget(tmp_path):
    # 2-programme cohorts cost about $43,000-$71,000 across these levers (measured): the budget cuts through
    # uncertainty=none: the measured cost range below is for the default parameter values
    spec = OptimizeSpec(budget=52_000, trials=10, replications=2, confirm_replications=4, seed=1,
                        levers=("sessions", "modality", "team", "coaching", "followup_support"), overrides=TINY,
                        uncertainty="none")
    result = optimize(spec, tmp_path / "o")
    trials = result.trials[result.trials["state"] == "COMPLETE"]
    assert trials["within_budget"].any() and not trials["within_budget"].all()
    assert len(result.pareto) >= 1
    assert (result.front["cost"] <= spec.budget).all()
    assert (trials["followup_support"] <= max_followup_support(load_params(list(TINY)))).all()
    for path in result.design_files:
        base, name, description, overrides = parse_design_yaml(path.read_text())
        params = load_params([f"design={base}", *TINY, *overrides])
        row = result.pareto.set_index("design").loc[name]
        assert row["within_budget"] and row["cost"] <= spec.budget
        point = {n: row[n] for n in spec.point_names}
        point = {k: (v.item() if hasattr(v, "item") else v) for k, v in point.items()}
        assert params == params_with(load_params(list(TINY)), point_values(point))
        assert f"trial {row['trial']}" in description and "$" in description
    info = json.loads((tmp_path / "o" / "optimize.json").read_text())
    assert info["budget_usd"] == 52_000 and info["uncertainty"] == "none" and "seed noise only" in info["uncertainty_note"]
    assert (tmp_path / "o" / "pareto.png").stat().st_size > 10_000


def test_design_files_compose_with_hydra_like_a_shipped_design(tmp_path, monkeypatch):
    from bsc_sim import config

    values = point_values({"sessions": 4, "spacing": 11, "modality": "virtual", "team": "teachers_only",
                           "coaching": True, "data_support": 0.25, "followup_support": 26})
    text = design_yaml("opt_t0007", "bsc", values, "trial 7: 4.2 classrooms for $90,000", comment="test")
    configs = tmp_path / "configs"
    shutil.copytree(config.config_dir(), configs)
    # compare will read description: itself (the other half of issue 12); Params does not know it
    (configs / "design" / "opt_t0007.yaml").write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("description:")) + "\n")
    monkeypatch.setattr(config, "config_dir", lambda: configs)
    composed = load_params(["design=opt_t0007"])
    expected = params_with(load_params(["design=bsc"]), values)
    assert composed.design == "opt_t0007" and composed.replace(design="bsc") == expected
    assert text.startswith("# @package _global_\n") and "defaults:\n  - bsc\ndesign: opt_t0007\ndescription: \"" in text


def test_a_written_design_file_is_a_design_compare_accepts(tmp_path):
    from bsc_sim.experiments.designs import resolve_design

    values = point_values({"sessions": 4, "spacing": 11, "modality": "virtual", "team": "no_families",
                           "followup_support": 13})
    path = tmp_path / "elsewhere" / "opt_t0003.yaml"
    path.parent.mkdir()
    path.write_text(design_yaml("opt_t0003", "bsc", values, "trial 3: 5.1 classrooms for $80,000"))
    design = resolve_design(str(path))
    assert design.label == "opt_t0003" and design.source == "file" and "trial 3" in design.description
    assert design.params() == params_with(load_params(["design=bsc"]), values).replace(design="opt_t0003")


def test_follow_up_support_leaves_half_the_follow_up_year_unsupported():
    # sustainment is read at the end of the follow-up year: supports up to that week would count as sustained
    assert max_followup_support(load_params()) == 26  # the shipped bsc_followup_support design's length
    assert max_followup_support(load_params(["followup_weeks=104"])) == 52
    assert max_followup_support(load_params(["followup_weeks=20"])) == 0
    for weeks in (0, 13, 25, 26, 52, 77):
        cap = max_followup_support(load_params([f"followup_weeks={weeks}"]))
        assert cap % 13 == 0 and 2 * cap <= weeks


def test_spacing_never_pushes_a_session_past_the_congress():
    base = load_params()
    for n in range(2, 6):
        params = params_with(base, {"collaborative.n_sessions": n,
                                    "collaborative.session_spacing_weeks": max_spacing(base, n)})
        assert params.collaborative.n_sessions == n
    assert {d.name for d in DIMENSIONS} == {"sessions", "spacing", "modality", "team", "cohort", "selection",
                                           "data_support", "coaching", "followup_support"}


def test_resume_continues_the_study(tmp_path):
    args = ["budget=50000", "replications=1", "confirm_replications=2", "levers=[sessions,modality,coaching]",
            *TINY, f"out_dir={tmp_path / 'o'}"]
    assert cmd_optimize([*args, "trials=3"]) == 0
    first = pd.read_csv(tmp_path / "o" / "trials.csv")
    assert cmd_optimize([*args, "trials=5"]) == 0
    second = pd.read_csv(tmp_path / "o" / "trials.csv")
    assert len(first) == 3 and len(second) == 5 and (second["state"] == "COMPLETE").all()
    pd.testing.assert_frame_equal(first.drop(columns="seconds"), second.head(3).drop(columns="seconds"))
    assert cmd_optimize([*args, "trials=5"]) == 0           # nothing left to do: the same trials
    assert len(pd.read_csv(tmp_path / "o" / "trials.csv")) == 5
    # another budget is another search: refused, nothing changed
    changed = [a if not a.startswith("budget=") else "budget=60000" for a in args]
    assert cmd_optimize([*changed, "trials=6"]) == 2
    assert len(pd.read_csv(tmp_path / "o" / "trials.csv")) == 5


@pytest.mark.parametrize("args, match", [
    (["trials=2"], "budget: required"),
    (["budget=-5"], "budget = -5"),
    (["budget=1000", "objective=happiness"], "objective = 'happiness'"),
    (["budget=1000", "levers=[sessions]", "collaborative.n_sessions=4"], "collaborative.n_sessions"),
    (["budget=1000", "levers=[wings]"], "levers = 'wings'"),
    (["budget=1000", "confirm_replications=1"], "confirm_replications = 1"),
    (["budget=1000", "design=statewide"], "design = 'statewide': a statewide system"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, match):
    out = tmp_path / "o"
    assert cmd_optimize([*args, f"out_dir={out}"]) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_out_dir_that_is_a_file_or_holds_other_files_is_refused_and_left_alone(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    for out, fragment in ((a_file, "is a file"), (mine, "which bsc_sim did not write")):
        assert cmd_optimize(["budget=50000", "trials=1", *TINY, f"out_dir={out}"]) == 2
        err = capsys.readouterr().err.strip()
        assert fragment in err and len(err.splitlines()) == 1
    assert a_file.read_text() == "keep" and [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_optimize_with_parameter_uncertainty_records_it(tmp_path):
    out = tmp_path / "o"
    args = ["budget=80000", "trials=2", "replications=2", "confirm_replications=2", "levers=[coaching]",
            "uncertainty=parameters", *TINY, f"out_dir={out}"]
    assert cmd_optimize(args) == 0
    info = json.loads((out / "optimize.json").read_text())
    assert info["uncertainty"] == "parameters" and "turnover.annual_rate_mean" in info["uncertain_parameters"]
    # a search without it (the default: the posterior) is another search
    assert cmd_optimize([a for a in args if not a.startswith("uncertainty=")]) == 2
    post = tmp_path / "p"
    assert cmd_optimize([*[a for a in args if not a.startswith(("uncertainty=", "out_dir="))], f"out_dir={post}"]) == 0
    info = json.loads((post / "optimize.json").read_text())
    assert info["uncertainty"] == "posterior" and "spread.q_imitation" in info["uncertain_parameters"]
