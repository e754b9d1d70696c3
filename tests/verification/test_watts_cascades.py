"""Verification: Watts' (2002) cascade window on Erdős–Rényi graphs, through the spread kernel.

Source: Watts, D. J. (2002) "A simple model of global cascades on random networks", *PNAS*
99(9):5766-5771; the window for phi = 0.18 is z ~ 1.0-5.8 from the cascade condition [watts2002].

Set-up. The kernel with ``p_spontaneous = q_imitation = 0``, ``p_threshold = 1``, ``min_sources =
1`` and one threshold phi for everybody is Watts' deterministic rule: a node adopts once the
share of its neighbours adopting is >= phi. Each run draws a G(N, z/(N-1)) graph with N = 10,000
and one seed node at random, and runs until a step adds no adopter. A run is a *global cascade*
when more than 10% of the nodes adopt; the final sizes are bimodal (non-cascades stay below 1% of
N, cascades exceed 40%), which is asserted, so the 10% cut-off is not delicate.

Analytic references, for Poisson degrees p_k and rho_k = 1 for 1 <= k <= K* = floor(1/phi) (the
*vulnerable* degrees, which flip after one adopting neighbour):

* window: global cascades are possible where sum_k k(k-1) rho_k p_k > z (Watts' eq. 5); its two
  roots are found numerically (phi = 0.18: 1.021-5.765; phi = 0.24: 1.114-3.863);
* frequency: the share of seeds in or next to the percolating vulnerable cluster,
  1 - exp(-z w) with w = sum_{k=1}^{K*} Pois(k-1; z) (1 - (1 - w)^{k-1}), the chance that an edge
  leads into that cluster (Watts' extended vulnerable cluster; the same generating-function
  argument).

Tolerances, with 100 graphs per (z, phi) point: outside the window the cascade frequency must be
<= 0.02 (at most 2 of 100 runs; the analytic frequency is 0). Inside, at points chosen where the
analytic frequency is >= 0.4 (Watts' Fig. 1 shows frequencies well below 1 near the edges), the
frequency must exceed 0.25 and lie within 0.15 of the analytic value: the binomial SD is at most
0.05, so 0.15 is 3 SD, which also covers the O(N^-1/3) finite-size shift of the boundaries.

Graphs come from a small numpy helper rather than ``networkx.gnp_random_graph``, which loops over
all N^2/2 pairs in Python (minutes for 1,000 graphs of 10^4 nodes); the helper draws the edge count
from Binomial(N(N-1)/2, p) and then that many distinct pairs uniformly, which is exactly G(n, p)
(given its edge count, G(n, p) is uniform over graphs with that many edges), and a test below
checks its degree distribution. All randomness comes from seeded numpy Generators.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import optimize, stats

from bsc_sim.spread import SpreadNetwork, contagion_step

N = 10_000
N_GRAPHS = 100
GLOBAL = 0.10          # a cascade is global when more than this share adopts
MAX_OUTSIDE = 0.02     # cascade frequency allowed outside the window
MIN_INSIDE = 0.25      # cascade frequency required inside the window (at interior points)
TOL_FREQUENCY = 0.15   # |simulated - analytic| frequency inside the window (3 binomial SDs)


def gnp_adjacency(n: int, z: float, rng: np.random.Generator) -> sp.csr_array:
    """Adjacency of an Erdős–Rényi G(n, p = z/(n-1)) graph (exact, O(n + edges))."""
    n_pairs = n * (n - 1) // 2
    m = int(rng.binomial(n_pairs, z / (n - 1)))
    keys = np.empty(0, dtype=np.int64)
    while keys.size < m:  # distinct unordered pairs, drawn with replacement and de-duplicated
        i = rng.integers(0, n, 2 * (m - keys.size) + 16)
        j = rng.integers(0, n, i.size)
        ok = i != j
        keys = np.union1d(keys, np.minimum(i, j)[ok] * n + np.maximum(i, j)[ok])
    keys = rng.permutation(keys)[:m]  # a uniformly random m-subset of the distinct pairs drawn
    lo, hi = keys // n, keys % n
    rows, cols = np.concatenate([lo, hi]), np.concatenate([hi, lo])
    return sp.csr_array((np.ones(2 * m), (rows, cols)), shape=(n, n))


def run_to_convergence(net: SpreadNetwork, seeds: np.ndarray, rng: np.random.Generator, **rates) -> np.ndarray:
    """Final adopters of a deterministic rule: step the kernel until a step adds nobody."""
    adopted = seeds.copy()
    while (new := contagion_step(net, adopted, rng, **rates)).any():
        adopted |= new
    return adopted


def poisson(k: np.ndarray, z: float) -> np.ndarray:
    return stats.poisson.pmf(k, z)


def cascade_condition(z, k_star: int):
    """Watts' condition sum_k k(k-1) rho_k p_k - z for Poisson degrees; > 0 inside the window."""
    z = np.asarray(z, dtype=np.float64)
    k = np.arange(2, k_star + 1)
    return np.sum(k * (k - 1) * poisson(k, z[..., None]), axis=-1) - z


def cascade_window(phi: float) -> tuple[float, float]:
    """Lower and upper mean degree z of the cascade window for a uniform threshold ``phi``."""
    k_star = math.floor(1.0 / phi)
    zs = np.linspace(0.05, 30.0, 6000)
    g = cascade_condition(zs, k_star)
    roots = [optimize.brentq(lambda z: float(cascade_condition(z, k_star)), zs[i], zs[i + 1])
             for i in np.flatnonzero(np.diff(np.sign(g)))]
    assert len(roots) == 2, roots
    return roots[0], roots[1]


def cascade_frequency(z: float, phi: float) -> float:
    """Analytic chance that one random seed triggers a global cascade (extended vulnerable cluster)."""
    k_star = math.floor(1.0 / phi)
    j = np.arange(0, k_star)  # excess degree k - 1 of a vulnerable node reached along an edge
    pj = poisson(j, z)
    w = 1.0  # iterate down from 1 to the largest fixed point
    for _ in range(100_000):
        w_next = float(np.sum(pj * (1.0 - (1.0 - w) ** j)))
        if abs(w_next - w) < 1e-13:
            break
        w = w_next
    return 1.0 - math.exp(-z * w)


def test_window_matches_domain_facts_table():
    # From the same cascade condition: phi 0.18 -> 1.0-5.8; 0.25 -> 1.1-3.9.
    lo, hi = cascade_window(0.18)
    assert lo == pytest.approx(1.02, abs=0.01) and hi == pytest.approx(5.76, abs=0.01)
    lo, hi = cascade_window(0.25)
    assert lo == pytest.approx(1.11, abs=0.01) and hi == pytest.approx(3.86, abs=0.01)
    # The frequency formula vanishes exactly outside the window (it is the same condition).
    for phi in (0.18, 0.24):
        lo, hi = cascade_window(phi)
        assert cascade_frequency(lo - 0.05, phi) < 1e-6 and cascade_frequency(hi + 0.05, phi) < 1e-6
        assert cascade_frequency(lo + 0.2, phi) > 0.05 and cascade_frequency(hi - 0.2, phi) > 0.05


def test_gnp_helper_has_poisson_degrees():
    rng = np.random.default_rng(20020430)
    A = gnp_adjacency(20_000, 3.0, rng)
    assert (A != A.T).nnz == 0 and A.diagonal().sum() == 0 and A.max() == 1  # simple, undirected
    deg = np.asarray(A.sum(axis=1)).ravel().astype(int)
    assert deg.mean() == pytest.approx(3.0, abs=0.05)  # SD of the mean degree here is ~0.012
    observed = np.bincount(deg, minlength=15)[:15] / deg.size
    assert np.abs(observed - poisson(np.arange(15), 3.0)).max() < 0.01


# (phi, z, side): points on both sides of both boundaries, interior points where the analytic
# frequency is >= 0.4. Windows: phi 0.18 -> (1.021, 5.765); phi 0.24 -> (1.114, 3.863).
POINTS = [
    (0.18, 0.7, "below"),
    (0.18, 1.5, "inside"),
    (0.18, 3.0, "inside"),
    (0.18, 5.0, "inside"),
    (0.18, 7.0, "above"),
    (0.24, 0.7, "below"),
    (0.24, 2.5, "inside"),
    (0.24, 3.5, "inside"),
    (0.24, 5.0, "above"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("phi", "z", "side"), POINTS)
def test_cascade_frequency_inside_and_outside_the_window(phi, z, side):
    lo, hi = cascade_window(phi)
    expected_side = "below" if z < lo else "above" if z > hi else "inside"
    assert side == expected_side  # guards the choice of points against the analytic window
    predicted = cascade_frequency(z, phi)

    rng = np.random.default_rng(np.random.SeedSequence([2002, round(phi * 100), round(z * 10)]))
    sizes = np.empty(N_GRAPHS)
    for g in range(N_GRAPHS):
        net = SpreadNetwork(gnp_adjacency(N, z, rng))
        seeds = np.zeros(N, dtype=bool)
        seeds[rng.integers(N)] = True
        final = run_to_convergence(net, seeds, rng, threshold=phi, p_spontaneous=0.0, q_imitation=0.0,
                                   p_threshold=1.0, min_sources=1)
        sizes[g] = final.mean()
    cascades = sizes > GLOBAL
    frequency = cascades.mean()

    # Final sizes are bimodal, so the 10% cut-off does not decide the answer.
    assert np.all(sizes[~cascades] < 0.01)
    assert np.all(sizes[cascades] > 0.4)
    if side == "inside":
        assert predicted >= 0.4
        assert frequency > MIN_INSIDE
        assert abs(frequency - predicted) < TOL_FREQUENCY, (frequency, predicted)
    else:
        assert predicted < 1e-6
        assert frequency <= MAX_OUTSIDE
