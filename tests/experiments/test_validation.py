"""``bsc-sim validate``: registered facts judged on a draws source; calibration kept apart.

The facts and their criteria come from configs/validation/facts.yaml; these tests check the
machinery (groups, draws, pooled statistics, PASS/FAIL, the separation of roles), never a result.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc_sim.analysis.facts import Criterion, Fact, Quantity, calibration_targets, load_facts
from bsc_sim.analysis.validation import (FACTS_COLUMNS, NoDraws, PosteriorDraws, PriorDraws, cmd_validate, groups_of,
                                         open_draws, render_registered, score, validation_specs)
from bsc_sim.paramtools import ParamError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def test_every_group_runs_on_the_same_seeds_and_the_same_drawn_worlds(facts):
    specs = validation_specs(3, seed=1, facts=facts, draws=open_draws("prior"))
    by = pd.DataFrame([{**s.labels, "seed": s.seed} for s in specs])
    assert set(by["group"]) == set(groups_of(facts)) and len(specs) == 3 * len(groups_of(facts))
    drawn = [c for c in by.columns if "." in c]
    assert "sustain.lapse_weekly" in drawn
    for _, rows in by.groupby("replicate"):
        assert rows["seed"].nunique() == 1 and (rows[drawn].nunique() == 1).all()
    assert by.groupby("group")["sustain.lapse_weekly"].nunique().min() == 3  # a world per replicate
    kept6 = next(s for s in specs if "followup_weeks=26" in s.labels["group"])
    assert kept6.params.followup_weeks == 26
    assert next(s for s in specs if s.labels["group"] == "design=coach").params.coaching.enabled


def test_posterior_draws_can_be_swapped_in(tmp_path, facts):
    path = tmp_path / "posterior.csv"
    pd.DataFrame({"sustain.lapse_weekly": [0.01, 0.03], "weight": [0.0, 1.0]}).to_csv(path, index=False)
    draws = open_draws(str(path))
    assert isinstance(draws, PosteriorDraws) and "posterior" in draws.name
    specs = validation_specs(3, seed=2, facts=facts, draws=draws)
    assert {s.params.sustain.lapse_weekly for s in specs} == {0.03}  # weight 0 is never drawn
    assert isinstance(open_draws("none"), NoDraws)
    for bad, fragment in (("x.txt", "expected posterior, prior, none"), (str(tmp_path / "no.csv"), "file not found")):
        with pytest.raises(ParamError, match=fragment):
            open_draws(bad)
    pd.DataFrame({"sustain.lapse_wekly": [0.01]}).to_csv(path, index=False)
    with pytest.raises(ParamError, match="not a parameter"):
        open_draws(str(path))


def _fact(role="validation", low=0.2, high=0.4, num="n_a", den="n_b"):
    return Fact("f", role, "s", "[wells2018]", Quantity("bsc", num, den), Criterion(low, high), "why",
                (0.3, 0.1) if role == "calibration" else None)


def test_the_statistic_is_a_ratio_of_pooled_sums_and_the_criterion_can_fail():
    runs = pd.DataFrame({"group": "design=bsc", "n_a": [1.0, 3.0, np.nan], "n_b": [10.0, 0.0, 5.0]})
    row = score(runs, [_fact()]).iloc[0]
    assert row["value"] == pytest.approx(0.4) and row["n_runs"] == 2 and row["result"] == "PASS"
    assert score(runs, [_fact(high=0.39)]).iloc[0]["result"] == "FAIL"
    runs["frac"] = [0.5, 0.5, 0.5]
    assert score(runs, [_fact(num="frac * n_b", den="n_b")]).iloc[0]["value"] == pytest.approx(0.5)
    assert list(score(runs, [_fact()]).columns[:6]) == FACTS_COLUMNS


def test_no_validation_fact_reaches_the_fitter(facts):
    from bsc_sim.analysis.targets import load_spec, spec_from_dict
    from bsc_sim.config import config_dir

    roles = {f.id: f.role for f in facts}
    spec = load_spec(config_dir() / "calibration" / "default.yaml")
    assert spec.targets and all(t.fact is not None and roles[t.fact] == "calibration" for t in spec.targets)
    for fid in (f.id for f in facts if f.role == "validation"):
        with pytest.raises(ParamError, match="may never be used to fit"):
            calibration_targets([fid])
        with pytest.raises(ParamError, match="may never be used to fit"):
            spec_from_dict({"parameters": [{"key": "sustain.lapse_weekly", "low": 0.01, "high": 0.03}], "facts": [fid]})
    empirical = {"parameters": [{"key": "sustain.lapse_weekly", "low": 0.01, "high": 0.03}],
                 "targets": [{"indicator": "n_programs_improved_end", "per": "n_programs", "value": 0.83, "tolerance": 0.1}]}
    with pytest.raises(ParamError, match="empirical targets come only from facts with role calibration"):
        spec_from_dict(empirical)


def test_a_bad_facts_file_is_refused_in_one_line(tmp_path):
    text = (ROOT / "configs" / "validation" / "facts.yaml").read_text()
    for old, new, fragment in (("role: validation", "role: fitted", "expected calibration or validation"),
                               ("numerator: n_programs_improved_end", "numerator: n_programs_improvd_end", "not a column"),
                               ("criterion: {low: 0.72, high: 0.90}", "criterion: {low: 0.92, high: 0.90}", "above high"),
                               ("numerator: n_programs_improved_end", "numerator: __import__('os')", "only summary columns")):
        bad = tmp_path / "facts.yaml"
        bad.write_text(text.replace(old, new, 1))
        with pytest.raises(ParamError, match=fragment) as err:
            load_facts(bad)
        assert "\n" not in str(err.value)


def test_validate_writes_facts_csv_with_roles_apart(tmp_path, capsys, facts):
    doc, out = tmp_path / "validation.md", tmp_path / "store"
    code = cmd_validate(["replications=2", f"doc={doc}", f"out_dir={out}", "executor=serial", "progress=false"])
    assert code == 0
    table = pd.read_csv(out / "facts.csv")
    assert list(table.columns[:6]) == FACTS_COLUMNS and set(table["result"]) <= {"PASS", "FAIL"}
    assert list(table["fact"]) == [f.id for f in facts]
    results = pd.read_parquet(out / "results.parquet")
    assert "sustain.lapse_weekly" in results.columns  # the posterior predictive (conftest's stand-in): drawn
    assert table["draws"].str.startswith("posterior predictive (the calibrated posterior").all()
    row = table.set_index("fact").loc["qic_improves"]
    runs = results[results["group"] == "design=bsc"]
    pooled = runs["n_programs_improved_end"].sum() / runs["n_programs"].sum()
    assert row["value"] == pytest.approx(pooled) and (row["result"] == "PASS") == (0.72 <= pooled <= 0.90)
    text = doc.read_text()
    val, cal = text.index("## Validation facts (never fitted)"), text.index("## Calibration targets")
    for f in facts:
        assert (val < text.index(f"**{f.id}**") < cal) == (f.role == "validation")
    printed = capsys.readouterr().out
    assert "validation facts (never fitted)" in printed and "calibration targets" in printed
    assert cmd_validate(["replications=1", f"doc={doc}"]) == 2
    assert cmd_validate(["replicatons=5"]) == 2
    assert cmd_validate(["replications=2", "draws=nope.txt", f"out_dir={tmp_path / 'x'}"]) == 2


def test_docs_validation_lists_every_registered_fact(facts):
    text = (ROOT / "docs" / "validation.md").read_text()
    for f in facts:
        assert f"**{f.id}**" in text, f"docs/validation.md is stale: {f.id} missing"
    if "No results yet" in text:
        assert text == render_registered(facts, text.split("regenerated with `", 1)[1].split("`", 1)[0])


def test_the_default_is_the_posterior_predictive_when_there_is_one_else_the_prior_said_so(tmp_path, monkeypatch,
                                                                                          facts, fixture_posterior):
    from bsc_sim.experiments import uncertainty

    draws = open_draws(None)                      # the stand-in posterior of conftest is where the shipped one goes
    assert isinstance(draws, PosteriorDraws) and draws.calibrated and "calibrated posterior" in draws.name
    post = uncertainty.load_posterior()
    specs = validation_specs(2, seed=4, facts=facts, draws=draws)
    for s in specs:                               # the same world uncertainty=posterior runs for that seed
        assert s.params.sustain.lapse_weekly == pytest.approx(post.world(s.seed)["sustain.lapse_weekly"])
    missing = tmp_path / "none" / "draws.csv"
    monkeypatch.setattr(uncertainty, "default_posterior_file", lambda: missing)
    fallback = open_draws(None)
    assert isinstance(fallback, PriorDraws) and f"no calibrated posterior at {missing}" in fallback.name
    assert fallback.describe()["draws_note"].startswith("no calibrated posterior")
    with pytest.raises(ParamError, match="draws = posterior: no calibrated posterior .*give draws=prior"):
        open_draws("posterior")
    out = tmp_path / "store"
    assert cmd_validate(["replications=2", f"out_dir={out}", "executor=serial", "progress=false"]) == 0
    assert set(pd.read_csv(out / "facts.csv")["draws"]) == {fallback.name}
