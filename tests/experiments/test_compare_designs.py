"""A planner's own designs in ``compare``: a design file (in the shape ``bsc-sim optimize`` writes),
inline variants, the reference, and cost-effectiveness written from the paired replicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc_sim.experiments.cli import cmd_compare

SMALL = ["cohort.n_programs=3", "followup_weeks=8", "executor=serial", "progress=false"]

# Exactly the shape of configs/design/bsc_virtual.yaml plus a description: what optimize writes.
DESIGN_FILE = """\
# @package _global_
defaults:
  - bsc
description: "Online sessions for the next phase"
design: next_phase
collaborative:
  modality: virtual
"""


@pytest.fixture
def design_file(tmp_path):
    path = tmp_path / "anywhere" / "plans" / "next_phase.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(DESIGN_FILE)
    return path


def test_a_design_file_and_an_inline_variant_run_beside_named_designs(tmp_path, design_file, capsys):
    out = tmp_path / "cmp"
    variant = "bsc+collaborative.modality=virtual"
    # The comma form that failed on main with "unknown design": designs=bsc,/path/next_phase.yaml
    assert cmd_compare([f"designs=bsc,{design_file},{variant}", "replications=3", "seed=4",
                        f"out_dir={out}", *SMALL]) == 0
    printed = capsys.readouterr().out
    results = pd.read_csv(out / "results.csv")
    # business as usual, the default reference, is added in front and run on the same seeds.
    assert list(dict.fromkeys(results["design"])) == ["business_as_usual", "bsc", "next_phase", variant]
    assert results.groupby("replicate")["seed"].nunique().eq(1).all()  # common random numbers
    # The file and the inline variant say the same thing, so on the same seeds they give the same runs.
    outcomes = [c for c in results.columns if c not in ("run_id", "index", "design", "replicate")]
    file_rows = results[results["design"] == "next_phase"].set_index("replicate")[outcomes]
    variant_rows = results[results["design"] == variant].set_index("replicate")[outcomes]
    pd.testing.assert_frame_equal(file_rows, variant_rows)
    assert not file_rows.equals(results[results["design"] == "bsc"].set_index("replicate")[outcomes])
    designs = pd.read_csv(out / "designs.csv").set_index("design")
    assert designs.loc["next_phase", "description"] == "Online sessions for the next phase"
    assert designs.loc["next_phase", "source"] == "file" and designs.loc[variant, "source"] == "variant"
    assert designs.loc["bsc", "description"].startswith("CCL-like baseline")

    ce = pd.read_csv(out / "cost_effectiveness.csv")
    assert set(ce["reference"]) == {"business_as_usual"}
    assert len(ce) == 4 * 3 and set(ce["effect"]) == {"classrooms_sustained", "children_reached", "classrooms_reached"}
    # The ICER is the ratio of the pooled paired increments, recomputed here from results.csv.
    wide = results.pivot(index="replicate", columns="design")
    row = ce[(ce["design"] == "bsc") & (ce["effect"] == "classrooms_reached")].iloc[0]
    d_cost = (wide["cost_total"]["bsc"] - wide["cost_total"]["business_as_usual"]).mean()
    d_eff = (wide["n_classrooms_reached_end"]["bsc"] - wide["n_classrooms_reached_end"]["business_as_usual"]).mean()
    assert row["inc_cost"] == pytest.approx(d_cost) and row["inc_effect"] == pytest.approx(d_eff)
    if d_eff > 0 and row["status"] == "frontier":
        assert row["icer_reference"] == pytest.approx(d_cost / d_eff)
    # The ICER shown is the sequential one, and only on the frontier; rows go cheapest first.
    for effect, rows in ce.groupby("effect"):
        assert rows["mean_cost"].is_monotonic_increasing
        assert rows.loc[rows["status"] != "frontier", ["icer", "icer_reference"]].isna().all().all()
    assert (out / "switch_prices.csv").is_file()
    sustained = ce[ce["effect"] == "classrooms_sustained"]
    assert sustained["wtp"].eq(20_000).all() and sustained["prob_best"].sum() == pytest.approx(1)
    for name in ("ce_plane.png", "acceptability.png"):
        assert (out / name).stat().st_size > 20_000
    # comparison.csv: differences from the reference, and no mean of per-run cost ratios.
    comparison = pd.read_csv(out / "comparison.csv")
    assert set(comparison["reference"]) == {"business_as_usual"}
    assert not comparison["outcome"].str.startswith("cost_per_classroom").any()
    # The console prints dollars as dollars.
    assert "Decision table:" in printed and "extra effect over business_as_usual" in printed and "e+0" not in printed
    assert "only 3 paired replicates" in printed  # the caution at small n
    assert "reference=;" not in printed and "choose another with reference=NAME" in printed
    tables = printed[printed.index("  design"):printed.index(" runs: ")].splitlines()[:-1]  # up to the run report
    assert max(len(line) for line in tables) <= 120, [line for line in tables if len(line) > 120]
    assert "$" in printed and "next_phase" in printed


def test_reference_wtp_and_cross_settings(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert cmd_compare(["designs=[bsc]", "reference=coach", "wtp=5000", "effect=classrooms_reached",
                        "cross={collaborative.modality: [in_person, virtual]}", "replications=2",
                        f"out_dir={out}", *SMALL]) == 0
    ce = pd.read_csv(out / "cost_effectiveness.csv")
    assert set(ce["design"]) == {"coach", "bsc+collaborative.modality=in_person", "bsc+collaborative.modality=virtual"}
    decision = ce[ce["effect"] == "classrooms_reached"]
    assert decision["wtp"].eq(5000).all() and ce.loc[ce["effect"] != "classrooms_reached", "wtp"].isna().all()
    row = decision.set_index("design").loc["bsc+collaborative.modality=virtual"]
    assert row["nmb"] == pytest.approx(5000 * row["inc_effect"] - row["inc_cost"])
    assert decision.set_index("design").loc["coach", "inc_cost"] == 0  # the reference against itself


def _one_line_error(capsys, code: int) -> str:
    err = capsys.readouterr().err.strip()
    assert code == 2 and err and "\n" not in err, err
    return err


@pytest.mark.parametrize("body, setting, fragment", [
    (None, "designs=[bsc,{missing}]", "no such design file"),
    ("defaults: [bsc]\ncollaborative:\n  modalty: virtual\n", "designs=[{file}]", "did you mean collaborative.modality"),
    ("defaults: [bcs]\ndesign: x\n", "designs=[{file}]", "defaults names unknown design 'bcs'"),
    ("design: bsc\n", "designs=[{file}]", "is the name of a shipped design"),
    ("design: 7\n", "designs=[{file}]", "design = 7"),
    ("collaborative: !!python/name:os.getcwd\n", "designs=[{file}]", "YAML tag"),
    ("description: ${oc.env:HOME}\n", "designs=[{file}]", "interpolations"),
    (None, "designs=[bsc+collaborative.modalty=virtual]", "'bsc+collaborative.modalty=virtual'"),
    (None, "designs=[bsc+collaborative.n_sessions=-1]", "collaborative.n_sessions"),
    (None, "designs=[bsc+virtual]", "expected DESIGN+KEY=VALUE"),
    (None, "designs=[bsc,bsc]", "listed twice"),
    ("design: twin\n", "designs=[{file},{file2}]", "both labelled 'twin'"),
    (None, "reference=nodesign", "unknown design 'nodesign'"),
    (None, "wtp=-5", "wtp = -5"),
    (None, "effect=happiness", "effect = 'happiness'"),
    (None, "cross=[1,2]", "cross = [1, 2]"),
])
def test_every_bad_design_reference_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, body, setting, fragment):
    file, file2 = tmp_path / "mine.yaml", tmp_path / "other" / "mine2.yaml"
    if body is not None:
        file.write_text(body)
        file2.parent.mkdir()
        file2.write_text(body)
    out = tmp_path / "never"
    argv = [setting.format(file=file, file2=file2, missing=tmp_path / "nope.yaml"), "replications=2",
            f"out_dir={out}", *SMALL]
    if not setting.startswith("designs"):
        argv.insert(0, "designs=[bsc]")
    err = _one_line_error(capsys, cmd_compare(argv))
    assert fragment in err
    assert not out.exists()


def test_a_variant_of_ones_own_design_file_by_its_label(tmp_path, design_file):
    out = tmp_path / "cmp"
    label = "next_phase+collaborative.followup_support_weeks=26"
    assert cmd_compare([f"designs=[{design_file},{label}]", "reference=none", "replications=1",
                        f"out_dir={out}", *SMALL]) == 0
    designs = pd.read_csv(out / "designs.csv").set_index("design")
    assert list(designs.index) == ["next_phase", label]
    assert designs.loc[label, "source"] == "variant" and "followup_support_weeks=26" in designs.loc[label, "overrides"]


def test_designs_of_other_cohorts_get_business_as_usual_of_their_own_cohort_and_a_budget_is_spent(tmp_path, capsys):
    out = tmp_path / "cmp"
    small, large = "bsc+cohort.n_programs=2", "bsc+cohort.n_programs=3"
    assert cmd_compare([f"designs=[{small},{large}]", "replications=2", "budget=300000", f"out_dir={out}",
                        "followup_weeks=8", "executor=serial", "progress=false"]) == 0
    printed = capsys.readouterr().out
    results = pd.read_csv(out / "results.csv")
    own = {small: "business_as_usual+cohort.n_programs=2", large: "business_as_usual+cohort.n_programs=3"}
    assert set(own.values()) <= set(results["design"])
    # Same seed, same cohort settings: the design and its own business as usual run the same classrooms.
    wide = results.pivot(index="replicate", columns="design", values="n_classrooms")
    for design, ref in own.items():
        assert (wide[design] == wide[ref]).all()
    ce = pd.read_csv(out / "cost_effectiveness.csv").query("effect == 'classrooms_sustained'").set_index("design")
    assert set(ce.index) == {"business_as_usual", small, large}  # the helper references have no row
    assert ce.loc[small, "paired_with"] == own[small] and ce.loc[small, "same_cohort_share"] == 1
    assert {"inc_effect_per_classroom", "inc_cost_per_child", "n_children"} <= set(ce.columns)
    sustained = results.pivot(index="replicate", columns="design", values="n_classrooms_sustained_followup")
    assert ce.loc[large, "inc_effect"] == pytest.approx((sustained[large] - sustained[own[large]]).mean())
    assert "runs another cohort than business_as_usual" in printed and "on a common footing" in printed
    bought = pd.read_csv(out / "budget.csv").set_index("design")
    assert bought.loc[large, "cohorts"] == pytest.approx(300000 / ce.loc[large, "mean_cost"])
    assert "what $300,000 buys" in printed
    tables = printed[printed.index("  design"):printed.index(" runs: ")].splitlines()[:-1]
    assert max(len(line) for line in tables) <= 120, [line for line in tables if len(line) > 120]


def test_compare_composes_each_design_once(tmp_path, monkeypatch, capsys):
    """Checking the designs (statewide or not) and building their runs share one Hydra composition
    per design; outside the command nothing is remembered."""
    import bsc_sim.experiments.designs as designs

    composed: list[tuple[str, ...]] = []
    real = designs.load_params

    def counting(overrides):
        composed.append(tuple(overrides))
        return real(overrides)

    monkeypatch.setattr(designs, "load_params", counting)
    argv = ["designs=[bsc,coach]", "replications=1", f"out_dir={tmp_path / 'c'}", "cohort.n_programs=1",
            "followup_weeks=0", "executor=serial", "progress=false"]
    assert cmd_compare(argv) == 0
    assert sorted(o[0] for o in composed) == ["design=bsc", "design=business_as_usual", "design=coach"]
    composed.clear()
    designs.resolve_design("bsc").params(["cohort.n_programs=1"])
    designs.resolve_design("bsc").params(["cohort.n_programs=1"])
    assert len(composed) == 2
    capsys.readouterr()


def test_with_worker_processes_the_coordinator_imports_neither_model_nor_matplotlib_and_writes_the_same_files(
        tmp_path):
    """With the processes executor the workers draw the figures and give the calendars, so the
    coordinator never imports the model or matplotlib; every file equals the serial executor's, byte
    for byte (figures included)."""
    import os
    import subprocess
    import sys

    code = ("import sys; from bsc_sim.cli import main; code = main(sys.argv[1:]); "
            "print([m for m in ('matplotlib', 'bsc_sim.model', 'mesa') if m in sys.modules]); sys.exit(code)")
    outputs = {}
    for kind in ("serial", "processes"):
        out = tmp_path / kind
        # Prior worlds (not the shipped posterior): drawn worlds, flips and rankings without depending on a file.
        args = ["compare", "designs=[bsc,coach]", "replications=3", "cohort.n_programs=3", "followup_weeks=8",
                "uncertainty=parameters",
                f"executor={kind}", "executor.workers=2", "progress=false", f"out_dir={out}"]
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                              env={**os.environ, "MPLBACKEND": "Agg"}, timeout=600)
        assert done.returncode == 0, done.stderr
        outputs[kind] = (out, done.stdout.strip().splitlines()[-1])
    assert outputs["processes"][1] == "[]"
    assert "matplotlib" in outputs["serial"][1]  # the serial coordinator draws (and runs the model) itself
    names = sorted(p.name for p in outputs["serial"][0].iterdir() if p.suffix in (".csv", ".png"))
    assert "differences.png" in names and "ce_plane.png" in names
    assert names == sorted(p.name for p in outputs["processes"][0].iterdir() if p.suffix in (".csv", ".png"))
    for name in names:
        assert (outputs["serial"][0] / name).read_bytes() == (outputs["processes"][0] / name).read_bytes(), name
