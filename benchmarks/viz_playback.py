"""How fast the browser view plays two years, and what one frame costs to draw.

    uv run python benchmarks/viz_playback.py              # both parts (about two minutes)
    uv run python benchmarks/viz_playback.py --no-browser # only the drawing costs (seconds)

1. **Drawing** (in process, no browser): the median time to redraw one week of the network
   picture and of a time chart (blitted), and to build the readouts the page shows.
2. **Playing** (``bsc-sim viz`` on a free port, driven in headless Chromium): for each speed and
   both modes, the seconds from pressing Play until the page shows week 104, and how many
   different weeks the page showed on the way (a frame that falls behind the pace advances
   several weeks; at the slow speed every week should be shown). The page is watched with a
   MutationObserver, so watching costs the server nothing.

Nothing is asserted; the machine is shared, so compare rows within one report.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WATCH = """() => { window.__weeks = new Set(); const t = document.querySelector('.bsc-tile-week .bsc-tile-value');
  new MutationObserver(() => window.__weeks.add(t.textContent)).observe(t, {subtree: true, characterData: true,
  childList: true}); }"""


def _median_ms(fn, repeat: int = 30) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def drawing() -> list[str]:
    from bsc_sim.viz.live import Calendar, LiveChart, LiveNetwork
    from bsc_sim.viz.panels import reach_series
    from bsc_sim.viz.viewmodel import BSCVizModel

    model = BSCVizModel(base=[])
    for _ in range(60):
        model.step()
    net = LiveNetwork(model.layout, model.edges, model.pop.staff.program, model.pop.programs.kind, model.picture())
    chart = LiveChart(reach_series(), model.calendar.horizon, [Calendar(**model.calendar_marks())])
    weekly = model.weekly()
    return [
        f"  network picture, one week (blitted + PNG)   {_median_ms(lambda: net.png(model.picture())):6.1f} ms",
        f"  time chart, one week (blitted + PNG)        {_median_ms(lambda: chart.png([weekly] * 3, 60)):6.1f} ms",
        f"  readouts (picture, weekly, headline)        "
        f"{_median_ms(lambda: (model.picture(), model.weekly(), model.headline())):6.1f} ms",
        f"  one model week (step)                       {_median_ms(model.step, repeat=40):6.1f} ms",
    ]


def _serve() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "bsc_sim.viz", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError("the view did not start within 120 s")


def playing(speeds: list[str]) -> list[str]:
    from playwright.sync_api import expect, sync_playwright

    proc, url = _serve()
    lines = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
            for mode in ("one collaborative", "two designs side by side"):
                for speed in speeds:
                    page = browser.new_page(viewport={"width": 1920, "height": 1080})
                    page.goto(url, wait_until="domcontentloaded", timeout=90_000)
                    page.wait_for_selector("img.bsc-picture", timeout=90_000)
                    if mode != "one collaborative":
                        page.get_by_role("button", name=mode).click()
                        page.wait_for_selector(".bsc-two img.bsc-picture")
                    page.get_by_role("button", name=speed, exact=True).click()
                    page.evaluate(WATCH)
                    t0 = time.monotonic()
                    page.get_by_role("button", name="▶ Play").click()
                    expect(page.locator(".bsc-tile-week .bsc-tile-value")).to_have_text("104 of 104", timeout=300_000)
                    seconds = time.monotonic() - t0
                    shown = page.evaluate("window.__weeks.size")
                    lines.append(f"  {mode:<26} {speed:<8} {seconds:6.1f} s to week 104, {shown:3d} weeks shown")
                    page.close()
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="only the drawing costs")
    parser.add_argument("--speeds", default="normal,fast,fastest", help="comma-separated (slow takes ~52 s)")
    args = parser.parse_args()
    print(f"bsc_sim view playback | {os.cpu_count()} CPUs | load {os.getloadavg()[0]:.1f}")
    print("Drawing, median of repeats (default design, week 60):")
    print("\n".join(drawing()))
    if not args.no_browser:
        print("Playing 104 weeks in headless Chromium at 1920x1080:")
        print("\n".join(playing(args.speeds.split(","))))


if __name__ == "__main__":
    main()
