"""Controls of the browser view: play / pause / step / reset for one or two models, a speed
control, and lever inputs that show their values.

Mesa's ``ModelController`` drives one model and waits a fixed interval *plus* the drawing time
between steps (two years took about 55 s on the project machine). The player here drives every
model on screen in lock step and keeps to a pace in weeks per second: when drawing a frame takes
longer than a week's share of a second, the next frame advances several weeks, so two years take
``horizon / speed`` seconds whatever the machine (:class:`PlayClock`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import solara
import solara.lab

# Playing speeds in weeks per second: two years (104 weeks) in about 52, 21, 10 and 4 seconds.
SPEEDS = {"slow": 2.0, "normal": 5.0, "fast": 10.0, "fastest": 26.0}
# Pause at least this long between frames, even when behind the pace: the server sends each frame
# to the browser from its event loop, which a play loop that never sleeps would starve.
MIN_GAP = 0.03
# A frame may be drawn by whichever thread holds Solara's render lock (the event loop's, after a
# click); the play loop waits for it, so it never queues frames faster than they are drawn and sent.
FRAME_TIMEOUT = 5.0


@dataclass
class PlayClock:
    """How many weeks each frame advances to keep ``weeks_per_second``, however long frames take."""

    weeks_per_second: float
    start_week: int
    start_time: float

    def weeks_due(self, week: int, now: float) -> int:
        """Weeks to advance now (at least one): the weeks the pace calls for by ``now``, minus those shown."""
        due = self.start_week + math.floor((now - self.start_time) * self.weeks_per_second) + 1
        return max(1, due - week)

    def wait(self, week: int, now: float) -> float:
        """Seconds to sleep before the next frame (0 when behind the pace)."""
        next_due = self.start_time + (week - self.start_week) / self.weeks_per_second
        return max(0.0, next_due - now)


@solara.component
def Player(runs: solara.Reactive[tuple], tick: solara.Reactive[int], rebuild: Callable[[], tuple | None],
           lock: threading.Lock, playing: solara.Reactive[bool]):
    """Play / pause, step, reset and speed for the models in ``runs`` (stepped together).

    ``tick`` is bumped after every advance so the panels redraw; ``rebuild()`` returns fresh models
    for Reset (or None to keep the current ones).
    """
    speed = solara.use_reactive("normal")
    ended = solara.use_reactive(False)  # redraws the buttons when the run ends (they ignore the tick)
    drawn = solara.use_memo(threading.Event, [])

    def finished() -> bool:
        return all(m.finished for m in runs.value)

    def advance(weeks: int, while_playing: bool = False) -> None:
        with lock:  # a lever change or Reset stops playing and swaps the models under the same lock
            if while_playing and not playing.value:
                return  # stopped while this frame waited for the lock: leave the new models at week 0
            for _ in range(weeks):
                for m in runs.value:
                    m.step()
        tick.set(tick.value + 1)
        ended.set(finished())

    def play_loop() -> None:
        clock = None
        while playing.value and not finished():
            wps = SPEEDS[speed.value]
            lead = max(runs.value, key=lambda m: m.calendar.horizon)  # a state (five years) beside a collaborative
            week = lead.week
            if clock is None or clock.weeks_per_second != wps:
                clock = PlayClock(wps, week, time.monotonic())
            drawn.clear()
            advance(min(clock.weeks_due(week, time.monotonic()), lead.calendar.horizon - week),
                    while_playing=True)
            drawn.wait(timeout=FRAME_TIMEOUT)  # the frame is drawn, by this thread or the one that was rendering
            time.sleep(max(MIN_GAP, clock.wait(lead.week, time.monotonic())))
        if playing.value:
            playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def reset() -> None:
        fresh = rebuild()
        if fresh is not None:
            with lock:
                playing.set(False)
                runs.set(fresh)
            tick.set(tick.value + 1)
            ended.set(False)

    done = finished()
    FrameSignal(tick, drawn)
    with solara.Div(classes=["bsc-player"]):
        with solara.Div(classes=["bsc-buttons"]):
            solara.Button("❚❚ Pause" if playing.value else "▶ Play", color="primary", disabled=done,
                          on_click=lambda: playing.set(not playing.value), classes=["bsc-play"])
            solara.Button("Step a week", color="primary", outlined=True, disabled=playing.value or done,
                          on_click=lambda: advance(1), classes=["bsc-step"])
            solara.Button("Reset", color="primary", outlined=True, on_click=reset, classes=["bsc-reset"])
        with solara.Div(classes=["bsc-speed"]):
            horizon = max(m.calendar.horizon for m in runs.value)
            solara.HTML(tag="div", unsafe_innerHTML=f"Speed: {SPEEDS[speed.value]:g} weeks a second",
                        classes=["bsc-label"], attributes={"title": f"{horizon} weeks in about "
                                                                    f"{horizon / SPEEDS[speed.value]:.0f} s"})
            solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS), classes=["bsc-speed-buttons"])
        if done:
            solara.HTML(tag="div", unsafe_innerHTML="The run is over: Reset plays it again.",
                        classes=["bsc-note"])


@solara.component
def FrameSignal(tick: solara.Reactive[int], drawn: threading.Event):
    """Sets ``drawn`` once the panels of a new week are drawn (effects run after the render pass)."""
    week = tick.value
    solara.use_effect(lambda: drawn.set(), [week])


@solara.component
def LeverSlider(label: str, value, shown: str, min, max, step, on_value, integer: bool = False):
    """A slider under a label that always shows its value in words (``shown``)."""
    import html

    with solara.Div(classes=["bsc-lever"]):
        solara.HTML(tag="div", unsafe_innerHTML=f"{html.escape(label)}: <b>{html.escape(shown)}</b>",
                    classes=["bsc-label"])
        slider = solara.SliderInt if integer else solara.SliderFloat
        slider("", value=value, min=min, max=max, step=step, on_value=on_value, thumb_label=False)


@solara.component
def LeverSelect(label: str, value: str, options: Sequence[str], on_value):
    """A drop-down with its label above it (plain-language options)."""
    with solara.Div(classes=["bsc-lever"]):
        solara.HTML(tag="div", unsafe_innerHTML=label, classes=["bsc-label"])
        solara.Select("", value=value, values=list(options), on_value=on_value)
