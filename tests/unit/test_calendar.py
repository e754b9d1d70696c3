"""The calendar of events per design."""

import numpy as np

from bsc_sim import load_params
from bsc_sim.model.calendar import build_calendar


def test_bsc_calendar():
    cal = build_calendar(load_params())
    assert cal.horizon == 104 and cal.end_week == 51
    assert cal.session_weeks() == [6, 21, 36]
    assert cal.community_meeting[0] and cal.community_meeting.sum() == 1
    assert cal.congress[51] and cal.congress.sum() == 1
    calls = np.flatnonzero(cal.call)
    assert calls.min() > 6 and calls.max() < 51
    assert not (cal.call & (cal.session_number > 0)).any()
    assert set(np.diff(calls)) <= {4, 8}  # monthly, skipping weeks with a session
    assert cal.supports_active[:52].all() and not cal.supports_active[52:].any()
    assert not cal.coach_visit.any() and not cal.training.any()


def test_four_sessions_and_followup_support():
    cal = build_calendar(load_params(["design=bsc_4_sessions"]))
    assert cal.session_weeks() == [6, 17, 28, 39]
    cal = build_calendar(load_params(["design=bsc_followup_support"]))
    assert cal.supports_active[: 52 + 26].all() and not cal.supports_active[52 + 26:].any()
    assert np.flatnonzero(cal.call).max() > 51


def test_non_collaborative_designs_have_no_collaborative_events():
    for design in ("coach", "training", "business_as_usual"):
        cal = build_calendar(load_params([f"design={design}"]))
        assert not (cal.session_number.any() or cal.call.any() or cal.congress.any() or cal.community_meeting.any())
        assert not cal.supports_active.any()
    coach = build_calendar(load_params(["design=coach"]))
    assert np.array_equal(np.flatnonzero(coach.coach_visit), np.arange(0, 52, 2))
    training = build_calendar(load_params(["design=training"]))
    assert np.flatnonzero(training.training).tolist() == [2]
    assert "learning_session_2" in build_calendar(load_params()).events_at(21)
