"""The model's fast paths (issue 19) give the same numbers as the plain expressions they replace."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from bsc_sim import load_params
from bsc_sim.model import BSCModel
from bsc_sim.spread import SpreadNetwork, contagion_step, csr_product


@pytest.fixture(scope="module")
def mid_run():
    """A default run stopped in week 40, after sessions, turnover and abandoned tests."""
    model = BSCModel(load_params(), seed=2, create_agents=False)
    for _ in range(40):
        model.step()
    return model


def test_csr_product_is_scipy_bit_for_bit():
    rng = np.random.default_rng(1)
    W = sp.random_array((60, 60), density=0.1, rng=rng, format="csr")
    for x in (rng.random(60), rng.random((60, 4)), (rng.random((60, 3)) < 0.3).astype(np.float64)):
        assert np.array_equal(csr_product(W, x), W @ x)
    with pytest.raises(ValueError):          # a wrong length is refused, never read past the end
        csr_product(W, np.ones(59))


def test_threshold_function_equals_the_whole_array(mid_run):
    spread = mid_run.components["spread"]
    full = spread.effective_threshold(mid_run)
    at = spread.threshold_at(mid_run)
    idx = np.arange(full.size)
    assert np.array_equal(at(idx), full.ravel())
    assert np.array_equal(at(idx.reshape(full.shape)), full)
    assert np.array_equal(at(idx[::7]), full.ravel()[::7])


@pytest.mark.parametrize("rates", [
    dict(p_spontaneous=0.01, q_imitation=0.2, p_threshold=0.5, min_sources=2),
    dict(p_spontaneous=0.0, q_imitation=0.0, p_threshold=1.0, min_sources=1),
    dict(p_spontaneous=np.full(5, 0.02), q_imitation=0.1, p_threshold=0.7, min_sources=1),   # array rates: fallback
])
def test_kernel_with_a_threshold_function_draws_the_same(mid_run, rates):
    st, net = mid_run.pop.staff, mid_run.pop.staff_network
    thr = mid_run.components["spread"].effective_threshold(mid_run)
    at = mid_run.components["spread"].threshold_at(mid_run)
    kw = dict(eligible=st.eligible, active=st.present, **rates)
    a = contagion_step(net, st.use, np.random.default_rng(5), threshold=thr, **kw)
    b = contagion_step(net, st.use, np.random.default_rng(5), threshold=at, **kw)
    assert np.array_equal(a, b)
    if np.ndim(rates["p_spontaneous"]) == 0:
        # The function is asked only about entries that can adopt and have an adopting contact.
        asked = []
        contagion_step(net, st.use, np.random.default_rng(5), threshold=lambda f: asked.append(f) or thr.ravel()[f], **kw)
        _, count = net.exposure(st.use, st.present)
        ok = (~st.use & st.eligible & st.present[:, None] & (count > 0)).ravel()
        assert len(asked) == 1 and ok[asked[0]].all() and len(asked[0]) == ok.sum() > 0


def test_kernel_threshold_function_on_a_small_world():
    net = SpreadNetwork(nx.watts_strogatz_graph(300, 6, 0.1, seed=3))
    rng = np.random.default_rng(0)
    adopted = rng.random((300, 2)) < 0.1
    thr = rng.random((300, 2)) * 0.5
    for seed in range(5):
        a = contagion_step(net, adopted, np.random.default_rng(seed), threshold=thr, p_spontaneous=0.01, q_imitation=0.1,
                           min_sources=2)
        b = contagion_step(net, adopted, np.random.default_rng(seed), threshold=lambda f: thr.ravel()[f],
                           p_spontaneous=0.01, q_imitation=0.1, min_sources=2)
        assert np.array_equal(a, b)
        adopted |= a


@pytest.mark.parametrize("overrides", [[], ["design=coach"], ["design=training"],
                                       ["design=statewide", "system.n_programs=200", "system.horizon_weeks=120"]])
def test_calendar_agenda_matches_the_schedule(overrides):
    model = BSCModel(load_params(overrides), seed=1, create_agents=False)
    sch, agenda = model.schedule, model.components["calendar"].agenda
    for w in range(model.calendar.horizon):
        starting, events, supports = agenda.get(w, (np.zeros(0, dtype=np.int64), [], []))
        assert np.array_equal(starting, np.flatnonzero(sch.cohort_start == w))
        got = dict(events) | dict(supports)
        for name in ("community_meeting", "session_number", "congress", "call", "coach_visit", "training"):
            assert np.array_equal(got.get(name, np.zeros(0, dtype=np.int64)), sch.cohorts_with(name, w)), (w, name)


def test_families_of_a_large_state_only_where_anything_can_change(monkeypatch):
    """The families' step for large states (only live families) gives the run the same numbers."""
    import bsc_sim.model.spread as spread_phase

    def final(large):
        monkeypatch.setattr(spread_phase, "LARGE", large)
        model = BSCModel(load_params(["cohort.n_programs=12"]), seed=4, create_agents=False).run()
        fam = model.pop.families
        return fam.engagement.copy(), fam.home_use.copy(), model.pop.staff.use.copy()

    plain, live = final(10**9), final(0)
    assert all(np.array_equal(a, b) for a, b in zip(plain, live))
    assert plain[1].any()  # some families took the practice up, so the comparison can fail


@pytest.mark.parametrize("sparse", [False, True])
def test_feedback_at_entries_equals_the_whole_array(mid_run, monkeypatch, sparse):
    sust, st = mid_run.components["sustainment"], mid_run.pop.staff
    monkeypatch.setattr(sust, "_sparse", sparse)   # coaching found by a product, or by flagging contacts
    assert sust.feedback(mid_run).max() > 0 and (st.on_team[:, None] & st.use).any()
    full = sust.feedback(mid_run)
    r, k = np.nonzero(np.ones_like(st.use))
    assert np.array_equal(sust.feedback_at(mid_run, r, k, r * st.use.shape[1] + k), full.ravel())
    r, k = st.use.nonzero()
    assert len(r) and np.array_equal(sust.feedback_at(mid_run, r, k, r * st.use.shape[1] + k), full[r, k])


def _recorder_arrays(rec):
    names = ("staff_counts", "state_counts", "room_counts", "n_families_home", "engagement", "cycles",
             "reached_at_start", "reached_at_end", "reached_now", "reached_at_cohort_end", "reached_at_followup",
             "reached_at_lag", "using_at_lag", "sustained_at_lag", "enrolled_hire")
    return {n: getattr(rec, n).copy() for n in names} | {
        "n_enrolled": rec.n_enrolled, "n_enrolled_fidelity_end": rec.n_enrolled_fidelity_end,
        "n_families_home_any_end": rec.n_families_home_any_end}


SPARSE_MODULES = ("measure", "sustainment")


@pytest.mark.parametrize("overrides", [["cohort.n_programs=12"],
                                       ["design=statewide", "system.n_programs=150", "system.horizon_weeks=80"]])
def test_sparse_phases_equal_the_whole_arrays(monkeypatch, overrides):
    """Phases that work only where anything can change (large populations) give the run the same
    numbers as over whole arrays: every state array and every recorded count."""
    import importlib

    def run(entries):
        for name in SPARSE_MODULES:
            monkeypatch.setattr(importlib.import_module(f"bsc_sim.model.{name}"), "SPARSE_ENTRIES", entries)
        model = BSCModel(load_params(overrides), seed=3, create_agents=False)
        assert model.components["measure"]._sparse == model.components["sustainment"]._sparse == (entries == 0)
        model.run()
        got = _recorder_arrays(model.components["measure"])
        for group in ("staff", "programs", "families"):
            got |= {f"{group}.{k}": v for k, v in vars(getattr(model.pop, group)).items()}
        return got

    dense, sparse = run(10**12), run(0)
    assert dense.keys() == sparse.keys()
    for name in dense:
        assert np.array_equal(dense[name], sparse[name]), name
    assert dense["room_counts"].any() and dense["staff_counts"][:, :, 10:15].any()  # some reached, some at fidelity
    assert dense["programs.embedded"].any() or dense["staff_counts"][:, :, 10:15].any()


def test_coached_by_flags_equals_the_product(mid_run, monkeypatch):
    """Peer coaching found by flagging each coach's contacts equals the sparse product's count > 0."""
    sust, st = mid_run.components["sustainment"], mid_run.pop.staff
    P = st.use.shape[1]
    rng = np.random.default_rng(0)
    everything = np.arange(st.use.size)
    one = np.array([int(np.argmax(np.diff(mid_run.pop.staff_network.links.indptr))) * P + 2])  # a hub, alone
    for share in (0.0, 0.05, 0.3, one):
        cflat = one if isinstance(share, np.ndarray) else np.flatnonzero(rng.random(st.use.size) < share)
        want = csr_product(mid_run.pop.staff_network.links, np.isin(everything, cflat).reshape(-1, P).astype(float)) > 0
        for sparse in (False, True):
            monkeypatch.setattr(sust, "_sparse", sparse)
            got = sust._coached(mid_run, everything, cflat, cflat // P, cflat % P)
            assert np.array_equal(got, want.ravel()), (share, sparse)
            assert not sust._mark.any()
        assert want.any() == (len(cflat) > 0)


@pytest.mark.parametrize("weights", ["unit", "zero-degree", "negative"])
def test_kernel_shares_where_exposed_equal_the_whole_array(weights):
    """The kernel with a threshold function forms shares only at exposed entries: the same new
    adopters as with the whole array, also with isolated nodes (weighted degree 0) and negative weights."""
    g = nx.watts_strogatz_graph(400, 6, 0.1, seed=3)
    if weights == "zero-degree":
        g.remove_edges_from(list(g.edges(range(40))))
    if weights == "negative":
        nx.set_edge_attributes(g, {e: (-1.0 if i % 7 == 0 else 1.0) for i, e in enumerate(g.edges)}, "weight")
    net = SpreadNetwork(g)
    rng = np.random.default_rng(1)
    adopted, eligible, active = rng.random((400, 3)) < 0.15, rng.random((400, 3)) < 0.9, rng.random(400) < 0.95
    thr = rng.random((400, 3)) * 0.6
    rates = dict(p_spontaneous=0.02, q_imitation=0.3, p_threshold=0.6, min_sources=2)
    a = contagion_step(net, adopted, np.random.default_rng(9), threshold=thr, eligible=eligible, active=active, **rates)
    b = contagion_step(net, adopted, np.random.default_rng(9), threshold=lambda f: thr.ravel()[f], eligible=eligible,
                       active=active, **rates)
    assert np.array_equal(a, b) and a.any()
    share, count = net.exposure(adopted, active)
    W = nx.to_scipy_sparse_array(g, nodelist=range(400), format="csr")
    x = (adopted & active[:, None]).astype(float)
    assert np.array_equal(count, (W != 0).astype(float) @ x)
    strength = W @ active.astype(float)
    want = np.divide(W @ x, strength[:, None], out=np.zeros(x.shape), where=strength[:, None] > 0) \
        if (strength <= 0).any() else (W @ x) / strength[:, None]
    assert np.array_equal(share, want)


def test_cross_ties_product_is_the_canonical_matrix_product(mid_run):
    ties = mid_run.pop.ties
    m = ties.matrix()
    assert len(ties.a) and m.has_sorted_indices and (m != m.T).nnz == 0
    dense = np.zeros((ties.n_seats, ties.n_seats))
    dense[ties.a, ties.b] = dense[ties.b, ties.a] = ties.w
    assert np.array_equal(m.toarray(), dense)
    x = np.random.default_rng(0).random((ties.n_seats, 4))
    assert np.array_equal(ties.product(x), m @ x)
