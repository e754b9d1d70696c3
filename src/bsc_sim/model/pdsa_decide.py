"""Phase 4, pdsa, second half: **Study** and **Act** of a PDSA cycle (see :mod:`.pdsa` for the whole
cycle and its sources).

The teams whose test has run study it and act on what they saw: scale up, adopt, adapt or abandon.
:class:`PDSADecisions` is the part of :class:`.pdsa.PDSAProcess` that does it, kept in its own
module so each stays readable: one or two teams decide one at a time in numpy scalars; more decide
together, with each programme's own draws and cost bookings in the same order as one at a time.
"""

from __future__ import annotations

import numpy as np

from .population import SPARSE_ENTRIES, local_fit, local_fit_at, supported

IDLE, PLAN, DO, STUDY = 0, 1, 2, 3
GO, ADAPT, STOP = 0, 1, 2
DECISIONS = ("scale_up", "adopt", "adapt", "abandon", "fizzled")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class PDSADecisions:
    """Study and Act for :class:`.pdsa.PDSAProcess` (which holds the state these methods use)."""

    def _decide_all(self, model, deciding: np.ndarray, members: np.ndarray) -> None:
        """The teams of ``deciding`` (ascending) study their tests and act.

        One or two teams: one at a time (:meth:`_decide_one`). More: what does not depend on another
        programme's decision (testers, their chances of success) is worked out for all of them at
        once, element by element as for each one alone, then :meth:`_decide_many`."""
        st, pr, q = model.pop.staff, model.pop.programs, model.params.pdsa
        small = pr.fit.size < SPARSE_ENTRIES   # a small cohort: the whole (M, P) fit takes fewer calls
        if small or len(deciding) <= self.ONE_BY_ONE:
            self._fit = local_fit(model.params, model.pop)   # as it stands before any of them decides
        if len(deciding) <= self.ONE_BY_ONE:   # one or two teams: numpy scalars are quicker than arrays
            for m in deciding:
                self._decide_one(model, m, members)
            return
        lead = deciding[self._leader_here[deciding]]
        if len(lead):  # a leader on the team makes the team's adopted practices the programme's
            pr.endorsed[lead] |= self.adopted[lead]
        got = [self.testers.pop(m, self._no_testers)[0] for m in deciding.tolist()]
        testers = np.concatenate(got)
        which = np.repeat(np.arange(len(deciding)), [len(t) for t in got])
        prog = deciding[which]
        k = self.practice[prog]
        st.testing[testers, k] = False
        # A tester is the person who began the test: a newcomer in the same post is not one.
        keep = st.present[testers] & (st.hired_week[testers] <= self.week_start[prog] + q.plan_weeks)
        testers, which, prog, k = testers[keep], which[keep], prog[keep], k[keep]
        logit = (self._logit_effect[k] + q.beta_skill * 2 * (st.skill[testers] - 0.5)
                 + q.beta_leadership * 2 * (pr.leadership[prog] - 0.5)
                 + q.beta_attractiveness * model.practice_attractiveness[k]
                 + (self._fit[prog, k] if small else local_fit_at(model.params, model.pop, prog, k))
                 + q.beta_momentum * 2 * (pr.momentum[prog] - 0.5))
        self._decide_many(model, deciding, members, testers, which, _sigmoid(logit))

    def _decide_one(self, model, m, members: np.ndarray) -> None:
        """The testers of programme ``m`` and their chances of success, then :meth:`_decide`."""
        st, pr, q = model.pop.staff, model.pop.programs, model.params.pdsa
        k = self.practice[m]
        if self._leader_here[m]:  # a leader on the team makes the team's adopted practices the programme's
            pr.endorsed[m] |= self.adopted[m]
        testers, new = self.testers.pop(m, self._no_testers)
        st.testing[testers, k] = False
        # A tester is the person who began the test: a newcomer in the same post is not one.
        keep = st.present[testers] & (st.hired_week[testers] <= self.week_start[m] + q.plan_weeks)
        testers, new = testers[keep], new[keep]
        logit = (self.logit_effect[k] + q.beta_skill * 2 * (st.skill[testers] - 0.5)
                 + q.beta_leadership * 2 * (pr.leadership[m] - 0.5) + q.beta_attractiveness * model.practice_attractiveness[k]
                 + self._fit[m, k] + q.beta_momentum * 2 * (pr.momentum[m] - 0.5))
        self._decide(model, m, members, testers, new, _sigmoid(logit))

    def _decide_many(self, model, deciding: np.ndarray, members: np.ndarray, testers: np.ndarray,
                     which: np.ndarray, chance: np.ndarray) -> None:
        """:meth:`_decide` for many programmes at once: the same draws from each programme's stream in
        the same order, the same arithmetic element by element, the costs booked programme by
        programme in the same order (the ledger's sums depend on it)."""
        p, st, pr = model.params, model.pop.staff, model.pop.programs
        q, w, nd = p.pdsa, model.week, len(deciding)
        progs = deciding.tolist()
        k = self.practice[deciding]
        n_t = np.bincount(which, minlength=nd)
        data = self._data(model)[deciding]
        sd_measured = (q.obs_noise_sd * (1.0 - data)).tolist()
        n_l, data_l = n_t.tolist(), data.tolist()
        # Each programme's draws, from its own stream: a uniform per tester, one for measuring, the noise.
        draws, used, noise = [], [], []
        for j, m in enumerate(progs):
            rng = self.program_rng[m]
            d = rng.random(n_l[j] + 1)
            draws.append(d[:-1])
            u = bool(d[-1] < data_l[j])
            used.append(u)
            noise.append(rng.normal(0.0, sd_measured[j] if u else q.obs_noise_sd * 1.0))
        success = (np.concatenate(draws) < chance) if len(chance) else np.zeros(0, dtype=bool)
        studied = n_t > 0
        true = np.bincount(which, weights=success, minlength=nd) / np.maximum(n_t, 1)   # exact counts / n
        observed = np.minimum(np.maximum(true + np.array(noise), 0.0), 1.0)             # as np.clip
        seen = np.where(observed >= q.adopt_threshold, GO, np.where(observed >= q.abandon_threshold, ADAPT, STOP))
        real = np.where(true >= q.adopt_threshold, GO, np.where(true >= q.abandon_threshold, ADAPT, STOP))
        misread = (seen != real) & studied
        data_used = np.array(used) & studied
        iterative = self.cycles_on[deciding, k] >= 1
        n_units = self.n_units[deciding, k]
        scale = self.scale[deciding]
        # Act (:meth:`_act`, element by element).
        go = studied & (seen == GO)
        up = go & (scale < n_units)
        adopt = go & ~up
        adapt = studied & (seen == ADAPT)
        stop = studied & (seen == STOP)
        decision = np.where(up, 0, np.where(adopt, 1, np.where(adapt, 2, np.where(stop, 3, 4))))
        self.next_practice[deciding] = np.where(up | adapt, k, -1)
        self.next_scale[deciding[up]] = np.minimum(n_units[up], np.ceil(scale[up] * q.scale_factor).astype(np.int64))
        self.next_scale[deciding[adapt]] = scale[adapt]
        a, ka = deciding[adopt], k[adopt]
        pr.endorsed[a, ka] = self._leader_here[a]   # only a leader can make a practice the programme's own
        self.adopted[a, ka] = True
        a, ka = deciding[adapt], k[adapt]
        pr.fit[a, ka] = np.minimum(q.max_fit, pr.fit[a, ka] + q.adapt_gain)
        ends = np.cumsum(n_t).tolist()
        for j in np.flatnonzero(stop).tolist():
            # The team ends the practice in the programme: its testers stop, and so does every other
            # user with chance abandon_ends_use (each programme's draw from its own stream).
            m, kj = progs[j], k[j]
            mine = self.staff_of[m]
            users = mine[st.use[mine, kj]]
            users = users[self.program_rng[m].random(len(users)) < q.abandon_ends_use]
            out = np.concatenate((testers[ends[j] - n_l[j]:ends[j]], users))
            st.use[out, kj] = False
            st.fidelity[out, kj] = 0.0
        a, ka = deciding[stop], k[stop]
        pr.endorsed[a, ka] = False
        pr.abandoned_until[a, ka] = w + q.abandon_cooldown_weeks
        # Present staff of the programmes that studied a result move their belief toward what the team
        # saw: team members and testers at belief_rate, their colleagues at programme_belief_rate.
        here = np.zeros(len(self.stage), dtype=bool)
        here[deciding] = True
        local = np.full(len(self.stage), -1)
        local[deciding] = np.arange(nd)
        on = here[st.program]
        team = np.flatnonzero(members & on)                  # present team members of the deciding programmes
        mark = self._mark
        mark[testers] = True
        j_staff = local[st.program]
        rows = np.flatnonzero(st.present & on & studied[np.maximum(j_staff, 0)])
        jr = j_staff[rows]
        rate = np.where(members[rows] | mark[rows], q.belief_rate, q.programme_belief_rate)
        mark[testers] = False
        kr = k[jr]
        b = st.belief[rows, kr]
        st.belief[rows, kr] = b + rate * (observed[jr] - b)
        s, ks = deciding[studied], k[studied]
        pr.shared_result[s, ks] = observed[studied]
        pr.shared_week[s, ks] = w
        self.cycles_on[s, ks] += 1
        pr.new_cycles_studied[s] += 1
        pr.new_cycles_data_used[s] += data_used[studied]
        pr.new_cycles_logged[deciding] += 1
        self.stage[deciding] = IDLE
        st.reinforced_week[team] = w  # studying a test together keeps QI skill in use
        # Costs, programme by programme as before.
        team = team[np.argsort(st.program[team], kind="stable")]
        bounds = np.cumsum(np.bincount(local[st.program[team]], minlength=nd)).tolist()
        sup = supported(model)
        strength = p.collaborative.data_use_support
        used_l, lo = data_used.tolist(), 0
        true_l = np.where(studied, true, np.nan).tolist()
        obs_l = np.where(studied, observed, np.nan).tolist()
        iter_l, misread_l, dec_l = iterative.tolist(), misread.tolist(), decision.tolist()
        ws, sc, nu = self.week_start[deciding].tolist(), scale.tolist(), n_units.tolist()
        # The bookings in the order the ledger took them (one call for all: CostLedger.staff_hours_groups).
        book_g, book_h, pdsa_h = [], [], p.costs.pdsa_hours_per_member
        for j, m in enumerate(deciding):
            size = bounds[j] - lo
            lo = bounds[j]
            book_g.append(j)
            book_h.append(pdsa_h)
            if used_l[j] and size:  # collecting and charting the data, shared by the team
                hours = p.costs.data_hours_per_cycle * (1.0 - q.data_support_time_saving * (strength * sup[m]))
                book_g.append(j)
                book_h.append(hours / size)
                self.data_hours += hours
            self.events.append((len(self.events), m, k[j], ws[j], w, sc[j], nu[j], n_l[j], true_l[j], obs_l[j],
                                used_l[j], iter_l[j], used_l[j] and iter_l[j], DECISIONS[dec_l[j]], misread_l[j]))
        model.ledger.staff_hours_groups(model, team, [0] + bounds, np.array(book_g), book_h)

    def _decide(self, model, m, members: np.ndarray, testers: np.ndarray, new: np.ndarray,
                chance: np.ndarray) -> None:
        p, st, pr = model.params, model.pop.staff, model.pop.programs
        q, k, w = p.pdsa, self.practice[m], model.week
        mine = self.staff_of[m]
        team_here = mine[members[mine]]  # present team members of programme m
        rng = self.program_rng[m]
        draws = rng.random(len(testers) + 1)   # the same numbers as a draw per tester, then one
        success = draws[:-1] < chance
        data = self._data(model)[m]
        data_used = bool(draws[-1] < data)
        n_units = self.n_units[m, k]
        noise = rng.normal(0.0, q.obs_noise_sd * ((1.0 - data) if data_used else 1.0))
        iterative = bool(self.cycles_on[m, k] >= 1)
        if len(testers) == 0:  # every tester left: nothing to study, nothing learnt
            true = observed = np.nan
            decision, misread, data_used = "fizzled", False, False
            self.next_practice[m] = -1
        else:
            true = int(np.count_nonzero(success)) / len(success)   # the share of successes, as float(success.mean())
            observed = min(1.0, max(0.0, true + noise))         # as np.clip (no arithmetic)
            seen, real = self._category(observed, q), self._category(true, q)
            misread = seen != real
            decision = self._act(model, m, k, seen, testers, new, n_units)
            # Team members and testers update their belief toward what they saw; the team tells the
            # programme's other staff, whose beliefs move less.
            # (Both are posts of programme m, and ``mine`` is ascending: the sorted union.)
            mark = self._mark
            mark[team_here] = True
            mark[testers] = True
            seen_here = mark[mine]
            rows = mine[seen_here]
            colleagues = mine[st.present[mine] & ~seen_here]
            mark[rows] = False
            st.belief[rows, k] += q.belief_rate * (observed - st.belief[rows, k])
            st.belief[colleagues, k] += q.programme_belief_rate * (observed - st.belief[colleagues, k])
            pr.shared_result[m, k] = observed
            pr.shared_week[m, k] = w
            self.cycles_on[m, k] += 1
            pr.new_cycles_studied[m] += 1
            pr.new_cycles_data_used[m] += data_used
        pr.new_cycles_logged[m] += 1
        self.stage[m] = IDLE
        model.ledger.staff_hours(model, team_here, p.costs.pdsa_hours_per_member, cover=False)
        st.reinforced_week[team_here] = w  # studying a test together keeps QI skill in use
        if data_used and len(team_here):  # collecting and charting the data, shared by the team
            strength = p.collaborative.data_use_support * supported(model)[m]
            hours = p.costs.data_hours_per_cycle * (1.0 - q.data_support_time_saving * strength)
            model.ledger.staff_hours(model, team_here, hours / len(team_here), cover=False)
            self.data_hours += hours
        self.events.append((len(self.events), m, k, int(self.week_start[m]), w, int(self.scale[m]), int(n_units),
                            len(testers), true, observed, data_used, iterative, data_used and iterative, decision, misread))

    @staticmethod
    def _category(result: float, q) -> int:
        if result >= q.adopt_threshold:
            return GO
        return ADAPT if result >= q.abandon_threshold else STOP

    def _act(self, model, m, k, seen, testers, new, n_units) -> str:
        q, st, pr = model.params.pdsa, model.pop.staff, model.pop.programs
        if seen == GO and self.scale[m] < n_units:
            self.next_practice[m] = k
            self.next_scale[m] = min(n_units, int(np.ceil(self.scale[m] * q.scale_factor)))
            return "scale_up"
        if seen == GO:
            # Only a leader can make a practice the programme's own (leaders endorse, [aarons2016]).
            pr.endorsed[m, k] = bool(self._leader_here[m])
            self.adopted[m, k] = True
            self.next_practice[m] = -1
            return "adopt"
        if seen == ADAPT:
            pr.fit[m, k] = min(q.max_fit, pr.fit[m, k] + q.adapt_gain)
            self.next_practice[m] = k
            self.next_scale[m] = self.scale[m]
            return "adapt"
        # The team ends the practice in the programme: its testers stop, and so does every other
        # user with chance abandon_ends_use; leaders withdraw any endorsement.
        users = self.staff_of[m][st.use[self.staff_of[m], k]]
        users = users[self.program_rng[m].random(len(users)) < q.abandon_ends_use]
        stop = np.concatenate((testers, users))   # (setting the same value twice is harmless)
        st.use[stop, k] = False
        st.fidelity[stop, k] = 0.0
        pr.endorsed[m, k] = False
        pr.abandoned_until[m, k] = model.week + q.abandon_cooldown_weeks
        self.next_practice[m] = -1
        return "abandon"

    # -- phase ---------------------------------------------------------------------------
