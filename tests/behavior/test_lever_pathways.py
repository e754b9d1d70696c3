"""Every design lever moves the intermediate state it is documented to act through (issue 9 §4).

The lever audit (``bsc-sim levers``) measures effects with intervals over 100 replicates; this
test checks the direction of each lever's pathway on fewer seeds, so that a lever whose mechanism
is disconnected fails here first.
"""

import pytest

from bsc_sim.analysis.levers import LEVERS, PATHWAY_STATE, lever_specs
from bsc_sim.run import run_sim

N_SEEDS = 10


def mean_state(specs, key):
    return sum(run_sim(s.params, s.seed).summary[key] for s in specs) / len(specs)


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
