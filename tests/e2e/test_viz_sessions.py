"""End to end: many sessions of one ``bsc-sim viz`` server at once, as in a workshop room.

Six browser tabs are opened together (each one's kernel composes configs and builds a model at
the same moment); every tab must show the view, step on its own, and show no error or traceback.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

N_SESSIONS = 6
ERROR_WORDS = ("Traceback", "GlobalHydra", "Error:", "Exception")


def _problems(page) -> list[str]:
    body = page.locator("body").inner_text()
    return [w for w in ERROR_WORDS if w in body]


def test_six_sessions_opened_at_once_show_no_error(chromium, viz_server):
    from playwright.sync_api import expect

    contexts, errors, pages = [], [], []
    try:
        for _ in range(N_SESSIONS):  # start every navigation before waiting for any page
            context = chromium.new_context(viewport={"width": 1366, "height": 768})
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(viz_server.url, wait_until="commit", timeout=60_000)
            pages.append(page)
        for page in pages:
            page.wait_for_selector(".bsc-tile-week .bsc-tile-value, .v-alert, pre", timeout=120_000)
        for page in pages:
            expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text("0 of 104", timeout=60_000)
            assert _problems(page) == []
        # each session has its own model: stepping one leaves the others where they are
        pages[0].get_by_role("button", name="Step a week").click()
        expect(pages[0].locator(".bsc-tile-week .bsc-tile-value")).to_have_text("1 of 104", timeout=30_000)
        for page in pages[1:]:
            expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text("0 of 104")
        for page in pages:
            assert _problems(page) == []
    finally:
        for context in contexts:
            context.close()
    assert errors == [], f"script errors in the pages: {errors}"
