"""The public spread kernel on small graphs with known answers."""

import networkx as nx
import numpy as np
import pytest

from bsc_sim.spread import SpreadNetwork, adoption_hazard, contagion_step, simulate_contagion


def path(n):
    return SpreadNetwork(nx.path_graph(n))


def test_network_from_networkx_matches_scipy():
    G = nx.Graph()
    G.add_weighted_edges_from([(0, 1, 2.0), (1, 2, 0.5)])
    net = SpreadNetwork(G)
    assert net.strength.tolist() == [2.0, 2.5, 0.5]
    share, count = net.exposure(np.array([True, False, False]))
    assert share.tolist() == [0.0, 2.0 / 2.5, 0.0] and count.tolist() == [0, 1, 0]


def test_hazard_formula():
    h = adoption_hazard(np.array([0.5]), np.array([2]), 0.4, p_spontaneous=0.1, q_imitation=0.2, p_threshold=0.5, min_sources=2)
    assert h[0] == pytest.approx(1 - 0.9 * (1 - 0.1) * 0.5)


def test_threshold_spreads_one_hop_per_step_on_a_path():
    seeds = np.zeros(6, dtype=bool)
    seeds[0] = True
    counts = simulate_contagion(path(6), seeds, 7, np.random.default_rng(0), threshold=0.5)
    assert counts.tolist() == [1, 2, 3, 4, 5, 6, 6, 6]


def test_threshold_above_share_blocks_spread():
    seeds = np.zeros(6, dtype=bool)
    seeds[0] = True
    counts = simulate_contagion(path(6), seeds, 5, np.random.default_rng(0), threshold=0.51)
    # Node 1 has two neighbours, one adopting: share 0.5 < 0.51. Nothing spreads.
    assert counts.tolist() == [1] * 6


def test_complex_contagion_needs_two_sources():
    # A triangle 0-1-2 plus a pendant node 3 tied to 0 only.
    net = SpreadNetwork(nx.Graph([(0, 1), (1, 2), (0, 2), (0, 3)]))
    adopted = np.array([True, True, False, False])
    new = contagion_step(net, adopted, np.random.default_rng(0), threshold=0.0, min_sources=2)
    assert new.tolist() == [False, False, True, False]


def test_eligible_and_active_masks():
    net = SpreadNetwork(nx.complete_graph(4))
    adopted = np.array([True, False, False, False])
    new = contagion_step(net, adopted, np.random.default_rng(0), threshold=0.0,
                         eligible=np.array([True, True, False, True]), active=np.array([True, True, True, False]))
    assert new.tolist() == [False, True, False, False]


def test_inactive_contacts_do_not_dilute_the_share():
    net = path(3)
    adopted = np.array([True, False, False])
    share, _ = net.exposure(adopted, active=np.array([True, True, False]))
    assert share[1] == 1.0


def test_multi_practice_columns_are_independent():
    net = path(3)
    adopted = np.array([[True, False], [False, False], [False, False]])
    new = contagion_step(net, adopted, np.random.default_rng(0), threshold=0.5)
    assert new.tolist() == [[False, False], [True, False], [False, False]]


def test_no_rates_no_adopters_means_no_change():
    net = SpreadNetwork(nx.complete_graph(50))
    counts = simulate_contagion(net, np.zeros(50, dtype=bool), 20, np.random.default_rng(1), threshold=0.0, p_threshold=1.0,
                                min_sources=1)
    assert counts.max() == 0


def test_without_active_all_adopting_contacts_give_a_share_of_exactly_one():
    G = nx.star_graph(9)
    for u, v in G.edges:
        G[u][v]["weight"] = 0.1
    adopted = np.ones(10, dtype=bool)
    adopted[0] = False
    new = contagion_step(SpreadNetwork(G), adopted, np.random.default_rng(0), threshold=1.0)
    assert new[0]
