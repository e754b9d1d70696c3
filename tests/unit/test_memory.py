"""The memory guard's estimate: above the measured peak, growing with the sizes that drive memory."""

from __future__ import annotations

import tracemalloc

import pytest

from bsc_sim import ParamError, load_params, run_sim
from bsc_sim.memory import (WORKER_BASE_BYTES, check_memory, estimate_run_bytes, parse_size, run_sizes)


@pytest.mark.parametrize("overrides", [["cohort.n_programs=4"], ["cohort.n_programs=40"],
                                       ["cohort.n_programs=40", "design=coach"],
                                       ["cohort.n_programs=40", "followup_weeks=104"]])
def test_the_estimate_is_above_the_measured_peak(overrides):
    params = load_params(overrides)
    run_sim(load_params(["cohort.n_programs=2"]), 0)  # imports and caches outside the measurement
    tracemalloc.start()
    result = run_sim(params, 3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert estimate_run_bytes(params) > peak
    sizes = run_sizes(params)  # upper estimates of the drawn sizes
    assert sizes["staff"] >= result.summary["n_staff_slots"] and sizes["families"] >= result.summary["n_families"]


def test_the_estimate_grows_linearly_with_programmes():
    small, large = (estimate_run_bytes(load_params([f"cohort.n_programs={n}"])) for n in (1000, 4000))
    assert 3 * small < large < 5 * small  # sparse ties: no term in the square of the team seats
    assert run_sizes(load_params(["design=coach", "cohort.n_programs=100"]))["team_seats"] == 0


def test_check_memory_counts_every_local_worker_and_names_the_key():
    params = load_params(["cohort.n_programs=400"])
    need = estimate_run_bytes(params)
    assert check_memory([params], limit=need + 1) == need
    with pytest.raises(ParamError, match=r"cohort.n_programs = 400: a run needs about .*4 workers x") as info:
        check_memory([params] * 3, n_concurrent=4, limit=3 * (need + WORKER_BASE_BYTES))
    assert "memory_limit" in str(info.value) and "\n" not in str(info.value)
    assert check_memory([params], limit=None) == need  # none: no check


@pytest.mark.parametrize(("text", "expected"), [("8GiB", 8 * 2**30), ("500MB", 500 * 10**6), ("1.5g", 1.5e9),
                                                (2048, 2048), ("none", None), ("off", None)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["lots", "-1GB", "8 parsecs", True, 0])
def test_parse_size_rejects_nonsense_in_one_line(text):
    with pytest.raises(ParamError, match="memory_limit = "):
        parse_size(text)


def test_a_streamed_state_is_estimated_without_its_whole_tables():
    """bsc-sim run writes a state's weekly tables a row group at a time (issue 19); a worker builds
    the week x programme table. Either way a state of 87,000 programmes fits in 8 GiB."""
    state = load_params(["design=statewide", "system.n_programs=87000"])
    streamed, built = estimate_run_bytes(state, streamed=True), estimate_run_bytes(state)
    assert streamed < built < 8 * 2**30
    assert check_memory([state], limit=streamed + 1, streamed=True) == streamed
    cohort = load_params(["cohort.n_programs=40"])  # a single collaborative's tables are built whole either way
    assert estimate_run_bytes(cohort, streamed=True) == estimate_run_bytes(cohort)
