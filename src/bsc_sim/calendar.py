"""The collaborative calendar as data: which events fall in which week (IHI BTS timeline, DF 2.1).

community meeting (week 0) -> prework -> LS1 -> action period -> LS2 -> ... -> congress (last week
of the collaborative) -> follow-up. Calls fall every ``call_interval_weeks`` from LS1 until the
supports end. Coaching visits and the one-off workshop are scheduled here too, so every design's
timeline can be printed and tested without running the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import Params

@dataclass(frozen=True)
class Calendar:
    """Per-week event flags, each an array of length ``horizon`` (weeks 0 .. horizon-1)."""

    horizon: int
    end_week: int                     # week the collaborative ends (its congress week)
    community_meeting: np.ndarray     # bool
    session_number: np.ndarray        # int, 1-based session index, 0 if none
    call: np.ndarray                  # bool
    congress: np.ndarray              # bool
    supports_active: np.ndarray       # bool: faculty, calls and data-use support are available
    coach_visit: np.ndarray           # bool
    training: np.ndarray              # bool

    def events_at(self, week: int) -> list[str]:
        """Names of the events in ``week``."""
        out = []
        if self.community_meeting[week]:
            out.append("community_meeting")
        if self.session_number[week]:
            out.append(f"learning_session_{self.session_number[week]}")
        for name in ("call", "congress", "coach_visit", "training"):
            if getattr(self, name)[week]:
                out.append(name)
        return out

    def session_weeks(self) -> list[int]:
        return [int(w) for w in np.flatnonzero(self.session_number)]


def build_calendar(p: Params) -> Calendar:
    """The week-by-week calendar of a design."""
    c, H = p.collaborative, p.horizon_weeks
    end = c.duration_weeks - 1
    weeks = np.arange(H)
    meeting = np.zeros(H, dtype=bool)
    session = np.zeros(H, dtype=np.int64)
    call = np.zeros(H, dtype=bool)
    congress = np.zeros(H, dtype=bool)
    supports = np.zeros(H, dtype=bool)
    if c.enabled:
        meeting[0] = c.community_meeting
        starts = c.prework_weeks + c.session_spacing_weeks * np.arange(c.n_sessions)
        session[starts] = np.arange(1, c.n_sessions + 1)
        supports_end = min(H - 1, end + c.followup_support_weeks)
        supports[: supports_end + 1] = True
        if c.call_interval_weeks > 0:
            first = starts[0] if c.n_sessions else c.prework_weeks
            call = (weeks > first) & (weeks <= supports_end) & ((weeks - first) % c.call_interval_weeks == 0)
            call &= session == 0
        congress[end] = c.congress
        call &= ~congress
    k = p.coaching
    coach = np.zeros(H, dtype=bool)
    if k.enabled:
        coach = (weeks < k.weeks) & (weeks % k.visit_interval_weeks == 0)
    training = np.zeros(H, dtype=bool)
    if p.training.enabled:
        training[p.training.week] = True
    return Calendar(H, end, meeting, session, call, congress, supports, coach, training)
