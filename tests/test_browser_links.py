"""Shared links and first visits in a real browser (Chromium via Playwright), as a visitor from a link meets them."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from test_browser import CHROMIUM, SHOTS, _open, _select_tab, browser, wait_for_images  # noqa: F401  (browser: the fixture)

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

WAIT = 60_000  # a tab's first visit loads its model and computes its example on 2 busy cores


def _image_arrived(page: Page, selector: str) -> None:
    """The output image has arrived (it may sit below the fold of a phone, not yet loaded: lazy images)."""
    expect(page.locator(selector)).to_have_attribute("src", re.compile(r"/file="), timeout=WAIT)


def _example_shown(page: Page, key: str) -> None:
    """Wait until the tab ``key`` shows its worked example (or a link's state)."""
    if key == "gmm":
        expect(page.locator("#gmm-status")).to_contain_text("Iteration", timeout=WAIT)
    elif key == "pixelcnn":
        expect(page.locator("#pixelcnn-status")).to_contain_text("done", timeout=WAIT)
        _image_arrived(page, "#pixelcnn-samples img")
    elif key == "gan2d":
        expect(page.locator("#gan2d-status")).to_contain_text("Iteration", timeout=WAIT)
    elif key == "vae":
        _image_arrived(page, "#vae-decoded img")
        _image_arrived(page, "#vae-map img")
    elif key == "faces":
        expect(page.locator("#faces-gallery")).to_contain_text("P(real)", timeout=WAIT)
    elif key == "cyclegan":
        _image_arrived(page, "#cyclegan-upload img")
        _image_arrived(page, "#cyclegan-heatmap img")
        expect(page.locator("#cyclegan-summary")).to_contain_text("cycle error", timeout=WAIT)
    elif key == "sr":
        _image_arrived(page, "#sr-upload img")
        for i in range(3):
            _image_arrived(page, f"#sr-out-{i} img")
        expect(page.locator("#sr-note")).to_contain_text("→", timeout=WAIT)


TABS = {"gmm": "GMM playground", "vae": "VAE latent slider", "pixelcnn": "Autoregressive (PixelCNN)",
        "gan2d": "GAN lab (2-D)",
        "faces": "This person does not exist",
        "cyclegan": "Horse to zebra", "sr": "2x super-resolution"}


def _built(key: str) -> bool:
    """Whether the tab is built (a tab whose weights are not shipped yet only says so)."""
    from generative import available

    needs = {"vae": "vae-mnist-2d", "pixelcnn": "pixelcnn-mnist", "faces": "faces-gan", "cyclegan": "cyclegan-horse2zebra",
             "sr": "sr-x2-psnr"}
    return needs.get(key, "") in available() if key in needs else True


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_every_tab_opens_on_a_worked_example(browser, app_url, width, height):
    page = _open(browser, app_url, width, height)
    for key, name in TABS.items():
        if not _built(key):
            continue
        _select_tab(page, name)
        _example_shown(page, key)
        wait_for_images(page, name, WAIT / 1000)
        expect(page.locator(f"#{key}-copy-link")).to_be_visible()
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"first-visit-{key}-{width}px.png"), full_page=True)
    expect(page.locator("#link-note")).to_be_hidden()
    page.close()


def _copied_link(page: Page, key: str) -> str:
    page.locator(f"#{key}-copy-link").click()
    box = page.locator(f"#{key}-link textarea, #{key}-link input").first
    expect(box).to_have_value(re.compile(r"^http"), timeout=15_000)
    return box.input_value()


# (query, what the tab must show, the link's parameters that Copy link writes back)
LINKS = [
    ("?tab=faces&seed=42&psi=0.7", lambda p: expect(p.locator("#faces-gallery")).to_contain_text(re.compile(r"\bseed 42\b"))),
    ("?tab=gmm&preset=moons&k=4&steps=3&cov=diag",
     lambda p: expect(p.locator("#gmm-status")).to_contain_text("Iteration 3")),
    ("?tab=vae&model=vae-mnist&z1=1.5&z3=-1", lambda p: expect(p.locator("#vae-z3 input[type=number]")).to_have_value("-1")),
    ("?tab=gan2d&data=spiral&loss=non-saturating&trained=40",
     lambda p: expect(p.locator("#gan2d-status")).to_contain_text("Iteration 40 ")),
    ("?tab=cyclegan&direction=zebra-to-horse", lambda p: expect(p.locator("#cyclegan-summary")).to_contain_text("zebra → horse")),
    ("?tab=sr&vs=psnr&x=0.3&y=0.6&zoom=32", lambda p: expect(p.locator("#sr-slider")).to_be_visible()),
]


@pytest.mark.parametrize("query, shows", LINKS, ids=[q.split("&")[0][5:] for q, _ in LINKS])
def test_a_link_opens_its_tab_in_that_state_and_copy_link_gives_it_back(browser, app_url, query, shows):
    wanted = dict(parse_qsl(query[1:]))
    key = wanted["tab"]
    page = _open(browser, app_url + query, 1280, 900)
    expect(page.get_by_role("tab", name=TABS[key])).to_have_attribute("aria-selected", "true", timeout=WAIT)
    _example_shown(page, key)
    shows(page)
    expect(page.locator("#link-note")).to_be_hidden()
    link = _copied_link(page, key)
    assert urlsplit(link).path == urlsplit(app_url).path
    written = dict(parse_qsl(urlsplit(link).query))
    assert written.items() >= wanted.items(), (written, wanted)
    page.close()

    again = _open(browser, link, 1280, 900)  # the copied link opens the same state, and copies as itself
    _example_shown(again, key)
    shows(again)
    assert dict(parse_qsl(urlsplit(_copied_link(again, key)).query)) == written
    again.close()


@pytest.mark.skipif(not _built("cyclegan"), reason="no CycleGAN weights in weights/")
def test_a_link_opens_a_tab_folded_into_more_tabs_on_a_phone(browser, app_url):
    """On a phone the later tabs sit in the "More tabs" menu; a link to one still opens it, in the link's state."""
    page = _open(browser, app_url + "?tab=cyclegan&direction=zebra-to-horse", 390, 844)
    _example_shown(page, "cyclegan")
    expect(page.locator("#cyclegan-summary")).to_contain_text("zebra → horse")
    expect(page.locator("#gmm-status")).to_be_hidden()
    page.close()


def test_bad_parameters_give_a_note_and_the_tab_still_opens(browser, app_url):
    page = _open(browser, app_url + "?tab=faces&seed=abc&psi=9&colour=red", 1280, 900)
    note = page.locator("#link-note")
    expect(note).to_contain_text("seed=abc", timeout=WAIT)
    expect(note).to_contain_text("psi=9")
    expect(note).to_contain_text("colour")
    _example_shown(page, "faces")
    expect(page.locator("#faces-gallery")).to_contain_text(re.compile(r"\bseed 0\b"))  # the defaults
    expect(page.locator(".toast-body.error")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "link-bad-parameters.png"), full_page=True)
    page.close()

    page = _open(browser, app_url + "?tab=nope", 390, 844)
    expect(page.locator("#link-note")).to_contain_text("tab=nope", timeout=WAIT)
    _example_shown(page, "gmm")
    page.close()
