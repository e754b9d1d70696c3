"""Each mechanism of issue 9 acts through the state it is documented to act on (ODD 7).

Tests compare paired runs (the same seeds) with the mechanism on and off, or step a model and
check an invariant every week. Seeds are fixed; sample sizes are chosen so that the effects tested
are several standard errors wide at these seeds.
"""

from functools import lru_cache

import numpy as np
import pytest

from bsc_sim import BSCModel, run_sim
from bsc_sim import load_params as compose
from bsc_sim.experiments.specs import replicate_seeds

SEEDS = replicate_seeds(11, 16)
PRACTICES = ("emotion_coaching", "visual_routines", "friendship_skills", "reflective_supervision", "home_feelings_talk")


@lru_cache(maxsize=None)
def _params(overrides: tuple[str, ...]):
    return compose(list(overrides))


def load_params(overrides=None):
    """Parameters composed once per test process for the same overrides (Params are frozen)."""
    return _params(tuple(overrides or ()))


@lru_cache(maxsize=None)
def summary(overrides: tuple[str, ...], seed: int) -> dict:
    """One run's summary, computed once per test process (several tests compare with the default)."""
    return run_sim(load_params(list(overrides)), seed).summary


def pooled(overrides, num, den=None, seeds=SEEDS):
    runs = [summary(tuple(overrides), s) for s in seeds]
    n = sum(r[num] for r in runs)
    return n / sum(r[den] for r in runs) if den else n / len(runs)


def gain(overrides, seeds=SEEDS):
    return (pooled(overrides, "n_classrooms_reached_end", "n_classrooms", seeds)
            - pooled(overrides, "n_classrooms_reached_baseline", "n_classrooms", seeds))


# -- 1. Results drive use -------------------------------------------------------------------------
def test_reach_gain_of_an_ineffective_package_is_at_most_half_the_default():
    weak = [f"practices.{k}.effect=0.1" for k in PRACTICES]
    assert gain(weak) <= 0.5 * gain([])
    # ... and its tests mostly fail, while the default package's mostly succeed.
    assert pooled(weak, "n_test_successes", "n_test_units") < 0.35 < 0.6 < pooled([], "n_test_successes", "n_test_units")


def test_abandoning_ends_the_practice_in_the_programme_for_the_cool_down():
    p = load_params([f"practices.{k}.effect=0.2" for k in PRACTICES])
    checked = 0
    for seed in SEEDS[:6]:
        model = BSCModel(p, seed=seed, create_agents=False)
        pdsa, st, pr = model.components["pdsa"], model.pop.staff, model.pop.programs
        while not model.finished:
            n_before = len(pdsa.events)
            model.step()
            for e in pdsa.events[n_before:]:
                if e[13] == "abandon":
                    mine = st.program == e[1]
                    assert not st.use[mine, e[2]].any()          # nobody in the programme uses it
                    assert pr.abandoned_until[e[1], e[2]] == e[4] + p.pdsa.abandon_cooldown_weeks
                    checked += 1
            # During the cool-down (every week before abandoned_until, the week just run included)
            # the practice does not come back in that programme.
            blocked = pr.abandoned_until > model.week - 1
            assert not (st.use & blocked[st.program]).any()
    assert checked >= 5


def test_culture_grows_only_from_cycles_whose_data_were_used():
    blind = ["readiness.data_capacity_mean=0.0", "collaborative.data_use_support=0.0", "readiness.head_start_data_shift=0.0"]
    seeds = SEEDS[:4]
    with_gain = pooled(blind, "culture_end", seeds=seeds)
    without_gain = pooled([*blind, "culture.gain_per_cycle=0.0"], "culture_end", seeds=seeds)
    assert with_gain == pytest.approx(without_gain, abs=1e-3)   # (data capacity is clipped near, not at, 0)
    seeing = pooled([], "culture_end", seeds=seeds) - pooled(["culture.gain_per_cycle=0.0"], "culture_end", seeds=seeds)
    assert seeing > 0.03


# -- 2. Organisational disruption ----------------------------------------------------------------
def test_derailed_teams_start_no_cycles_and_hazards_follow_slack_and_leadership():
    model = BSCModel(load_params(["disruption.base_weekly=0.05"]), seed=SEEDS[0], create_agents=False).run()
    rec = model.components["measure"]
    assert rec.derailed.any()
    for e in model.components["pdsa"].events:
        assert not rec.derailed[e[3] - 1, e[1]]       # the week the team decided to start
    calm = pooled(["readiness.time_slack_mean=0.8", "readiness.leadership_support_mean=0.8"], "n_derailments")
    strained = pooled(["readiness.time_slack_mean=0.2", "readiness.leadership_support_mean=0.2"], "n_derailments")
    assert strained > 1.5 * calm
    assert pooled(["disruption.enabled=false"], "n_derailments") == 0 == pooled(["disruption.enabled=false"], "n_programs_dropped")


def test_programmes_that_drop_out_lose_their_team_and_supports():
    p = load_params(["disruption.base_weekly=0.05", "disruption.dropout_weekly=0.5"])
    model = BSCModel(p, seed=SEEDS[1], create_agents=False)
    pr, st = model.pop.programs, model.pop.staff
    model.run()
    out = np.flatnonzero(~pr.in_collaborative)
    assert len(out) > 0
    assert not st.on_team[np.isin(st.program, out)].any() and not st.team_seat[np.isin(st.program, out)].any()
    assert (pr.support_end[out] < model.calendar.end_week).all()
    dropped = pooled(["disruption.base_weekly=0.05", "disruption.dropout_weekly=0.5"], "n_programs_dropped", "n_programs")
    assert dropped > pooled([], "n_programs_dropped", "n_programs")


def test_a_directors_exit_can_dissolve_the_team():
    p = load_params(["disruption.p_dissolve_on_director_exit=1.0", "turnover.annual_rate_mean=0.5"])
    model = BSCModel(p, seed=SEEDS[2], create_agents=False)
    st, pr = model.pop.staff, model.pop.programs
    left_during = np.zeros(model.pop.n_programs, dtype=bool)
    while model.week <= model.calendar.end_week:
        was_present = st.present & (st.role == 0)
        model.step()
        left_during[st.program[was_present & ~st.present]] = True
    assert left_during.any()
    assert not pr.in_collaborative[left_during].any()


# -- 3. Decay after supports end, countered by follow-up support ---------------------------------
def test_culture_and_cycling_fade_after_the_end_and_follow_up_support_delays_it():
    seeds = SEEDS[:10]
    base = [BSCModel(load_params(), seed=s, create_agents=False).run() for s in seeds]
    kept = [BSCModel(load_params(["design=bsc_followup_support"]), seed=s, create_agents=False).run() for s in seeds]
    end = base[0].calendar.end_week

    def culture(models, week):
        return np.mean([m.components["measure"].culture[week].mean() for m in models])

    assert culture(base, end + 26) < culture(base, end) - 0.03             # erodes once supports end
    assert culture(kept, end + 26) > culture(base, end + 26) + 0.02        # unless supports continue

    def cycles(models, lo, hi):
        return sum(sum(lo <= e[3] < hi for e in m.components["pdsa"].events) for m in models)

    assert cycles(kept, end + 1, end + 27) > cycles(base, end + 1, end + 27)
    # Cycling tapers by itself, beyond what the eroding culture does.
    steady = [BSCModel(load_params(["pdsa.taper_half_life_weeks=1000000"]), seed=s, create_agents=False).run()
              for s in seeds]
    assert cycles(base, end + 27, end + 53) < 0.8 * cycles(steady, end + 27, end + 53)


def test_lapse_rises_with_time_since_supports_ended():
    def still_using(*overrides):
        kept = users = 0
        for seed in SEEDS[:12]:
            model = BSCModel(load_params(list(overrides)), seed=seed, create_agents=False)
            st = model.pop.staff
            while model.week <= model.calendar.end_week:
                model.step()
            use, hired = st.use.copy(), st.hired_week.copy()
            model.run()
            same = st.present & (st.hired_week == hired)          # the same people, a year later
            users += (use & same[:, None]).sum()
            kept += (use & st.use & same[:, None]).sum()
        return kept / users

    assert still_using("sustain.support_withdrawal=4.0") < still_using("sustain.support_withdrawal=1.0") - 0.05
    # The hazard rises over time: at once (a short time constant) loses more than slowly.
    assert still_using("sustain.withdrawal_weeks=1") < still_using("sustain.withdrawal_weeks=1000") - 0.03


# -- 4. Learning sessions as a dose ---------------------------------------------------------------
def test_session_momentum_jumps_at_sessions_and_fades_between():
    model = BSCModel(load_params(), seed=SEEDS[0], create_agents=False).run()
    m = model.components["measure"].momentum.mean(axis=1)
    for w in model.calendar.session_weeks():
        assert m[w] > m[w - 1] + 0.1
        next_call = w + 1 + int(np.argmax(model.calendar.call[w + 1:]))
        assert (np.diff(m[w:next_call]) < 0).all()          # fades until a call tops it up a little
    assert m[model.calendar.end_week + 30] < 0.05


def test_massed_sessions_leave_smaller_lasting_gains_and_virtual_ones_fewer_ties():
    def session_gain(momentum, overrides=()):
        model = BSCModel(load_params(list(overrides)), seed=SEEDS[3], create_agents=False)
        model.pop.programs.momentum[:] = momentum
        before = model.pop.staff.skill.copy()
        rows = model.components["calendar"].learning_session(model)
        return float((model.pop.staff.skill[rows] - before[rows]).mean())

    assert session_gain(0.8) < 0.5 * session_gain(0.0)     # right after another session
    assert session_gain(0.0, ["design=bsc_virtual"]) < session_gain(0.0)
    assert session_gain(0.0, ["cohort.n_programs=40"]) < session_gain(0.0)   # faculty spread thinner
    assert pooled(["design=bsc_virtual"], "n_cross_ties_formed") < 0.7 * pooled([], "n_cross_ties_formed")
    assert pooled(["design=bsc_4_sessions"], "mean_momentum") > pooled([], "mean_momentum")


# -- 5. Cross-programme learning acts on what drives outcomes -------------------------------------
def test_peers_adaptations_raise_fit_and_their_successes_raise_cycling():
    model = BSCModel(load_params(), seed=SEEDS[4], create_agents=False)
    while model.week < 30:
        model.step()
    pr, ties, st = model.pop.programs, model.pop.ties, model.pop.staff
    assert ties.n_ties() > 0 and pr.peer_encouragement.max() > 0
    seated = st.present[ties.slots] & st.on_team[ties.slots]
    i, j = next((i, j) for i, j in zip(ties.a, ties.b) if seated[i] and seated[j])
    a, b = ties.program[i], ties.program[j]
    pr.fit[:] = 0.0
    pr.fit[a, 0] = 1.0
    model.components["cross_learning"].step(model)
    assert pr.fit[b, 0] > 0                                    # b learnt a's adaptation
    assert pooled(["collaborative.cross_learning=false"], "n_pdsa_cycles") < pooled([], "n_pdsa_cycles")
    assert pooled(["collaborative.cross_learning=false"], "mean_fit") < pooled([], "mean_fit")


# -- 6. Fidelity beyond the team -------------------------------------------------------------------
def test_team_members_coaching_and_supervision_carry_fidelity_past_the_team():
    def nonteam_fidelity(overrides):
        runs = [BSCModel(load_params(list(overrides)), seed=s, create_agents=False) for s in SEEDS[:12]]
        hits = n = 0
        for model in runs:
            while model.week <= model.calendar.end_week:
                model.step()
            st = model.pop.staff
            teach = st.present & ~st.on_team & np.isin(st.role, (2, 3))
            hits += (teach & ((st.fidelity >= 0.8) & st.use).any(axis=1)).sum()
            n += teach.sum()
        return hits / n

    assert nonteam_fidelity(["sustain.peer_coaching_feedback=0.0"]) < nonteam_fidelity([]) - 0.01


def test_reflective_supervision_gives_the_staff_a_leader_supervises_feedback():
    model = BSCModel(load_params(["sustain.culture_feedback=0.0"]), seed=SEEDS[0], create_agents=False)
    st = model.pop.staff
    st.on_team[:] = False                               # no team, endorsement or coaching feedback
    sup = model.practice_index("reflective_supervision")
    director = np.flatnonzero((st.program == 0) & (st.role == 0))[0]
    mine = (st.program == 0) & ~np.isin(st.role, (0, 1, 4))
    before = model.components["sustainment"].feedback(model)
    st.use[director, sup], st.fidelity[director, sup] = True, 0.95
    after = model.components["sustainment"].feedback(model)
    s = model.params.sustain.supervision_feedback
    assert (before[mine] < s).all() and np.allclose(after[mine], s)   # every practice of the supervised
    assert np.allclose(after[director], before[director])             # the supervisor gets none from it
    assert np.allclose(after[st.program != 0], before[st.program != 0])


# -- 7. Families act through fit and continuity ---------------------------------------------------
def test_teams_without_families_have_lower_fit_of_family_practices_and_less_home_use():
    assert pooled(["design=bsc_no_families"], "mean_fit_family_practices") < pooled([], "mean_fit_family_practices") - 0.1
    assert pooled(["design=bsc_no_families"], "frac_families_home_use_end") < pooled([], "frac_families_home_use_end")


def test_home_school_continuity_lowers_teachers_lapse():
    without = pooled(["sustain.w_home_continuity=0.0"], "n_classrooms_sustained_followup", "n_classrooms")
    strong = pooled(["sustain.w_home_continuity=4.0"], "n_classrooms_sustained_followup", "n_classrooms")
    assert strong > without


# -- 8. Data-use support -------------------------------------------------------------------------
def test_data_support_reduces_misreads_and_data_burden_when_capacity_is_low():
    low = ["readiness.data_capacity_mean=0.15", "readiness.head_start_data_shift=0.0"]
    supported = [*low, "collaborative.data_use_support=1.0"]
    unsupported = [*low, "collaborative.data_use_support=0.0"]
    assert pooled(unsupported, "frac_pdsa_misread") > pooled(supported, "frac_pdsa_misread")
    assert pooled(unsupported, "n_pdsa_cycles") < pooled(supported, "n_pdsa_cycles")
    assert pooled(unsupported, "culture_end") < pooled(supported, "culture_end")
    hours = pooled(supported, "hours_data_collection", "n_pdsa_cycles_data_used")
    assert hours < pooled(unsupported, "hours_data_collection", "n_pdsa_cycles_data_used") - 1.0


# -- Leaders on the team --------------------------------------------------------------------------
def test_teams_without_leaders_cannot_endorse_and_cycle_less():
    model = BSCModel(load_params(["design=bsc_teachers_only"]), seed=SEEDS[0], create_agents=False).run()
    assert any(e[13] == "adopt" for e in model.components["pdsa"].events)
    assert not model.pop.programs.endorsed.any()
    assert pooled(["design=bsc_teachers_only"], "n_pdsa_cycles") < pooled([], "n_pdsa_cycles")
