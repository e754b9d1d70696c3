"""Phase 6, cross_learning: what travels along cross-programme ties each week (ODD 7.11; [nembhard2012]).

Ties are formed at learning sessions and the congress and strengthened there and at calls (the
calendar phase); they live in ``model.pop.ties`` (a sparse edge list, so the weekly product is
linear in the ties); they decay slowly. Through them, between events:

* **beliefs**: team members' beliefs move toward the latest PDSA results their contacts'
  programmes have shared (weighted by tie strength);
* **adaptations**: a programme's local fit of a practice rises toward the better fit that tied
  programmes have found by adapting it (``learning.cross_fit_rate``), so peers' tested change
  ideas raise the success of a team's own tests ([ramanadhan2010]: peers transmit skills);
* **encouragement**: ``programs.peer_encouragement`` (0-1) grows with the tie weight to programmes
  that recently shared a successful test; it raises how readily a team starts a cycle
  (normative pressure and peer recognition, [zamboni2020; kiefe2001]).
"""

from __future__ import annotations

import numpy as np



def _travelling(fresh: np.ndarray, result: np.ndarray, fit: np.ndarray, adopt_threshold: float) -> np.ndarray:
    """Per programme, what travels along its ties: known (P columns), known x result (P), fit (P),
    a column of ones, and whether it recently shared a successful test."""
    n, P = result.shape
    per_program = np.empty((n, 3 * P + 2))
    per_program[:, :P] = fresh
    np.multiply(fresh, result, out=per_program[:, P:2 * P])
    per_program[:, 2 * P:3 * P] = fit
    per_program[:, 3 * P] = 1.0
    success = result >= adopt_threshold
    success &= fresh
    per_program[:, 3 * P + 1] = success.any(axis=1)
    return per_program


def _learn_along_ties(model, per_program: np.ndarray, program_of_seat: np.ndarray) -> np.ndarray:
    """Team members' beliefs move toward what their ties report; returns, per row of ``per_program``
    (over its present team seats), the tie-weighted fit of contacts' programmes (P columns), the tie
    strength and the encouragement. ``program_of_seat``: each seat's row in ``per_program``."""
    p, ties, st = model.params, model.pop.ties, model.pop.staff
    n, P = len(per_program), (per_program.shape[1] - 2) // 3
    # One product for everything that travels along ties (a sparse product sums in a fixed
    # order; a dense BLAS product may round differently on another CPU, and the same seed must
    # give the same results on every machine of a cluster).
    out = ties.product(per_program[program_of_seat])
    weight, signal = out[:, :P], out[:, P:2 * P]
    # Where no tie reports on a practice (weight 0) the signal is 0 too: the mean is 0 there.
    mean = signal / np.where(weight > 0, weight, 1.0)
    rows = ties.slots
    here = st.present[rows] & st.on_team[rows]
    # Influence saturates once a unit of tie weight reports on a practice (assumption).
    st.belief[rows] += here[:, None] * p.learning.cross_rate * np.minimum(weight, 1.0) * (mean - st.belief[rows])
    # Absent seats add exact zeros (all terms >= 0).
    by_seat = out[:, 2 * P:] * here[:, None]
    flat = (program_of_seat[:, None] * (P + 2) + np.arange(P + 2)).ravel()
    return np.bincount(flat, weights=by_seat.ravel(), minlength=n * (P + 2)).reshape(n, P + 2)


class CrossProgramLearning:
    """The weekly updates that travel along cross-programme ties."""

    #: Work on the programmes with team seats only when they are at most this share of all (a state,
    #: where most programmes never enrol; a cohort, where every programme has seats, keeps the whole
    #: arrays). A switch of speed only: both ways give the same numbers (tests/unit/test_fast_paths_ledger.py).
    SEATED_SHARE = 0.5

    _seats = None   # (the seats' programmes, _seated's answer for them)

    def setup(self, model) -> None:
        self._seats = None

    def _seated(self, ties, M: int) -> tuple:
        """(ties.program, programmes with a team seat, each seat's row among them), or without the
        last two (None) for the whole arrays. Seats are fixed when the population is built, so this
        is computed once."""
        seated, seat_of = np.unique(ties.program, return_inverse=True)
        if len(seated) > self.SEATED_SHARE * M:
            seated = seat_of = None
        self._seats = ties.program, seated, seat_of
        return self._seats

    def step(self, model) -> None:
        p, ties = model.params, model.pop.ties
        if not p.collaborative.cross_learning or ties.n_formed == 0:
            return
        ties.decay(p.network.tie_decay_weekly)
        st, pr = model.pop.staff, model.pop.programs
        M = model.pop.n_programs
        seats = self._seats
        if seats is None or seats[0] is not ties.program:
            seats = self._seated(ties, M)
        if seats[1] is not None:
            return self._step_seated(model, seats[1], seats[2])
        result = pr.shared_result
        P = result.shape[1]
        fresh = (model.week - pr.shared_week) <= p.learning.result_memory_weeks
        # Everything that travels along ties, per programme, gathered to the seats in one take:
        # known (T, P), known x result, fit, a column of ones, the programme's recent success.
        per_program = _travelling(fresh, result, pr.fit, p.pdsa.adopt_threshold)
        sums = _learn_along_ties(model, per_program, ties.program)
        total, exposure = sums[:, P], sums[:, P + 1]
        # Adaptations: each programme's fit moves toward the tie-weighted fit of its contacts' programmes.
        peer_fit = sums[:, :P] / np.where(total > 0, total, 1.0)[:, None]
        pr.fit += p.learning.cross_fit_rate * np.minimum(total, 1.0)[:, None] * np.maximum(0.0, peer_fit - pr.fit)
        # Encouragement from programmes that recently shared a successful test.
        pr.peer_encouragement[:] = 1.0 - np.exp(-exposure)

    def _step_seated(self, model, seated: np.ndarray, seat_of: np.ndarray) -> None:
        """:meth:`step` computed only for the programmes with team seats (``seated``; ``seat_of``: each
        seat's row among them), element by element as over all programmes.

        A programme without a seat gets no product, so its sums are 0: its fit moves by
        ``rate x 0 x max(0, 0 - fit) = 0`` (fit is never negative, so it keeps its bits) and its
        encouragement is ``1 - exp(-0) = 0``.
        """
        p, ties = model.params, model.pop.ties
        st, pr = model.pop.staff, model.pop.programs
        n = len(seated)
        result = pr.shared_result.take(seated, axis=0)
        P = result.shape[1]
        fresh = (model.week - pr.shared_week.take(seated, axis=0)) <= p.learning.result_memory_weeks
        fit = pr.fit.take(seated, axis=0)
        per_program = _travelling(fresh, result, fit, p.pdsa.adopt_threshold)
        sums = _learn_along_ties(model, per_program, seat_of)  # seat_of: the rows ties.program gives over all
        total, exposure = sums[:, P], sums[:, P + 1]
        peer_fit = sums[:, :P] / np.where(total > 0, total, 1.0)[:, None]
        fit += p.learning.cross_fit_rate * np.minimum(total, 1.0)[:, None] * np.maximum(0.0, peer_fit - fit)
        pr.fit[seated] = fit
        pr.peer_encouragement[:] = 0.0
        pr.peer_encouragement[seated] = 1.0 - np.exp(-exposure)
