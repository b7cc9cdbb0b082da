"""The GAN lab tab in a real browser (Chromium via Playwright): Run animates the game, Stop ends it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect  # noqa: E402  (after the skip above)
from test_browser import SHOTS, _open, _select_tab, browser, wait_for_images  # noqa: F401  (skips without Chromium; browser: shared fixture)

TAB = "GAN lab (2-D)"


def _iteration(page: Page) -> int:
    match = re.search(r"Iteration ([\d,]+)", page.locator("#gan2d-status").inner_text())
    return int(match.group(1).replace(",", "")) if match else 0


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_run_animates_the_game_and_stop_ends_it(browser, app_url, width, height):
    page = _open(browser, app_url, width, height)
    _select_tab(page, TAB)
    status, canvas = page.locator("#gan2d-status"), page.locator("#gan2d-canvas img")
    expect(status).to_contain_text("320 training points, 80 held out")
    expect(status).to_contain_text("Iteration", timeout=30_000)  # the tab opens on a trained example
    expect(canvas).to_be_visible()
    before = canvas.get_attribute("src")
    page.locator("#gan2d-run").click()
    expect(status).to_contain_text("Iteration", timeout=30_000)
    first = _iteration(page)
    page.wait_for_function("n => { const m = document.querySelector('#gan2d-status').innerText"
                           ".match(/Iteration ([\\d,]+)/); return m && +m[1].replace(/,/g, '') > n; }",
                           arg=first + 100, timeout=60_000)
    assert canvas.get_attribute("src") != before  # the picture follows the game
    page.locator("#gan2d-stop").click()
    page.wait_for_timeout(1500)
    stopped = _iteration(page)
    page.wait_for_timeout(1500)
    assert _iteration(page) == stopped  # Stop ended the run
    page.locator("#gan2d-compare").click()
    expect(page.locator("#gan2d-compare-text")).to_contain_text("energy distance", timeout=30_000)
    expect(page.locator("#gan2d-compare-image img")).to_be_visible()
    wait_for_images(page, TAB)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 2, f"the tab is {overflow} px wider than a {width} px window"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"gan2d-{width}px.png"), full_page=True)
    page.close()


def test_a_settings_preset_sets_the_controls(browser, app_url):
    page = _open(browser, app_url)
    _select_tab(page, TAB)
    expect(page.locator("#gan2d-status")).to_contain_text("Iteration", timeout=30_000)  # the trained example
    page.locator("#gan2d-scenarios").get_by_text("mode collapse").click()
    expect(page.locator("#gan2d-loss input[value='non-saturating']")).to_be_checked()
    page.locator("#gan2d-step").click()
    expect(page.locator("#gan2d-status")).to_contain_text("Iteration 50", timeout=30_000)
    page.close()


def test_two_quick_step_clicks_make_two_steps(browser, app_url):
    """A second click on Step while the first is still running is not dropped: it runs after it."""
    page = _open(browser, app_url)
    _select_tab(page, TAB)
    status = page.locator("#gan2d-status")
    expect(status).to_contain_text("Iteration", timeout=30_000)  # the trained example
    start = _iteration(page)
    step = page.locator("#gan2d-step")
    step.click()
    step.click()
    expect(status).to_contain_text(f"Iteration {start + 100:,}", timeout=30_000)
    page.wait_for_timeout(1000)
    assert _iteration(page) == start + 100
    page.close()
