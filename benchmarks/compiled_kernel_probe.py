"""Would a compiled weekly kernel make the default run fast enough? A probe for issue 19's decision.

    uv run --locked --with numba==0.68.1 python benchmarks/compiled_kernel_probe.py
    uv run --locked --with numba==0.68.1 python benchmarks/compiled_kernel_probe.py --out benchmarks/compiled_kernel_probe.md

numba is *not* a dependency of bsc_sim: ``--with`` adds it for this script only (the lock is
untouched). The default design's week is about 300 numpy calls of about a microsecond each on
arrays of a few hundred entries (80 staff x 5 practices, 8 programmes), so its time is call
overhead, not arithmetic. This probe asks what compiled loops would buy, on the two heaviest
phases, for the default design's path only (each ``setup`` refuses other paths):

* ``SustainmentKernel`` (ODD 7.12): a copy of ``bsc_sim.model.sustainment.Sustainment`` whose
  weekly step (the dense path a cohort takes, one home practice) is two ``numba.njit`` loops over
  the entries in use, with numpy between them for the lapse hazard's ``exp``;
* ``SpreadKernel`` (ODD 7.9): ``bsc_sim.model.spread.WithinProgramSpread`` whose weekly step
  (contagion over the staff network, then families' home practice) is one loop.

The kernels follow the model's operations one by one in the same order. The random draws stay in
numpy, into the phases' own buffers. Every ``exp`` stays in numpy too (the table of how well each
practice works in each programme, each programme's withdrawal multiplier, the lapse hazards): on
a CPU with AVX-512, numpy's vectorised ``exp`` and the C library's, which compiled code calls,
differ in the last bit for about 5% of inputs.

* **identity**: the default design (and ``design=coach``) run week by week with the model's
  components and with both kernels swapped in; every array of the final state (staff, programmes,
  families) must be equal bit for bit, with the same dtype.
* **time**: every phase's seconds (``BSCModel(time_phases=True)``) and a run's weeks, for the model
  as it is, with sustainment compiled, and with both, in alternating rounds in this one process,
  after a warm-up; and a *projection* (labelled as such): the weeks if the seven other phases fell
  to the two kernels' mean ratio. With ``run_sim``'s time outside its weeks, and this checkout's
  ratio to 96ae942 from ``against_revision.py`` (``--now-vs-96ae942``, an input), two rows of
  arithmetic: ``run_sim`` with the projection against 96ae942, and the ratio the other phases would
  need for issue 19's 0.35x.
* **start-up** (fresh processes, after ``import numpy, pandas``, which every run pays anyway): CPU
  seconds of ``import numba``; of the first week with both kernels compiled then (an empty
  ``NUMBA_CACHE_DIR``), and again loaded from that cache; and the size of numba and llvmlite as
  installed.

Nothing here asserts a time; ``--out FILE`` writes the rows as Markdown (benchmarks/compiled_kernel_probe.md,
which benchmarks/README.md quotes; tests/unit/test_benchmark_figures.py checks that they agree), with
the last commit of src/ and the load average in its header. The kernels are a probe, not a second implementation of
the model: nothing in ``src/`` uses them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

try:
    import numba
except ImportError:
    print("numba=missing: run with `uv run --locked --with numba==0.68.1 python benchmarks/compiled_kernel_probe.py`",
          file=sys.stderr)
    sys.exit(2)

import numpy as np

from bsc_sim import load_params, run_sim
from bsc_sim.model import BSCModel
from bsc_sim.model.population import (
    SPARSE_ENTRIES,
    _family_gain,
    family_on_team,
    flat_view,
    supported,
)
from bsc_sim.model.spread import LARGE, WithinProgramSpread
from bsc_sim.model.sustainment import Sustainment

CACHE = os.environ.get("PROBE_CACHE") == "1"
TARGET = 0.35   # issue 19: the default run at <= 0.35x of 96ae942 (before its speed work)


@numba.njit(cache=CACHE)
def sustain_week(w, P, use, fidelity, lasting, unsupported, belief, testing,                  # (S*P,) flat
                 coached_until, on_team, present, skill, program, leader, teaching, has_room, room,  # (S,)
                 endorsed, embedded, works, leadership, culture, supported, derailed,     # (M*P,) flat and (M,)
                 links_ptr, links_idx, links_data, family_room, family_home, room_children,
                 growth_rate, program_col, mark,
                 support_factor, thr, culture_fb, supervision_fb, peer_fb, drift, internalise, decay, experience_rate,
                 w_culture, w_leadership, w_routine, w_belief, w_home):
    """Feedback, fidelity, lasting skill and beliefs; returns the entries in use, their programmes and
    their log lapse hazards (the hazard's ``exp`` is numpy's, between this kernel and the next)."""
    S = len(program)
    M = len(leadership)
    # Supports carry on after they end only as far as the culture carries them; a crisis blunts them.
    carry = np.empty(M)
    for m in range(M):
        carry[m] = (1.0 if supported[m] else culture[m]) * (support_factor if derailed[m] else 1.0)
    # The share of each classroom's families using the home practice (whole-number counts: exact).
    room_share = np.zeros(len(room_children))
    for i in range(len(family_room)):
        if family_home[i]:
            room_share[family_room[i]] += 1.0
    for c in range(len(room_children)):
        room_share[c] = room_share[c] / room_children[c]
    n_use = 0
    for e in range(S * P):
        n_use += use[e]
    # The entries in use, in flat order: index, person, practice, programme, programme x practice.
    flat = np.empty(n_use, dtype=np.int64)
    rows, cols, progs, pks = np.empty_like(flat), np.empty_like(flat), np.empty_like(flat), np.empty_like(flat)
    j = 0
    for e in range(S * P):
        if use[e]:
            flat[j] = e
            rows[j] = e // P
            cols[j] = e - rows[j] * P
            progs[j] = program[rows[j]]
            pks[j] = progs[j] * P + cols[j]
            j += 1
    # Coaches (users at fidelity on the team or coached) and supervising leaders, before the update.
    supervising = np.zeros(M, dtype=np.bool_)
    for t in range(n_use):
        e, r, k = flat[t], rows[t], cols[t]
        if fidelity[e] >= thr and present[r]:
            if on_team[r] or coached_until[r] >= 0:
                mark[e] = True
            if program_col[k] and leader[r]:
                supervising[program[r]] = True
    new_f = np.empty(n_use)
    for t in range(n_use):
        e, r, k, pg, pk = flat[t], rows[t], cols[t], progs[t], pks[t]
        c = carry[pg]
        # A contact coaches the person: the row of the link product is > 0 (a flag: exact).
        s = 0.0
        for q in range(links_ptr[r], links_ptr[r + 1]):
            if mark[links_idx[q] * P + k]:
                s += links_data[q]
        fb = endorsed[pk] * (leadership[pg] * c)
        fb = max(fb, c * on_team[r])
        fb = max(fb, culture_fb * culture[pg])
        fb = max(fb, supervision_fb * (supervising[pg] * c) * (not leader[r]))
        fb = max(fb, peer_fb * (s > 0) * c)
        fb = max(fb, 1.0 if testing[e] or coached_until[r] >= w else 0.0)
        L, f = lasting[e], fidelity[e]
        gap = (L + (1.0 - L) * fb) - f
        growth = growth_rate[k] * (0.5 + skill[r])
        new_f[t] = f + (min(growth, 1.0) if gap > 0 else drift) * gap
    for t in range(n_use):
        mark[flat[t]] = False
        fidelity[flat[t]] = new_f[t]
    for e in range(S * P):
        L = lasting[e]
        lasting[e] = L + (internalise * max(fidelity[e] - L, 0.0) - decay * (L - unsupported[e]))
    log_h = np.empty(n_use)
    for t in range(n_use):
        e, r, pg, pk = flat[t], rows[t], progs[t], pks[t]
        b = belief[e]
        b = b + experience_rate * (works[pk] - b)
        belief[e] = b
        x = (((-w_culture) * culture[pg] - w_leadership * leadership[pg]) - w_routine * embedded[pk]
             + w_belief * max(0.0, 0.5 - b))
        log_h[t] = x - (w_home * (room_share[room[r]] if has_room[r] else 0.0)) * teaching[r]
    return flat, progs, log_h


@numba.njit(cache=CACHE)
def lapse_week(P, flat, hazard, u, use, fidelity, testing, eligible, present, program, embedded, thr, embed_threshold):
    """Users lapse (testers keep the practice), then each programme's practices are embedded or not."""
    S, M = len(program), len(embedded) // P
    for t in range(len(flat)):
        e = flat[t]
        if not (u[e] >= hazard[t] or testing[e]):
            use[e] = False
            fidelity[e] = 0.0
    n_elig = np.zeros(M * P)
    n_fid = np.zeros(M * P)
    for r in range(S):
        if present[r]:
            for k in range(P):
                e = r * P + k
                if eligible[e]:
                    n_elig[program[r] * P + k] += 1
                    if use[e] and fidelity[e] >= thr:
                        n_fid[program[r] * P + k] += 1
    for i in range(M * P):
        embedded[i] = n_elig[i] > 0 and n_fid[i] >= embed_threshold * n_elig[i]


@numba.njit(cache=CACHE)
def spread_week(indptr, indices, data, use, present, eligible, abandoned_until, week, program, threshold,
                 belief, static_shift, endorsed, leadership, fit, max_fit, gain, fam_program, fam_on_team,
                 culture, w_endorsement, w_fit, w_culture, w_belief, p_spont, q_imit, p_thr, min_sources,
                 draws, fidelity, start_fidelity,
                 teach_rows, teach_room, C, c, fam_room, engagement_base, engagement, home_use,
                 boost_promoted, boost_team, rate, p_uptake, home_lapse, fam_draws):
    S, P = use.shape
    M = leadership.shape[0]
    fot = np.zeros(M, dtype=np.bool_)
    for f in range(fam_program.shape[0]):
        if fam_on_team[f]:
            fot[fam_program[f]] = True
    strength = np.empty(S)
    weighted = np.empty((S, P))
    count = np.empty((S, P))
    for i in range(S):
        acc = 0.0
        for k in range(P):
            weighted[i, k] = 0.0
            count[i, k] = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            a = data[jj]
            aj = 1.0 if present[j] else 0.0
            acc += a * aj
            for k in range(P):
                xk = 1.0 if (use[j, k] and present[j]) else 0.0
                weighted[i, k] += a * xk
                count[i, k] += 1.0 * xk
        strength[i] = acc
    # Unexposed entries: share 0 and no source, so the threshold term cannot fire.
    stay0 = (1.0 - p_spont) * (1.0 - q_imit * 0.0) * (1.0 - p_thr * 0.0)
    unexposed = 1.0 - stay0
    new = np.zeros((S, P), dtype=np.bool_)
    for i in range(S):
        m = program[i]
        for k in range(P):
            u = draws[i, k]
            can = (not use[i, k]) and eligible[i, k] and (not (abandoned_until[m, k] > week)) and present[i]
            if not can:
                continue
            if count[i, k] > 0:
                denom = strength[i]
                share = weighted[i, k] / denom if denom > 0 else 0.0
                endorse = ((1.0 if endorsed[m, k] else 0.0) * leadership[m]) * w_endorsement
                fk = fit[m, k]
                lf = (min(fk, max_fit)) + gain[1 if fot[m] else 0, k]
                fitt = w_fit * lf
                cult = w_culture * (culture[m] - 0.5)
                shift = w_belief * (belief[i, k] - 0.5)
                shift += endorse
                shift += cult
                shift += fitt
                shift += static_shift[i, k]
                th = threshold[i] - shift
                th = max(th, 0.0)
                th = min(th, 1.0)
                trig = (share >= th) and (count[i, k] >= min_sources)
                stay = (1.0 - p_spont) * (1.0 - q_imit * share) * (1.0 - p_thr * (1.0 if trig else 0.0))
                new[i, k] = u < 1.0 - stay
            else:
                new[i, k] = u < unexposed
    for i in range(S):
        for k in range(P):
            if new[i, k]:
                use[i, k] = True
                fidelity[i, k] = start_fidelity
    # ---- families (after use is updated)
    n0 = np.zeros(C, dtype=np.int64)
    n1 = np.zeros(C, dtype=np.int64)
    for r in range(teach_rows.shape[0]):
        row = teach_rows[r]
        if present[row]:
            n0[teach_room[r]] += 1
            if use[row, c]:
                n1[teach_room[r]] += 1
    promote = np.empty(C)
    for q in range(C):
        d = max(n0[q], 1)
        promote[q] = np.float64(n1[q]) / np.float64(d)
    team_room = np.zeros(C, dtype=np.bool_)
    F = fam_room.shape[0]
    for f in range(F):
        if fam_on_team[f]:
            team_room[fam_room[f]] = True
    for f in range(F):
        q = fam_room[f]
        target = engagement_base[f] + boost_promoted * (1.0 if promote[q] > 0 else 0.0)
        target += boost_team * (1.0 if team_room[q] else 0.0)
        target = max(target, 0.0)
        target = min(target, 1.0)
        target -= engagement[f]
        target *= rate
        e = engagement[f] + target
        engagement[f] = e
        u = fam_draws[f, 0]
        home = home_use[f, c]
        chance = p_uptake * e
        chance *= promote[q]
        take = (u < chance) and not home
        drop = home and (u < home_lapse)
        home_use[f, c] = (home and not drop) or take


class SpreadKernel(WithinProgramSpread):
    """The within-programme spread phase (contagion, then families' home practice) as one kernel (a probe).

    It covers the default design's path only: scalar rates with ``min_sources >= 1``, a small
    population (programme terms for every pair), one home practice and fewer than ``LARGE`` families,
    link weights all positive (so a contact's count is its link's 1.0); :meth:`setup` refuses others.
    """

    def setup(self, model) -> None:
        super().setup(model)
        pop, s = model.pop, model.params.spread
        if not (pop.programs.fit.size < SPARSE_ENTRIES and len(self.family_cols) == 1
                and len(pop.families.program) < LARGE and s.min_sources >= 1
                and (pop.staff_network.weights.data > 0).all()):
            raise ValueError("the probe covers the default design's path only")

    def step(self, model) -> None:
        p = model.params
        s, fp, pop = p.spread, p.families, model.pop
        st, pr, fam = pop.staff, pop.programs, pop.families
        W = pop.staff_network.weights
        draws = self.rng.random(out=self._draws)
        fam_draws = self.family_rng.random(out=self._family_draws)
        spread_week(W.indptr, W.indices, W.data, st.use, st.present, st.eligible, pr.abandoned_until, model.week,
                    st.program, st.threshold, st.belief, self.static_shift, pr.endorsed, pr.leadership, pr.fit,
                    p.pdsa.max_fit, _family_gain(p, pop)[1], fam.program, fam.on_team, pr.culture,
                    s.w_endorsement, s.w_fit, s.w_culture, s.w_belief, s.p_spontaneous, s.q_imitation,
                    s.p_threshold, s.min_sources, draws, st.fidelity, p.sustain.start_fidelity,
                    self.teach_rows, self.teach_room, len(pop.classroom_program), self.family_cols[0], self.fam_room,
                    fam.engagement_base, fam.engagement, fam.home_use, fp.boost_promoted, fp.boost_team_family,
                    fp.engagement_rate, fp.p_uptake, fp.home_lapse, fam_draws)


class SustainmentKernel(Sustainment):
    """The sustainment phase with its dense weekly step compiled (a probe)."""

    def setup(self, model) -> None:
        super().setup(model)
        if self._sparse or self._family_col < 0:
            raise ValueError("the probe covers a cohort's dense path with one home practice only")
        links = model.pop.staff_network.links
        self._links = links.indptr.astype(np.int64), links.indices.astype(np.int64), links.data.astype(np.float64)
        self._mark = np.zeros(model.pop.staff.use.size, dtype=np.bool_)
        self._program_col = np.asarray(self.program_practice, dtype=np.bool_)

    def step(self, model) -> None:
        p, pop = model.params, model.pop
        st, pr, fam, s = pop.staff, pop.programs, pop.families, p.sustain
        u = self.rng.random(out=self._draws)      # the same draws, in numpy, as the model takes them
        since_end = np.maximum(0, model.week - pr.support_end)
        withdrawal = 1.0 + (s.support_withdrawal - 1.0) * (1.0 - np.exp(-since_end / s.withdrawal_weeks))
        fit = np.minimum(pr.fit, p.pdsa.max_fit) + _family_gain(p, pop)[1][family_on_team(pop).view(np.int8)]
        works = 1.0 / (1.0 + np.exp(-(self.base_logit + fit)))
        flat = flat_view     # a flat view, never a copy (it refuses an array that is not contiguous)
        use, fidelity, testing, embedded = flat(st.use), flat(st.fidelity), flat(st.testing), flat(pr.embedded)
        entries, programs, log_h = sustain_week(
            model.week, self.P, use, fidelity, flat(st.lasting), flat(st.unsupported), flat(st.belief), testing,
            st.coached_until, st.on_team, st.present, st.skill, st.program, self.leader, self.teaching,
            self.has_room, self.room, flat(pr.endorsed), embedded, flat(works), pr.leadership, pr.culture,
            supported(model), pr.derailed, *self._links, fam.classroom, fam.home_use[:, self._family_col],
            self.room_children, self.growth_rate, self._program_col, self._mark,
            p.disruption.support_factor, s.fidelity_threshold, s.culture_feedback, s.supervision_feedback,
            s.peer_coaching_feedback, s.drift_rate, s.internalise_rate, self.decay, s.experience_rate, s.w_culture,
            s.w_leadership, s.w_routine, s.w_belief, s.w_home_continuity)
        hazard = s.lapse_weekly * np.exp(log_h) * withdrawal.take(programs)     # numpy's exp, as the model's
        lapse_week(self.P, entries, hazard, flat(u), use, fidelity, testing, flat(st.eligible), st.present,
                   st.program, embedded, s.fidelity_threshold, s.embed_threshold)


# The versions timed: the model as it is, with sustainment compiled, and with spread compiled too.
VERSIONS = {"numpy": (), "sustainment": ("sustainment",), "sustainment+spread": ("sustainment", "spread")}
KERNELS = {"sustainment": SustainmentKernel, "spread": SpreadKernel}


def build(params, seed: int, compiled=("sustainment", "spread")) -> BSCModel:
    model = BSCModel(params, seed=seed, create_agents=False, time_phases=True)
    for name in compiled:
        component = KERNELS[name]()
        component.setup(model)      # setup draws nothing: the streams are as the model left them
        model.components[name] = component
    return model


def state_arrays(model: BSCModel) -> dict[str, np.ndarray]:
    return {f"{part}.{name}": value for part in ("staff", "programs", "families")
            for name, value in vars(getattr(model.pop, part)).items() if isinstance(value, np.ndarray)}


def identity(cases) -> list[str]:
    """Both kernels swapped in against the model as it is: every final state array, bit for bit."""
    rows = []
    for overrides, seeds in cases:
        params = load_params(overrides)
        differ = {}
        for seed in seeds:
            sa, sb = state_arrays(build(params, seed, ()).run()), state_arrays(build(params, seed).run())
            assert sa.keys() == sb.keys()
            bad = [k for k in sa if not (sa[k].dtype == sb[k].dtype and np.array_equal(sa[k], sb[k]))]
            if bad:
                differ[seed] = bad
        label = " ".join(overrides) or "default design"
        verdict = "identical" if not differ else "differ: " + "; ".join(f"seed {s}: {', '.join(v)}" for s, v in differ.items())
        print(f"identity, {label}, seeds {seeds[0]}-{seeds[-1]}: {verdict}", flush=True)
        rows.append(f"| identity | {label}, seeds {seeds[0]}-{seeds[-1]}: every final state array, both kernels | {verdict} |")
    return rows


def timing(rounds: int, seeds: int, now_vs_before: float) -> list[str]:
    """Each phase's time per week and a run's weeks, the three versions in turn, after a warm-up."""
    params = load_params([])
    for compiled in VERSIONS.values():
        build(params, 10_000, compiled).run()        # warm-up (and the compilation), not counted
    phase = {v: {name: [] for name in BSCModel.PHASES} for v in VERSIONS}
    weeks = {v: [] for v in VERSIONS}
    for _ in range(rounds):
        for version, compiled in VERSIONS.items():
            for seed in range(seeds):
                model = build(params, seed, compiled)
                t0 = time.perf_counter()
                model.run()
                weeks[version].append(time.perf_counter() - t0)
                n_weeks = model.week
                for name in BSCModel.PHASES:
                    phase[version][name].append(model.phase_seconds[name] / model.week)
    med = statistics.median
    rows = []
    for name in KERNELS:
        before, after = med(phase["numpy"][name]), med(phase["sustainment+spread"][name])
        print(f"{name} per week: numpy {before * 1e6:.0f} us, kernel {after * 1e6:.0f} us ({after / before:.2f}x)")
        rows.append(f"| time | {name} phase, µs per week (numpy → kernel) | {before * 1e6:.0f} → {after * 1e6:.0f} "
                    f"({after / before:.2f}×) |")
    others = {name: med(phase["numpy"][name]) for name in BSCModel.PHASES if name not in KERNELS}
    listing = ", ".join(f"{name} {t * 1e6:.0f}" for name, t in others.items())
    print(f"the other phases, numpy, us per week: {listing}")
    rows.append(f"| time | the other phases, numpy, µs per week | {listing} |")
    base = med(weeks["numpy"])
    for version in ("sustainment", "sustainment+spread"):
        t = med(weeks[version])
        print(f"a run's weeks: numpy {base * 1e3:.1f} ms, {version} compiled {t * 1e3:.1f} ms ({t / base:.2f}x)", flush=True)
        rows.append(f"| time | default design, a run's weeks, ms (numpy → {version} compiled) | {base * 1e3:.1f} → "
                    f"{t * 1e3:.1f} ({t / base:.2f}×) |")
    # Not a measurement: the weeks if each other phase fell to the two kernels' mean ratio.
    ratio = statistics.mean(med(phase["sustainment+spread"][n]) / med(phase["numpy"][n]) for n in KERNELS)
    projected = med(weeks["sustainment+spread"]) - (1 - ratio) * sum(others.values()) * n_weeks
    print(f"projection (not measured): every phase at {ratio:.2f}x -> weeks {projected * 1e3:.1f} ms "
          f"({projected / base:.2f}x)", flush=True)
    rows.append(f"| projection, not measured | a run's weeks if the other seven phases fell to the kernels' mean "
                f"ratio ({ratio:.2f}×) | {base * 1e3:.1f} → {projected * 1e3:.1f} ({projected / base:.2f}×) |")
    # What run_sim spends outside its weeks (building the model, the result tables), numpy version.
    outside = []
    for seed in range(seeds):
        t0 = time.perf_counter()
        result = run_sim(params, seed)
        outside.append(time.perf_counter() - t0 - result.meta["seconds_run"])
    outside_s = med(outside)
    rows.append(f"| time | `run_sim` outside its weeks (building the model, the tables), ms | {outside_s * 1e3:.1f} |")
    # Arithmetic against issue 19's target, from this checkout's ratio to 96ae942 measured by
    # against_revision.py (an input, not measured here).
    before = (base + outside_s) / now_vs_before
    target_weeks = TARGET * before - outside_s
    others_total = sum(others.values()) * n_weeks
    fixed = med(weeks["sustainment+spread"]) - others_total
    needed = (target_weeks - fixed) / others_total
    with_projection = (projected + outside_s) / before
    print(f"arithmetic (given {now_vs_before:.2f}x now): run_sim with the projection {with_projection:.2f}x of "
          f"96ae942; the other phases would need {needed:.2f}x for {TARGET}x", flush=True)
    given = f"| arithmetic, given `run_sim` at {now_vs_before:.2f}× of 96ae942 now |"
    rows.append(f"{given} `run_sim` with the projection, × 96ae942 | {with_projection:.2f}× |")
    rows.append(f"{given} the other seven phases' ratio that would just reach ≤ {TARGET}× of 96ae942 | {needed:.2f}× |")
    return rows


FIRST_WEEK = r"""
import sys, time
import numpy, pandas          # what every run imports anyway: not counted
c0 = time.process_time()
import numba
c1 = time.process_time()
sys.path.insert(0, sys.argv[1])
import compiled_kernel_probe as probe
from bsc_sim import load_params
model = probe.build(load_params([]), 1)
c2 = time.process_time()
model.step()
print(c1 - c0, time.process_time() - c2)
"""


def installed_mb() -> float:
    """Megabytes of numba and llvmlite as installed (their package folders)."""
    import llvmlite
    total = 0
    for package in (numba, llvmlite):
        for path in Path(package.__file__).parent.rglob("*"):
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def start_up(reps: int) -> list[str]:
    """``import numba`` and the first week with both kernels: compiled, then loaded from the cache."""
    here = str(Path(__file__).resolve().parent)
    imports, compiles, loads = [], [], []
    # ``uv run --with`` leaves numba without bytecode (and PYTHONDONTWRITEBYTECODE may be set): compile
    # the standard library and the packages on the path once into a private prefix (a prefix is read
    # for every module), as ``make setup`` compiles the environment.
    prefix = tempfile.mkdtemp(prefix="probe-pycache-")
    dirs = [d for d in sys.path if d.endswith("site-packages")] + [sysconfig.get_paths()["stdlib"], str(ROOT / "src")]
    subprocess.run([sys.executable, "-X", f"pycache_prefix={prefix}", "-m", "compileall", "-q", *dirs],
                   capture_output=True, check=False)   # a file that does not compile is only slower
    for _ in range(reps):
        with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PROBE_CACHE": "1", "PYTHONPYCACHEPREFIX": prefix,
                   "PYTHONDONTWRITEBYTECODE": "1"}
            for out in (compiles, loads):
                done = subprocess.run([sys.executable, "-c", FIRST_WEEK, here], env=env, capture_output=True,
                                      text=True, check=True)
                imp, first = map(float, done.stdout.split())
                imports.append(imp)
                out.append(first)
    shutil.rmtree(prefix, ignore_errors=True)
    med = statistics.median
    size = installed_mb()
    print(f"import numba {med(imports):.2f} CPU-s; first week compiling {med(compiles):.2f} CPU-s, "
          f"from the cache {med(loads):.2f} CPU-s; numba + llvmlite installed {size:.0f} MB", flush=True)
    return [f"| start-up | `import numba` after numpy and pandas, CPU-s (fresh process) | {med(imports):.2f} |",
            f"| start-up | the first week, compiling both kernels, CPU-s | {med(compiles):.2f} |",
            f"| start-up | the first week, both kernels loaded from numba's cache, CPU-s | {med(loads):.2f} |",
            f"| size | numba + llvmlite as installed, MB | {size:.0f} |"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=6, help="runs per version per round")
    ap.add_argument("--reps", type=int, default=3, help="fresh-process repetitions for start-up")
    ap.add_argument("--now-vs-96ae942", type=float, default=0.72,
                    help="this checkout's run_sim time over 96ae942's, from against_revision.py "
                         "(0.72-0.73 at e044068, the model's last speed change; benchmarks/README.md)")
    ap.add_argument("--out", help="also write the rows as Markdown to this file")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"numba {numba.__version__}, numpy {np.__version__}; load average {load:.1f}", flush=True)
    rows = identity([([], list(range(5))), (["design=coach"], [0, 1])])
    rows += timing(args.rounds, args.seeds, args.now_vs_96ae942)
    rows += start_up(args.reps)
    if args.out:
        # The model's source as committed last (the probe compares against it), and whether it was edited since.
        git = ["git", "-C", str(ROOT)]
        commit = subprocess.run([*git, "log", "-1", "--format=%h", "--", "src"], capture_output=True, text=True,
                                check=False).stdout.strip() or "unknown"
        if subprocess.run([*git, "diff", "--quiet", "HEAD", "--", "src"], check=False).returncode:
            commit += " with uncommitted edits"
        head = (f"<!-- generated by benchmarks/compiled_kernel_probe.py; src/ at {commit} (numba {numba.__version__}, "
                f"numpy {np.__version__}, load average {load:.1f}) -->\n| what | case | result |\n|---|---|---|\n")
        Path(args.out).write_text(head + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
