"""Every design lever moves the intermediate state it is documented to act through (issue 9 §4).

The lever audit (``bsc-sim levers``) measures effects with intervals over 100 replicates; this
test checks the direction of each lever's pathway on fewer seeds, so that a lever whose mechanism
is disconnected fails here first.
"""

import json

import pytest

from bsc_sim.analysis.levers import LEVERS, PATHWAY_STATE, lever_specs
from bsc_sim.paramtools import to_dict
from bsc_sim.run import run_sim

N_SEEDS = 10
_SUMMARIES: dict[tuple[str, int], dict] = {}


def summary(spec) -> dict:
    """A run's summary, computed once per test process for the same parameters and seed: every
    lever is measured against the same reference runs."""
    key = (json.dumps(to_dict(spec.params), sort_keys=True), spec.seed)
    if key not in _SUMMARIES:
        _SUMMARIES[key] = run_sim(spec.params, spec.seed).summary
    return _SUMMARIES[key]


def mean_state(specs, key):
    return sum(summary(s)[key] for s in specs) / len(specs)


def test_every_lever_has_a_documented_pathway_state():
    assert set(PATHWAY_STATE) == {lever.key for lever in LEVERS}
    assert all(lever.pathway for lever in LEVERS)


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lv: lv.key)
def test_lever_moves_its_pathway_state(lever):
    key, direction = PATHWAY_STATE[lever.key]
    specs = lever_specs([lever], N_SEEDS, seed=3)
    reference = [s for s in specs if s.labels["lever"] == "bsc"]
    changed = [s for s in specs if s.labels["lever"] == lever.key]
    assert direction * (mean_state(changed, key) - mean_state(reference, key)) > 0
