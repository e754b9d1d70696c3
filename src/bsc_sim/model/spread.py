"""Phase 5, spread: within programmes [centola2007; bass1969], staff contagion and families' home use.

Staff: one call of the public kernel :func:`bsc_sim.spread.contagion_step` (the public, verified kernel) on the
within-programme staff network, with each person's threshold shifted by the practice's Rogers
attractiveness, their belief (which follows what tests and use have shown), the programme's
culture, leader endorsement (after the team adopted the practice), the practice's local fit
(adaptations, families on the team) and its time cost in programmes with little slack. A practice
the team abandoned does not spread in its programme during the cool-down.

Families: a family takes up a family-facing practice at home with a weekly chance proportional
to its engagement and to the share of its classroom's teaching staff who promote the practice;
engagement drifts toward a target raised by promotion and by a family from the classroom
serving on the team.
"""

from __future__ import annotations

import numpy as np

from .population import LEVELS, SPARSE_ENTRIES, TEACHING_ROLES, group_sum, local_fit, local_fit_at
from ..spread import contagion_step


# From this many families on, the families' step works only on those it can change (identical results).
LARGE = 4096


class WithinProgramSpread:
    """Staff adoption by complex contagion and family uptake of home practices."""

    def setup(self, model) -> None:
        self.rng = model.streams["spread"]
        self.family_rng = model.streams["families"]
        pop = model.pop
        st, fam = pop.staff, pop.families
        self.family_practice = pop.practice_level == LEVELS.index("family")
        self.family_cols = np.flatnonzero(self.family_practice)
        self.teaching = np.isin(st.role, TEACHING_ROLES)
        s, pr = model.params.spread, pop.programs
        # The parts of the threshold shift that never change: Rogers attractiveness and time cost.
        self.static_shift = (s.w_attractiveness * model.practice_attractiveness[None, :]
                             - s.w_time_cost * model.practice_hours[None, :] * (1.0 - pr.time_slack[pop.staff.program])[:, None])
        # Teaching posts are laid out classroom by classroom and every classroom has one, so counts of
        # teaching staff by classroom are one add.reduceat over their rows (else bincount).
        C = len(pop.classroom_program)
        self.teach_rows = np.flatnonzero(self.teaching)
        room = st.classroom[self.teach_rows]
        self.room_starts = None
        if len(room) and room[0] == 0 and room[-1] == C - 1 and np.isin(np.diff(room), (0, 1)).all():
            self.room_starts = np.r_[0, np.flatnonzero(np.diff(room)) + 1]
        self.teach_room = room
        self.fam_room = fam.classroom
        P = len(model.practice_effect)
        self._shift = np.empty((len(st.role), P))
        self._draws = np.empty((len(st.role), P))            # the week's uniform draws, one buffer reused
        self._family_draws = np.empty((len(fam.program), len(self.family_cols)))
        self._prog_terms = np.empty((pop.n_programs, 2 * P + 1))

    def effective_threshold(self, model) -> np.ndarray:
        """Each person's threshold for each practice this week (S, P), clipped to [0, 1]."""
        s, st, pr = model.params.spread, model.pop.staff, model.pop.programs
        P = st.belief.shape[1]
        # Belief and culture are centred on 0.5 (neutral), so they shift thresholds both ways.
        # The programme-level terms are formed per programme and gathered to staff in one take
        # (each element is the same product as when gathered first).
        terms = self._prog_terms
        np.multiply(pr.endorsed, pr.leadership[:, None], out=terms[:, :P])
        terms[:, :P] *= s.w_endorsement
        np.multiply(s.w_fit, local_fit(model.params, model.pop), out=terms[:, P:2 * P])
        np.subtract(pr.culture, 0.5, out=terms[:, 2 * P])
        terms[:, 2 * P] *= s.w_culture
        per_staff = terms[st.program]
        shift = self._shift
        np.subtract(st.belief, 0.5, out=shift)
        shift *= s.w_belief
        np.add(per_staff[:, :P], shift, out=shift)
        shift += per_staff[:, 2 * P:]
        shift += per_staff[:, P:2 * P]
        shift += self.static_shift
        out = np.subtract(st.threshold[:, None], shift)
        np.maximum(out, 0.0, out=out)
        return np.minimum(out, 1.0, out=out)

    def threshold_at(self, model):
        """The function of flat (S x P) indices that gives :meth:`effective_threshold` at those entries
        (the same floats, element by element), for the kernel to call where exposure makes it matter."""
        s, st, pr = model.params.spread, model.pop.staff, model.pop.programs
        P = st.belief.shape[1]

        def at(flat: np.ndarray) -> np.ndarray:
            shape, flat = flat.shape, flat.reshape(-1)
            i, k = np.divmod(flat, P)
            prog = st.program.take(i)
            pk = prog * P + k
            # The programme-level terms, formed when (and only if) the kernel asks: at these entries
            # when they are fewer than the programme-practice pairs of a large population (a state),
            # else for every pair (fewer calls for a small cohort).
            if len(flat) < pr.fit.size and pr.fit.size >= SPARSE_ENTRIES:
                endorse = pr.endorsed.ravel().take(pk) * pr.leadership.take(prog)
                endorse *= s.w_endorsement
                fit = s.w_fit * local_fit_at(model.params, model.pop, prog, k)
                culture = s.w_culture * (pr.culture.take(prog) - 0.5)
            else:
                endorse = pr.endorsed * pr.leadership[:, None]
                endorse *= s.w_endorsement
                endorse = endorse.take(pk)
                fit = (s.w_fit * local_fit(model.params, model.pop)).take(pk)
                culture = (s.w_culture * (pr.culture - 0.5)).take(prog)
            shift = s.w_belief * (st.belief.take(flat) - 0.5)
            shift += endorse
            shift += culture
            shift += fit
            shift += self.static_shift.take(flat)
            out = st.threshold.take(i) - shift
            np.maximum(out, 0.0, out=out)
            return np.minimum(out, 1.0, out=out).reshape(shape)
        return at

    def step(self, model) -> None:
        s, st = model.params.spread, model.pop.staff
        new = contagion_step(
            model.pop.staff_network, st.use, self.rng,
            threshold=self.threshold_at(model), p_spontaneous=s.p_spontaneous,
            q_imitation=s.q_imitation, p_threshold=s.p_threshold, min_sources=s.min_sources,
            eligible=self.eligible_now(model), active=st.present, draws=self._draws,
        )
        st.use |= new
        st.fidelity[new] = model.params.sustain.start_fidelity
        self._families(model)

    @staticmethod
    def eligible_now(model) -> np.ndarray:
        """(S, P) eligible for the practice and not in a programme that abandoned it within the cool-down."""
        st, pr = model.pop.staff, model.pop.programs
        cooling = pr.abandoned_until > model.week
        if not cooling.any():
            return st.eligible
        return st.eligible & ~cooling[st.program]

    def _families(self, model) -> None:
        fp, fam, st = model.params.families, model.pop.families, model.pop.staff
        C = len(model.pop.classroom_program)
        cols = self.family_cols
        rows = self.teach_rows
        present = st.present[rows]
        # Teaching staff present in each classroom, and of them those who promote each family practice.
        counts = np.empty((len(rows), len(cols) + 1), dtype=bool)
        counts[:, 0] = present
        if len(cols) == 1:
            np.logical_and(st.use[:, cols[0]].take(rows), present, out=counts[:, 1])
        else:
            np.logical_and(st.use[rows[:, None], cols[None, :]], present[:, None], out=counts[:, 1:])
        if self.room_starts is not None:
            by_room = np.add.reduceat(counts.view(np.uint8), self.room_starts, axis=0, dtype=np.int64)
        else:
            by_room = group_sum(self.teach_room, counts, C).astype(np.int64)
        # The share of a classroom's present teaching staff who promote (0 without any: then no promoter).
        promote = by_room[:, 1:] / np.maximum(by_room[:, :1], 1)
        team_room = np.bincount(self.fam_room[fam.on_team], minlength=C) > 0
        room = self.fam_room
        single = len(cols) == 1
        if single:
            promote = promote[:, 0]
            promoted = promote > 0
        else:
            promoted = promote.max(axis=1, initial=0) > 0
        F = len(fam.program)
        if single and F >= LARGE:
            return self._families_live(model, promote, promoted, team_room)
        target = fam.engagement_base + fp.boost_promoted * promoted[room]
        target += fp.boost_team_family * team_room[room]
        np.maximum(target, 0.0, out=target)
        np.minimum(target, 1.0, out=target)
        target -= fam.engagement
        target *= fp.engagement_rate
        fam.engagement += target
        if not len(cols):
            return
        if single:  # one column: the same draws, as a vector
            u = self.family_rng.random(out=self._family_draws)[:, 0]   # the same draws as random(F)
            home = fam.home_use[:, cols[0]]
            chance = fp.p_uptake * fam.engagement
            chance *= promote[room]
        else:
            u = self.family_rng.random(out=self._family_draws)
            home = fam.home_use[:, cols]
            chance = fp.p_uptake * fam.engagement[:, None] * promote[room]
        take = u < chance
        take &= ~home
        drop = home & (u < fp.home_lapse)
        new = (home & ~drop) | take
        if single:
            fam.home_use[:, cols[0]] = new
        else:
            fam.home_use[:, cols] = new

    def _families_live(self, model, promote: np.ndarray, promoted: np.ndarray, team_room: np.ndarray) -> None:
        """:meth:`_families` for one home practice, computed only for the families it can change.

        A family in a classroom with no promoter and no team family, whose engagement sits at its
        base and who does not use the practice at home, keeps everything: its target is its base,
        its chance of uptake is 0 and it has nothing to lapse. (Most families of a state are such,
        in programmes that never enrol.) Its uniform number is drawn all the same.
        """
        fp, fam = model.params.families, model.pop.families
        room, c = self.fam_room, self.family_cols[0]
        P = fam.home_use.shape[1]
        home_flat = fam.home_use.reshape(-1)
        home = fam.home_use[:, c]
        live = (promoted | team_room).take(room)
        live |= home
        live |= fam.engagement != fam.engagement_base
        idx = live.nonzero()[0]
        r = room.take(idx)
        target = fam.engagement_base.take(idx) + fp.boost_promoted * promoted.take(r)
        target += fp.boost_team_family * team_room.take(r)
        np.maximum(target, 0.0, out=target)
        np.minimum(target, 1.0, out=target)
        engagement = fam.engagement.take(idx)
        target -= engagement
        target *= fp.engagement_rate
        engagement += target
        fam.engagement[idx] = engagement
        u = self.family_rng.random(out=self._family_draws).reshape(-1).take(idx)
        at = idx * P + c
        had = home_flat.take(at)
        chance = fp.p_uptake * engagement
        chance *= promote.take(r)
        take = u < chance
        take &= ~had
        drop = had & (u < fp.home_lapse)
        home_flat[at] = (had & ~drop) | take
