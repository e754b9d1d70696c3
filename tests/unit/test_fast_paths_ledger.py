"""The ledger's batched staff-time bookings (issue 19) give the same floats, in the same order, as one
``staff_hours`` call per booking."""

import copy

import numpy as np
import pytest

from bsc_sim import load_params
from bsc_sim.model import BSCModel
from bsc_sim.model.costs import CostLedger


def _one_by_one(ledger, model, slots, bounds, group, hours):
    for g, h in zip(group, hours):
        ledger.staff_hours(model, slots[bounds[g]:bounds[g + 1]], h, cover=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grouped_bookings_equal_one_call_each(seed):
    model = BSCModel(load_params(["cohort.n_programs=30"]), seed=seed, create_agents=False)
    st, rng = model.pop.staff, np.random.default_rng(seed)
    groups = []
    for m in rng.permutation(30)[:20]:
        mine = np.flatnonzero(st.program == m)
        size = int(rng.integers(0, len(mine) + 1)) if rng.random() < 0.7 else len(mine)   # some of 8 and more
        groups.append(np.sort(rng.choice(mine, size, replace=False)))
    groups.insert(3, groups[0][:0])   # a team with nobody present books nothing
    assert max(len(g) for g in groups) >= 8 and min(len(g) for g in groups) == 0
    slots = np.concatenate(groups)
    bounds = np.concatenate(([0], np.cumsum([len(g) for g in groups])))
    group = rng.integers(0, len(groups), 60)
    hours = (rng.random(60) * rng.choice([1.0, 1e3, 1e-3], 60)).tolist()
    plain, fast = copy.deepcopy(model.ledger), copy.deepcopy(model.ledger)
    before = rng.random(model.ledger.by_cohort.shape[1]) * 100.0
    wage = rng.random(5) * 10.0 ** rng.integers(-3, 4, 5)   # wages whose sums round, so the order shows
    for led in (plain, fast):   # something booked already, so the order of additions matters
        led.wage = wage
        led.table[led.week, 0] = 1234.567
        led.by_cohort[led.week] = before
    _one_by_one(plain, model, slots, bounds, group, hours)
    fast.staff_hours_groups(model, slots, bounds, group, hours)
    assert plain.table[plain.week, 0] != 1234.567
    assert np.array_equal(plain.table, fast.table)
    assert np.array_equal(plain.by_cohort, fast.by_cohort)
    # Each team's wage total alone (a sum of eight or more is added as np.sum adds it).
    each = np.arange(len(groups))
    plain.table[:] = fast.table[:] = 0.0
    for g in each:
        plain.staff_hours(model, slots[bounds[g]:bounds[g + 1]], 1.0, cover=False)
        plain.table[plain.week + 1 + g, 0] = plain.table[plain.week, 0]
        plain.table[plain.week, 0] = 0.0
        fast.staff_hours_groups(model, slots, bounds, each[g:g + 1], [1.0])
        fast.table[fast.week + 1 + g, 0] = fast.table[fast.week, 0]
        fast.table[fast.week, 0] = 0.0
    assert np.array_equal(plain.table, fast.table)


def test_a_state_books_the_same_costs_with_one_call_per_booking(monkeypatch):
    overrides = ["design=statewide", "system.n_programs=200", "system.horizon_weeks=80"]
    fast = BSCModel(load_params(overrides), seed=4, create_agents=False).run()
    monkeypatch.setattr(CostLedger, "staff_hours_groups", _one_by_one)
    plain = BSCModel(load_params(overrides), seed=4, create_agents=False).run()
    assert len(plain.components["pdsa"].events) > 10
    assert np.array_equal(plain.ledger.table, fast.ledger.table)
    assert np.array_equal(plain.ledger.by_cohort, fast.ledger.by_cohort)


def _cross_learning_state(overrides, seed):
    model = BSCModel(load_params(overrides), seed=seed, create_agents=False).run()
    st, pr = model.pop.staff, model.pop.programs
    return [st.belief, st.use, pr.fit, pr.peer_encouragement, pr.culture, model.ledger.table], model


@pytest.mark.parametrize("overrides", [["design=statewide", "system.n_programs=300", "system.horizon_weeks=120"],
                                       ["cohort.n_programs=20"]])
def test_cross_learning_over_seated_programmes_equals_all(monkeypatch, overrides):
    from bsc_sim.model.cross_learning import CrossProgramLearning
    monkeypatch.setattr(CrossProgramLearning, "SEATED_SHARE", 1.0)    # always the seated programmes
    seated, model = _cross_learning_state(overrides, 3)
    assert model.pop.ties.n_formed > 0 and np.any(model.pop.programs.fit > 0)
    monkeypatch.setattr(CrossProgramLearning, "SEATED_SHARE", -1.0)   # always every programme
    plain, _ = _cross_learning_state(overrides, 3)
    assert all(np.array_equal(a, b) for a, b in zip(seated, plain))


@pytest.mark.parametrize("overrides", [["design=statewide", "system.n_programs=300", "system.horizon_weeks=60"],
                                       ["cohort.n_programs=20"]])
def test_fit_and_thresholds_at_entries_equal_the_whole_arrays(overrides):
    from bsc_sim.model.population import local_fit, local_fit_at
    model = BSCModel(load_params(overrides), seed=5, create_agents=False)
    rng = np.random.default_rng(5)
    M, P = model.pop.programs.fit.shape
    S = len(model.pop.staff.program)
    spread = model.components["spread"]
    while not model.finished:
        model.step()
        # Uneven fits and some teams with a family, so every term can differ.
        model.pop.programs.fit += rng.random((M, P)) * 0.01
        prog, k = rng.integers(0, M, 50), rng.integers(0, P, 50)
        assert np.array_equal(local_fit_at(model.params, model.pop, prog, k), local_fit(model.params, model.pop)[prog, k])
        at, whole = spread.threshold_at(model), spread.effective_threshold(model)
        few = rng.integers(0, S * P, 7)                         # fewer entries than programme-practice pairs
        many = rng.integers(0, S * P, M * P + 1)                # more
        assert np.array_equal(at(few), whole.reshape(-1)[few])
        assert np.array_equal(at(many), whole.reshape(-1)[many])
    from bsc_sim.model.population import family_on_team
    assert family_on_team(model.pop).any() and not family_on_team(model.pop).all()
