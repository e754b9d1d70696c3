"""Verification: complex contagions need clustered ties; simple contagions prefer random ones.

Source: Centola, D. & Macy, M. (2007) "Complex contagions and the weakness of long ties", *AJS*
113(3):702-734 (and Centola 2010, *Science* 329:1194) [centola2007; centola2010].

Set-up. A ring lattice of N = 2,000 nodes, each tied to its 4 nearest neighbours on either side
(Watts-Strogatz with rewiring probability 0: degree 8, clustering 0.643) against the same
lattice randomly rewired by degree-preserving double-edge swaps (5 swaps per edge, each moving
two edges, so every node keeps degree 8 and clustering falls to about k/N). The seed is a node and its neighbours (9
nodes), as in Centola & Macy. The kernel runs with no spontaneous or imitative term.

* Complex contagion: a node needs at least 2 adopting neighbours (``min_sources = 2`` and share
  threshold 2/8; on an 8-regular graph the two conditions coincide) and then adopts for sure
  (``p_threshold = 1``), so a run is deterministic and is stepped until nothing changes.
  Expected: on the lattice every node adopts (each new node has 4 adopting neighbours on the
  seeded side); on the rewired graph the seed's neighbours are scattered and almost no node ever
  sees two adopters, so spread stalls near the seed (a mean-field estimate: A scattered adopters
  give about C(8,2) A^2/N = 28 A^2/N new ones per step, more than A only once A > N/28, ~70 here).
  Tolerance: lattice final share == 1 exactly; rewired final share < 2% in every run.
* Simple contagion: one adopting neighbour suffices (share threshold 1/8, ``min_sources = 1``),
  adopting with probability 0.5 per step. Expected: both graphs are connected, so both reach
  everybody eventually, but the random graph is far faster (its distances grow like log N, the
  lattice's like N/8). Tolerance: after 40 steps every rewired run has reached > 99% of the nodes
  and every lattice run < 15% (the front moves at most 4 nodes per side per step, so <= 329
  nodes); the rewired graph reaches half the nodes in fewer than a fifth of the lattice's steps.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from bsc_sim.spread import SpreadNetwork, contagion_step, simulate_contagion

N, K = 2000, 8
N_REWIRED = 4          # independent rewirings
SEEDS_PER_GRAPH = 3    # random seed neighbourhoods per graph
COMPLEX = {"threshold": 2 / K, "min_sources": 2, "p_threshold": 1.0, "p_spontaneous": 0.0, "q_imitation": 0.0}
SIMPLE = {"threshold": 1 / K, "min_sources": 1, "p_threshold": 0.5, "p_spontaneous": 0.0, "q_imitation": 0.0}


def run_to_convergence(net: SpreadNetwork, seeds: np.ndarray, rng: np.random.Generator, **rates) -> np.ndarray:
    """Final adopters of a deterministic rule: step the kernel until a step adds nobody."""
    adopted = seeds.copy()
    while (new := contagion_step(net, adopted, rng, **rates)).any():
        adopted |= new
    return adopted


def lattice() -> nx.Graph:
    return nx.watts_strogatz_graph(N, K, 0.0)


def rewired(rng: np.random.Generator) -> nx.Graph:
    """The lattice after 5 degree-preserving double-edge swaps per edge."""
    G = lattice()
    nx.double_edge_swap(G, nswap=5 * G.number_of_edges(), max_tries=10**7, seed=int(rng.integers(2**31)))
    return G


def seed_neighbourhood(G: nx.Graph, node: int) -> np.ndarray:
    seeds = np.zeros(G.number_of_nodes(), dtype=bool)
    seeds[[node, *G.neighbors(node)]] = True
    return seeds


@pytest.fixture(scope="module")
def graphs():
    """The lattice and its rewirings (built once per worker, from their own fixed seed)."""
    rng = np.random.default_rng(20070901)
    return {"lattice": [lattice()], "rewired": [rewired(rng) for _ in range(N_REWIRED)]}


def runs(graphs, kind: str, rng: np.random.Generator):
    """(network, seed neighbourhood) pairs: SEEDS_PER_GRAPH random seed nodes on every graph of ``kind``."""
    for G in graphs[kind]:
        net = SpreadNetwork(G)
        for node in rng.integers(N, size=SEEDS_PER_GRAPH):
            yield net, seed_neighbourhood(G, int(node))


def test_rewiring_keeps_degree_and_destroys_clustering(graphs):
    assert nx.average_clustering(graphs["lattice"][0]) == pytest.approx(3 * (K - 2) / (4 * (K - 1)))
    for G in graphs["rewired"]:
        assert set(dict(G.degree()).values()) == {K}
        assert nx.average_clustering(G) < 0.02
        assert nx.is_connected(G)


def test_complex_contagion_spreads_on_the_clustered_lattice_and_stalls_when_rewired(graphs):
    rng = np.random.default_rng(2007)
    lattice_final = [run_to_convergence(net, s, rng, **COMPLEX).mean() for net, s in runs(graphs, "lattice", rng)]
    rewired_final = [run_to_convergence(net, s, rng, **COMPLEX).mean() for net, s in runs(graphs, "rewired", rng)]
    assert lattice_final == [1.0] * SEEDS_PER_GRAPH
    assert len(rewired_final) == N_REWIRED * SEEDS_PER_GRAPH
    assert max(rewired_final) < 0.02, rewired_final


def test_simple_contagion_reaches_further_and_faster_when_rewired(graphs):
    rng = np.random.default_rng(2010)
    steps = 40
    lat = np.array([simulate_contagion(net, s, steps, rng, **SIMPLE) / N for net, s in runs(graphs, "lattice", rng)])
    rew = np.array([simulate_contagion(net, s, steps, rng, **SIMPLE) / N for net, s in runs(graphs, "rewired", rng)])
    assert (rew[:, -1] > 0.99).all()
    assert (lat[:, -1] < 0.15).all()
    # After the first step the slowest rewired run is ahead of the fastest lattice run at every step.
    assert (rew[:, 1:].min(axis=0) > lat[:, 1:].max(axis=0)).all()
    # As far in the end (both graphs are connected), but much slower on the lattice.
    net = SpreadNetwork(graphs["lattice"][0])
    lattice_long = simulate_contagion(net, seed_neighbourhood(graphs["lattice"][0], 0), 2000, rng, **SIMPLE) / N
    assert lattice_long[-1] == 1.0
    half_rewired = int(np.argmax(rew >= 0.5, axis=1).max())
    half_lattice = int(np.argmax(lattice_long >= 0.5))
    assert half_rewired * 5 < half_lattice, (half_rewired, half_lattice)
