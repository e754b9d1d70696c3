"""End to end: ``bsc-sim viz`` served on a free port and driven in headless Chromium.

* the tab has a title; no heading, label, key or panel title is clipped at 1366x768 or
  1920x1080, in either mode, and nothing runs off the side of the screen;
* Step advances the week and changes the headline numbers, which equal an in-process model's;
* a slider shows its value, and moving it restarts the model at week 0 with that value;
* the side-by-side mode plays two designs on the same seed together;
* Play at the fastest speed reaches the end of follow-up, where the headline equals ``summary``
  (one design, and both of two side by side).

Screenshots go to ``$BSC_SIM_SCREENSHOT_DIR`` when it is set (``docs/`` uses them).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bsc_sim.model.outcomes import summarize
from bsc_sim.viz.app import HEADING, PAGE_TITLE
from bsc_sim.viz.style import MIN_TEXT_PX
from bsc_sim.viz.viewmodel import BSCVizModel, DesignVizModel

pytestmark = pytest.mark.e2e

SCREENS = [(1366, 768), (1920, 1080)]
PLAY_TIMEOUT = 180_000  # ms: a guard against a hung player, not a speed check (benchmarks/ measures speed)

# Every visible element of these kinds must show its whole text: scrollWidth <= clientWidth (an
# ellipsis or a cut word makes scrollWidth larger), and it must end inside the screen.
CLIPPED = """(selectors) => {
  const bad = [];
  for (const el of document.querySelectorAll(selectors)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    const text = (el.innerText || '').trim();
    if (!text) continue;
    if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 2 && getComputedStyle(el).overflowY === 'hidden')
      bad.push(`${el.className || el.tagName}: "${text.slice(0, 60)}" (${el.scrollWidth} > ${el.clientWidth})`);
    else if (r.right > window.innerWidth + 1 || r.left < -1)
      bad.push(`${el.className || el.tagName}: "${text.slice(0, 60)}" runs off the screen (${Math.round(r.right)} px)`);
  }
  return bad;
}"""
# Presenter mode: every piece of text on the page is at least MIN_TEXT_PX tall, in HTML and in the
# pictures (each picture says its text size in its own pixels, `bsc-font-N`; shown scaled).
SMALL_TEXT = """(least) => {
  const bad = [];
  const walker = document.createTreeWalker(document.querySelector('.bsc-page'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || el.getBoundingClientRect().width === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < least) bad.push(`${el.className || el.tagName}: "${node.textContent.trim().slice(0, 40)}" ${size} px`);
  }
  for (const img of document.querySelectorAll('.bsc-page img')) {
    const tag = Array.from(img.classList).find(c => c.startsWith('bsc-font-'));
    if (!tag) { bad.push(`picture ${img.className} does not say its text size`); continue; }
    const shown = parseFloat(tag.slice(9)) * img.clientWidth / img.naturalWidth;
    if (shown < least) bad.push(`picture ${img.className}: text ${shown.toFixed(1)} px`);
  }
  return bad;
}"""
# Every control (buttons, sliders, drop-downs, the seed) is on screen without scrolling.
OFF_SCREEN = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('.bsc-page .v-btn, .bsc-page [role=slider], .bsc-page .v-select, .bsc-page input')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.bottom > window.innerHeight + 1 || r.right > window.innerWidth + 1 || r.top < -1)
      bad.push(`${el.className.toString().slice(0, 40)} "${(el.innerText || el.value || '').slice(0, 20)}" at ${Math.round(r.bottom)} px`);
  }
  return bad;
}"""
TEXT = ("h1, h2, h3, .bsc-subtitle, .bsc-label, .bsc-tile-title, .bsc-tile-value, .bsc-tile-note, .bsc-note, "
        ".bsc-key-item, .v-btn__content, .v-select__selection-text, .v-label")


def _save(page, name: str) -> None:
    target = os.environ.get("BSC_SIM_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / name))


def _value(page, title: str, scope: str = ".bsc-main"):
    """The number of the headline tile titled ``title`` (a locator: expect() waits for it to update,
    since the browser may show the new week a moment before the other tiles' new numbers)."""
    tile = page.locator(f"{scope} .bsc-tile", has=page.locator(".bsc-tile-title", has_text=title)).first
    return tile.locator(".bsc-tile-value")


def _tile(page, title: str, scope: str = ".bsc-main") -> str:
    return _value(page, title, scope).inner_text()


def _week(page) -> str:
    return page.locator(".bsc-tile-week .bsc-tile-value").inner_text()


def _step(page, weeks: int) -> None:
    from playwright.sync_api import expect

    start = int(_week(page).split()[0])
    button = page.get_by_role("button", name="Step a week")
    for w in range(start + 1, start + weeks + 1):
        button.click()
        expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text(f"{w} of 104", timeout=20_000)


def _two_designs(page) -> None:
    page.get_by_role("button", name="two designs side by side").click()
    page.wait_for_selector(".bsc-two .bsc-design img.bsc-picture", timeout=30_000)


def _presentable(page) -> None:
    """Presenter mode: no text under MIN_TEXT_PX (pictures included) and every control on screen."""
    page.wait_for_function("() => Array.from(document.querySelectorAll('.bsc-page img')).every(i => i.complete)")
    assert page.evaluate(SMALL_TEXT, MIN_TEXT_PX) == []
    assert page.evaluate(OFF_SCREEN) == []


def test_the_presenter_checks_can_fail(open_page):
    page = open_page(1366, 768)
    _presentable(page)
    page.evaluate("""() => { const d = document.createElement('div'); d.textContent = 'tiny words';
        d.style.fontSize = '11px'; document.querySelector('.bsc-main').prepend(d);
        document.querySelector('.bsc-side').style.marginTop = '900px'; }""")
    assert any("tiny words" in b for b in page.evaluate(SMALL_TEXT, MIN_TEXT_PX))
    assert page.evaluate(OFF_SCREEN) != []


def test_the_clipping_check_can_fail(open_page):
    page = open_page(1366, 768)
    page.evaluate("""() => { const h = document.createElement('h3'); h.id = 'too-long';
        h.style.cssText = 'width: 80px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis';
        h.textContent = 'a panel title far too long for its box'; document.querySelector('.bsc-main').prepend(h); }""")
    assert any("too long" in b for b in page.evaluate(CLIPPED, TEXT))


def _play_to_the_end(page) -> float:
    """Play at the fastest speed until the last week; returns the seconds it took (printed, not asserted)."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="fastest", exact=True).click()
    expect(page.locator(".bsc-speed .bsc-label")).to_contain_text("26 weeks a second")
    t0 = time.monotonic()
    page.get_by_role("button", name="▶ Play").click()
    expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text("104 of 104", timeout=PLAY_TIMEOUT)
    seconds = time.monotonic() - t0
    expect(page.locator(".bsc-note")).to_contain_text("The run is over")
    expect(page.get_by_role("button", name="▶ Play")).to_be_disabled()
    return seconds


@pytest.mark.parametrize(("width", "height"), SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_every_screen_and_mode_reads_whole_and_plays_to_the_summary(open_page, width, height):
    """No clipped text at the start and at the end of a run, in both modes; played to the end, the
    headline numbers are the run's summary (one design, and each of two side by side)."""
    from playwright.sync_api import expect

    page = open_page(width, height)
    assert page.title() == PAGE_TITLE
    assert page.locator("h1").inner_text() == HEADING
    assert page.evaluate(CLIPPED, TEXT) == []
    seconds = _play_to_the_end(page)
    assert page.evaluate(CLIPPED, TEXT) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _presentable(page)
    summary = summarize(BSCVizModel(base=[]).run())
    expect(_value(page, "Reached when the collaborative ended")).to_have_text(
        f"{summary['frac_classrooms_reached_end']:.0%}")
    expect(_value(page, "Sustained")).to_have_text(f"{summary['frac_classrooms_sustained_followup']:.0%}")
    expect(_value(page, "Cost so far")).to_have_text(f"${summary['cost_total']:,.0f}")
    _save(page, f"viz-one-{width}x{height}.png")
    _two_designs(page)
    assert page.evaluate(CLIPPED, TEXT) == []
    seconds_two = _play_to_the_end(page)
    assert page.evaluate(CLIPPED, TEXT) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _presentable(page)
    for panel, design in zip(page.locator(".bsc-design").all(), ("bsc", "coach")):
        summary = summarize(DesignVizModel(design, 0, base=[]).run())
        expect(panel.locator(".bsc-tile", has_text="Sustained").locator(".bsc-tile-value")).to_have_text(
            f"{summary['frac_classrooms_sustained_followup']:.0%}")
    _save(page, f"viz-two-{width}x{height}.png")
    print(f"\n{width}x{height}: played 104 weeks at the fastest speed in {seconds:.1f} s (one design) and "
          f"{seconds_two:.1f} s (two side by side); not asserted, see benchmarks/")


def test_headline_numbers_follow_the_steps_and_the_model(open_page):
    from playwright.sync_api import expect

    page = open_page(1366, 768)
    assert _week(page) == "0 of 104"
    assert _tile(page, "Classrooms reached now") == "–"  # nothing is measured before the first week
    before = {t: _tile(page, t) for t in ("Cost so far", "Reached when the collaborative ended", "Sustained")}
    picture = page.locator("img.bsc-picture").get_attribute("src")
    _step(page, 8)
    model = BSCVizModel(base=[])
    for _ in range(8):
        model.step()
    h = model.headline()
    expect(_value(page, "Classrooms reached now")).to_have_text(f"{h.reached_now / h.n_classrooms:.0%}")
    expect(_value(page, "Cost so far")).to_have_text(f"${h.cost_so_far:,.0f}")
    assert f"${h.cost_so_far:,.0f}" != before["Cost so far"]
    expect(_value(page, "Reached when the collaborative ended")).to_have_text("–")  # not yet: week 52
    # The picture is replaced (Playwright waits for it; its timeout is a hang guard, not a speed check).
    expect(page.locator("img.bsc-picture")).not_to_have_attribute("src", picture, timeout=PLAY_TIMEOUT)


def test_slider_shows_its_value_and_restarts_the_model(open_page):
    from playwright.sync_api import expect

    page = open_page(1366, 768)
    _step(page, 2)
    lever = page.locator(".bsc-lever", has_text="Learning sessions")
    expect(lever.locator(".bsc-label")).to_have_text("Learning sessions: 3")
    thumb = lever.locator("[role=slider]")
    thumb.focus()
    thumb.press("ArrowRight")
    expect(lever.locator(".bsc-label")).to_have_text("Learning sessions: 4", timeout=20_000)
    expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text("0 of 104")
    expect(page.locator(".bsc-subtitle")).to_contain_text("4 learning sessions")
    turnover = page.locator(".bsc-lever", has_text="Staff turnover").locator(".bsc-label")
    expect(turnover).to_have_text("Staff turnover: 25% a year")
    _step(page, 1)
    page.get_by_role("button", name="Reset").click()  # Reset keeps the slider's value, not the default
    expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text("0 of 104", timeout=20_000)
    expect(page.locator(".bsc-subtitle")).to_contain_text("4 learning sessions")
    # a lever moved while playing stops the player and leaves the new model at week 0
    page.get_by_role("button", name="▶ Play").click()
    expect(page.get_by_role("button", name="❚❚ Pause")).to_be_visible()
    thumb.focus()
    thumb.press("ArrowRight")
    expect(lever.locator(".bsc-label")).to_have_text("Learning sessions: 5", timeout=20_000)
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=20_000)
    time.sleep(1.0)  # a frame that was waiting must not step the new model
    expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text("0 of 104")


def test_side_by_side_runs_two_designs_on_one_seed(open_page):
    from playwright.sync_api import expect

    page = open_page(1920, 1080)
    _two_designs(page)
    designs = page.locator(".bsc-design")
    expect(designs).to_have_count(2)
    expect(designs.locator(".bsc-design-title")).to_have_text(["BSC (default)", "coach"])
    expect(page.locator(".bsc-design img.bsc-picture")).to_have_count(2)
    expect(page.locator(".bsc-subtitle")).to_contain_text("same cohort (seed 0)")
    _step(page, 12)
    expected = []
    for design in ("bsc", "coach"):
        model = DesignVizModel(design, 0, base=[])
        for _ in range(12):
            model.step()
        expected.append(f"${model.headline().cost_so_far:,.0f}")
    assert expected[0] != expected[1]
    for panel, cost in zip(designs.all(), expected):  # both ran 12 weeks, each its own design
        expect(panel.locator(".bsc-tile", has_text="Cost so far").locator(".bsc-tile-value")).to_have_text(cost)
    expect(page.locator(".bsc-panel-title", has_text="Classrooms reached")).to_be_visible()
    expect(page.locator(".bsc-key-item", has_text="coach")).not_to_have_count(0)
    page.locator(".bsc-lever", has_text="Design on the right").locator(".v-select").click()
    page.get_by_role("option", name="one-off training").click()
    expect(designs.locator(".bsc-design-title")).to_have_text(["BSC (default)", "one-off training"], timeout=20_000)
    expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text("0 of 104")


def test_browser_zoom_keeps_the_network_wide(chromium, viz_server):
    """At 150% browser zoom on a 1366x768 screen (911x512 CSS pixels at 1.5 device pixels each) the
    network picture is at least as wide on screen as without zoom: the panels stack, not shrink."""
    widths = {}
    for zoom, (w, h) in ((1.0, (1366, 768)), (1.5, (911, 512))):
        context = chromium.new_context(viewport={"width": w, "height": h}, device_scale_factor=zoom)
        try:
            page = context.new_page()
            page.goto(viz_server.url, wait_until="domcontentloaded", timeout=60_000)
            page.wait_for_selector("img.bsc-picture", timeout=60_000)
            widths[zoom] = zoom * page.locator("img.bsc-picture").first.evaluate("i => i.clientWidth")
        finally:
            context.close()
    assert widths[1.5] >= widths[1.0], widths
