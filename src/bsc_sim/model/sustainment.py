"""Phase 7, sustainment: fidelity, lasting skill, lapse and embedding (ODD 7.12).

Every person has, on every practice, a *lasting level* ``L``: the fidelity they keep with no
feedback at all. It starts at their personal *unsupported level* (Beta with mean
``unsupported_mean`` and concentration ``unsupported_concentration``, drawn at entry), so some
people practise at fidelity unsupported and the share who do moves smoothly with the parameters.
Fidelity moves toward a *ceiling* ``L + (1 - L) x feedback``, where feedback (0-1) is the
largest of:

* being a tester in a running PDSA cycle or being coached (1);
* being on a team (1 while the programme's supports run);
* the programme's endorsement of the practice x its leadership support;
* a colleague among one's contacts who uses the practice at fidelity and sits on the team or was
  coached (``peer_coaching_feedback``: they coach colleagues, so fidelity spreads past them);
* reflective supervision actually operating: a leader of the programme uses a programme-level
  practice at fidelity (``supervision_feedback`` for the staff the leaders supervise);
* the programme's learning culture (x ``culture_feedback``).

After a programme's supports end (the collaborative's end, or its dropout), the team,
endorsement, peer-coaching and supervision terms (all organisational routines) are multiplied by
its culture; while it is derailed they are multiplied by ``disruption.support_factor``. Upward
fidelity moves at ``fidelity_rate x (1.5 - complexity) x (0.5 + skill)`` of the gap per week;
downward (feedback gone: the part of fidelity that rested on it) at ``drift_rate``.

Lasting skill: while fidelity is above ``L``, ``L`` rises toward it at ``internalise_rate`` of the
gap per week (practice under feedback becomes habit); above the unsupported level it decays back
with half-life ``retained_half_life_weeks`` (skill decay), whether or not the person still uses
the practice. So coached and team members keep part of what they gained, fading over years;
feedback that lasts (culture, peers, supervision) keeps lasting skill up. A newcomer starts at
their own unsupported level (turnover); a workshop raises attendees' lasting levels a little
(``training.lasting_gain``).

Users lapse with a weekly hazard that falls with the programme's learning culture, leadership
support, routinisation (the practice is *embedded*: at least ``embed_threshold`` of eligible
present staff use it at fidelity) and, for classroom staff, home-school continuity (the share of
their classroom's families using a home practice); it rises with doubt (belief below 0.5) and
with time since the programme's supports ended, toward ``support_withdrawal`` x with time constant
``withdrawal_weeks``. Users' beliefs drift toward how well the practice works in their programme
(``experience_rate``), so practices that do not work lose their users.
"""

from __future__ import annotations

import numpy as np

from ..spread import csr_product
from .population import (DIRECTOR, EDUCATION_MANAGER, FAMILY_SERVICES, LEVELS, SPARSE_ENTRIES, TEACHING_ROLES,
                         flat_view, local_fit, supported)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class Sustainment:
    """Fidelity growth, lapse and embedding of practices.

    Updates are computed at the entries in use. From ``SPARSE_ENTRIES`` staff entries on (a state),
    peer coaching, embedding and lasting skill are also computed only where they can change; the
    numbers are the same as over whole arrays (tests/unit/test_fast_paths.py).
    """

    def setup(self, model) -> None:
        self.rng = model.streams["sustain"]
        pop = model.pop
        s = model.params.sustain
        self.program_practice = pop.practice_level == LEVELS.index("program")
        self.family_practice = pop.practice_level == LEVELS.index("family")
        self.program_cols = np.flatnonzero(self.program_practice)
        self.family_cols = np.flatnonzero(self.family_practice)
        self.leader = np.isin(pop.staff.role, (DIRECTOR, EDUCATION_MANAGER, FAMILY_SERVICES))
        self.not_leader = ~self.leader
        self.teaching = np.isin(pop.staff.role, TEACHING_ROLES)
        # The practice's base success chance in a programme, before local fit (logit).
        # Weekly decay of lasting skill above the unsupported level (from its half-life).
        self.decay = 1.0 - 0.5 ** (1.0 / model.params.sustain.retained_half_life_weeks)
        self.base_logit = np.log(np.clip(model.practice_effect, 1e-6, 1 - 1e-6)
                                 / np.clip(1 - model.practice_effect, 1e-6, 1))
        # Static per-practice growth factor and per-post classroom lookups.
        self.growth_rate = s.fidelity_rate * (1.5 - model.practice_complexity)
        st = pop.staff
        self.has_room = st.classroom >= 0
        self.room = np.maximum(st.classroom, 0)
        self.room_children = np.maximum(pop.classroom_children, 1)
        self._draws = np.empty(st.use.shape)   # the week's uniform draws, one buffer reused
        self.P = st.use.shape[1]
        self._sparse = st.use.size >= SPARSE_ENTRIES
        # Who hears whom: the rows i with a link from j are row j of the transposed pattern, so the
        # colleagues a coach reaches are read off directly (the staff network never changes).
        links_t = pop.staff_network.links.T.tocsr()
        self._reach_ptr, self._reach_idx = links_t.indptr.astype(np.int64), links_t.indices.astype(np.int64)
        self._mark = np.zeros(st.use.size, dtype=bool)     # scratch (person, practice) flags, kept all False
        self._eligible_flat = st.eligible.reshape(-1)
        self._program_col = np.asarray(self.program_practice, dtype=bool)
        # Present eligible staff by programme from counts by (programme, eligibility class) (roles never change).
        rows, klass = np.unique(st.eligible, axis=0, return_inverse=True)
        self._n_class = len(rows)
        self._staff_class = st.program * self._n_class + klass.reshape(-1)
        self._class_eligible = rows.astype(np.float64)
        self._family_col = int(self.family_cols[0]) if len(self.family_cols) == 1 else -1

    def step(self, model) -> None:
        p, st, pr = model.params, model.pop.staff, model.pop.programs
        s, prog, w = p.sustain, st.program, model.week
        P = self.P
        # Only users' fidelity and beliefs move and only users lapse, so the updates are computed at
        # the (person, practice) entries in use (the same numbers as over the whole array), by flat index.
        fidelity = flat_view(st.fidelity)
        flat = flat_view(st.use).nonzero()[0]
        r = flat // P
        k = flat - r * P
        pg = prog.take(r)
        pk = pg * P + k
        lasting = st.lasting.reshape(-1).take(flat)
        f = fidelity.take(flat)
        ceiling = lasting + (1.0 - lasting) * self._feedback(model, r, k, flat, pg, pk, flat, r, k, pg, f)
        # Multiplier is ~1 for a practice of middling complexity (0.5) and a typical skill (0.4-0.5).
        growth = self.growth_rate[k] * (0.5 + st.skill.take(r))
        gap = ceiling - f
        # A weekly step closes at most the whole gap (the growth factor can exceed 1 for fast rates).
        f = f + np.where(gap > 0, np.minimum(growth, 1.0), s.drift_rate) * gap
        fidelity[flat] = f
        self.update_lasting(model)
        # Users learn from use whether the practice works in their programme.
        works = _sigmoid(self.base_logit[k] + local_fit(p, model.pop).take(pk))
        b = st.belief.reshape(-1).take(flat)
        belief = b + s.experience_rate * (works - b)
        flat_view(st.belief)[flat] = belief
        # Lapse (one draw for every entry each week, used or not, so the stream never depends on use).
        u = self.rng.random(out=self._draws)
        per_program = (-s.w_culture * pr.culture - s.w_leadership * pr.leadership)[:, None] - s.w_routine * pr.embedded
        log_h = (per_program.take(pk) + s.w_belief * np.maximum(0.0, 0.5 - belief)
                 - s.w_home_continuity * self._home_share_at(model, r) * self.teaching.take(r))
        since_end = np.maximum(0, w - pr.support_end)
        withdrawal = 1.0 + (s.support_withdrawal - 1.0) * (1.0 - np.exp(-since_end / s.withdrawal_weeks))
        hazard = s.lapse_weekly * np.exp(log_h) * withdrawal.take(pg)
        # People testing a change in a running PDSA cycle keep using it until the team decides.
        stay = u.reshape(-1).take(flat) >= hazard
        stay |= st.testing.reshape(-1).take(flat)
        if not stay.all():
            hit = flat[~stay]
            flat_view(st.use)[hit] = False
            fidelity[hit] = 0.0
            f[~stay] = 0.0
        if self._sparse:
            self._update_embedded_users(model, r, pk, flat, f)
        else:
            self.update_embedded(model)

    def _update_embedded_users(self, model, r, pk, flat, f) -> None:
        """:meth:`update_embedded` from the entries that were in use this week (``f``: their fidelity now,
        0 if they lapsed): only they can be at fidelity, and present eligible staff are counted by class."""
        st, pr, s = model.pop.staff, model.pop.programs, model.params.sustain
        M, P = pr.embedded.shape
        at_fid = f >= s.fidelity_threshold
        at_fid &= st.present.take(r)
        at_fid &= self._eligible_flat.take(flat)
        at_fid &= flat_view(st.use).take(flat)
        n_fid = np.bincount(pk[at_fid], minlength=M * P).reshape(M, P)
        by_class = np.bincount(self._staff_class[st.present], minlength=M * self._n_class).reshape(M, self._n_class)
        n_elig = by_class.astype(np.float64) @ self._class_eligible    # whole numbers: exact
        embedded = n_elig > 0
        embedded &= n_fid >= s.embed_threshold * n_elig
        pr.embedded[:] = embedded

    def update_lasting(self, model) -> None:
        """Lasting skill rises toward fidelity above it and decays toward the unsupported level."""
        st, s = model.pop.staff, model.params.sustain
        if not self._sparse:
            above = np.maximum(st.fidelity - st.lasting, 0.0)      # 0 for non-users (fidelity 0)
            st.lasting += s.internalise_rate * above - self.decay * (st.lasting - st.unsupported)
            return
        # An entry at its unsupported level with fidelity not above it adds exact zeros (it keeps its
        # value), so only the others are computed: the same floats, element by element.
        lasting = flat_view(st.lasting)
        live = flat_view(st.fidelity) > lasting
        live |= lasting != st.unsupported.reshape(-1)
        idx = live.nonzero()[0]
        L = lasting.take(idx)
        above = np.maximum(st.fidelity.reshape(-1).take(idx) - L, 0.0)
        lasting[idx] = L + (s.internalise_rate * above - self.decay * (L - st.unsupported.reshape(-1).take(idx)))

    def home_share(self, model) -> np.ndarray:
        """(S,) share of the families of each staff member's classroom who use a home practice."""
        pop = model.pop
        fam = pop.families
        C = len(pop.classroom_program)
        cols = self.family_cols  # the only columns ever set
        home = fam.home_use[:, cols[0]] if len(cols) == 1 else fam.home_use[:, cols].any(axis=1)
        using = np.bincount(fam.classroom, weights=home, minlength=C)
        share = using / self.room_children
        return np.where(self.has_room, share[self.room], 0.0)

    def _home_share_at(self, model, r: np.ndarray) -> np.ndarray:
        """:meth:`home_share` at staff rows ``r`` (the same floats)."""
        c = self._family_col
        if c < 0:
            return self.home_share(model)[r]
        fam = model.pop.families
        # Whole-number counts of home users by classroom: the same floats as a sum of 0/1 weights.
        using = np.bincount(fam.classroom.take(fam.home_use[:, c].nonzero()[0]), minlength=len(self.room_children))
        share = using / self.room_children
        return np.where(self.has_room.take(r), share.take(self.room.take(r)), 0.0)

    def feedback(self, model) -> np.ndarray:
        """Feedback each person gets on each practice this week, 0-1, shape (S, P)."""
        p, st, pr = model.params, model.pop.staff, model.pop.programs
        s, prog, w = p.sustain, st.program, model.week
        M, P = pr.endorsed.shape
        is_supported = supported(model)
        # Once the faculty leave, team routines and leaders' follow-through on endorsed practices
        # continue only as far as the programme's learning culture carries them; a crisis blunts both.
        carry = np.where(is_supported, 1.0, pr.culture) * np.where(pr.derailed, p.disruption.support_factor, 1.0)
        at_fid = st.use & (st.fidelity >= s.fidelity_threshold)
        at_fid &= st.present[:, None]
        # Colleagues on the team, or coached, who practise at fidelity coach their contacts.
        coaches = (at_fid & (st.on_team | (st.coached_until >= 0))[:, None]).astype(np.float64)
        coached = csr_product(model.pop.staff_network.links, coaches) > 0
        # Reflective supervision operating: a leader uses a programme-level practice at fidelity.
        cols = self.program_cols
        leads = at_fid[:, cols[0]] if len(cols) == 1 else at_fid[:, cols].any(axis=1)
        supervising = np.bincount(prog[leads & self.leader], minlength=M) > 0
        # The programme-level terms, gathered to staff in one take: endorsement x leadership (P
        # columns), carry, supervision operating x carry, culture feedback.
        terms = np.empty((M, P + 3))
        np.multiply(pr.endorsed, (pr.leadership * carry)[:, None], out=terms[:, :P])
        terms[:, P] = carry
        np.multiply(supervising, carry, out=terms[:, P + 1])
        np.multiply(s.culture_feedback, pr.culture, out=terms[:, P + 2])
        per_staff = terms[prog]
        team = per_staff[:, P] * st.on_team
        supervision = s.supervision_feedback * per_staff[:, P + 1] * self.not_leader  # leaders supervise the others
        peer = s.peer_coaching_feedback * coached * per_staff[:, P:P + 1]
        # The largest of the terms (a maximum is exact, so its order does not matter).
        fb = np.maximum(per_staff[:, :P], np.maximum(team, np.maximum(per_staff[:, P + 2], supervision))[:, None])
        np.maximum(fb, peer, out=fb)
        direct = st.testing | (st.coached_until >= w)[:, None]
        return np.maximum(fb, direct, out=fb)

    def feedback_at(self, model, r: np.ndarray, k: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """:meth:`feedback` at the entries (``r``, ``k``), flat index ``flat`` (the same floats, element by element)."""
        st, P = model.pop.staff, self.P
        uflat = flat_view(st.use).nonzero()[0]
        ur = uflat // P
        pg = st.program[r]
        return self._feedback(model, r, k, flat, pg, pg * P + k, uflat, ur, uflat - ur * P, st.program.take(ur),
                              st.fidelity.reshape(-1).take(uflat))

    def _feedback(self, model, r, k, flat, pg, pk, uflat, ur, uk, upg, uf) -> np.ndarray:
        """Feedback at the entries (``r``, ``k``; ``flat``, programme ``pg``, ``pk = pg * P + k``), from
        the entries in use (``uflat``, ``ur``, ``uk``, ``upg``; their fidelity ``uf``): only users can be
        at fidelity, so coaching colleagues and supervising leaders are found among them."""
        p, st, pr = model.params, model.pop.staff, model.pop.programs
        s, w = p.sustain, model.week
        M, P = pr.endorsed.shape
        carry = np.where(supported(model), 1.0, pr.culture) * np.where(pr.derailed, p.disruption.support_factor, 1.0)
        at_fid = uf >= s.fidelity_threshold
        at_fid &= st.present.take(ur)
        # Colleagues on the team, or coached, who practise at fidelity coach their contacts: flag
        # (contact, practice) for every such user's contacts (a flag is exact: a count > 0 in any order).
        coach = at_fid & (st.on_team | (st.coached_until >= 0)).take(ur)
        coached = self._coached(model, flat, uflat[coach], ur[coach], uk[coach])
        # Reflective supervision operating: a leader uses a programme-level practice at fidelity.
        leads = at_fid & self._program_col.take(uk)
        leads &= self.leader.take(ur)
        supervising = np.bincount(upg[leads], minlength=M) > 0
        c = carry.take(pg)
        fb = (pr.endorsed * (pr.leadership * carry)[:, None]).take(pk)
        np.maximum(fb, c * st.on_team.take(r), out=fb)
        np.maximum(fb, (s.culture_feedback * pr.culture).take(pg), out=fb)
        np.maximum(fb, s.supervision_feedback * (supervising * carry).take(pg) * self.not_leader.take(r), out=fb)
        np.maximum(fb, s.peer_coaching_feedback * coached * c, out=fb)
        direct = st.testing.reshape(-1).take(flat) | (st.coached_until.take(r) >= w)
        return np.maximum(fb, direct, out=fb)

    def _coached(self, model, flat: np.ndarray, cflat: np.ndarray, cj: np.ndarray, ck: np.ndarray) -> np.ndarray:
        """At the entries ``flat``: does a contact coach the person on the practice? The coaches are the
        entries ``cflat`` (staff ``cj``, practice ``ck``). A flag, so exact however it is found."""
        P = self.P
        if not self._sparse:   # a small population: one product over the whole (S, P) array
            coaches = np.zeros(self._mark.shape)
            coaches[cflat] = 1.0
            return csr_product(model.pop.staff_network.links, coaches.reshape(-1, P)).take(flat) > 0
        # Flag each coach's contacts on the practice, read the flags, clear them.
        start = self._reach_ptr.take(cj)
        n = self._reach_ptr.take(cj + 1) - start
        total = int(n.sum())
        if not total:
            return np.zeros(len(flat), dtype=bool)
        ends = np.cumsum(n)
        pos = np.arange(total) + np.repeat(start - ends + n, n)
        hit = self._reach_idx.take(pos) * P + np.repeat(ck, n)
        mark = self._mark
        mark[hit] = True
        coached = mark.take(flat)
        mark[hit] = False
        return coached

    @staticmethod
    def update_embedded(model) -> None:
        st, pr, s = model.pop.staff, model.pop.programs, model.params.sustain
        P = pr.embedded.shape[1]
        both = np.empty((len(st.role), 2 * P), dtype=bool)
        elig, at_fid = both[:, :P], both[:, P:]
        np.logical_and(st.eligible, st.present[:, None], out=elig)
        np.logical_and(elig, st.use, out=at_fid)
        at_fid &= st.fidelity >= s.fidelity_threshold
        counts = model.pop.count_staff(both)
        n_elig, n_fid = counts[:, :P], counts[:, P:]
        pr.embedded[:] = (n_elig > 0) & (n_fid >= s.embed_threshold * n_elig)
