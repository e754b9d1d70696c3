"""Property-based tests of the input contract (issue 17), with Hypothesis.

Whatever design files, variants and overrides a user gives, a command either succeeds (exit 0,
with results) or refuses: exit 2, exactly one line on stderr, and nothing written. Never a
traceback, never exit 1 for bad input, never a half-made out_dir. The generators mix valid keys
and values with the hostile ones the audit found (unknown keys, keys that swap the design, YAML
tags and aliases, interpolations, repeated keys, long text, wrong types).

Cheap by design: few examples, tiny cohorts, one replicate, no deadline (a busy machine is fine).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bsc_sim import ParamError

TINY = ["cohort.n_programs=2", "followup_weeks=4"]

# Keys with values that are sometimes valid and sometimes not.
VALUES = {
    "collaborative.n_sessions": st.one_of(st.integers(-2, 6), st.sampled_from(["three", None, 2.5])),
    "collaborative.modality": st.sampled_from(["in_person", "virtual", "hybrid", 3, None, ""]),
    "pdsa.obs_noise_sd": st.one_of(st.floats(-1, 3), st.sampled_from([float("nan"), float("inf"), "x"])),
    "turnover.annual_rate_mean": st.one_of(st.floats(-0.5, 1.5), st.booleans()),
    "team.n_family": st.one_of(st.integers(-1, 3), st.lists(st.integers(0, 2), max_size=2)),
}
HOSTILE_KEYS = ["design", "hydra.run.dir", "defaults", "no_such.key", "seed", "practices.not_a_practice.effect"]
HOSTILE_VALUES = ["${oc.env:HOME}", "!!python/object/apply:os.system ['true']", "*undefined_alias", "[unclosed",
                  "{a: 1}", "1e+3", "'quoted'", "null"]

keys = st.one_of(st.sampled_from(sorted(VALUES)), st.sampled_from(HOSTILE_KEYS))


@st.composite
def key_values(draw, max_size: int = 3) -> list[tuple[str, object]]:
    out = []
    for key in draw(st.lists(keys, max_size=max_size)):
        if key in VALUES and draw(st.booleans()):
            out.append((key, draw(VALUES[key])))
        else:
            out.append((key, draw(st.sampled_from([*HOSTILE_VALUES, 1, 0.5, True]))))
    return out


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


@st.composite
def variants(draw) -> str:
    base = draw(st.sampled_from(["bsc", "coach", "training", "no_such_design", "bsc_virtual"]))
    return "+".join([base, *(f"{k}={_text(v)}" for k, v in draw(key_values()))])


@st.composite
def design_files(draw) -> str:
    """The text of a design file: plain YAML data, or with a hostile fragment spliced in."""
    data: dict[str, object] = {}
    if draw(st.booleans()):
        data["defaults"] = [draw(st.sampled_from(["bsc", "coach", "nope"]))]
    if draw(st.booleans()):
        data["design"] = draw(st.sampled_from(["mine", "bsc", "bad name!", "x" * 3]))
    if draw(st.booleans()):
        data["description"] = draw(st.one_of(st.text(max_size=40), st.integers(), st.just("w " * 1500)))
    for key, value in draw(key_values()):
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    text = yaml.safe_dump(data, sort_keys=False)
    extra = draw(st.sampled_from(["", "x: !!python/name:os.system\n", "a: &a [1, 2]\nb: [*a, *a]\n",
                                  "interp: ${oc.env:HOME}\n", ": : :\n", "\t- tab\n"]))
    return text + extra


def _contract(command: list[str], out: Path, main, result: str) -> tuple[int, str]:
    """Run ``command``; check exit 0 with results, or exit 2 with one line and nothing written."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(command)
    text = err.getvalue().strip()
    assert code in (0, 2), (code, text)
    if code == 0:
        assert (out / result).is_file()
    else:
        lines = text.splitlines()
        assert len(lines) == 1 and lines[0].startswith("bsc-sim"), text
        assert "Traceback" not in text
        assert not out.exists(), sorted(p.name for p in out.iterdir())
    return code, text


def _resolves_or_refuses(ref: str) -> None:
    """Resolving a reference and building its parameters returns them or raises one-line ParamError."""
    from bsc_sim.experiments.designs import resolve_design

    try:
        resolve_design(ref).params(TINY)
    except ParamError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 2000, str(exc)


quick = settings(max_examples=40, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
slow = settings(max_examples=6, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@quick
@given(variants())
def test_any_variant_resolves_or_is_refused_in_one_line(variant):
    _resolves_or_refuses(variant)


@quick
@given(design_files())
def test_any_design_file_resolves_or_is_refused_in_one_line(text):
    folder = Path(tempfile.mkdtemp())
    try:
        path = folder / "mine.yaml"
        path.write_text(text)
        _resolves_or_refuses(str(path))
    finally:
        shutil.rmtree(folder)


def test_compare_runs_or_refuses_in_one_line_writing_nothing():
    from bsc_sim.cli import main

    codes = []

    @slow
    @given(st.one_of(variants(), design_files()), key_values(max_size=2))
    def check(design, overrides):
        folder = Path(tempfile.mkdtemp())
        try:
            ref = design
            if "\n" in design or design == "":  # a design file's text
                path = folder / "mine.yaml"
                path.write_text(design)
                ref = str(path)
            out = folder / "out"
            command = ["compare", f"designs=[{ref}]", "reference=none", "replications=1", f"out_dir={out}",
                       "executor=serial", "progress=false", *TINY, *(f"{k}={_text(v)}" for k, v in overrides)]
            codes.append(_contract(command, out, main, "results.parquet")[0])
        finally:
            shutil.rmtree(folder)

    check()
    assert 0 in codes and 2 in codes, codes  # both sides of the contract were exercised


def test_run_runs_or_refuses_in_one_line_writing_nothing():
    from bsc_sim.cli import main

    codes = []

    @slow
    @given(key_values(max_size=3))
    def check(overrides):
        folder = Path(tempfile.mkdtemp())
        try:
            out = folder / "out"
            command = ["run", *TINY, f"out_dir={out}", *(f"{k}={_text(v)}" for k, v in overrides)]
            codes.append(_contract(command, out, main, "meta.json")[0])
        finally:
            shutil.rmtree(folder)

    check()
    assert 0 in codes and 2 in codes, codes


@pytest.mark.parametrize("text", ["a: &a [1]\nb: *a\n", "plain: 1\n"])
def test_the_generators_include_valid_input(text):
    """A plain file loads: the contract is not met by refusing everything."""
    from bsc_sim.datafiles import load_yaml

    assert isinstance(load_yaml(text, "x"), dict)
