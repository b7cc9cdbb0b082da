"""The Autoregressive (PixelCNN) tab in a real browser (Chromium via Playwright): samples fill in row by row."""

from __future__ import annotations

import re

import pytest
from test_browser import CHROMIUM, _open, _screenshot_and_close, _select_tab, browser  # noqa: F401  (browser: the fixture)

import generative

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)
if "pixelcnn-mnist" not in generative.available():
    pytest.skip("no trained PixelCNN", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

TAB = "Autoregressive (PixelCNN)"


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_sampling_fills_the_image_in_and_a_digit_is_explained(browser, app_url, width, height):
    from generative.ui.pixelcnn import EXAMPLES

    page = _open(browser, app_url, width, height)
    _select_tab(page, TAB)
    status = page.locator("#pixelcnn-status")
    expect(status).to_contain_text("done", timeout=30_000)  # the tab opens on sampled digits
    page.locator("#pixelcnn-seed input").fill("5")  # other digits than the example's
    page.locator("#pixelcnn-sample").click()
    expect(status).not_to_contain_text("done", timeout=15_000)
    sources, rows_seen = set(), set()
    for _ in range(1200):  # at most about a minute: the picture changes while the rows stream in
        text = status.inner_text()
        if "done" in text:
            break
        rows_seen.update(re.findall(r"row (\d+) of 28", text))
        image = page.locator("#pixelcnn-samples img")
        if image.count():
            sources.add(image.get_attribute("src"))
        page.wait_for_timeout(50)
    if width > 600:  # watched once, on the wide page; the narrow one checks the layout and the result
        assert len(sources) >= 2 and len(rows_seen) >= 2, f"the samples did not fill in row by row: {text!r}"
    expect(status).to_contain_text("784 network evaluations")

    page.get_by_role("tab", name="Upload").last.click()
    page.locator("#pixelcnn-upload input[type=file]").set_input_files(EXAMPLES[1])
    expect(page.locator("#pixelcnn-upload img")).to_be_visible(timeout=15_000)
    page.locator("#pixelcnn-go").click()
    expect(page.locator("#pixelcnn-nll")).to_contain_text("nats", timeout=30_000)
    expect(page.locator("#pixelcnn-heat img")).to_be_visible()
    expect(page.locator("#pixelcnn-completions img")).to_be_visible(timeout=30_000)
    _screenshot_and_close(page, f"pixelcnn-{width}")


def test_an_empty_canvas_gets_a_message(browser, app_url):
    page = _open(browser, app_url)
    _select_tab(page, TAB)
    page.locator("#pixelcnn-go").click()
    expect(page.get_by_text("Draw a digit first").first).to_be_visible(timeout=15_000)
    page.close()
