"""Turnover conversion and onboarding of newcomers."""

import numpy as np
import pytest

from bsc_sim import BSCModel, load_params
from bsc_sim.model.turnover import weekly_hazard


@pytest.mark.parametrize(("annual", "weekly"), [(0.13, 0.0027), (0.25, 0.0055), (0.40, 0.0098)])
def test_weekly_hazard_matches_domain_facts_table(annual, weekly):
    assert weekly_hazard(annual) == pytest.approx(weekly, abs=5e-5)
    assert 1 - (1 - weekly_hazard(annual)) ** 52 == pytest.approx(annual)


def test_newcomers_know_only_embedded_practices_and_take_them_up_as_far_as_the_culture_carries_them():
    def hire_all(culture):
        model = BSCModel(load_params(["cohort.n_programs=3"]), seed=4, create_agents=False)
        st, pr = model.pop.staff, model.pop.programs
        pr.embedded[:] = False
        pr.embedded[0, 0] = True                      # programme 0 has embedded practice 0
        pr.culture[:] = culture
        slots = np.flatnonzero(st.eligible[:, 0])     # posts that can use practice 0, in every programme
        st.present[slots] = False
        model.components["turnover"]._hire(model, slots, np.zeros(len(slots)))
        in_p0 = st.program[slots] == 0
        assert not st.use[slots[~in_p0]].any()        # nothing of what other programmes did not embed
        assert not st.use[slots][:, 1:].any()
        assert (st.hired_week[slots] == model.week).all()
        taken = st.use[slots[in_p0], 0]
        assert np.allclose(st.fidelity[slots[in_p0][taken], 0], model.params.turnover.onboarding_fidelity)
        return taken

    assert hire_all(1.0).all()                        # a full learning culture passes it on to everyone
    assert not hire_all(0.0).any()                    # none passes nothing on
    assert 0 < hire_all(0.5).mean() < 1


def test_staff_network_is_a_seeded_networkx_graph_matching_the_kernel():
    m1 = BSCModel(load_params(["cohort.n_programs=5"]), seed=8, create_agents=False)
    m2 = BSCModel(load_params(["cohort.n_programs=5"]), seed=8, create_agents=False)
    G, st = m1.pop.staff_graph, m1.pop.staff
    assert sorted(G.edges) == sorted(m2.pop.staff_graph.edges)  # same seed, same graph
    W = m1.pop.staff_network.weights
    assert W.nnz == 2 * G.number_of_edges()
    for a, b, w in G.edges(data="weight"):
        assert st.program[a] == st.program[b]  # within-programme ties only
        assert W[a, b] == w == W[b, a]
    roles = {i: G.nodes[i]["role"] for i in G}
    for a, b in G.edges:
        if {roles[a], roles[b]} == {"lead_teacher", "assistant_teacher"} and st.classroom[a] == st.classroom[b]:
            assert G[a][b]["weight"] == m1.params.network.w_classroom
