"""End to end: ``bsc-sim viz`` served on a free port and driven in headless Chromium.

Checks that the page loads without script errors, that Step advances the week counter and
changes the adoption figure, that moving a slider restarts the model at week 0 with the new
value (and that Reset keeps it), and saves a screenshot (also to ``$BSC_SIM_SCREENSHOT_DIR``).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

STEPS = 8


def test_view_steps_and_slider_restarts_model(viz_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    t0 = time.monotonic()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(viz_server.url, wait_until="domcontentloaded", timeout=60_000)

    week = page.locator(".bsc-week h2")
    expect(week).to_have_text("Week 0", timeout=60_000)  # the app is rendered (kernel up, model built)
    expect(page.get_by_text("bsc_sim: a Breakthrough Series Collaborative").first).to_be_visible()
    levers = page.locator(".bsc-levers")
    expect(levers).to_contain_text("3 learning sessions")
    adoption = page.locator(".bsc-adoption img")
    for name in ("network", "adoption", "progress"):
        expect(page.locator(f".bsc-{name} img")).to_be_visible()
    before = adoption.screenshot()

    step = page.get_by_role("button", name="Step")
    for week_no in range(1, STEPS + 1):
        step.click()
        expect(week).to_have_text(f"Week {week_no}", timeout=20_000)
    expect(page.locator(".bsc-network")).to_be_visible()
    _wait_until_changed(adoption, before)

    shot = tmp_path / "bsc_sim_viz.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("BSC_SIM_SCREENSHOT_DIR"):
        target = Path(os.environ["BSC_SIM_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / shot.name)

    # A slider change restarts the model at week 0 with the new value ...
    thumb = page.locator(".v-input", has_text="Learning sessions").locator("[role=slider]")
    thumb.focus()
    thumb.press("ArrowRight")
    expect(week).to_have_text("Week 0", timeout=20_000)
    expect(levers).to_contain_text("4 learning sessions", timeout=20_000)
    # ... which Step then runs, and which Reset rebuilds with the slider's value, not the default.
    step.click()
    expect(week).to_have_text("Week 1", timeout=20_000)
    page.get_by_role("button", name="Reset").click()
    expect(week).to_have_text("Week 0", timeout=20_000)
    expect(levers).to_contain_text("4 learning sessions")

    assert errors == [], f"script errors in the page: {errors}"
    print(f"\nserver answered after {viz_server.start_seconds:.1f} s; browser part took "
          f"{time.monotonic() - t0:.1f} s; screenshot {shot}")


def _wait_until_changed(locator, before: bytes, timeout: float = 20.0) -> None:
    """The element's pixels differ from ``before`` (the figure image is replaced asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        if locator.screenshot() != before:
            return
        assert time.monotonic() < deadline, "the adoption figure did not change after stepping"
        time.sleep(0.25)
