"""End to end: a state (``design=statewide``) beside business as usual in the browser view.

Both designs are picked side by side; each shows regions x waves (not a network of thousands of
programmes), the state's headline numbers, and steps without an error; text stays readable and
every control on screen at 1366x768. Screenshot to ``$BSC_SIM_SCREENSHOT_DIR`` when it is set.
"""

from __future__ import annotations

import pytest

from test_viz_browser import OFF_SCREEN, SMALL_TEXT, _save
from bsc_sim import load_params
from bsc_sim.viz.style import MIN_TEXT_PX

pytestmark = pytest.mark.e2e

ERRORS = ("Traceback", "IndexError", "Error:")


def test_a_state_beside_business_as_usual(open_page):
    from playwright.sync_api import expect

    from bsc_sim.model.system import state_weeks

    horizon = state_weeks(load_params(["design=statewide"]))  # every cohort followed to its follow-up
    page = open_page(1366, 768)
    page.get_by_role("button", name="two designs side by side").click()
    page.wait_for_selector(".bsc-two .bsc-design img.bsc-picture", timeout=60_000)
    for side, name in (("left", "statewide"), ("right", "statewide business as usual")):
        page.locator(".bsc-lever", has_text=f"Design on the {side}").locator(".v-select").click()
        page.get_by_role("option", name=name, exact=True).click()
        expect(page.locator(".bsc-design-title").nth(0 if side == "left" else 1)).to_have_text(name, timeout=120_000)
    expect(page.locator("img.bsc-state")).to_have_count(2, timeout=120_000)
    expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text(f"0 of {horizon}")
    button = page.get_by_role("button", name="Step a week")
    for week in (1, 2, 3):
        button.click()
        expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text(f"{week} of {horizon}", timeout=60_000)
    for panel in page.locator(".bsc-design").all():
        expect(panel.locator(".bsc-tile-title", has_text="Programmes enrolled")).to_have_count(1)
        expect(panel.locator(".bsc-tile-title", has_text="Classrooms reached now")).to_have_count(1)
    body = page.locator("body").inner_text()
    assert [w for w in ERRORS if w in body] == []
    page.wait_for_function("() => Array.from(document.querySelectorAll('.bsc-page img')).every(i => i.complete)")
    assert page.evaluate(SMALL_TEXT, MIN_TEXT_PX) == []
    assert page.evaluate(OFF_SCREEN) == []
    _save(page, "viz-state-1366x768.png")
