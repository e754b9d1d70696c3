"""The planner's report (``bsc-sim report``) as a browser shows it: headline table and figures present,
nothing fetched from anywhere. Skips where Chromium is missing (outside CI), as the view's tests do.

Screenshots go to ``$BSC_SIM_SCREENSHOT_DIR`` when it is set (``docs/screenshots/`` keeps one).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A small comparison of the four classic designs and a variant with a long label, and its report."""
    from bsc_sim.experiments.cli import cmd_compare
    from bsc_sim.report import cmd_report

    out = tmp_path_factory.mktemp("report") / "compare"
    assert cmd_compare(["designs=[bsc,coach,training,bsc+collaborative.modality=virtual]", "replications=6", "seed=1", f"out_dir={out}",
                        "executor=serial", "progress=false", "followup_weeks=40"]) == 0
    assert cmd_report([f"out_dir={out}"]) == 0
    return out


def test_the_report_shows_its_headline_table_and_figures_and_fetches_nothing(chromium, report):
    ce = pd.read_csv(report / "cost_effectiveness.csv")
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    fetched, errors = [], []
    page.on("request", lambda r: fetched.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((report / "report.html").as_uri(), wait_until="load")
    rows = page.locator("#headline-table tbody tr")
    assert rows.count() == ce["design"].nunique() == 5
    table = page.locator("#headline-table").inner_text()
    for label in ("BSC (default)", "coach", "one-off training", "business as usual"):
        assert label in table
    assert "$" in table and "%" in table and "frontier" in table
    # At 1366 px the headline table needs no sideways scrolling: net benefit and chance of best in view.
    box = page.locator("#headline-table").evaluate("t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
    assert box[0] <= box[1], box
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    last = page.locator("#headline-table thead th").last.bounding_box()
    assert last["x"] + last["width"] <= 1366
    # No design off the frontier shows a cost per extra unit (the ICER cell is "-").
    for r in range(rows.count()):
        cells = rows.nth(r).locator("td")
        name = cells.nth(0).inner_text()
        if "D:" in name or "ED:" in name:
            assert cells.nth(cells.count() - 3).inner_text().strip() == "-", name
    # Every figure is drawn: the plane, the acceptability curve, the cost breakdown and the others.
    for fig in ("#fig-ce_plane", "#fig-acceptability", "#fig-costs", "#fig-differences", "#fig-adoption_curves"):
        width = page.locator(f"{fig} img").evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 300, fig
        assert page.locator(f"{fig} img").bounding_box()["width"] > 300, fig
    # the default: one world of the (conftest's stand-in) posterior per replicate, and the page says so
    assert "calibrated posterior" in page.locator("#uncertainty").inner_text()
    assert "bsc-sim compare" in page.locator("#provenance").inner_text()
    assert fetched == [] and errors == []
    target = os.environ.get("BSC_SIM_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        bottom = page.locator("#headline").bounding_box()
        page.set_viewport_size({"width": 1366, "height": int(bottom["y"] + bottom["height"] + 20)})
        page.screenshot(path=str(Path(target) / "report-compare-1366.png"))
        page.locator("#cost-effectiveness").screenshot(path=str(Path(target) / "report-cost-effectiveness-1366.png"))
    context.close()
