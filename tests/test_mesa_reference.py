"""The vectorised spread kernel against the per-agent Mesa references (benchmarks/mesa_reference.py).

There are two references: the tuned one (neighbours in Python lists) and the idiomatic Mesa 3 one
(``mesa.discrete_space.Network``, neighbours read through ``cell.neighborhood`` every step).
With p_spontaneous = 0, q_imitation = 0 and p_threshold = 1 the rule is deterministic, so each
must agree with the kernel node for node (and practice for practice) at every step. Thresholds are
drawn low enough that a real cascade happens (a test on a network where nothing spreads would pass
for any rule), and one case puts thresholds exactly on reachable shares so that ``>=`` versus
``>`` changes the outcome. The P-practice cases use (N, P) thresholds, eligibility and an
``active`` mask, as the model's weekly call does, and one runs on a model's own week-0 state.
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from bsc_sim.config import load_params
from bsc_sim.model import BSCModel
from bsc_sim.model.population import build_population
from bsc_sim.spread import SpreadNetwork, contagion_step, simulate_contagion

# The reference is a benchmark file, not part of the package: import it from its folder.
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
from mesa.discrete_space import FixedAgent, Network  # noqa: E402
from mesa_reference import NetworkSpreadReference, SpreadReference, TunedSpreadReference  # noqa: E402

DETERMINISTIC = {"p_spontaneous": 0.0, "q_imitation": 0.0, "p_threshold": 1.0}
N_STEPS = 30
REFERENCES = pytest.mark.parametrize("reference", [TunedSpreadReference, NetworkSpreadReference],
                                     ids=["tuned", "network"])


def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator):
    """Unit-weight small-world network as CSR; networkx is seeded from our generator."""
    G = nx.watts_strogatz_graph(n, k, p, seed=int(rng.integers(2**31)))
    return nx.to_scipy_sparse_array(G, nodelist=range(n), format="csr")


def ego_seeds(W, n_egos: int, rng: np.random.Generator) -> np.ndarray:
    """A few nodes with all their contacts: enough local adopters to trigger min_sources = 2."""
    seeds = np.zeros(W.shape[0], dtype=bool)
    for i in rng.choice(W.shape[0], n_egos, replace=False):
        seeds[i] = True
        seeds[W.indices[W.indptr[i]:W.indptr[i + 1]]] = True
    return seeds


@pytest.fixture(scope="module")
def networks() -> dict:
    """A unit-weight small world and the model's own weighted staff network (30 programmes)."""
    pop = build_population(load_params(["cohort.n_programs=30"]), np.random.default_rng(2))
    return {"small_world": watts_strogatz(400, 6, 0.1, np.random.default_rng(1)),
            "staff": pop.staff_network.weights}


def run_both(W, threshold, seeds, min_sources, reference=TunedSpreadReference, *, eligible=None,
             active=None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Adoption states after each step (seeds first) from the kernel and from a reference."""
    net = SpreadNetwork(W)
    rng = np.random.default_rng(0)  # unused by the outcome in the deterministic case
    masks = {"eligible": eligible, "active": active}
    ref = reference(W, threshold, seeds, min_sources=min_sources, rng=0, **masks, **DETERMINISTIC)
    fast = seeds.copy()
    fast_states, ref_states = [fast.copy()], [ref.adopted()]
    for _ in range(N_STEPS):
        fast |= contagion_step(net, fast, rng, threshold=threshold, min_sources=min_sources, **masks,
                               **DETERMINISTIC)
        ref.step()
        fast_states.append(fast.copy())
        ref_states.append(ref.adopted())
    return fast_states, ref_states


def assert_same_trajectory(fast_states, ref_states) -> None:
    fast_counts = [s.sum(axis=0).tolist() for s in fast_states]  # per practice when (N, P)
    ref_counts = [s.sum(axis=0).tolist() for s in ref_states]
    assert fast_counts == ref_counts  # the readable diff comes first
    for t, (a, b) in enumerate(zip(fast_states, ref_states)):
        assert a.shape == b.shape
        where = np.argwhere(a != b)[:10].tolist()
        assert np.array_equal(a, b), f"adopter sets differ at step {t}: (node, practice) {where}"


@REFERENCES
@pytest.mark.parametrize("min_sources", [1, 2])
@pytest.mark.parametrize("network", ["small_world", "staff"])
def test_reference_matches_kernel_every_step(networks, network, min_sources, reference):
    W = networks[network]
    rng = np.random.default_rng(3)
    threshold = rng.uniform(0.05, 0.35, W.shape[0])  # drawn once, shared by both
    seeds = ego_seeds(W, 3, rng) if network == "small_world" else rng.random(W.shape[0]) < 0.03
    fast, ref = run_both(W, threshold, seeds, min_sources, reference)
    # Guard against a vacuous pass: the spread must add a good number of adopters.
    assert fast[-1].sum() >= seeds.sum() + 8 and seeds.sum() > 0
    assert_same_trajectory(fast, ref)


@REFERENCES
@pytest.mark.parametrize("min_sources", [1, 2])
def test_thresholds_on_exact_shares(networks, min_sources, reference):
    """Thresholds equal to reachable shares (k/deg, exact in floating point): ``>=`` must hold at ties."""
    W = networks["small_world"]
    rng = np.random.default_rng(4)
    threshold = rng.choice([1 / 6, 1 / 4, 1 / 3, 1 / 2], size=W.shape[0])
    seeds = ego_seeds(W, 3, rng)
    fast, ref = run_both(W, threshold, seeds, min_sources, reference)
    assert fast[-1].sum() >= 2 * seeds.sum()
    assert_same_trajectory(fast, ref)
    # The same run with a strict comparison (threshold one ulp higher) must differ, or this
    # case would not catch an off-by-one in the threshold test.
    strict, _ = run_both(W, np.nextafter(threshold, 1.0), seeds, min_sources)
    assert [int(s.sum()) for s in strict] != [int(s.sum()) for s in fast]


def test_min_sources_off_by_one_is_visible(networks):
    """Demanding one more source changes the cascade, so the equality test can detect that slip."""
    W = networks["small_world"]
    rng = np.random.default_rng(3)
    threshold = rng.uniform(0.05, 0.35, W.shape[0])
    seeds = ego_seeds(W, 3, rng)
    fast, _ = run_both(W, threshold, seeds, 1)
    _, ref_off = run_both(W, threshold, seeds, 2)
    assert [int(s.sum()) for s in fast] != [int(s.sum()) for s in ref_off]


@REFERENCES
def test_stochastic_curves_agree_in_mean(networks, reference):
    """With all three terms on, the mean adoption curves agree within sampling error."""
    W = networks["small_world"][:300, :300]  # a smaller graph keeps 2 x 40 replicates fast
    rng = np.random.default_rng(5)
    threshold = rng.uniform(0.05, 0.35, W.shape[0])
    seeds = ego_seeds(W, 1, rng)
    rates = {"p_spontaneous": 0.02, "q_imitation": 0.3, "p_threshold": 0.5, "min_sources": 2}
    n_rep, n_steps = 40, 15
    net = SpreadNetwork(W)
    fast = np.array([simulate_contagion(net, seeds, n_steps, np.random.default_rng(100 + r),
                                        threshold=threshold, **rates) for r in range(n_rep)])
    ref = np.array([reference(W, threshold, seeds, rng=200 + r, **rates).run(n_steps)
                    for r in range(n_rep)])
    se = np.sqrt(fast.var(axis=0, ddof=1) / n_rep + ref.var(axis=0, ddof=1) / n_rep)
    for t in (5, 10, 15):
        assert abs(fast[:, t].mean() - ref[:, t].mean()) <= 4 * se[t] + 1e-9, t
    assert fast[:, -1].mean() > 3 * seeds.sum()  # the terms do something


# --- the idiomatic Network form: it really is Mesa's space, in the kernel's summation order ----

@pytest.mark.parametrize("network", ["small_world", "staff"])
def test_network_reference_is_mesa_network_in_csr_order(networks, network):
    """One FixedAgent per Network cell, and each cell's neighbours come in the kernel's CSR order."""
    W = networks[network]
    assert W.has_sorted_indices  # the condition for the idiomatic form's sums to be bit-exact
    ref = NetworkSpreadReference(W, 0.2, np.zeros(W.shape[0], dtype=bool), rng=0)
    assert isinstance(ref.grid, Network)
    for i in range(W.shape[0]):
        agent = ref.nodes[i]
        assert isinstance(agent, FixedAgent) and agent.cell is ref.grid[i] and agent.cell.coordinate == i
        neighbours = [other.cell.coordinate for other in agent.cell.neighborhood.agents]
        assert neighbours == W.indices[W.indptr[i]:W.indptr[i + 1]].tolist()
        assert [ref.grid.G[i][j]["weight"] for j in neighbours] == W.data[W.indptr[i]:W.indptr[i + 1]].tolist()


def star(weights: list[float]):
    """Node 0 tied to nodes 1..k with the given weights (CSR, sorted indices)."""
    k = len(weights)
    rows = [0] * k + list(range(1, k + 1))
    cols = list(range(1, k + 1)) + [0] * k
    return sp.csr_array((weights + weights, (rows, cols)), shape=(k + 1, k + 1))


@REFERENCES
@pytest.mark.parametrize(("weights", "with_active", "adopts"), [
    # With ``active`` the kernel's share is (0.1 + 0.2) + 0.3 over the same sum: exactly 1, so a
    # threshold of 1 is met. Summed in another order the numerator is 0.6, one ulp short.
    ([0.1, 0.2, 0.3], True, True),
    # Without ``active`` the denominator is summed in the same CSR order too: 9 x 0.1 over 9 x 0.1
    # is exactly 1, so a node whose contacts all adopt does adopt at threshold 1.
    ([0.1] * 9, False, True),
], ids=["csr_order", "no_active_denominator"])
def test_share_is_summed_as_the_kernel_sums_it(reference, weights, with_active, adopts):
    """Knife-edge cases where the order of float additions decides: every contact of node 0 adopts
    and its threshold is 1. The references must add in the kernel's order to agree."""
    W = star(weights)
    seeds = np.ones(W.shape[0], dtype=bool)
    seeds[0] = False
    active = np.ones(W.shape[0], dtype=bool) if with_active else None
    fast, ref = run_both(W, 1.0, seeds, 1, reference, active=active)
    assert bool(fast[1][0]) is adopts  # what the kernel does, pinned so the case stays a knife edge
    assert_same_trajectory(fast, ref)


def test_network_reference_rejects_a_directed_matrix():
    W = np.array([[0.0, 1.0], [0.5, 0.0]])
    with pytest.raises(ValueError, match="symmetric"):
        NetworkSpreadReference(W, 0.2, np.zeros(2, dtype=bool))


def test_spread_reference_is_the_tuned_form():
    assert SpreadReference is TunedSpreadReference


# --- P practices at once, with eligibility and absent nodes --------------------------------------

N_PRACTICES = 5


def practice_case(W, rng: np.random.Generator) -> dict:
    """(N, P) thresholds, seeds and eligibility, and an ``active`` mask with about 10% absent."""
    n = W.shape[0]
    return {"threshold": rng.uniform(0.05, 0.35, (n, N_PRACTICES)),
            "seeds": rng.random((n, N_PRACTICES)) < 0.04,
            "eligible": rng.random((n, N_PRACTICES)) < 0.8,
            "active": rng.random(n) < 0.9}


def assert_masks_respected(states, case) -> None:
    """Absent nodes and ineligible (node, practice) pairs never adopt beyond the seeds."""
    new = states[-1] & ~case["seeds"]
    assert not new[~case["active"]].any()
    assert not new[~case["eligible"]].any()


@REFERENCES
@pytest.mark.parametrize("min_sources", [1, 2])
@pytest.mark.parametrize("network", ["small_world", "staff"])
def test_practices_match_kernel_every_step(networks, network, min_sources, reference):
    W = networks[network]
    case = practice_case(W, np.random.default_rng(6))
    fast, ref = run_both(W, case["threshold"], case["seeds"], min_sources, reference,
                         eligible=case["eligible"], active=case["active"])
    assert fast[-1].shape == (W.shape[0], N_PRACTICES)
    # Not vacuous: every practice spreads, and adopters grow by half at least.
    assert (fast[-1].sum(axis=0) > case["seeds"].sum(axis=0)).all()
    assert fast[-1].sum() >= 1.5 * case["seeds"].sum()
    assert_same_trajectory(fast, ref)
    assert_masks_respected(ref, case)


@REFERENCES
def test_practices_are_independent_and_broadcast(networks, reference):
    """(P,) thresholds broadcast over nodes, and each practice runs as if it were alone."""
    W = networks["small_world"]
    rng = np.random.default_rng(8)
    theta = np.array([0.1, 0.2, 0.3])
    seeds = np.column_stack([ego_seeds(W, 3, rng) for _ in theta])
    fast, ref = run_both(W, theta, seeds, 1, reference)
    assert_same_trajectory(fast, ref)
    for k, theta_k in enumerate(theta):
        alone = reference(W, theta_k, seeds[:, k], rng=0, **DETERMINISTIC)
        alone.run(N_STEPS)
        assert np.array_equal(alone.adopted(), ref[-1][:, k])
    assert len(set(fast[-1].sum(axis=0).tolist())) > 1  # the thresholds make the practices differ


def test_practice_masks_change_the_outcome(networks):
    """Dropping ``eligible`` or ``active`` from the kernel call changes the trajectory, so the
    equality test above would catch a reference that ignored either mask."""
    W = networks["staff"]
    case = practice_case(W, np.random.default_rng(6))
    args = (W, case["threshold"], case["seeds"], 1)
    fast, _ = run_both(*args, eligible=case["eligible"], active=case["active"])
    for masks in ({"eligible": case["eligible"]}, {"active": case["active"]}):
        other, _ = run_both(*args, **masks)
        assert not np.array_equal(other[-1], fast[-1]), masks


@pytest.fixture(scope="module")
def model_week0():
    """A 30-programme model as run_sim builds it, before its first week."""
    return BSCModel(load_params(["cohort.n_programs=30"]), seed=3, create_agents=False)


@REFERENCES
@pytest.mark.parametrize("min_sources", [1, 2])
def test_model_spread_step_matches(model_week0, reference, min_sources):
    """The model's own weekly call (diffusion.WithinProgramSpread.step), made deterministic:
    its staff network, effective (S, P) thresholds, eligibility, present staff and current use.
    About one post in ten is marked absent so that ``active`` is exercised too."""
    m = model_week0
    st = m.pop.staff
    threshold = m.components["spread"].effective_threshold(m)
    active = st.present & (np.random.default_rng(9).random(len(st.present)) < 0.9)
    fast, ref = run_both(m.pop.staff_network.weights, threshold, st.use.copy(), min_sources, reference,
                         eligible=st.eligible, active=active)
    assert fast[-1].sum() >= st.use.sum() + 8 and st.use.sum() > 0  # not vacuous: the step spreads
    assert_same_trajectory(fast, ref)
