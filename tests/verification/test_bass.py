"""Verification: with only p and q on a complete graph the spread kernel is a discrete-time Bass model.

Source: Bass (1969), *Management Science* 15(5):215-227; closed form, hazard f/(1-F) = p + qF and
the values p = 0.03, q = 0.38 [sultan1990].

Set-up. N = 1000 agents on a complete graph (ones minus identity), so a non-adopter's share is
A/(N-1) (self excluded). The threshold term is switched off (``p_threshold=0``). Time is
continuous in Bass's model and the kernel is a synchronous discrete-time step, so one step is a
time step ``dt`` = 0.1 with per-step rates ``p*dt`` and ``q*dt``, run until the closed form
reaches 99 % (t = 18-26, i.e. 180-260 steps). R = 32 replicates run as the 32 columns of one
(N, R) adoption matrix (the kernel treats columns as independent practices, which
tests/unit/test_spread.py checks).

Three references, from exact to approximate, with the tolerance each one justifies:

1. **Exact expectation of the kernel.** On a complete graph the number of adopters is a Markov
   chain, A' = A + Binomial(N - A, h(A)) with h(A) = 1 - (1 - p dt)(1 - q dt A/(N-1)), the
   kernel's hazard. We propagate its whole distribution, so the mean curve *and* the sampling SD
   of a 32-replicate mean are exact. Tolerance: at every time point after t = 0 the replicate
   mean is within 4.5 exact SDs (a Bonferroni bound for a 1 % family-wise error over 260 points
   is 4.1 SD, and the points are strongly correlated, so 4.5 is conservative; it still fails any
   error larger than about 0.03-0.07 in the share adopting: a kernel with q 10 % too high is
   8-11 SDs off).
2. **Mean-field recurrence** F' = F + (1 - F) h(N F): the textbook discrete Bass recurrence
   F' = F + (p + qF)(1 - F) with the kernel's product form of the hazard (the two differ by
   p q dt^2 F (1 - F) per step, at most 3e-5 here). It is the N -> infinity expectation. Tolerance 0.02 absolute over the curve: the finite-N bias (exact
   chain minus recurrence, computed and asserted <= 0.016 at N = 1000; largest for small p and
   large q, where the take-off time varies most between runs) plus sampling error.
3. **Bass closed form** F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}). The discrete scheme is
   first order in dt: the recurrence's largest error against the closed form is 0.008-0.021 at
   dt = 0.1 and halves when dt halves (asserted in a separate, pure-math test). Tolerance 0.035
   absolute over the curve = discretisation (<= 0.021) + finite N and sampling (<= ~0.014).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bsc_sim.spread import SpreadNetwork, contagion_step

N = 1000           # agents
R = 32             # replicates (columns)
DT = 0.1           # model time per kernel step
HORIZON = 25.0     # model time of the pure-math convergence check
SD_BOUND = 4.5     # replicate mean vs exact expectation, in exact SDs of the mean
TOL_MEANFIELD = 0.02
TOL_CLOSED = 0.035
CASES = [(0.01, 0.3), (0.03, 0.38), (0.005, 0.5)]  # (p, q) per unit time; the middle one is Sultan et al.


def bass_closed_form(p: float, q: float, t: np.ndarray) -> np.ndarray:
    """Bass cumulative adoption F(t) with F(0) = 0."""
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def time_to_reach(p: float, q: float, share: float) -> float:
    """Model time at which the closed form reaches ``share``."""
    e = (1.0 - share) / (1.0 + share * q / p)
    return -np.log(e) / (p + q)


def kernel_hazard(p_step: float, q_step: float, adopting: np.ndarray, n: int) -> np.ndarray:
    """The kernel's per-step hazard of a non-adopter on a complete graph with ``adopting`` others adopting."""
    return 1.0 - (1.0 - p_step) * (1.0 - q_step * adopting / (n - 1))


def mean_field(p_step: float, q_step: float, n_steps: int, n: int) -> np.ndarray:
    """Deterministic recurrence F' = F + (1 - F) h(nF): the N -> infinity expectation."""
    F = np.zeros(n_steps + 1)
    for t in range(n_steps):
        F[t + 1] = F[t] + (1.0 - F[t]) * kernel_hazard(p_step, q_step, n * F[t], n)
    return F


def exact_chain(p_step: float, q_step: float, n_steps: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of the share adopting for the kernel on a complete graph of ``n``."""
    a = np.arange(n + 1)
    k = a[None, :] - a[:, None]  # new adopters for a move from a (row) to a' (column)
    T = stats.binom.pmf(k, (n - a)[:, None], kernel_hazard(p_step, q_step, a, n)[:, None])
    pi = np.zeros(n + 1)
    pi[0] = 1.0
    mean, var = np.zeros(n_steps + 1), np.zeros(n_steps + 1)
    x = a / n
    for t in range(n_steps):
        pi = pi @ T
        mean[t + 1] = pi @ x
        var[t + 1] = max(pi @ x**2 - mean[t + 1] ** 2, 0.0)
    return mean, var


def simulate_kernel(p_step: float, q_step: float, n_steps: int, rng: np.random.Generator) -> np.ndarray:
    """Share adopting per step (rows) and replicate (columns), through the public kernel."""
    net = SpreadNetwork(np.ones((N, N)) - np.eye(N))
    adopted = np.zeros((N, R), dtype=bool)
    share = np.zeros((n_steps + 1, R))
    for t in range(n_steps):
        adopted |= contagion_step(net, adopted, rng, threshold=2.0, p_threshold=0.0,
                                  p_spontaneous=p_step, q_imitation=q_step)
        share[t + 1] = adopted.mean(axis=0)
    return share


@pytest.mark.slow
@pytest.mark.parametrize(("p", "q"), CASES)
def test_kernel_reproduces_bass(p, q):
    n_steps = round(np.ceil(time_to_reach(p, q, 0.99)) / DT)
    t = np.arange(n_steps + 1) * DT
    rng = np.random.default_rng(np.random.SeedSequence([19690101, round(p * 1e4), round(q * 1e4)]))
    mean = simulate_kernel(p * DT, q * DT, n_steps, rng).mean(axis=1)

    # 1. The exact expectation of the kernel, with the exact sampling SD of a 32-replicate mean.
    exact, var = exact_chain(p * DT, q * DT, n_steps, N)
    sd_of_mean = np.sqrt(var / R)
    z = np.abs(mean - exact)[1:] / sd_of_mean[1:]
    assert z.max() < SD_BOUND, f"replicate mean is {z.max():.2f} exact SDs from the kernel's expectation"

    # 2. The mean-field recurrence; the exact chain differs from it only by the finite-N bias.
    mf = mean_field(p * DT, q * DT, n_steps, N)
    assert np.abs(exact - mf).max() < 0.016
    assert np.abs(mean - mf).max() < TOL_MEANFIELD

    # 3. The continuous-time closed form.
    assert np.abs(mean - bass_closed_form(p, q, t)).max() < TOL_CLOSED
    # The curve is a whole S-curve, not a flat start that would pass trivially.
    assert mean[-1] > 0.95 and mean[round(2 / DT)] < 0.35


@pytest.mark.parametrize(("p", "q"), CASES)
def test_discrete_bass_converges_to_closed_form_at_first_order(p, q):
    # The tolerance of test 3 rests on this: halving dt halves the discretisation error.
    errors = []
    for dt in (0.2, 0.1, 0.05, 0.025):
        n = round(HORIZON / dt)
        mf = mean_field(p * dt, q * dt, n, 10**9)  # N -> infinity
        errors.append(np.abs(mf - bass_closed_form(p, q, np.arange(n + 1) * dt)).max())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 1.9) & (ratios < 2.1)), ratios  # measured: 1.99-2.00
    assert errors[1] < 0.022  # dt = 0.1, the step used above
