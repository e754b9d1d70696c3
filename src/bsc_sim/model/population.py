"""The model's state arrays and the builder that creates the cohort, its staff, families and networks.

All hot state is structure-of-arrays (one row per staff slot, family slot, classroom or
programme). Mesa agents (:mod:`bsc_sim.model.agents`) are thin handles holding an index into these.
A staff *slot* is a position (role, classroom, place in the network); people come and go
through it with turnover.

Phases communicate only through this state: a phase writes arrays here and later phases read
them (for example, the PDSA phase writes each programme's latest shared result and the calendar
and cross-learning phases read it); no phase calls another phase's methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp

from ..params import Params
from ..spread import SpreadNetwork, csr_product_parts

# Roles (index into ROLE_NAMES): staff at all levels [douglass2019].
DIRECTOR, EDUCATION_MANAGER, LEAD_TEACHER, ASSISTANT_TEACHER, FAMILY_SERVICES = range(5)
ROLE_NAMES = ("director", "education_manager", "lead_teacher", "assistant_teacher", "family_services")
TEACHING_ROLES = (LEAD_TEACHER, ASSISTANT_TEACHER)
LEADER_ROLES = (DIRECTOR, EDUCATION_MANAGER)
HEAD_START, CHILD_CARE, FAMILY_CHILD_CARE = 0, 1, 2
KIND_NAMES = ("head_start", "child_care", "family_child_care")
LEVELS = ("classroom", "program", "family")
# From this many (staff post, practice) entries on, phases work only on the entries that can change
# (a large cohort or a state); below it whole arrays take fewer calls. Both give the same numbers.
SPARSE_ENTRIES = 1000
# Which roles can use a practice of each level (families use family practices at home).
ELIGIBLE_ROLES = {
    "classroom": (LEAD_TEACHER, ASSISTANT_TEACHER),
    "program": (DIRECTOR, EDUCATION_MANAGER, FAMILY_SERVICES),
    "family": (LEAD_TEACHER, ASSISTANT_TEACHER, FAMILY_SERVICES),  # staff who promote it to families
}


def flat_view(a: np.ndarray) -> np.ndarray:
    """A flat view of a C-contiguous array, for writing by flat index (refuses rather than copy,
    so a write can never land in a copy)."""
    if not a.flags.c_contiguous:
        raise ValueError("expected a C-contiguous state array")
    return a.reshape(-1)


def group_sum(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the rows of ``values`` (N,) or (N, P) by ``group`` (N,) into (n_groups,) or (n_groups, P).

    One flat ``bincount`` instead of ``np.add.at`` (several times faster at these sizes).
    """
    if values.ndim == 1:
        return np.bincount(group, weights=values, minlength=n_groups)
    P = values.shape[1]
    flat = (group[:, None] * P + np.arange(P)[None, :]).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=n_groups * P).reshape(n_groups, P)


class Counter:
    """Counts of boolean rows by group: ``Counter(group, n_groups)(mask)`` -> int64 (n_groups,) or (n_groups, P).

    Staff posts, families and classrooms are laid out programme by programme, so when ``group`` is
    sorted and no group is empty the counts are one ``add.reduceat`` over contiguous rows (several
    times faster than :func:`group_sum` for a state's worth of rows); otherwise it falls back to it.
    """

    def __init__(self, group: np.ndarray, n_groups: int) -> None:
        self.group, self.n_groups, self.starts = group, n_groups, None
        if len(group) and group[0] == 0 and group[-1] == n_groups - 1:
            steps = np.diff(group)
            if ((steps == 0) | (steps == 1)).all():
                self.starts = np.r_[0, np.flatnonzero(steps) + 1]

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        if self.starts is not None:
            return np.add.reduceat(mask, self.starts, axis=0, dtype=np.int64)
        return group_sum(self.group, mask, self.n_groups).astype(np.int64)


def unsupported_levels(p: Params, rng: np.random.Generator, size) -> np.ndarray:
    """Personal unsupported fidelity levels (``sustain.unsupported_mean``, ``unsupported_concentration``)."""
    return beta_draw(rng, p.sustain.unsupported_mean, p.sustain.unsupported_concentration, size)


def beta_draw(rng: np.random.Generator, mean: float | np.ndarray, concentration: float, size=None) -> np.ndarray:
    """Beta draws parameterised by mean and concentration a+b (means at 0 or 1 are degenerate)."""
    if isinstance(mean, float):  # a scalar: the same clip without numpy's per-call overhead
        mean = min(max(mean, 1e-6), 1 - 1e-6)
    else:
        mean = np.clip(mean, 1e-6, 1 - 1e-6)
    return rng.beta(mean * concentration, (1 - mean) * concentration, size=size)


@dataclass
class Programs:
    kind: np.ndarray                # int8 (M,) HEAD_START / CHILD_CARE / FAMILY_CHILD_CARE
    n_classrooms: np.ndarray        # int (M,)
    commitment: np.ndarray          # (M,) change commitment 0-1
    efficacy: np.ndarray            # (M,) change efficacy 0-1
    leadership: np.ndarray          # (M,) leadership support 0-1
    data_capacity: np.ndarray       # (M,) 0-1
    time_slack: np.ndarray          # (M,) 0-1
    turnover_annual: np.ndarray     # (M,) persistent programme turnover propensity (share/year)
    culture: np.ndarray             # (M,) learning-culture index 0-1
    endorsed: np.ndarray            # bool (M,P) programme decided to implement the practice
    embedded: np.ndarray            # bool (M,P) practice routinised (share at fidelity >= threshold)
    fit: np.ndarray                 # (M,P) local fit gained by adaptation (logit)
    shared_result: np.ndarray       # (M,P) latest observed PDSA result, shared with other programmes
    shared_week: np.ndarray         # int (M,P) week that result was decided (very negative: never)
    new_cycles_studied: np.ndarray  # int (M,) cycles studied and acted on this week
    new_cycles_data_used: np.ndarray  # int (M,) of them, cycles whose data were used
    new_cycles_logged: np.ndarray   # int (M,) cycles ended this week, fizzled ones included
    new_session_dose: np.ndarray    # (M,) this week's learning-session dose (1 in person, virtual less)
    abandoned_until: np.ndarray     # int (M,P) the team abandoned the practice: no spread before this week
    momentum: np.ndarray            # (M,) session momentum 0-1: what sessions give, fading between them
    peer_encouragement: np.ndarray  # (M,) 0-1: tied programmes recently shared a successful test
    derailed: np.ndarray            # bool (M,) improvement work stopped by a crisis
    n_derailments: np.ndarray       # int (M,) derailments so far
    director_left: np.ndarray       # bool (M,) the director left this week (set by turnover)
    in_collaborative: np.ndarray    # bool (M,) still taking part (False after dropping out)
    support_end: np.ndarray         # int (M,) last week the programme had collaborative or coaching support
    start_week: np.ndarray          # int (M,) week its cohort starts (0: the single collaborative; 10**9: never)
    n_applicants: int = 0

    @property
    def readiness(self) -> np.ndarray:
        """Composite readiness: mean of the five readiness dimensions and staffing stability (1 - turnover)."""
        return composite_readiness(self.commitment, self.efficacy, self.leadership, self.data_capacity,
                                   self.time_slack, self.turnover_annual)


@dataclass
class Staff:
    program: np.ndarray             # int (S,)
    role: np.ndarray                # int8 (S,)
    classroom: np.ndarray           # int (S,) global classroom index, -1 for non-classroom roles
    present: np.ndarray             # bool (S,) slot filled (False while vacant)
    vacant_until: np.ndarray        # int (S,) week the vacancy is filled
    hired_week: np.ndarray          # int (S,)
    skill: np.ndarray               # (S,) QI skill 0-1
    threshold: np.ndarray           # (S,) adoption threshold (share of contacts)
    on_team: np.ndarray             # bool (S,)
    coached_until: np.ndarray       # int (S,) last week of the current coaching spell (-1 none)
    team_seat: np.ndarray           # bool (S,) the post is a seat on the team (a newcomer may take it up)
    skill_base: np.ndarray          # (S,) the current holder's QI skill at entry (what it decays toward)
    reinforced_week: np.ndarray     # int (S,) last week the person attended a session or call or tested
    testing: np.ndarray             # bool (S,P) testing the practice in a running PDSA cycle
    eligible: np.ndarray            # bool (S,P) role can use the practice
    use: np.ndarray                 # bool (S,P) currently using
    fidelity: np.ndarray            # (S,P) 0-1 (0 when not using)
    unsupported: np.ndarray         # (S,P) the holder's personal unsupported fidelity level (Beta at entry)
    lasting: np.ndarray             # (S,P) lasting skill: the level fidelity settles at without feedback (>= unsupported)
    belief: np.ndarray              # (S,P) belief that the practice works 0-1


@dataclass
class Families:
    program: np.ndarray             # int (F,)
    classroom: np.ndarray           # int (F,)
    engagement: np.ndarray          # (F,) 0-1
    engagement_base: np.ndarray     # (F,) 0-1
    on_team: np.ndarray             # bool (F,)
    team_seat: np.ndarray           # bool (F,) the family's place is a seat on the team
    home_use: np.ndarray            # bool (F,P) only family-level columns are ever set


@dataclass
class CrossTies:
    """Cross-programme ties among team seats (formed at learning sessions, read by cross-learning).

    A sparse edge list over the staff slots that were on a team when teams formed (a few per
    programme): tie ``e`` joins seats ``a[e] < b[e]`` with weight ``w[e] > 0``. Memory and every
    operation are linear in the number of ties, which is bounded by the ties each attendee forms
    per event, so a state of thousands of programmes costs no more per tie than a cohort of eight.
    """

    slots: np.ndarray               # int (T,) staff slots that can attend sessions
    program: np.ndarray             # int (T,) their programme
    kind: np.ndarray                # int8 (T,) their programme's kind
    index_of: np.ndarray            # int (S,) tie index of each staff slot, -1 if none
    a: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # int (E,) lower seat of each tie
    b: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # int (E,) higher seat
    w: np.ndarray = field(default_factory=lambda: np.zeros(0))                  # (E,) tie weight
    n_formed: int = 0               # ties formed so far (a diagnostic)
    topology: int = 0               # bumped whenever ties are added or removed (the CSR structure is cached)
    _csr: tuple | None = None       # (topology, indptr, indices, edge of each entry)

    @classmethod
    def among(cls, staff: Staff, kind: np.ndarray) -> CrossTies:
        slots = np.flatnonzero(staff.team_seat)
        index_of = np.full(len(staff.role), -1)
        index_of[slots] = np.arange(len(slots))
        program = staff.program[slots]
        return cls(slots, program, kind[program], index_of)

    @property
    def n_seats(self) -> int:
        return len(self.slots)

    def drop(self, slots: np.ndarray) -> None:
        """Remove the ties of people who left (their slots keep no cross-programme contacts)."""
        idx = self.index_of[slots]
        idx = idx[idx >= 0]
        if not len(idx) or not len(self.a):
            return
        gone = np.zeros(self.n_seats, dtype=bool)
        gone[idx] = True
        self._keep(~(gone[self.a] | gone[self.b]))

    def _keep(self, mask: np.ndarray) -> None:
        if not mask.all():
            self.a, self.b, self.w = self.a[mask], self.b[mask], self.w[mask]
            self.topology += 1

    def strengthen(self, seats: np.ndarray, amount: float, group: np.ndarray | None = None) -> None:
        """Add ``amount`` to every tie whose two seats are both in ``seats`` (and, when ``group`` (T,)
        is given, in the same group: the same event)."""
        if not len(self.a) or not len(seats):
            return
        here = np.zeros(self.n_seats, dtype=bool)
        here[seats] = True
        both = here[self.a] & here[self.b]
        if group is not None:
            both &= group[self.a] == group[self.b]
        self.w[both] += amount

    def add(self, i: np.ndarray, j: np.ndarray) -> None:
        """Tie seats ``i`` and ``j`` pairwise at unit weight where they are not tied yet (assumption)."""
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        T = self.n_seats
        key = np.unique(lo * T + hi)
        key = key[~np.isin(key, self.a * T + self.b)]
        self.n_formed += len(key)
        self.topology += bool(len(key))
        self.a = np.r_[self.a, key // T]
        self.b = np.r_[self.b, key % T]
        self.w = np.r_[self.w, np.ones(len(key))]

    def decay(self, rate: float) -> None:
        self.w *= 1 - rate

    def _structure(self) -> tuple:
        """(topology, indptr, indices, edge of each entry) of the canonical CSR form, rebuilt when ties change."""
        if self._csr is None or self._csr[0] != self.topology:
            T, E = self.n_seats, len(self.a)
            rows, cols = np.concatenate([self.a, self.b]), np.concatenate([self.b, self.a])
            edge = np.concatenate([np.arange(E), np.arange(E)])
            # Row by row, columns ascending (canonical CSR): the keys are distinct, so one sort of
            # row * T + column gives the order a two-key lexsort gives.
            order = np.argsort(rows * T + cols, kind="stable")
            indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=T))])
            self._csr = (self.topology, indptr, cols[order], edge[order])
        return self._csr

    def matrix(self) -> sp.csr_array:
        """The symmetric (T, T) weight matrix in canonical CSR form (sorted indices)."""
        T = self.n_seats
        _, indptr, indices, edge = self._structure()
        return sp.csr_array((self.w[edge], indices, indptr), shape=(T, T))

    def product(self, x: np.ndarray) -> np.ndarray:
        """``self.matrix() @ x`` for float64 ``x`` (T, K), by the same CSR kernel, without building the matrix."""
        T = self.n_seats
        _, indptr, indices, edge = self._structure()
        return csr_product_parts(indptr, indices, self.w.take(edge), (T, T), x)

    def n_ties(self) -> int:
        return int((self.w > 0).sum())


@dataclass
class Population:
    programs: Programs
    staff: Staff
    families: Families
    ties: CrossTies                 # cross-programme ties among team seats
    classroom_program: np.ndarray   # int (C,)
    classroom_children: np.ndarray  # int (C,)
    staff_network: SpreadNetwork    # within-programme staff ties (weighted CSR, used by the spread kernel)
    staff_graph: nx.Graph           # the same ties as a networkx Graph (node attributes program, role, classroom)
    practice_level: np.ndarray      # int8 (P,) index into LEVELS
    count_staff: Counter | None = None     # counts of staff rows by programme
    count_rooms: Counter | None = None     # of classroom rows
    count_families: Counter | None = None  # of family rows

    @property
    def n_programs(self) -> int:
        return len(self.programs.kind)


def composite_readiness(commitment, efficacy, leadership, data_capacity, time_slack, turnover_annual):
    """Equal-weight mean of the readiness profile, staffing stability counted as 1 - turnover."""
    return (commitment + efficacy + leadership + data_capacity + time_slack + (1 - turnover_annual)) / 6


def _draw_readiness(p: Params, rng: np.random.Generator, kind: np.ndarray) -> dict[str, np.ndarray]:
    """The readiness profile of each applicant [weiner2009] and its turnover propensity."""
    r, tp, n = p.readiness, p.turnover, len(kind)
    fcc = kind == FAMILY_CHILD_CARE
    data_mean = np.clip(r.data_capacity_mean + r.head_start_data_shift * (kind == HEAD_START)
                        + r.family_child_care_data_shift * fcc, 0, 1)
    # Family child care homes have their own slack and turnover means (scalars when there are none,
    # so the draws of a cohort of centres are what they always were).
    slack_mean = np.clip(r.time_slack_mean + r.family_child_care_slack_shift * fcc, 0, 1) if fcc.any() else r.time_slack_mean
    turnover_mean = np.where(fcc, tp.family_child_care_rate_mean, tp.annual_rate_mean) if fcc.any() else tp.annual_rate_mean
    return {
        "commitment": beta_draw(rng, r.change_commitment_mean, r.concentration, n),
        "efficacy": beta_draw(rng, r.change_efficacy_mean, r.concentration, n),
        "leadership": beta_draw(rng, r.leadership_support_mean, r.concentration, n),
        "data_capacity": beta_draw(rng, data_mean, r.concentration, n),
        "time_slack": beta_draw(rng, slack_mean, r.concentration, n),
        "turnover_annual": beta_draw(rng, turnover_mean, tp.rate_concentration, n),
    }


def _select_cohort(p: Params, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    """Kinds and readiness of the selected programmes; selection keeps the Head Start share."""
    n = p.cohort.n_programs
    n_hs = int(round(n * p.cohort.frac_head_start))
    factor = p.cohort.applicant_pool_factor if p.cohort.selection == "readiness" else 1.0
    n_app_hs, n_app_cc = int(np.ceil(n_hs * factor)), int(np.ceil((n - n_hs) * factor))
    kind = np.r_[np.full(n_app_hs, HEAD_START), np.full(n_app_cc, CHILD_CARE)].astype(np.int8)
    ready = _draw_readiness(p, rng, kind)
    composite = composite_readiness(**ready)
    chosen = []
    for k, n_take in ((HEAD_START, n_hs), (CHILD_CARE, n - n_hs)):
        pool = np.flatnonzero(kind == k)
        order = np.argsort(-composite[pool], kind="stable") if p.cohort.selection == "readiness" else np.arange(len(pool))
        chosen.append(pool[order[:n_take]])
    idx = np.concatenate(chosen)
    return kind[idx], {k: v[idx] for k, v in ready.items()}, len(kind)


def _draw_state(p: Params, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    """Kinds and readiness of every programme of the state (Head Start sites, centres, then FCC homes)."""
    s = p.system
    n = s.n_programs
    n_hs, n_fcc = int(round(n * s.frac_head_start)), int(round(n * s.frac_family_child_care))
    n_cc = max(0, n - n_hs - n_fcc)
    kind = np.r_[np.full(n_hs, HEAD_START), np.full(n_cc, CHILD_CARE), np.full(n - n_hs - n_cc, FAMILY_CHILD_CARE)]
    kind = kind.astype(np.int8)
    return kind, _draw_readiness(p, rng, kind), n


def build_population(p: Params, rng: np.random.Generator) -> Population:
    """Create the programmes (the cohort, or the whole state), classrooms, staff, families, teams and staff network.

    A family child care home (issue 11) has one classroom and one post, its provider: a lead
    teacher who is also the home's leader, with no manager, family-services staff, assistant or
    within-programme ties.
    """
    kind, ready, n_applicants = _draw_state(p, rng) if p.system.enabled else _select_cohort(p, rng)
    M, P = len(kind), len(p.practices)
    pp, net = p.program, p.network
    fcc = kind == FAMILY_CHILD_CARE
    cls_mean = np.where(kind == HEAD_START, pp.classrooms_mean_head_start,
                        np.where(fcc, 1.0, pp.classrooms_mean_child_care))
    n_cls = 1 + rng.poisson(cls_mean - 1)  # at least one room, mean as given (form: assumption)
    has_manager = ((kind == HEAD_START) | (rng.random(M) < pp.p_education_manager_child_care)) & ~fcc
    n_fs = np.where(kind == HEAD_START, pp.n_family_services_head_start, np.where(fcc, 0, pp.n_family_services_child_care))

    roles, progs, rooms, fam_prog, fam_room = [], [], [], [], []
    cls_prog, cls_children = [], []
    graph = nx.Graph()
    s0 = c0 = 0
    for m in range(M):
        nc = int(n_cls[m])
        if fcc[m]:  # one provider in one room, no hierarchy and no ties within the home
            roles.append(LEAD_TEACHER)
            rooms.append(c0)
            progs.append(m)
            kids = pp.children_per_family_child_care
            cls_prog.append(m)
            cls_children.append(kids)
            fam_prog += [m] * kids
            fam_room += [c0] * kids
            graph.add_node(s0, program=m, role=ROLE_NAMES[LEAD_TEACHER], classroom=c0)
            s0 += 1
            c0 += 1
            continue
        # Slot layout of a programme: director, [manager], family services..., then lead/assistant per room.
        r = [DIRECTOR] + [EDUCATION_MANAGER] * int(has_manager[m]) + [FAMILY_SERVICES] * int(n_fs[m])
        n_lead_block = len(r)
        r += [LEAD_TEACHER, ASSISTANT_TEACHER] * nc
        room = [-1] * n_lead_block + list(np.repeat(np.arange(c0, c0 + nc), 2))
        roles += r
        rooms += room
        progs += [m] * len(r)
        kids = pp.children_per_classroom_head_start if kind[m] == HEAD_START else pp.children_per_classroom_child_care
        cls_prog += [m] * nc
        cls_children += [kids] * nc
        fam_prog += [m] * (kids * nc)
        fam_room += list(np.repeat(np.arange(c0, c0 + nc), kids))
        graph.add_nodes_from((s0 + i, {"program": m, "role": ROLE_NAMES[r[i]], "classroom": int(room[i])}) for i in range(len(r)))
        _add_program_ties(graph, net, rng, s0, n_lead_block, bool(has_manager[m]), nc)
        s0 += len(r)
        c0 += nc

    S, F = len(roles), len(fam_prog)
    role = np.asarray(roles, dtype=np.int8)
    program = np.asarray(progs, dtype=np.int64)
    W = nx.to_scipy_sparse_array(graph, nodelist=range(S), weight="weight", format="csr")

    level = np.array([LEVELS.index(pr.level) for pr in p.practices.values()], dtype=np.int8)
    eligible = np.zeros((S, P), dtype=bool)
    for k, lv in enumerate(level):
        eligible[:, k] = np.isin(role, ELIGIBLE_ROLES[LEVELS[lv]])

    st = p.staff
    threshold = np.clip(rng.normal(st.threshold_mean, st.threshold_sd, S), 0.0, 1.0)
    skill = beta_draw(rng, st.skill_mean, st.skill_concentration, S)
    use = eligible & (rng.random((S, P)) < st.initial_use_prob)
    # Each person's unsupported level on each practice; baseline users practise at it.
    unsupported = unsupported_levels(p, rng, (S, P))
    fidelity = np.where(use, unsupported, 0.0)
    staff = Staff(
        program=program, role=role, classroom=np.asarray(rooms, dtype=np.int64),
        present=np.ones(S, dtype=bool), vacant_until=np.zeros(S, dtype=np.int64),
        hired_week=np.zeros(S, dtype=np.int64), skill=skill, skill_base=skill.copy(),
        team_seat=np.zeros(S, dtype=bool), reinforced_week=np.full(S, -1, dtype=np.int64),
        threshold=threshold, on_team=np.zeros(S, dtype=bool), coached_until=np.full(S, -1, dtype=np.int64),
        testing=np.zeros((S, P), dtype=bool), eligible=eligible, use=use,
        fidelity=fidelity, unsupported=unsupported, lasting=unsupported.copy(), belief=beta_draw(rng, st.belief_prior_mean, st.belief_prior_concentration, (S, P)),
    )
    fp = p.families
    eng = beta_draw(rng, fp.engagement_mean, fp.engagement_concentration, F)
    families = Families(
        program=np.asarray(fam_prog, dtype=np.int64), classroom=np.asarray(fam_room, dtype=np.int64),
        engagement=eng.copy(), engagement_base=eng, on_team=np.zeros(F, dtype=bool), team_seat=np.zeros(F, dtype=bool),
        home_use=np.zeros((F, P), dtype=bool),
    )
    programs = Programs(
        kind=kind, n_classrooms=n_cls, **ready,
        culture=beta_draw(rng, p.culture.initial_mean, p.culture.concentration, M),
        endorsed=np.zeros((M, P), dtype=bool), embedded=np.zeros((M, P), dtype=bool),
        fit=np.zeros((M, P)), shared_result=np.zeros((M, P)), shared_week=np.full((M, P), -10**6),
        new_cycles_studied=np.zeros(M, dtype=np.int64), new_cycles_data_used=np.zeros(M, dtype=np.int64),
        new_cycles_logged=np.zeros(M, dtype=np.int64), new_session_dose=np.zeros(M),
        abandoned_until=np.zeros((M, P), dtype=np.int64), momentum=np.zeros(M), peer_encouragement=np.zeros(M),
        derailed=np.zeros(M, dtype=bool), n_derailments=np.zeros(M, dtype=np.int64),
        director_left=np.zeros(M, dtype=bool), in_collaborative=np.full(M, bool(p.collaborative.enabled)),
        support_end=np.full(M, -1, dtype=np.int64), start_week=np.zeros(M, dtype=np.int64), n_applicants=n_applicants,
    )
    pop = Population(
        programs=programs, staff=staff, families=families, ties=None,  # type: ignore[arg-type]
        classroom_program=np.asarray(cls_prog, dtype=np.int64),
        classroom_children=np.asarray(cls_children, dtype=np.int64),
        staff_network=SpreadNetwork(W), staff_graph=graph, practice_level=level,
    )
    pop.count_staff, pop.count_rooms, pop.count_families = (
        Counter(g, M) for g in (staff.program, pop.classroom_program, families.program))
    if p.team.enabled:
        form_teams(p, pop, rng)
    staff.team_seat[:] = staff.on_team
    families.team_seat[:] = families.on_team
    pop.ties = CrossTies.among(staff, kind)
    return pop


def _add_program_ties(graph: nx.Graph, net, rng: np.random.Generator, s0: int, n_lead_block: int,
                      has_manager: bool, n_rooms: int) -> None:
    """Within-programme ties: classroom cliques, the role hierarchy and coworkers.

    Posts are numbered from ``s0``: director, [education manager], family services, then a lead and
    an assistant teacher per classroom. Coworker ties are an Erdős–Rényi graph over the teaching
    staff (networkx, seeded from the model's generator), keeping only pairs in different rooms.
    """
    d = s0
    mgr = s0 + 1 if has_manager else None
    fs = range(s0 + 1 + int(has_manager), s0 + n_lead_block)
    leads = [s0 + n_lead_block + 2 * c for c in range(n_rooms)]
    assts = [x + 1 for x in leads]
    teach = leads + assts
    graph.add_edges_from(zip(leads, assts), weight=net.w_classroom)
    if mgr is not None:
        graph.add_edge(d, mgr, weight=net.w_leader_manager)
        graph.add_edges_from(((mgr, t) for t in teach), weight=net.w_manager_teacher)
    graph.add_edges_from(((d, t) for t in teach), weight=net.w_director_teacher)
    for f in fs:
        graph.add_edges_from(((f, x) for x in [d, *leads]), weight=net.w_family_services)
    coworkers = nx.gnp_random_graph(len(teach), net.p_coworker, seed=int(rng.integers(2**32)))
    room_of = list(range(n_rooms)) * 2
    graph.add_edges_from(((teach[a], teach[b]) for a, b in coworkers.edges if room_of[a] != room_of[b]),
                         weight=net.w_coworker)


def form_teams(p: Params, pop: Population, rng: np.random.Generator) -> None:
    """Pick each programme's team by role counts; the family comes from a team teacher's classroom."""
    t, staff, fam = p.team, pop.staff, pop.families
    wanted = {DIRECTOR: t.n_director, EDUCATION_MANAGER: t.n_education_manager, LEAD_TEACHER: t.n_lead_teacher,
              ASSISTANT_TEACHER: t.n_assistant_teacher, FAMILY_SERVICES: t.n_family_services}
    # Random priority per slot; within a programme and role take the n best (vectorised over programmes).
    priority = rng.random(len(staff.role))
    order = np.lexsort((priority, staff.role, staff.program))
    prog_role = staff.program[order] * 8 + staff.role[order]
    first = np.r_[0, np.flatnonzero(np.diff(prog_role)) + 1]
    rank = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
    cap = np.array([wanted[r] for r in range(len(ROLE_NAMES))])
    staff.on_team[order[rank < cap[staff.role[order]]]] = True
    if t.n_family > 0:
        team_rooms = np.zeros(len(pop.classroom_program), dtype=bool)
        team_rooms[staff.classroom[staff.on_team & (staff.classroom >= 0)]] = True
        # Prefer families from team teachers' rooms, then any family of the programme.
        fpriority = rng.random(len(fam.program)) + np.where(team_rooms[fam.classroom], 0.0, 1.0)
        forder = np.lexsort((fpriority, fam.program))
        starts = np.searchsorted(fam.program[forder], np.arange(pop.n_programs))
        frank = np.arange(len(forder)) - starts[fam.program[forder]]
        fam.on_team[forder[frank < t.n_family]] = True


def family_on_team(pop: Population) -> np.ndarray:
    """(M,) a family member sits on the programme's team this week (families' seats are never vacant)."""
    fam = pop.families
    out = np.zeros(pop.n_programs, dtype=bool)
    out[fam.program.take(fam.on_team.nonzero()[0])] = True
    return out


def local_fit(p: Params, pop: Population) -> np.ndarray:
    """(M,P) how well each practice fits each programme, on the logit scale (ODD 7.8, 7.10).

    The fit a team earned by adapting a practice or took from peers (capped at ``pdsa.max_fit``:
    adaptation cannot turn an ineffective practice into an effective one), plus the fit that a
    family member on the team brings to family-facing and, less, classroom practices.
    """
    fp = p.families
    cached = getattr(pop, "_family_gain", None)
    if cached is None or cached[0] != (fp.team_fit_family, fp.team_fit_classroom):
        cached = _family_gain(p, pop)
    return np.minimum(pop.programs.fit, p.pdsa.max_fit) + cached[1][family_on_team(pop).view(np.int8)]


def _family_gain(p: Params, pop: Population) -> tuple:
    """(key, (2, P) the fit a family on the team adds: row 0 without one (False x gain), row 1 with
    one), kept on ``pop`` for the key's parameters."""
    fp = p.families
    key = (fp.team_fit_family, fp.team_fit_classroom)
    cached = getattr(pop, "_family_gain", None)
    if cached is None or cached[0] != key:
        level = pop.practice_level
        gain = np.where(level == LEVELS.index("family"), fp.team_fit_family,
                        np.where(level == LEVELS.index("classroom"), fp.team_fit_classroom, 0.0))
        cached = key, np.stack([False * gain, True * gain])
        pop._family_gain = cached
    return cached


def local_fit_at(p: Params, pop: Population, prog: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``local_fit(p, pop)[prog, k]``, computed at those entries only (the same floats)."""
    P = pop.programs.fit.shape[1]
    fit = np.minimum(pop.programs.fit.reshape(-1).take(prog * P + k), p.pdsa.max_fit)
    gain = _family_gain(p, pop)[1].reshape(-1)
    return fit + gain.take(family_on_team(pop).take(prog).astype(np.intp) * P + k)


def supported(model) -> np.ndarray:
    """(M,) the programme has the collaborative's supports this week: its cohort's supports are
    active (the collaborative or its follow-up support) and the programme has not left (ODD 3, "Supports")."""
    w, sch = model.week, model.schedule
    cached = model.__dict__.get("_program_supported")   # a schedule never changes: once per week
    if cached is None or cached[0] != w or cached[1] is not sch:
        cached = w, sch, sch.program_supported(w)
        model._program_supported = cached
    return cached[2] & model.pop.programs.in_collaborative
