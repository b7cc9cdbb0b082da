"""Number boxes, plots and drawing as a careful user meets them in a real browser (Chromium via Playwright)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect  # noqa: E402  (after the skip above)
from test_browser import _open, _select_tab, browser  # noqa: F401  (skips without Chromium; browser: shared fixture)


def test_gmm_run_right_after_typing_k_fits_that_k(browser, app_url):
    page = _open(browser, app_url)
    status = page.locator("#gmm-status")
    page.locator("#gmm-presets").get_by_text("blobs").click()
    expect(status).to_contain_text("300 points")
    page.locator("#gmm-run").click()
    expect(status).to_contain_text("K = 3", timeout=30_000)
    expect(status).to_contain_text("converged", timeout=30_000)
    for k in (5, 2, 4):  # type a new K, then click Run at once: the first click is never swallowed
        page.locator("#gmm-k input").fill(str(k))
        page.locator("#gmm-run").click()
        expect(status).to_contain_text(f"K = {k}", timeout=30_000)
        expect(status).to_contain_text("converged", timeout=30_000)
    page.close()


@pytest.mark.parametrize("typed, message", [("1000", "K must be a whole number from 1 to 10; got 1000"),
                                            ("2.5", "K must be a whole number from 1 to 10; got 2.5")])
def test_gmm_bad_k_gets_a_message_not_a_clamp(browser, app_url, typed, message):
    page = _open(browser, app_url)
    page.locator("#gmm-presets").get_by_text("blobs").click()
    expect(page.locator("#gmm-status")).to_contain_text("300 points")
    page.locator("#gmm-k input").fill(typed)
    page.locator("#gmm-step").click()
    expect(page.get_by_text(message).first).to_be_visible(timeout=15_000)
    expect(page.locator("#gmm-k input")).to_have_value(typed)  # nothing was clamped behind the user's back
    page.close()


def test_gmm_huge_seed_gets_a_message(browser, app_url):
    page = _open(browser, app_url)
    page.locator("#gmm-presets").get_by_text("blobs").click()
    expect(page.locator("#gmm-status")).to_contain_text("300 points")
    page.locator("#gmm-seed input").fill("1e30")
    page.locator("#gmm-step").click()
    expect(page.get_by_text("The seed must be a whole number from 0 to 4294967295").first).to_be_visible(timeout=15_000)
    page.close()


@pytest.mark.parametrize("tab, prefix, button, result, text", [
    ("VAE latent slider", "vae", "#vae-encode", "#vae-elbo", "ELBO of this input"),
    ("Autoregressive (PixelCNN)", "pixelcnn", "#pixelcnn-go", "#pixelcnn-nll", "nats")], ids=["vae", "pixelcnn"])
def test_drawing_works_on_the_first_drag(browser, app_url, tab, prefix, button, result, text):
    page = _open(browser, app_url, 390, 844)
    _select_tab(page, tab)
    pad = page.locator(f"#{prefix}-pad")
    pad.scroll_into_view_if_needed()
    expect(pad.get_by_text("Draw one digit")).to_be_visible(timeout=15_000)
    canvas = pad.locator("canvas").first
    page.wait_for_timeout(1000)  # the brush is picked once the pad is shown
    box = canvas.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 0.2 * box["height"])
    page.mouse.down()
    for step in range(1, 21):  # no tool chosen by hand: the first drag draws
        page.mouse.move(x, box["y"] + (0.2 + 0.03 * step) * box["height"])
    page.mouse.up()
    assert page.evaluate("window.getSelection().toString()") == ""
    page.locator(button).click()
    expect(page.locator(result)).to_contain_text(text, timeout=30_000)
    page.close()
