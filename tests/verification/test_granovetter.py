"""Verification: Granovetter's (1978) threshold model of collective behaviour, exactly.

Source: Granovetter, M. (1978) "Threshold models of collective behavior", *AJS* 83(6):1420-1443;
[granovetter1978]: 100 people with thresholds 0, 1, ..., 99 all join; raise the
threshold of the person at 1 and only the instigator acts. The equilibrium is where the
threshold distribution first crosses the 45-degree line; with normal thresholds of mean 0.25 the
outcome jumps from a few per cent to everybody as the SD passes about 0.12.

Set-up. A complete graph, so every agent sees everybody else; the kernel with no spontaneous or
imitative term and ``p_threshold = 1`` is deterministic. Granovetter states thresholds as "how
many others must act first"; the kernel's share excludes the agent itself, so with 100 agents a
count threshold of k is exactly a share of k/99. Both encodings are tested:

* ``count``: threshold share 0 and ``min_sources`` = k (the count condition alone decides), and
* ``share``: threshold k/99 and ``min_sources`` = 0 (the share condition alone decides).

Share thresholds compare A/99 with k/99; both are correctly rounded quotients of the same
integers, so the comparison is exact. There is no tolerance: the adopter counts must be equal.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from bsc_sim.spread import SpreadNetwork, contagion_step, simulate_contagion

N = 100
COMPLETE = SpreadNetwork(np.ones((N, N)) - np.eye(N))


def rates_for(thresholds: np.ndarray, encoding: str) -> dict:
    """Kernel arguments for deterministic count thresholds (number of others who must act first)."""
    base = {"p_spontaneous": 0.0, "q_imitation": 0.0, "p_threshold": 1.0}
    if encoding == "count":
        return {**base, "threshold": 0.0, "min_sources": thresholds}
    return {**base, "threshold": thresholds / (N - 1), "min_sources": 0}


def run_to_convergence(net: SpreadNetwork, seeds: np.ndarray, rng: np.random.Generator, **rates) -> np.ndarray:
    """Final adopters of a deterministic rule: step the kernel until a step adds nobody."""
    adopted = seeds.copy()
    while (new := contagion_step(net, adopted, rng, **rates)).any():
        adopted |= new
    return adopted


def least_equilibrium(thresholds: np.ndarray) -> int:
    """Granovetter's equilibrium: iterate r -> #{i : threshold_i <= r} from r = 0 to its fixed point."""
    r = 0
    while (nxt := int(np.sum(thresholds <= r))) != r:
        r = nxt
    return r


@pytest.mark.parametrize("encoding", ["count", "share"])
def test_uniform_thresholds_everyone_joins_one_per_step(encoding):
    thresholds = np.arange(N)
    counts = simulate_contagion(COMPLETE, np.zeros(N, dtype=bool), N + 5, np.random.default_rng(0),
                                **rates_for(thresholds, encoding))
    # The instigator (threshold 0) acts in step 1, then exactly one more person per step.
    assert counts.tolist() == list(range(N + 1)) + [N] * 5


@pytest.mark.parametrize("encoding", ["count", "share"])
def test_raising_one_threshold_from_1_to_2_stops_everything_after_the_instigator(encoding):
    thresholds = np.arange(N)
    thresholds[1] = 2  # now nobody has threshold 1
    counts = simulate_contagion(COMPLETE, np.zeros(N, dtype=bool), N + 5, np.random.default_rng(0),
                                **rates_for(thresholds, encoding))
    assert counts.tolist() == [0] + [1] * (N + 5)
    final = run_to_convergence(COMPLETE, np.zeros(N, dtype=bool), np.random.default_rng(0),
                               **rates_for(thresholds, encoding))
    assert final.tolist() == [True] + [False] * (N - 1)


@pytest.mark.parametrize("encoding", ["count", "share"])
def test_final_crowd_is_the_least_equilibrium_for_random_thresholds(encoding):
    # Thresholds uniform on 0..99: the crowd stalls wherever the threshold CDF first meets the
    # 45-degree line, which varies a lot from draw to draw.
    equilibria = []
    for seed in range(20):
        thresholds = np.random.default_rng(seed).integers(0, N, N)
        final = run_to_convergence(COMPLETE, np.zeros(N, dtype=bool), np.random.default_rng(0),
                                   **rates_for(thresholds, encoding))
        equilibria.append(least_equilibrium(thresholds))
        assert final.sum() == equilibria[-1]
        assert np.array_equal(final, thresholds <= final.sum())  # exactly those at or below it
    assert len(set(equilibria)) >= 5 and any(0 < e < N // 2 for e in equilibria) and max(equilibria) > N // 2


def equilibrium_share(mean: float, sd: float) -> float:
    """Large-population equilibrium: the least r with r = Phi((r - mean)/sd) (normal share thresholds)."""
    f = lambda r: stats.norm.cdf((r - mean) / sd) - r  # noqa: E731
    grid = np.linspace(0.0, 1.0, 20001)
    i = int(np.argmax(f(grid) <= 0))  # first crossing of the 45-degree line (f(0) > 0 > f(1))
    return optimize.brentq(f, grid[i - 1], grid[i])


@pytest.mark.parametrize(("sd", "outcome"), [(0.06, "few"), (0.09, "few"), (0.15, "all"), (0.20, "all")])
def test_normal_thresholds_jump_from_few_to_all_as_the_spread_widens(sd, outcome):
    # Granovetter's example: mean threshold 0.25; a crowd of 1,000 with thresholds at the normal
    # quantiles (a deterministic stand-in for a large sample) on a complete graph.
    n = 1000
    thresholds = 0.25 + sd * stats.norm.ppf((np.arange(n) + 0.5) / n)
    net = SpreadNetwork(np.ones((n, n)) - np.eye(n))
    final = run_to_convergence(net, np.zeros(n, dtype=bool), np.random.default_rng(0), threshold=thresholds,
                               p_spontaneous=0.0, q_imitation=0.0, p_threshold=1.0, min_sources=0)
    expected = equilibrium_share(0.25, sd)
    assert final.mean() == pytest.approx(expected, abs=0.01)  # 1/n quantisation plus share = A/(n-1)
    if outcome == "few":
        assert final.mean() < 0.1
    else:
        assert final.mean() > 0.99


def test_critical_spread_is_near_0_12():
    # The jump in the large-population equilibrium (about 0.12 in [granovetter1978]).
    sds = np.round(np.arange(0.05, 0.20, 0.0025), 4)
    outcomes = np.array([equilibrium_share(0.25, s) for s in sds])
    jump = sds[np.argmax(outcomes > 0.5)]
    assert 0.10 <= jump <= 0.13
    assert outcomes[sds < jump].max() < 0.1 and outcomes[sds >= jump].min() > 0.9
