"""The weekly shortcuts of the calendar, turnover, disruption and PDSA phases (issue 19) give the
same numbers as the plain computations they skip or replace."""

import numpy as np
import pytest

from bsc_sim import load_params
from bsc_sim.model import BSCModel
from bsc_sim.model.pdsa import DO, PLAN, STUDY, PDSAProcess
from bsc_sim.model.turnover import weekly_hazard


def _final(overrides, seed):
    model = BSCModel(load_params(overrides), seed=seed, create_agents=False).run()
    st, pr = model.pop.staff, model.pop.programs
    return model.components["pdsa"].events, [st.use, st.fidelity, st.belief, st.skill, pr.culture, pr.fit,
                                             model.ledger.table, model.ledger.by_cohort]


def _same(a, b):
    (ea, xa), (eb, xb) = a, b
    assert len(ea) > 10   # teams ran cycles, so the comparison can fail
    assert [str(e) for e in ea] == [str(e) for e in eb]
    assert all(np.array_equal(u, v, equal_nan=True) for u, v in zip(xa, xb))


@pytest.mark.parametrize("overrides", [[], ["cohort.n_programs=30"]])
def test_start_rates_one_by_one_equal_the_arrays(monkeypatch, overrides):
    monkeypatch.setattr(PDSAProcess, "SMALL", 10**9)
    floats = _final(overrides, 3)
    monkeypatch.setattr(PDSAProcess, "SMALL", 0)
    _same(floats, _final(overrides, 3))


def test_tests_begun_and_decided_one_by_one_equal_all_at_once(monkeypatch):
    monkeypatch.setattr(PDSAProcess, "ONE_BY_ONE", 10**9)
    one = _final(["cohort.n_programs=30"], 5)
    monkeypatch.setattr(PDSAProcess, "ONE_BY_ONE", 0)
    _same(one, _final(["cohort.n_programs=30"], 5))


@pytest.mark.parametrize("overrides", [["cohort.n_programs=20"],
                                       ["design=statewide", "system.n_programs=200", "system.horizon_weeks=80"]])
def test_what_is_kept_between_weeks_is_what_a_fresh_computation_gives(overrides):
    model = BSCModel(load_params(overrides), seed=2, create_agents=False)
    pdsa, turnover, disruption = (model.components[n] for n in ("pdsa", "turnover", "disruption"))
    st, pr, d, q = model.pop.staff, model.pop.programs, model.params.disruption, model.params.pdsa
    moved = hired = testing = skipped = 0
    while not model.finished:
        w = model.week
        rel = w - pdsa.week_start
        due = (((pdsa.stage == PLAN) & (rel >= q.plan_weeks)) | ((pdsa.stage == DO) & (rel >= q.plan_weeks + q.do_weeks))
               | ((pdsa.stage == STUDY) & (rel >= q.plan_weeks + q.do_weeks + q.study_weeks)))
        assert due.any() == (w >= pdsa._due), w     # no team moves on in a week that is skipped
        moved += due.any()
        vacancies = ~st.present & (st.vacant_until <= w)
        if vacancies.any():      # no week with a vacancy to fill is skipped
            assert w >= turnover._next_hire, w
        hired += vacancies.any()
        skipped += w < turnover._next_hire
        model.step()
        r, k = st.testing.nonzero()   # the kept tests, less those that ended, are the current ones
        kept = pdsa._testing[st.testing.take(pdsa._testing)]
        assert np.array_equal(np.sort(kept), r * st.testing.shape[1] + k)
        testing += len(r)
        vacant = 1.0 - model.pop.count_staff(st.present) / disruption.n_posts
        hazard = np.minimum(1.0, d.base_weekly * np.exp(d.w_vacancy * vacant + disruption.slack_term
                                                        - d.w_leadership * 2 * (pr.leadership - 0.5)))
        if disruption._hazard_key == (turnover.departures, turnover.hires):
            assert np.array_equal(disruption._hazard, hazard)
    assert moved > 10 and hired > 3 and testing > 10 and skipped > 0
    assert weekly_hazard(0.0) == 0.0


@pytest.mark.parametrize("overrides", [[], ["design=bsc_followup_support"],
                                       ["design=statewide", "system.n_programs=300", "system.horizon_weeks=120"]])
def test_supported_programmes_worked_out_once_equal_the_schedule(overrides):
    from bsc_sim.model.population import supported

    model = BSCModel(load_params(overrides), seed=1, create_agents=False)
    changed = 0
    while not model.finished:
        model.components["calendar"].step(model)
        w, pr = model.week, model.pop.programs
        fresh = model.schedule.program_supported(w) & pr.in_collaborative
        assert np.array_equal(supported(model), fresh), w
        changed += w > 0 and not np.array_equal(fresh, model.schedule.program_supported(w - 1) & pr.in_collaborative)
        for name in model.PHASES[1:]:
            model.components[name].step(model)
        model.week += 1
    assert changed   # supports began or ended during the run, so the comparison can fail
