"""The browser view in headless Chromium: loads offline, draws, steps, resets with new values.

Needs Debian's Chromium at /usr/bin/chromium (``.ci/run`` installs it; a missing browser is a
failure naming the install command).
"""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")
Image = pytest.importorskip("PIL.Image")

PARTNERSHIP = re.compile(r"Russia–China partnership (\d\.\d\d)")


def _in_force(page) -> str:
    return page.locator(".multipolar-in-force").inner_text()


def test_view_loads_draws_steps_and_resets_with_a_moved_slider(
    viz_server: str, chromium_launch: dict[str, object]
) -> None:
    errors: list[str] = []
    outside: list[str] = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.on("pageerror", lambda error: errors.append(str(error)))

            def only_local(route) -> None:
                if route.request.url.startswith(viz_server.rstrip("/")):
                    route.continue_()
                elif route.request.url.startswith("data:"):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", only_local)
            page.goto(viz_server, wait_until="domcontentloaded")
            page.get_by_text(re.compile(r"Step 0 of \d+")).wait_for(timeout=120_000)

            # the map is drawn: its image has real variation, not a blank canvas
            image = page.locator(".multipolar-map img").first
            image.wait_for(timeout=60_000)
            shot_bytes = image.screenshot()
            shot = Image.open(io.BytesIO(shot_bytes)).convert("RGB")
            pixels = np.asarray(shot, dtype=float)
            assert shot.width > 300 and shot.height > 150
            assert pixels.std() > 20.0
            assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200

            # switching the map to one channel's heat map redraws it
            chooser = page.locator(".multipolar-map .v-select").first
            for _ in range(3):  # a click during the menu's opening animation may be lost
                chooser.click()
                page.get_by_role("option", name="CHN.economy").click()
                page.wait_for_timeout(500)
                if "CHN.economy" in chooser.inner_text():
                    break
            assert "CHN.economy" in chooser.inner_text()
            deadline = time.monotonic() + 30
            while image.screenshot() == shot_bytes and time.monotonic() < deadline:
                page.wait_for_timeout(250)
            assert image.screenshot() != shot_bytes

            latencies = []
            for k in range(1, 4):
                start = time.perf_counter()
                page.get_by_role("button", name="Step", exact=True).click()
                page.get_by_text(re.compile(rf"Step {k} of \d+")).wait_for(timeout=60_000)
                latencies.append(time.perf_counter() - start)
            print("step + redraw in the browser (s):", [round(t, 3) for t in latencies])
            assert page.get_by_text("Time: 3.0").count() == 1  # Mesa's own step counter

            before = float(PARTNERSHIP.search(_in_force(page)).group(1))
            slider = page.locator(".v-input", has_text="Russia–China partnership").locator(
                ".v-slider"
            )
            box = slider.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + 0.2 * box["width"], box["y"] + box["height"] / 2)
            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_text(re.compile(r"Step 0 of \d+")).wait_for(timeout=60_000)
            page.wait_for_function(
                "([before]) => !document.querySelector('.multipolar-in-force')"
                ".innerText.includes('partnership ' + before)",
                arg=[f"{before:.2f}"],
                timeout=60_000,
            )
            after = float(PARTNERSHIP.search(_in_force(page)).group(1))
            assert after != pytest.approx(before)
            assert 0.1 <= after <= 0.3  # clicked at a fifth of a 0..1 slider
        finally:
            browser.close()
    assert errors == []
    assert outside == []  # offline: every asset comes from the local server
