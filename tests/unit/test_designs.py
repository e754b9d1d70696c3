"""Design references resolve to the same parameters however they are given: a name, a design file,
an inline variant, a crossed lever."""

from __future__ import annotations

import pytest

from bsc_sim import ParamError, load_params
from bsc_sim.experiments.designs import resolve_design, resolve_designs, shipped_description
from bsc_sim.palette import design_colors, design_label


def test_every_shipped_design_has_a_description():
    from bsc_sim.config import design_names

    for name in design_names():
        assert len(shipped_description(name)) > 20, name


def test_a_variant_equals_the_shipped_design_it_spells_out():
    variant = resolve_design("bsc+collaborative.n_sessions=4+collaborative.session_spacing_weeks=11")
    assert variant.base == "bsc" and variant.source == "variant"
    shipped = load_params(["design=bsc_4_sessions"])
    assert variant.params() == shipped.__class__(**{**shipped.__dict__, "design": variant.label})


def test_a_design_file_becomes_overrides_of_its_base(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("# @package _global_\ndefaults:\n  - coach\ndescription: >-\n  A coach who visits\n  weekly\n"
                    "coaching:\n  visit_interval_weeks: 1\npractices:\n  emotion_coaching:\n    effect: 0.3\n"
                    "  calm_corner:\n    level: classroom\n    effect: 0.5\n")
    design = resolve_design(str(path))
    assert (design.label, design.base, design.source) == ("plan", "coach", "file")  # no design: -> the file's stem
    assert design.description == "A coach who visits weekly"
    params = design.params(["cohort.n_programs=5"])
    assert params.coaching.visit_interval_weeks == 1 and params.coaching.enabled  # from coach, then the file
    assert params.practices["emotion_coaching"].effect == 0.3
    assert params.practices["calm_corner"].effect == 0.5  # a practice the package lacks is added
    assert params.cohort.n_programs == 5 and params.design == "plan"
    # The command's overrides win over the file's.
    assert design.params(["coaching.visit_interval_weeks=3"]).coaching.visit_interval_weeks == 3


def test_a_shipped_file_given_by_its_path_is_the_named_design():
    from bsc_sim.config import config_dir

    design = resolve_design(str(config_dir() / "design" / "bsc_virtual.yaml"))
    assert design.label == "bsc_virtual" and design.source == "shipped"


def test_values_with_plus_signs_and_added_practices_in_variants():
    design = resolve_design("bsc+turnover.annual_rate_mean=2.5e-1++practices.calm={level: classroom}")
    assert design.overrides == ("turnover.annual_rate_mean=2.5e-1", "+practices.calm={level: classroom}")
    params = design.params()
    assert params.turnover.annual_rate_mean == 0.25 and "calm" in params.practices


def test_cross_gives_every_combination_except_for_the_reference():
    designs, ref = resolve_designs(["bsc", "bsc_teachers_only"], cross={"collaborative.modality": ["in_person", "virtual"],
                                                                     "team.n_family": [0, 1]})
    assert ref == "business_as_usual"
    labels = [d.label for d in designs]
    assert labels[0] == "business_as_usual" and len(labels) == 1 + 2 * 2 * 2
    assert "bsc_teachers_only+collaborative.modality=virtual+team.n_family=1" in labels
    params = designs[labels.index("bsc_teachers_only+collaborative.modality=virtual+team.n_family=1")].params()
    assert params.collaborative.modality == "virtual" and params.team.n_family == 1 and params.team.n_director == 0


def test_the_reference_is_added_once_and_labels_stay_unique():
    designs, ref = resolve_designs(["coach", "business_as_usual"])
    assert [d.label for d in designs] == ["coach", "business_as_usual"] and ref == "business_as_usual"
    designs, ref = resolve_designs(["coach"], reference=None)
    assert [d.label for d in designs] == ["coach"] and ref is None
    with pytest.raises(ParamError, match="listed twice"):
        resolve_designs(["coach", "coach"])


def test_variants_read_plainly_and_get_colours_of_their_own():
    assert design_label("bsc+collaborative.modality=virtual") == "BSC (default) + modality=virtual"
    assert design_label("coach+coaching.enabled=false") == "coach + coaching.enabled=false"
    names = ["business_as_usual", "bsc"] + [f"bsc+collaborative.n_sessions={k}" for k in range(12)]
    colours = design_colors(names)
    assert len(set(colours.values())) == len(names)
    assert colours == design_colors(names)  # stable


def test_statewide_designs_are_measured_against_the_state_without_collaboratives():
    from bsc_sim.experiments.designs import DEFAULT_REFERENCE, STATEWIDE_REFERENCE, matching_reference

    small = ["system.n_programs=60"]
    assert matching_reference(["statewide"], DEFAULT_REFERENCE, small) == STATEWIDE_REFERENCE
    assert matching_reference(["bsc", "coach"], DEFAULT_REFERENCE) == DEFAULT_REFERENCE
    assert matching_reference(["statewide+system.cohort_size=8"], None, small) is None
    reference = load_params([f"design={STATEWIDE_REFERENCE}", *small])
    assert reference.system.enabled and not reference.collaborative.enabled and not reference.team.enabled
    with pytest.raises(ParamError, match="'statewide' is a statewide system but 'bsc' is one collaborative"):
        matching_reference(["statewide", "bsc"], DEFAULT_REFERENCE, small)
    with pytest.raises(ParamError, match="reference = 'coach': one collaborative, unlike the designs"):
        matching_reference(["statewide"], "coach", small)
    with pytest.raises(ParamError, match=f"use reference={DEFAULT_REFERENCE}"):
        matching_reference(["bsc"], STATEWIDE_REFERENCE)


def test_a_statewide_compare_speaks_of_states(tmp_path, capsys):
    import json

    from bsc_sim.experiments.analysis import run_comparison

    run, _ = run_comparison(["statewide"], 2, 0, tmp_path / "c", progress=False,
                            overrides=["system.n_programs=60", "system.horizon_weeks=60"], memory_limit=None)
    assert run.ok
    info = json.loads((tmp_path / "c" / "experiment.json").read_text())
    assert info["scope"] == "state" and info["reference"] == "statewide_business_as_usual"
    out = capsys.readouterr().out
    # The decision table says what it measures against and that its figures are per state.
    assert "measuring against statewide_business_as_usual" in out
    assert "per state, mean of 2 paired replicates" in out and "per cohort" not in out
