"""Scenario discovery: PRIM (EMA Workbench) recovers a planted box; the per-point comparison;
the discover file; ``bsc-sim discover`` end to end on a tiny problem."""

import json

import numpy as np
import pandas as pd
import pytest

from bsc_sim.analysis.discover import (
    EFFECT_SHIFT,
    cmd_discover,
    context_points,
    context_values,
    discover_specs,
    load_discover,
    parse_discover,
    point_table,
)
from bsc_sim.analysis.scenario_prim import PrimSettings, find_boxes
from bsc_sim.config import load_params
from bsc_sim.paramtools import ParamError

RANGES = {"turnover": (0.1, 0.5), "readiness": (0.2, 0.8), "mix": (0.0, 1.0), "effect": (-0.2, 0.2)}


def test_prim_recovers_a_planted_box():
    rng = np.random.default_rng(11)
    n = 600
    x = pd.DataFrame({k: rng.uniform(lo, hi, n) for k, (lo, hi) in RANGES.items()})
    # planted: low turnover and high readiness; 3% of labels flipped as noise
    y = (x["turnover"] < 0.25) & (x["readiness"] > 0.5)
    y = np.where(rng.random(n) < 0.03, ~y, y)
    boxes, peeling = find_boxes(x, y, RANGES, PrimSettings(max_boxes=1, min_coverage=0.8))
    box = boxes[boxes["box"] == 1].set_index("dimension")
    assert set(box.index) >= {"turnover", "readiness"}
    assert box.loc["turnover", "upper"] == pytest.approx(0.25, abs=0.03) and np.isnan(box.loc["turnover", "lower"])
    assert box.loc["readiness", "lower"] == pytest.approx(0.5, abs=0.04) and np.isnan(box.loc["readiness", "upper"])
    stats = box.iloc[0]
    assert stats["coverage"] >= 0.8 and stats["density"] >= 0.85 and stats["base_rate"] < 0.3
    for other in set(box.index) - {"turnover", "readiness"}:   # a spurious limit must look insignificant
        assert np.nanmin(box.loc[other, ["qp_lower", "qp_upper"]].astype(float)) > 0.05
    assert peeling.groupby("box")["chosen"].sum().tolist() == [1]
    first = peeling[peeling["step"] == 0].iloc[0]
    assert first["coverage"] == pytest.approx(1.0) and first["density"] == pytest.approx(y.mean())
    # The figure's colour bar counts restricted dimensions in whole steps.
    import matplotlib

    matplotlib.use("Agg")
    from bsc_sim.analysis.scenario_prim import plot_prim

    fig = plot_prim(boxes, peeling, "planted")
    ticks = fig.axes[-1].get_yticks()
    assert len(ticks) and all(float(t).is_integer() for t in ticks)


def test_no_box_when_every_point_or_none_is_of_interest():
    x = pd.DataFrame({"a": np.linspace(0, 1, 20)})
    for y in (np.ones(20, bool), np.zeros(20, bool)):
        boxes, peeling = find_boxes(x, y)
        assert boxes.empty and peeling.empty


def _results(values_first, values_second, design_names=("bsc", "coach"), column="n_classrooms_sustained_followup"):
    rows = []
    for point, (va, vb) in enumerate(zip(values_first, values_second)):
        for design, vals in zip(design_names, (va, vb)):
            for r, v in enumerate(vals):
                rows.append({"point": point, "design": design, "replicate": r, "turnover.annual_rate_mean": 0.1 * point,
                             column: v, "n_classrooms": 10.0, "cost_total": 1000.0 * (1 + r)})
    return pd.DataFrame(rows)


def test_point_table_pools_paired_replicates_and_marks_the_first_design_beating_the_second():
    cfg = parse_discover({"context": {"turnover.annual_rate_mean": {"low": 0.1, "high": 0.4, "source": "t"}},
                          "outcome": "sustained", "threshold": 0.05})
    res = _results([[3, 5], [2, 2], [1, 2]], [[2, 4], [2, 2], [4, 4]])
    table = point_table(res, cfg).set_index("point")
    # pooled shares: point 0 first 8/20 vs second 6/20 -> +0.10 > 0.05
    assert table.loc[0, "difference"] == pytest.approx(0.10) and table.loc[0, "first_beats_second"]
    assert table.loc[1, "difference"] == pytest.approx(0.0) and not table.loc[1, "first_beats_second"]
    assert table.loc[2, "difference"] == pytest.approx(-0.25) and not table.loc[2, "first_beats_second"]
    assert table.loc[0, "value_bsc"] == pytest.approx(0.4) and table.loc[0, "n_pairs"] == 2
    # for a cost, beating means costing less
    cost_cfg = parse_discover({"context": {"turnover.annual_rate_mean": {"low": 0.1, "high": 0.4, "source": "t"}},
                               "outcome": "cost"})
    res.loc[res["design"] == "coach", "cost_total"] += 500
    assert point_table(res, cost_cfg)["difference"].tolist() == pytest.approx([500, 500, 500])


def test_default_discover_file_and_context_points():
    cfg = load_discover(None)
    assert cfg.designs == ("bsc", "coach") and all(c.source for c in cfg.context) and EFFECT_SHIFT in cfg.keys
    points = context_points(cfg)
    assert len(points) == cfg.n
    for c in cfg.context:                               # a Latin hypercube: one point in each of n strata
        strata = np.floor((points[c.key] - c.low) / (c.high - c.low) * cfg.n).astype(int)
        assert sorted(strata) == list(range(cfg.n))
    pd.testing.assert_frame_equal(points, context_points(cfg))
    base = load_params()
    values = context_values({EFFECT_SHIFT: 0.1, "turnover.annual_rate_mean": 0.3}, base)
    assert values["turnover.annual_rate_mean"] == 0.3
    assert values["practices.emotion_coaching.effect"] == pytest.approx(base.practices["emotion_coaching"].effect + 0.1)


def test_specs_share_seeds_across_designs_and_points():
    cfg = load_discover(None, {"n": 4, "replications": 3})
    specs = discover_specs(cfg, context_points(cfg), ["cohort.n_programs=2"])
    assert len(specs) == 4 * 2 * 3
    seeds = {(s.labels["point"], s.labels["design"]): [] for s in specs}
    for s in specs:
        seeds[(s.labels["point"], s.labels["design"])].append(s.seed)
    assert len({tuple(v) for v in seeds.values()}) == 1
    one = next(s for s in specs if s.labels["point"] == 2 and s.labels["design"] == "coach")
    assert one.params.turnover.annual_rate_mean == pytest.approx(one.labels["turnover.annual_rate_mean"])
    assert not one.params.collaborative.enabled and one.params.coaching.enabled


def test_designs_may_be_files_and_variants_like_in_compare(tmp_path):
    path = tmp_path / "next_phase.yaml"
    path.write_text("# @package _global_\ndefaults:\n  - bsc\ndesign: next_phase\n"
                    "description: \"Four sessions\"\ncollaborative:\n  n_sessions: 4\n  session_spacing_weeks: 11\n")
    cfg = load_discover(None, {"n": 4, "replications": 1,
                               "designs": f"{path},bsc+collaborative.modality=virtual"})
    assert cfg.designs == ("next_phase", "bsc+collaborative.modality=virtual")
    specs = discover_specs(cfg, context_points(cfg), ["cohort.n_programs=2"])
    first = [s.params for s in specs if s.labels["design"] == "next_phase"]
    second = [s.params for s in specs if s.labels["design"] == "bsc+collaborative.modality=virtual"]
    assert len(first) == len(second) == 4
    assert all(p.collaborative.n_sessions == 4 and p.collaborative.modality == "in_person" for p in first)
    assert all(p.collaborative.n_sessions == 3 and p.collaborative.modality == "virtual" for p in second)


@pytest.mark.parametrize("change, match", [
    ({"designs": ["bsc"]}, "two different designs"),
    ({"designs": ["bsc", "bsc"]}, "two different designs"),
    ({"designs": ["bsc", "missing_file.yaml"]}, "missing_file.yaml"),
    ({"designs": ["bsc", "nope"]}, "unknown design 'nope'"),
    ({"outcome": "joy"}, "outcome = 'joy'"),
    ({"outcome": "net_benefit"}, "wtp: required"),
    ({"context": {"turnover.annual_rate_mean": {"low": 0.3, "high": 0.1, "source": "x"}}}, "low must be below high"),
    ({"context": {"collaborative.modality": {"low": 0, "high": 1, "source": "x"}}}, "not a numeric model parameter"),
    ({"context": {"turnover.annual_rate_mean": {"low": 0.1, "high": 0.3}}}, "source"),
    ({"prim": {"peel_alpha": 2}}, "prim.peel_alpha"),
])
def test_bad_discover_files_are_refused(change, match):
    data = {"context": {"turnover.annual_rate_mean": {"low": 0.1, "high": 0.4, "source": "t"}}, **change}
    with pytest.raises(ParamError, match=match):
        parse_discover(data)


def test_discover_end_to_end(tmp_path, capsys):
    out = tmp_path / "d"
    args = ["n=8", "replications=2", "cohort.n_programs=2", "followup_weeks=8", "executor=serial", "progress=false",
            "uncertainty=parameters", f"out_dir={out}"]
    assert cmd_discover(args) == 0
    assert "32 runs: 32 done (0 found in the store" in capsys.readouterr().out
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 8 and {"difference", "diff_ci_low", "first_beats_second"} <= set(points.columns)
    info = json.loads((out / "experiment.json").read_text())
    assert info["kind"] == "discover" and info["uncertainty"] == "parameters"
    assert "turnover.annual_rate_mean" in info["uncertainty_not_drawn"]     # the context sets it
    results = pd.read_csv(out / "results.csv")
    assert results.groupby(["point", "replicate"])["spread.q_imitation"].nunique().eq(1).all()
    for name in ("prim_boxes.csv", "prim_peeling.csv", "prim.png"):
        assert (out / name).exists()
    assert cmd_discover(args) == 0                                          # resumes: nothing re-run
    printed = capsys.readouterr().out
    assert "32 runs: 32 done (32 found in the store, 0 run now" in printed
    assert "bsc minus coach, pooled over the 2 paired replicates of a point, exceeds 0.05 (threshold=)" in printed
    assert "CAUTION: 8 points x 2 replicates is few" in printed
    # A re-analysis with another threshold writes beside the first one, never over it.
    first = (out / "points.csv").read_bytes(), (out / "discover.json").read_text()
    assert cmd_discover([*args, "threshold=0.1"]) == 0
    assert ((out / "points.csv").read_bytes(), (out / "discover.json").read_text()) == first
    assert json.loads((out / "discover-2.json").read_text())["threshold"] == 0.1
    assert {"points-2.csv", "prim_boxes-2.csv", "prim-2.png"} <= {p.name for p in out.iterdir()}
    assert "written as points-2.csv" in capsys.readouterr().out
    assert cmd_discover([*args, "threshold=0.1"]) == 0                     # the same settings: the same files
    assert not (out / "discover-3.json").exists()
    assert cmd_discover([*args[:-1], "threshold=oops", f"out_dir={tmp_path / 'e'}"]) == 2
    assert not (tmp_path / "e").exists()


def test_discover_refuses_a_directory_that_is_not_its_store(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert cmd_discover(["n=4", "replications=1", "executor=serial", f"out_dir={mine}"]) == 2
    assert "is not an experiment store" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert cmd_discover(["n=4", "replications=1", "designs=bsc,coach", "turnover.annual_rate_mean=0.3",
                         "executor=serial", f"out_dir={tmp_path / 'x'}"]) == 2
    assert "set by the context" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_discover_draws_posterior_worlds_by_default_and_says_when_it_does_not(tmp_path, capsys):
    from bsc_sim.experiments.uncertainty import load_posterior

    base = ["n=4", "replications=2", "cohort.n_programs=2", "followup_weeks=4", "executor=serial", "progress=false"]
    assert cmd_discover([*base, f"out_dir={tmp_path / 'p'}"]) == 0
    assert "seed noise only" not in capsys.readouterr().out
    info = json.loads((tmp_path / "p" / "experiment.json").read_text())
    assert info["uncertainty"] == "posterior" and "turnover.annual_rate_mean" in info["uncertainty_not_drawn"]
    post = load_posterior()
    results = pd.read_csv(tmp_path / "p" / "results.csv")
    for _, r in results.drop_duplicates("seed").iterrows():   # each replicate runs its seed's posterior row
        assert r["spread.q_imitation"] == pytest.approx(post.world(r["seed"])["spread.q_imitation"])
    assert cmd_discover([*base, "uncertainty=none", f"out_dir={tmp_path / 'n'}"]) == 0
    assert "no parameter uncertainty was included" in capsys.readouterr().out
    assert json.loads((tmp_path / "n" / "discover.json").read_text())["uncertainty"] == "none"
