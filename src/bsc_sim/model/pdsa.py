"""Phase 4, pdsa: Plan-Do-Study-Act cycles run by improvement teams (Model for Improvement, [langley2009]).

A team runs one cycle at a time:

* **Start** (idle team, weekly chance, from the first learning session on): limited by readiness
  (mean of change commitment and efficacy), time slack, data capacity and how much of the team
  is present; raised by session momentum (which fades between sessions) and by peers' recent
  successes; halved without a leader on the team (nobody allocates the time); nil while the
  programme is derailed. After its supports end the chance is scaled by
  ``post_collaborative_factor x culture/0.5`` and then tapers with half-life
  ``taper_half_life_weeks``. The team continues the practice of its last cycle after a scale-up
  or an adaptation (iteration); otherwise it picks a practice it has not yet adopted or recently
  abandoned, weighted by softmax(belief).
* **Plan** (``plan_weeks``) then **Do** (``do_weeks``): the test runs in ``scale`` classrooms,
  those of the team's own teachers first, one tester per classroom (the team member in the
  room, else the lead teacher, or the assistant when the lead post is vacant);
  programme-level practices are tested by the leaders. Testers use the practice and gain fidelity.
* **Study**: each tester's test succeeds with probability
  sigmoid(logit(effect) + 2 beta_skill (skill - 0.5) + 2 beta_leadership (leadership - 0.5)
  + beta_attractiveness x attractiveness + local fit + 2 beta_momentum (momentum - 0.5)), where the
  local fit comes from adaptation, peers and a family on the team (:func:`.population.local_fit`):
  so an ineffective practice's tests mostly fail. The team measures with probability equal to
  its data capacity (own capacity plus data-use support); it sees the true share of successes
  plus noise of sd ``obs_noise_sd x (1 - capacity)`` when it measured and ``obs_noise_sd`` when it
  judged by impression, so teams can misread results.
* **Act**: observed >= adopt threshold: scale up (x ``scale_factor`` classrooms) or, at full
  scale, adopt (programme-wide only if a leader on the team endorses it); between the thresholds:
  adapt (local fit improves) and test again; below: abandon: the practice ends in the programme
  (every tester and, with ``abandon_ends_use``, every other user stops; endorsement lapses; it
  does not spread there during the cool-down). Team members and testers move their beliefs toward
  what they saw, the programme's other staff less; the result is shared with other programmes.
  A measured cycle costs data-collection time, less with data-use support.

Every cycle is one row of the event log. A cycle counts as *well run* when it was data-driven
(the team measured) and iterative (it built on an earlier cycle of the same practice): the
features [knudsen2019] found rarely met.
"""

from __future__ import annotations

import numpy as np

from .disruption import leader_posts
from .pdsa_decide import DECISIONS, DO, IDLE, PLAN, STUDY, PDSADecisions  # noqa: F401 (DECISIONS: read from here by outcomes)
from .population import DIRECTOR, EDUCATION_MANAGER, FAMILY_SERVICES, LEVELS, TEACHING_ROLES, flat_view, group_sum, supported

EVENT_COLUMNS = ("cycle_id", "program_id", "practice", "week_start", "week_decided", "scale", "n_units",
                 "n_testers", "true_result", "observed_result", "data_used", "iterative", "well_run",
                 "decision", "misread")


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class PDSAProcess(PDSADecisions):
    """The PDSA cycles of every team, with the shared results other programmes learn from."""

    def setup(self, model) -> None:
        pop, P = model.pop, len(model.practice_effect)
        M, st = pop.n_programs, pop.staff
        # Common random numbers across designs: the weekly start draws come from one stream, and each
        # programme's tests (rooms, results, readings, abandonment) from a stream of its own, so a
        # decision that differs between two designs does not shift anyone else's numbers.
        self.start_rng, *self.program_rng = model.streams["pdsa"].spawn(M + 1)
        self.stage = np.zeros(M, dtype=np.int64)
        self.week_start = np.zeros(M, dtype=np.int64)
        self.practice = np.zeros(M, dtype=np.int64)
        self.scale = np.ones(M, dtype=np.int64)
        self.next_practice = np.full(M, -1)             # practice to iterate on, -1 none
        self.next_scale = np.ones(M, dtype=np.int64)
        self.cycles_on = np.zeros((M, P), dtype=np.int64)
        self.adopted = np.zeros((M, P), dtype=bool)     # the team adopted it (with or without endorsement)
        self._mark = np.zeros(len(st.role), dtype=bool)  # scratch mask over staff posts
        self.data_hours = 0.0                             # staff hours spent collecting cycles' data
        self.team_room = np.zeros(len(pop.classroom_program), dtype=bool)  # classrooms with a teacher on the team
        self.testers: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._data_now = self._fit = None
        self.events: list[tuple] = []
        # Static lookups.
        n_cls = pop.programs.n_classrooms
        self.n_classrooms_of = n_cls
        self.first_classroom = np.r_[0, np.cumsum(n_cls)[:-1]]
        self.is_program_level = pop.practice_level == LEVELS.index("program")
        self.n_units = np.where(self.is_program_level[None, :], 1, n_cls[:, None])
        C = len(pop.classroom_program)
        self.lead_of = np.full(C, -1)
        self.asst_of = np.full(C, -1)
        for role, table in ((TEACHING_ROLES[0], self.lead_of), (TEACHING_ROLES[1], self.asst_of)):
            rows = np.flatnonzero(st.role == role)
            table[st.classroom[rows]] = rows
        lead_rows = np.flatnonzero(np.isin(st.role, (DIRECTOR, EDUCATION_MANAGER, FAMILY_SERVICES)))
        lead_rows = lead_rows[np.argsort(st.program[lead_rows], kind="stable")]   # ascending within a programme
        self.leaders = np.split(lead_rows, np.cumsum(np.bincount(st.program[lead_rows], minlength=M))[:-1])
        self.seats = np.maximum(np.bincount(st.program[st.team_seat], minlength=M), 1)
        # A programme without leader posts (a family child care home) does not test programme-level practices.
        self.no_leader_posts = np.array([len(x) == 0 for x in self.leaders])
        order = np.argsort(st.program, kind="stable")
        self.staff_of = np.split(order, np.cumsum(np.bincount(st.program, minlength=M))[:-1])  # posts per programme
        # Posts that lead a programme's team (see :func:`.disruption.leader_on_team`), and static factors.
        self.leader_post = leader_posts(model)
        self.slack_factor = 0.5 + pop.programs.time_slack
        self.logit_effect = [_logit(e) for e in model.practice_effect]   # each practice's, as _decide computed it
        c = model.params.collaborative
        # Prework is for forming the team and baseline data; tests of change start at LS1 [ihind].
        self.first_week = c.prework_weeks if c.enabled and c.n_sessions > 0 else 0
        # Per-run constants of the weekly work (the schedule and the parameters never change in a run).
        q = model.params.pdsa
        never = np.iinfo(np.int64).max // 4
        # Weeks after week_start at which a team in each stage moves on (IDLE: never, by itself).
        self._stage_offset = np.array([never, q.plan_weeks, q.plan_weeks + q.do_weeks,
                                       q.plan_weeks + q.do_weeks + q.study_weeks], dtype=np.int64)
        self._due = never          # the earliest week any team moves on to its next stage
        start = pop.programs.start_week + self.first_week
        self._begin_week = int(start.min()) if M else never   # the first week any team may start a cycle
        self._all_begun_week = int(start.max()) if M else never
        self._start_draws = np.empty(M * (1 + P))      # the week's start draws: (M,) then (M, P), one call
        self._level_ok = ~(self.is_program_level[None, :] & self.no_leader_posts[:, None])
        # (Staff x practice) flat indices of the tests begun, kept between weeks; entries whose test ended
        # (decided, or the tester left) are dropped when read (``staff.testing`` is False for them).
        self._testing = np.zeros(0, dtype=np.int64)
        self._logit_effect = np.array(self.logit_effect)   # the same values, indexable by an array
        self._no_testers = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))
        self._none = np.zeros(0, dtype=np.int64)
        self._data_key = self._data_val = None
        self._slack_list, self._seats_list = self.slack_factor.tolist(), self.seats.tolist()

    # -- helpers -------------------------------------------------------------------------
    def _team_presence(self, model) -> tuple[np.ndarray, np.ndarray]:
        """Present team members per programme, the (S,) mask of them; sets ``_leader_here`` (M,)."""
        st = model.pop.staff
        both = np.empty((len(st.role), 2), dtype=bool)
        members = np.logical_and(st.present, st.on_team, out=both[:, 0])
        np.logical_and(members, self.leader_post, out=both[:, 1])
        counts = model.pop.count_staff(both)
        self._leader_here = counts[:, 1] > 0
        return counts[:, 0], members

    def data_capacity(self, model) -> np.ndarray:
        """Effective data capacity per programme: own capacity plus data-use support while supported."""
        c = model.params.collaborative
        support = c.data_use_support * model.params.pdsa.data_support_gain * supported(model)
        return np.minimum(1.0, model.pop.programs.data_capacity + support)

    def _data(self, model) -> np.ndarray:
        """This week's effective data capacity (M,), computed once."""
        if self._data_now is None:
            # Own capacity never changes, so the result changes only with who is supported.
            key = supported(model).tobytes()
            if key != self._data_key:
                self._data_key, self._data_val = key, self.data_capacity(model)
            self._data_now = self._data_val
        return self._data_now

    def _start_cycles(self, model, n_team: np.ndarray, members: np.ndarray) -> None:
        p, pr, st = model.params, model.pop.programs, model.pop.staff
        q = p.pdsa
        w = model.week
        M, P = len(self.stage), st.belief.shape[1]
        if w < self._begin_week:   # tests of change start at the cohort's first session
            self.start_rng.random(M)
            return
        # The week's draws, (M,) then (M, P): one call gives the same numbers as the two.
        draws = self.start_rng.random(out=self._start_draws)
        u, uniform = draws[:M], draws[M:].reshape(M, P)  # the (M, P) draws are made every week: the stream does not depend on starts
        if M <= self.SMALL:
            start = self._starting_few(model, n_team, u)
        else:
            start = self._starting(model, n_team, u)
        if not len(start):
            return
        if M <= self.SMALL and len(start) <= self.ONE_BY_ONE:
            self._choose_few(model, start, n_team, members, uniform)
            return
        # Team's mean belief per practice (present members) -> softmax choice with Gumbel noise.
        if M <= self.SMALL or 4 * len(start) >= M:
            rows = slice(None)
            sums = group_sum(st.program[members], st.belief[members], M)
            team = n_team
        else:  # a few of many programmes: sum only their members (the same sums, in the same order)
            rows = start
            local = np.full(M, -1)
            local[start] = np.arange(len(start))
            who = local[st.program]
            who = np.flatnonzero(members & (who >= 0))
            sums = group_sum(local[st.program[who]], st.belief[who], len(start))
            team = n_team[start]
        mean_belief = sums / np.maximum(team, 1)[:, None]
        allowed = pr.abandoned_until[rows] <= w
        allowed &= ~pr.endorsed[rows]
        allowed &= ~self.adopted[rows]  # adopted practices are not re-tested
        allowed &= self._level_ok[rows]
        logits = np.where(allowed, q.choice_sharpness * mean_belief, -np.inf)
        gumbel = -np.log(-np.log(uniform[rows]))
        choice = np.argmax(logits + gumbel, axis=1)
        if rows is not start:
            logits, choice = logits[start], choice[start]
        cont = self.next_practice[start] >= 0
        ok = cont | np.isfinite(logits).any(axis=1)
        start, cont, choice = start[ok], cont[ok], choice[ok]
        self.stage[start] = PLAN
        self.week_start[start] = w + 1  # decided at the end of this week; Plan begins next week
        self.practice[start] = np.where(cont, self.next_practice[start], choice)
        self.scale[start] = np.where(cont, self.next_scale[start], 1)
        if len(start):
            self._due = min(self._due, w + 1 + int(self._stage_offset[PLAN]))

    def _choose_few(self, model, start: np.ndarray, n_team: np.ndarray, members: np.ndarray,
                    uniform: np.ndarray) -> None:
        """The rest of :meth:`_start_cycles` for one or two starting teams, in Python floats: the same
        sums in the same order (the bincount adds a team's members in staff order), the same Gumbel
        noise (numpy's log of the same draws) and the first best practice, as argmax."""
        st, pr, q, w = model.pop.staff, model.pop.programs, model.params.pdsa, model.week
        sharp = q.choice_sharpness
        for m in start.tolist():
            if self.next_practice[m] >= 0:   # iterate on the practice of the last cycle
                practice, scale = self.next_practice[m], self.next_scale[m]
            else:
                allowed = ((pr.abandoned_until[m] <= w) & ~pr.endorsed[m] & ~self.adopted[m] & self._level_ok[m]).tolist()
                if not any(allowed):
                    continue
                mine = self.staff_of[m]
                sums = [0.0] * len(allowed)
                for row in st.belief[mine[members[mine]]].tolist():
                    for p, b in enumerate(row):
                        sums[p] += b
                team = max(int(n_team[m]), 1)
                gumbel = (-np.log(-np.log(uniform[m]))).tolist()
                practice, best = 0, None
                for p, ok in enumerate(allowed):
                    v = (sharp * (sums[p] / team) if ok else -np.inf) + gumbel[p]
                    if best is None or v > best:
                        practice, best = p, v
                scale = 1
            self.stage[m] = PLAN
            self.week_start[m] = w + 1  # decided at the end of this week; Plan begins next week
            self.practice[m] = practice
            self.scale[m] = scale
            self._due = min(self._due, w + 1 + int(self._stage_offset[PLAN]))

    ONE_BY_ONE = 2   # up to this many teams begin or decide one at a time (the same numbers as all at once)
    SMALL = 64   # up to this many programmes, the start rates are worked out one by one in Python floats

    def _starting(self, model, n_team: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The programmes that start a cycle this week (their rate, element by element)."""
        p, pr = model.params, model.pop.programs
        q, w, M = p.pdsa, model.week, len(self.stage)
        idle = (self.stage == IDLE) & (n_team > 0)
        if w < self._all_begun_week:
            idle &= w >= pr.start_week + self.first_week
        # The start rate is computed only for idle teams with someone present (the same numbers,
        # element by element, as over every programme; the others cannot start). Factors that are
        # 1.0 for every one of them are left out (x * 1.0 is x).
        c = idle.nonzero()[0]
        if not len(c):
            return c
        full = 2 * len(c) >= M       # few programmes: whole arrays are cheaper than picking rows

        def pick(a):
            return a if full else a[c]

        is_supported = pick(supported(model))
        readiness = (pick(pr.commitment) + pick(pr.efficacy)) / 2  # [weiner2009]: commitment and efficacy
        rate = q.p_start_weekly * (0.5 + readiness)
        rate *= pick(self.slack_factor)
        # The (0.5 + x) factors (assumption) make each readiness term scale the rate from x0.5 to x1.5.
        rate *= 0.5 + pick(self._data(model))
        rate *= np.minimum(1.0, pick(n_team) / pick(self.seats))
        if not is_supported.all():
            # After its supports end, a team keeps cycling only as its culture carries it, and less and less.
            since_end = np.maximum(0, w - pick(pr.support_end) - 1)
            after = q.post_collaborative_factor * pick(pr.culture) / 0.5 * 0.5 ** (since_end / q.taper_half_life_weeks)
            rate *= np.where(is_supported, 1.0, after)
        rate *= 1.0 - q.momentum_weight + 2.0 * q.momentum_weight * pick(pr.momentum)
        rate *= 1.0 + p.learning.peer_start_boost * pick(pr.peer_encouragement)
        leader_here = pick(self._leader_here)
        if not leader_here.all():
            rate *= np.where(leader_here, 1.0, q.no_leader_start_factor)
        go = u[c] < (rate if not full else rate[c])
        derailed = pr.derailed[c]
        if derailed.any():
            go &= ~derailed        # a derailed programme starts nothing (its rate is x 0)
        start = c[go]
        return start

    def _starting_few(self, model, n_team: np.ndarray, u: np.ndarray) -> np.ndarray:
        """:meth:`_starting` for a few programmes: the same operations on the same float64 values, in
        the same order, one programme at a time (IEEE arithmetic gives the same numbers)."""
        p, pr = model.params, model.pop.programs
        q, w, M = p.pdsa, model.week, len(self.stage)
        nt, stage = n_team.tolist(), self.stage.tolist()
        c = [i for i in range(M) if stage[i] == IDLE and nt[i] > 0]
        if w < self._all_begun_week:
            begun = (w >= pr.start_week + self.first_week).tolist()
            c = [i for i in c if begun[i]]
        if not c:
            return self._none
        sup = supported(model).tolist()
        after = None
        if not all(sup[i] for i in c):
            # After its supports end, a team keeps cycling only as its culture carries it, and less and less.
            since_end = np.maximum(0, w - pr.support_end - 1)
            after = (q.post_collaborative_factor * pr.culture / 0.5 * 0.5 ** (since_end / q.taper_half_life_weeks)).tolist()
        com, eff, data = pr.commitment.tolist(), pr.efficacy.tolist(), self._data(model).tolist()
        mom, peer = pr.momentum.tolist(), pr.peer_encouragement.tolist()
        lead, derailed, ul = self._leader_here.tolist(), pr.derailed.tolist(), u.tolist()
        slack, seats = self._slack_list, self._seats_list
        p0, m0, m1 = q.p_start_weekly, 1.0 - q.momentum_weight, 2.0 * q.momentum_weight
        boost, no_leader = p.learning.peer_start_boost, q.no_leader_start_factor
        start = []
        for i in c:
            if derailed[i]:   # a derailed programme starts nothing (its rate is x 0)
                continue
            r = p0 * (0.5 + (com[i] + eff[i]) / 2)
            r *= slack[i]
            r *= 0.5 + data[i]
            r *= min(1.0, nt[i] / seats[i])
            if after is not None and not sup[i]:
                r *= after[i]
            r *= m0 + m1 * mom[i]
            r *= 1.0 + boost * peer[i]
            if not lead[i]:
                r *= no_leader
            if ul[i] < r:
                start.append(i)
        return np.array(start, dtype=np.int64) if start else self._none

    def _begin_do(self, model, begin: np.ndarray) -> None:
        """Teams of ``begin`` (ascending) start their tests: testers per programme, in each one's order."""
        st = model.pop.staff
        if len(begin) <= self.ONE_BY_ONE:   # one or two teams: one at a time is quicker
            for m in begin:
                self._begin_one(model, m)
            return
        k_of = self.practice[begin]
        level = self.is_program_level[k_of]
        parts, seg = [], []
        # Classroom-level tests: each programme's own draw orders its rooms (its own stream).
        for m in begin[~level]:
            parts.append(self.first_classroom[m] + self.program_rng[m].permutation(self.n_classrooms_of[m]))
        if parts:
            room_prog = begin[~level]
            n = self.n_classrooms_of[room_prog]
            seg_r = np.repeat(np.arange(len(room_prog)), n)
            rooms = np.concatenate(parts)
            # Tests start in the classrooms of the team's own teachers, then spread to others.
            order = np.lexsort((~self.team_room[rooms], seg_r))
            rooms, seg_r = rooms[order], seg_r[order]
            rank = np.arange(len(rooms)) - np.repeat(np.cumsum(n) - n, n)
            take = rank < np.repeat(np.minimum(self.scale[room_prog], n), n)
            rooms, seg_r = rooms[take], seg_r[take]
            lead, asst = self.lead_of[rooms], self.asst_of[rooms]
            # The team member in the room tests; otherwise the lead teacher, or the assistant when
            # the lead post is vacant.
            lead_here = st.present[lead]
            asst_first = st.present[asst] & st.on_team[asst] & ~(lead_here & st.on_team[lead])
            testers = np.where(lead_here & ~asst_first, lead, asst)
            ok = (testers >= 0) & st.present[np.maximum(testers, 0)]
            parts, seg = [testers[ok]], [room_prog[seg_r[ok]]]
        # Programme-level tests are run by the leaders present.
        for m in begin[level]:
            lead = self.leaders[m][st.present[self.leaders[m]]]
            parts.append(lead)
            seg.append(np.full(len(lead), m))
        testers = np.concatenate(parts)
        prog = np.concatenate(seg)
        order = np.argsort(prog, kind="stable")        # programme by programme, each in its own order
        testers, prog = testers[order], prog[order]
        k = self.practice[prog]
        new = ~st.use[testers, k]
        st.use[testers, k] = True
        st.fidelity[testers[new], k[new]] = np.maximum(st.fidelity[testers[new], k[new]],
                                                       model.params.sustain.start_fidelity)
        st.testing[testers, k] = True
        self._testing = np.concatenate((self._testing, testers * st.testing.shape[1] + k))
        bounds = np.searchsorted(prog, begin, side="right")
        lo = 0
        for m, hi in zip(begin.tolist(), bounds.tolist()):
            self.testers[m] = (testers[lo:hi], new[lo:hi])
            lo = hi

    def _begin_one(self, model, m) -> None:
        """:meth:`_begin_do` for the one programme ``m``."""
        st, k = model.pop.staff, self.practice[m]
        if self.is_program_level[k]:
            testers = self.leaders[m][st.present[self.leaders[m]]]
        else:
            n = int(self.n_classrooms_of[m])
            first = int(self.first_classroom[m])
            order = self.program_rng[m].permutation(n).tolist()
            # Tests start in the classrooms of the team's own teachers, then spread to others.
            mine = self.team_room[first:first + n].tolist()
            rooms = [first + o for o in order if mine[o]] + [first + o for o in order if not mine[o]]
            present, on_team = st.present, st.on_team
            testers = []
            for room in rooms[: min(int(self.scale[m]), n)]:
                # The team member in the room tests; otherwise the lead teacher, or the assistant when
                # the lead post is vacant (a missing post, -1, reads the last row, as the arrays did).
                lead, asst = int(self.lead_of[room]), int(self.asst_of[room])
                lead_here = present[lead]
                asst_first = present[asst] and on_team[asst] and not (lead_here and on_team[lead])
                tester = lead if lead_here and not asst_first else asst
                if tester >= 0 and present[max(tester, 0)]:
                    testers.append(tester)
            testers = np.array(testers, dtype=np.int64)
        new = ~st.use[testers, k]
        st.use[testers, k] = True
        st.fidelity[testers[new], k] = np.maximum(st.fidelity[testers[new], k], model.params.sustain.start_fidelity)
        st.testing[testers, k] = True
        self._testing = np.concatenate((self._testing, testers * st.testing.shape[1] + k))
        self.testers[m] = (testers, new)

    def step(self, model) -> None:
        pr = model.pop.programs
        pr.new_cycles_studied[:] = 0
        pr.new_cycles_data_used[:] = 0
        pr.new_cycles_logged[:] = 0
        if not model.params.team.enabled:
            return
        q, w = model.params.pdsa, model.week
        # Once per week, shared by every decision; worked out when first needed (nothing this phase
        # does before then changes them).
        self._data_now = self._fit = None
        n_team, members = self._team_presence(model)   # and the leaders on the team (_leader_here)
        st = model.pop.staff
        if w >= self._due:   # some team moves on this week (stages change only here)
            rel = w - self.week_start
            begin = ((self.stage == PLAN) & (rel >= q.plan_weeks)).nonzero()[0]
            if len(begin):
                self.team_room[:] = False  # classrooms with a present teacher on the team, once a week
                self.team_room[st.classroom[members & (st.classroom >= 0)]] = True
                self.stage[begin] = DO
                self._begin_do(model, begin)
            self.stage[(self.stage == DO) & (rel >= q.plan_weeks + q.do_weeks)] = STUDY
            deciding = ((self.stage == STUDY) & (rel >= q.plan_weeks + q.do_weeks + q.study_weeks)).nonzero()[0]
            if len(deciding):
                self._decide_all(model, deciding, members)
            self._due = int((self.week_start + self._stage_offset[self.stage]).min())
        # Testers keep practising while their test runs (the "do" of PDSA, [langley2009]).
        # The tests begun, less those that ended: the pairs st.testing.nonzero() gives (in another
        # order; each pair once, so the order of the writes does not matter).
        flat = self._testing
        if len(flat):
            live = st.testing.take(flat)
            if not live.all():
                flat = self._testing = flat[live]
        if len(flat):
            r = flat // st.testing.shape[1]
            flat = flat[st.use.take(flat)]
            fidelity = flat_view(st.fidelity)
            f = fidelity[flat]
            fidelity[flat] = f + q.fidelity_gain * (1.0 - f)
            st.reinforced_week[r] = w
        self._start_cycles(model, n_team, members)
