"""The batch API gives the same summaries as the normal path (compose, params_with, run_sim)."""

import dataclasses

import numpy as np
import pytest

from bsc_sim.batch import Batch, with_values
from bsc_sim.config import load_params
from bsc_sim.experiments.specs import params_with
from bsc_sim.experiments.uncertainty import draw_world, load_uncertainty
from bsc_sim.paramtools import ParamError
from bsc_sim.run import run_sim


def test_with_values_equals_params_with_for_drawn_worlds():
    base = load_params(["design=bsc"])
    unc = load_uncertainty()
    for seed in (1, 2, 3):
        world = draw_world(unc, seed)
        assert with_values(base, world) == params_with(base, world)
    practice = next(iter(base.practices))
    field = next(f.name for f in dataclasses.fields(base.practices[practice])
                 if isinstance(getattr(base.practices[practice], f.name), float))
    key = f"practices.{practice}.{field}"
    old = getattr(base.practices[practice], field)
    assert with_values(base, {key: old}) == params_with(base, {key: old})


@pytest.mark.parametrize("world, words", [
    ({"sustain.lapse_weekly": -1.0}, "lapse_weekly"),
    ({"sustain.no_such_key": 1.0}, "sustain.no_such_key"),
    ({"sustain": 1.0}, "sustain"),
    ({"cohort.n_programs": 2.5}, "cohort.n_programs"),
])
def test_with_values_refuses_what_a_config_refuses(world, words):
    base = load_params(["design=bsc"])
    with pytest.raises(ParamError, match=words.replace(".", r"\.")):
        with_values(base, world)
    with pytest.raises(ParamError):
        params_with(base, world)


def test_batch_summaries_identical_to_run_sim():
    unc = load_uncertainty()
    worlds = [draw_world(unc, 11), {}]
    seeds = [5, 6]
    table = Batch(["design=bsc", "followup_weeks=8"]).run(worlds, seeds)
    assert list(table["world"]) == [0, 0, 1, 1] and list(table["seed"]) == seeds * 2
    base = load_params(["design=bsc", "followup_weeks=8"])
    for row in table.to_dict("records"):
        expected = run_sim(params_with(base, worlds[row["world"]]), row["seed"]).summary
        for column, value in expected.items():
            got = row[column]
            if isinstance(value, float) and np.isnan(value):
                assert np.isnan(got), column
            else:
                assert got == value, column
    # the two worlds differ, so the comparison above could fail
    assert not table.iloc[0:2].drop(columns="world").equals(table.iloc[2:4].drop(columns="world").reset_index(drop=True))
