"""The memory guard: estimate a run's peak memory from its parameters, before anything is allocated.

A run's memory grows with these sizes, all known from the parameters alone:

* people: staff posts S and families F, each with per-practice state arrays, plus the within-
  programme staff network (a networkx graph, a few hundred bytes per tie);
* team seats T: cross-programme ties are a sparse edge list whose size is bounded by the ties each
  attendee forms per event (a few per session), with the weekly CSR product and its right-hand
  side: a few KiB per seat at most, linear in T (until issue 11 a dense T x T matrix, 36 GiB at
  10,000 programmes);
* weeks x programmes x practices: the recorder's counts, kept in int16 (issue 19);
* weeks x programmes: the recorder's per-programme weekly series (float64 culture, momentum and
  engagement, a few flags and counts);
* the result tables built from them: an experiment's worker builds the week x programme table
  whole (for its cohort curves); ``bsc-sim run`` of a state streams both weekly tables to Parquet
  in row groups (``bsc_sim.results.ROWS_PER_GROUP`` rows; ``streamed=True``), and of a single
  collaborative builds both whole (for its figure).

The coefficients come from ``benchmarks/memory_per_run.py`` (``tracemalloc`` peaks of single
collaboratives) and ``benchmarks/state_memory.py`` (peak resident size of whole statewide runs,
2,000 to 30,000 programmes): each is rounded up and the total multiplied by a small safety
factor, so the estimate stays above every measured peak and, for a state, within 1.5 times of it
(see the tables in benchmarks/README.md). Sizes that are random in the model (classrooms per
programme) are taken at their mean plus four standard deviations.

The limit defaults to the memory available now (``MemAvailable`` on Linux, physical memory on
other systems); ``memory_limit=`` sets it (``8GiB``, ``500MB``, a number of bytes, or ``none``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from typing import Any

from .paramtools import ParamError
from .params import Params

__all__ = ["run_sizes", "estimate_run_bytes", "table_bytes", "available_bytes", "parse_size", "format_size", "check_memory",
           "limit_setting", "AVAILABLE", "WORKER_BASE_BYTES"]

# Measured per-unit costs (bytes), rounded up; see the module docstring. Issue 19 measured a state of
# 8,700 programmes (277,000 people, 2.26 M week-programme cells, 11.3 M with practices): 0.09 GiB
# to build (about 350 B a person, team seats included), 0.2 GiB of recorder arrays (12.4 B a
# week-programme-practice cell, 30 B a week-programme cell) and 0.16 GiB for the worker's week x
# programme table (76 B a row).
PER_PERSON = 320                 # staff post or family: state arrays, network node and ties, weekly temporaries
PER_TEAM_SEAT = 2048             # its ties (edge list and CSR copy, ~16 a seat at most) and cross-learning rows
PER_WEEK_PROGRAM_PRACTICE = 16   # recorder counts (int16: 3 staff, 1 classroom, 1 family count and their share of the rest)
PER_WEEK_PROGRAM = 32            # recorder's per-programme weekly series
TABLE_ROW = 250                  # a built week x programme x practice row (10 columns) with its temporaries
PROGRAM_TABLE_ROW = 100          # a built week x programme row (12 columns) with its temporaries
RUN_BASE = 16 * 2**20            # what any run allocates, however small (Mesa model, calendar, tables)
SAFETY = 1.1
# A worker process before its first run (interpreter, numpy, pandas, networkx, Mesa, bsc_sim), as
# measured by ru_maxrss (about 175 MiB); counted once per local worker.
WORKER_BASE_BYTES = 200 * 2**20


def run_sizes(params: Params) -> dict[str, int]:
    """Upper estimates of the sizes that drive a run's memory (see the module docstring)."""
    c, pp, t, s = params.cohort, params.program, params.team, params.system
    if s.enabled:  # a state: centres and HS sites as below, plus one-post, one-room FCC homes
        m_all = s.n_programs
        n_fcc = round(m_all * s.frac_family_child_care)
        m, n_hs = m_all - n_fcc, round(m_all * s.frac_head_start)
    else:
        m_all, n_fcc, m, n_hs = c.n_programs, 0, c.n_programs, round(c.n_programs * c.frac_head_start)
    rooms_mean = n_hs * pp.classrooms_mean_head_start + (m - n_hs) * pp.classrooms_mean_child_care
    # Classrooms are 1 + Poisson(mean - 1) per programme: mean plus four standard deviations.
    rooms = math.ceil(rooms_mean + 4 * math.sqrt(max(rooms_mean - m, 1.0)))
    kids = max(pp.children_per_classroom_head_start, pp.children_per_classroom_child_care)
    leaders = 2 + max(pp.n_family_services_head_start, pp.n_family_services_child_care)
    staff = m * leaders + 2 * rooms + n_fcc
    team = (t.n_director + t.n_education_manager + t.n_lead_teacher + t.n_assistant_teacher
            + t.n_family_services) if t.enabled else 0
    return {"programs": m_all, "classrooms": rooms + n_fcc, "staff": staff,
            "families": rooms * kids + n_fcc * pp.children_per_family_child_care,
            "team_seats": min(m * team + n_fcc, staff), "practices": len(params.practices), "weeks": _weeks(params)}


def _weeks(params: Params) -> int:
    """Weeks the run simulates: a state follows its last cohort past the planning horizon."""
    if not params.system.enabled:
        return params.horizon_weeks
    from .model.system import state_weeks  # only for states: the coordinator of a compare stays model-free

    return state_weeks(params)


def table_bytes(params: Params, z: dict[str, int] | None = None, *, streamed: bool = False) -> int:
    """Memory of the result tables a run holds at once (see the module docstring).

    A single collaborative's two weekly tables are counted whole (``bsc-sim run`` draws them). A
    state's are counted a row group at a time when ``streamed`` (``bsc-sim run`` writes them to
    Parquet without building them), else as the week x programme table an experiment's worker builds.
    """
    from .results import ROWS_PER_GROUP

    z = z or run_sizes(params)
    cells, rows = z["weeks"] * z["programs"] * z["practices"], z["weeks"] * z["programs"]
    if not params.system.enabled:
        return TABLE_ROW * cells + PROGRAM_TABLE_ROW * rows
    return TABLE_ROW * min(cells, ROWS_PER_GROUP) if streamed else PROGRAM_TABLE_ROW * rows


def estimate_run_bytes(params: Params, *, streamed: bool = False) -> int:
    """A conservative estimate of one run's peak memory beyond the worker's own (bytes).

    ``streamed``: the run's weekly tables go to disk without being built whole (``bsc-sim run``);
    otherwise a state's week x programme table is counted, as an experiment's worker builds it.
    """
    z = run_sizes(params)
    total = (RUN_BASE
             + PER_PERSON * (z["staff"] + z["families"])
             + PER_TEAM_SEAT * z["team_seats"]
             + PER_WEEK_PROGRAM_PRACTICE * z["weeks"] * z["programs"] * z["practices"]
             + PER_WEEK_PROGRAM * z["weeks"] * z["programs"]
             + table_bytes(params, z, streamed=streamed))
    return int(SAFETY * total)


def available_bytes() -> int:
    """Memory available for new work now: ``MemAvailable`` on Linux, else physical memory."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - no way to tell
        return 2**63 - 1


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_size(value: Any, key: str = "memory_limit") -> int | None:
    """``8GiB``, ``500MB``, ``1.5g``, a number of bytes -> bytes; ``none``/``off`` -> None (no limit)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "off", "null", "")):
        return None
    if isinstance(value, bool):
        raise ParamError(f"{key} = {value!r}: expected a size such as 8GiB or 500MB, or none")
    if isinstance(value, (int, float)) and value > 0:
        return int(value)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(value))
    if not match or match.group(2).lower() not in _UNITS or float(match.group(1)) <= 0:
        raise ParamError(f"{key} = {value!r}: expected a size such as 8GiB or 500MB, or none")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def format_size(n: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n / 2**10:.0f} KiB"


def _dominant_key(params: Params) -> str:
    """The setting to name in the message: the one that makes this run large."""
    z = run_sizes(params)
    ties = PER_TEAM_SEAT * z["team_seats"]
    series = PER_WEEK_PROGRAM_PRACTICE * z["weeks"] * z["programs"] * z["practices"] + table_bytes(params, z)
    if params.system.enabled:
        return f"system.n_programs = {params.system.n_programs}"
    if series > ties and z["weeks"] > 4 * 52:
        return f"followup_weeks = {params.followup_weeks}"
    return f"cohort.n_programs = {params.cohort.n_programs}"


AVAILABLE = "available"  # the default limit: the memory available when the command starts


def limit_setting(value: Any) -> int | str | None:
    """The ``memory_limit`` setting as :func:`check_memory` takes it: unset -> :data:`AVAILABLE`."""
    return AVAILABLE if value is None else parse_size(value)


def check_memory(params: Iterable[Params], *, n_concurrent: int = 1, limit: int | str | None = AVAILABLE,
                 streamed: bool = False) -> int:
    """Refuse, before anything is allocated, runs that would not fit; return the largest estimate.

    ``n_concurrent`` runs (one per local worker) may be in memory at once, each in a worker
    process of about :data:`WORKER_BASE_BYTES`. ``limit`` is a number of bytes,
    :data:`AVAILABLE` (:func:`available_bytes`) or None (no check). ``streamed``: the runs write
    their weekly tables to disk without building them (``bsc-sim run``; see :func:`estimate_run_bytes`).

    Raises:
        ParamError: one line naming the key that makes a run large, the estimate and the limit.
    """
    largest, worst = 0, None
    seen: set[int] = set()
    for p in params:
        if id(p) in seen:  # specs of one point share their Params object
            continue
        seen.add(id(p))
        need = estimate_run_bytes(p, streamed=streamed)
        if need > largest:
            largest, worst = need, p
    if worst is None or limit is None:
        return largest
    given = limit != AVAILABLE
    cap = available_bytes() if limit == AVAILABLE else int(limit)
    workers = max(1, n_concurrent)
    total = workers * (largest + (WORKER_BASE_BYTES if workers > 1 else 0))
    if total > cap:
        where = "memory_limit" if given else "memory available"
        need = f"a run needs about {format_size(largest)} (estimate)"
        if workers > 1:
            need += (f"; {workers} workers x ({format_size(largest)} + {format_size(WORKER_BASE_BYTES)} per "
                     f"worker process) = {format_size(total)}")
        advice = "fewer workers, " if workers > 1 else ""
        raise ParamError(f"{_dominant_key(worst)}: {need}, more than the {where} ({format_size(cap)}); use "
                         f"{advice}a smaller cohort, or set memory_limit=SIZE (memory_limit=none skips this check)")
    return largest
