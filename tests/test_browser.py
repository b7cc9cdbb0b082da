"""The app in a real browser (Debian's Chromium driven by Playwright), as a student would click it."""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parent.parent / "artifacts"))
TABS = ["GMM playground", "VAE latent slider", "Autoregressive (PixelCNN)", "GAN lab (2-D)", "This person does not exist",
        "Horse to zebra", "2x super-resolution"]

if not CHROMIUM.exists():  # CI installs it; a developer's machine may lack it
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Chromium at /usr/bin/chromium: apt-get install -y chromium")
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


def _open(browser, url: str, width: int = 1400, height: int = 1000) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    expect(page.get_by_role("tab", name="GMM playground")).to_be_visible(timeout=30_000)
    return page


def _canvas_src(page: Page) -> str:
    return page.locator("#gmm-canvas img").get_attribute("src") or ""


def _select_tab(page: Page, name: str) -> None:
    """Click a tab; on a narrow window Gradio folds tabs into its "More tabs" menu."""
    tab = page.get_by_role("tab", name=name)
    expect(page.get_by_role("tab").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(200)  # the tab row is measured, and folded, after it first appears
    try:
        if not tab.is_visible():
            raise PlaywrightTimeoutError("folded")
        tab.click(timeout=3_000)
    except PlaywrightTimeoutError:  # folded, or folded while we looked
        page.get_by_role("button", name="More tabs").click()
        page.locator(".overflow-dropdown button", has_text=name).click()
    expect(tab).to_have_attribute("aria-selected", "true")


def _screenshot_and_close(page: Page, name: str) -> None:
    """Save the whole page as ``artifacts/<name>.png`` for a person to look at, then close it."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.close()


def wait_for_images(page: Page, tab: str, seconds: float = 15) -> None:
    """Wait until every visible <img> has loaded; on timeout, fail naming the images that have not.

    The whole-page screenshot shows images below the fold too, which a narrow window lazy-loads only when scrolled
    to: each poll switches the lazy ones, those of a tab's first example included (they come later), to eager."""
    unloaded = ("() => Array.from(document.images).filter(i => i.offsetParent && !(i.complete && i.naturalWidth > 0))"
                ".map(i => `${(i.closest('[id]') || {}).id || '?'}: ${i.src.slice(0, 80)} complete=${i.complete}`)")
    for _ in range(int(seconds / 0.25)):
        page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
        pending = page.evaluate(unloaded)
        if not pending:
            return
        page.wait_for_timeout(250)
    pytest.fail(f"the {tab} tab: images not loaded after {seconds:g} s: {pending}")


def _slug(tab: str) -> str:
    return tab.split()[0].lower()


def _shown(page: Page, selector: str, index: int = 0) -> np.ndarray:
    """The picture that an <img> shows, read back as the browser received it: (H, W, 3) uint8."""
    image = page.locator(selector).nth(index)
    expect(image).to_be_visible(timeout=30_000)
    src = image.get_attribute("src") or ""
    data = base64.b64decode(src.split(",", 1)[1]) if src.startswith("data:") else page.request.get(src).body()
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _digit_like(image: np.ndarray) -> bool:
    """White strokes on a black ground, as MNIST digits are shown: a dark median and 3-50 % bright pixels."""
    grey = image.mean(axis=2)
    return bool(np.median(grey) < 40 and 0.03 < (grey > 128).mean() < 0.5)


@pytest.mark.parametrize("width, height, theme", [(1400, 1000, "light"), (390, 844, "light"), (1400, 1000, "dark")],
                         ids=["desktop", "phone", "dark"])
def test_every_tab_opens_and_fits_the_window(browser, app_url, width, height, theme):
    page = _open(browser, app_url + ("?__theme=dark" if theme == "dark" else ""), width, height)
    expect(page.get_by_text("Generative Models Studio").first).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    for name in TABS:
        _select_tab(page, name)
        panel = page.get_by_role("tabpanel").locator("visible=true").first
        expect(panel).to_be_visible()
        assert len(panel.inner_text().strip()) > 40, f"the {name} tab shows no explanation"
        if name == "VAE latent slider":
            expect(page.locator("#vae-decoded img")).to_be_visible(timeout=15_000)
            expect(page.locator("#vae-map img")).to_be_visible()
        if name == "This person does not exist":
            expect(page.locator("#faces-gallery img").first).to_be_visible(timeout=15_000)
        wait_for_images(page, name)
        page.wait_for_timeout(300)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 2, f"the {name} tab is {overflow} px wider than a {width} px window"
        page.screenshot(path=str(SHOTS / f"tab-{_slug(name)}-{width}px-{theme}.png"), full_page=True)
    page.close()


def test_gmm_click_points_run_em_and_see_the_fit(browser, app_url):
    page = _open(browser, app_url)
    status = page.locator("#gmm-status")
    expect(status).to_contain_text("Iteration", timeout=30_000)  # the tab opens on a fitted example
    page.get_by_role("button", name="Clear").click()
    expect(status).to_contain_text("No points yet")
    empty_canvas = _canvas_src(page)
    image = page.locator("#gmm-canvas img")
    image.scroll_into_view_if_needed()
    # twelve scattered points on which EM from the default seed takes several iterations
    clicks = [(0.77, 0.51), (0.79, 0.25), (0.56, 0.43), (0.68, 0.3), (0.72, 0.53), (0.74, 0.49), (0.46, 0.67),
              (0.79, 0.42), (0.78, 0.76), (0.31, 0.57), (0.62, 0.77), (0.6, 0.28)]
    for i, (fx, fy) in enumerate(clicks, start=1):
        page.wait_for_function("() => { const i = document.querySelector('#gmm-canvas img'); "
                               "return i && i.complete && i.naturalWidth > 0; }")
        box = image.bounding_box()
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        expect(status).to_contain_text(f"{i} point")
    with_points = _canvas_src(page)
    assert with_points != empty_canvas

    page.locator("#gmm-step").click()
    expect(status).to_contain_text("Iteration 1")
    first = re.search(r"log-likelihood ([-\d.]+)", status.inner_text()).group(1)
    page.locator("#gmm-run").click()
    expect(status).to_contain_text("converged", timeout=30_000)
    last = re.search(r"log-likelihood ([-\d.]+)", status.inner_text()).group(1)
    assert float(last) > float(first) + 0.01
    assert _canvas_src(page) != with_points
    expect(page.locator("#gmm-params")).to_contain_text("Σ xx")
    page.screenshot(path=str(SHOTS / "gmm-fitted.png"), full_page=True)
    page.close()


def test_gmm_preset_and_dark_mode(browser, app_url):
    page = _open(browser, app_url + "?__theme=dark")
    page.locator("#gmm-presets").get_by_text("moons").click()
    expect(page.locator("#gmm-status")).to_contain_text("300 points")
    background = page.evaluate("getComputedStyle(document.querySelector('gradio-app')).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert max(channels) < 80, background  # a dark page
    page.screenshot(path=str(SHOTS / "gmm-dark.png"), full_page=True)
    page.close()


def test_vae_slider_changes_the_digit_and_a_drawing_is_encoded(browser, app_url):
    page = _open(browser, app_url)
    page.get_by_role("tab", name="VAE latent slider").click()
    decoded = page.locator("#vae-decoded img")
    expect(decoded).to_be_visible(timeout=15_000)
    before = decoded.get_attribute("src")
    slider = page.locator("#vae-z1 input[type=range]")
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.5 * box["width"], y)  # the thumb: z1 starts at 0, the middle of [-3, 3]
    page.mouse.down()
    for fraction in (0.6, 0.7, 0.8, 0.9):  # drag it to the right
        page.mouse.move(box["x"] + fraction * box["width"], y)
    page.mouse.up()
    expect(page.locator("#vae-z1 input[type=number]")).not_to_have_value("0")
    expect(decoded).not_to_have_attribute("src", before)
    # the decoded picture is the handler's digit for the z₁ the box shows (the last drag event may still be arriving)
    from generative.ui import vae as tab

    name = next(n for n in tab.MODELS if n in __import__("generative").available())
    for _ in range(20):
        z1 = float(page.locator("#vae-z1 input[type=number]").input_value())
        expected = tab.decode_sliders(tab.VaeSession(), name, z1, *[0.0] * (tab.N_SLIDERS - 1))
        shown = _shown(page, "#vae-decoded img")
        if shown.shape[:2] == expected.shape and np.abs(shown[..., 0].astype(int) - expected).mean() < 2:
            break
        page.wait_for_timeout(250)
    assert np.abs(shown[..., 0].astype(int) - expected).mean() < 2 and _digit_like(shown)

    pad = page.locator("#vae-pad")
    pad.get_by_role("button", name="Brush").first.click()
    canvas = pad.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 0.2 * box["height"])
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x, box["y"] + (0.2 + 0.03 * step) * box["height"])
    page.mouse.up()
    map_before = page.locator("#vae-map img").get_attribute("src")
    page.locator("#vae-encode").click()
    expect(page.locator("#vae-elbo")).to_contain_text("ELBO of this input", timeout=15_000)
    expect(page.locator("#vae-elbo")).to_contain_text("μ")
    expect(page.locator("#vae-map img")).not_to_have_attribute("src", map_before)
    seen = _shown(page, "#vae-seen img")
    recon = _shown(page, ".block:has-text('Reconstruction: decode(μ)') img")
    assert _digit_like(seen) and _digit_like(recon)
    assert np.abs(recon.astype(int) - seen).mean() < 0.08 * 255  # the drawn stroke comes back (0.036 measured)
    _screenshot_and_close(page, "vae-encoded")


def test_vae_upload_an_image_and_a_corrupt_file(browser, app_url, tmp_path):
    from generative.ui.vae import EXAMPLES

    page = _open(browser, app_url)
    page.get_by_role("tab", name="VAE latent slider").click()
    expect(page.locator("#vae-decoded img")).to_be_visible(timeout=15_000)
    page.get_by_role("tab", name="Upload").click()
    page.locator("#vae-upload input[type=file]").set_input_files(EXAMPLES[0])
    expect(page.locator("#vae-upload img")).to_be_visible(timeout=15_000)
    expect(page.locator("#vae-elbo")).to_contain_text("ELBO of this input", timeout=15_000)  # no click needed
    first = page.locator("#vae-seen img").get_attribute("src")
    page.locator("#vae-examples button").nth(1).click()  # another example drawing: encoded at once
    expect(page.locator("#vae-seen img")).not_to_have_attribute("src", first, timeout=15_000)
    page.close()

    page = _open(browser, app_url)  # a fresh visit: upload a broken file
    page.get_by_role("tab", name="VAE latent slider").click()
    expect(page.locator("#vae-decoded img")).to_be_visible(timeout=15_000)
    page.get_by_role("tab", name="Upload").click()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really an image")
    page.locator("#vae-upload input[type=file]").set_input_files(str(bad))
    expect(page.get_by_text("not an image that can be read").first).to_be_visible(timeout=15_000)
    expect(page.locator("#vae-decoded img")).to_be_visible()  # the rest of the tab is untouched
    page.close()


@pytest.mark.skipif(not {"faces-gan", "faces-gan-d"} <= set(__import__("generative").available()),
                    reason="no face GAN weights in weights/")
def test_faces_new_face_button_changes_the_faces(browser, app_url):
    page = _open(browser, app_url)
    page.get_by_role("tab", name="This person does not exist").click()
    first = page.locator("#faces-gallery img").first
    expect(first).to_be_visible(timeout=15_000)
    expect(page.locator("#faces-gallery")).to_contain_text("P(real)")
    from test_faces import MEAN_FACE_4X4

    faces = [Image.fromarray(_shown(page, "#faces-gallery img", i)) for i in range(8)]
    mean = np.mean([np.asarray(face.resize((4, 4), Image.Resampling.BOX)) for face in faces], axis=0) / 255
    assert np.corrcoef(mean.ravel(), MEAN_FACE_4X4.ravel())[0, 1] > 0.6  # faces (0.90-0.98 measured), not noise
    before = first.get_attribute("src")
    seed_before = page.locator("#faces-seed input").input_value()
    page.locator("#faces-new").click()
    expect(page.locator("#faces-seed input")).not_to_have_value(seed_before, timeout=15_000)
    expect(page.locator("#faces-gallery img").first).not_to_have_attribute("src", before)
    _screenshot_and_close(page, "faces")


@pytest.mark.skipif(not {"cyclegan-horse2zebra", "cyclegan-zebra2horse"} <= set(__import__("generative").available()),
                    reason="no CycleGAN weights in weights/")
def test_cyclegan_upload_shows_the_cycle_panel(browser, app_url, tmp_path):
    photo = Image.new("RGB", (320, 240), (120, 170, 235))
    ImageDraw.Draw(photo).ellipse([60, 80, 240, 170], fill=(140, 90, 50))
    photo.save(tmp_path / "brown.png")
    page = _open(browser, app_url)
    _select_tab(page, "Horse to zebra")
    # the worked example first: an upload made while it is arriving is read after the example replaced it
    expect(page.locator("#cyclegan-summary")).to_contain_text("cycle error", timeout=30_000)
    page.locator("#cyclegan-upload input[type=file]").set_input_files(str(tmp_path / "brown.png"))
    expect(page.locator("#cyclegan-summary")).to_contain_text("input 320 x 240", timeout=30_000)  # not the example
    expect(page.locator("#cyclegan-heatmap img")).to_be_visible(timeout=30_000)
    expect(page.locator("#cyclegan-change img")).to_be_visible(timeout=30_000)
    expect(page.locator("#cyclegan-summary")).to_contain_text("cycle error", timeout=30_000)
    expect(page.locator("#cyclegan-cycle img")).to_have_count(5)
    _screenshot_and_close(page, "cyclegan")


@pytest.mark.skipif(not {"cyclegan-horse2zebra", "cyclegan-zebra2horse"} <= set(__import__("generative").available()),
                    reason="no CycleGAN weights in weights/")
def test_cyclegan_shows_zebras_for_an_uploaded_horse_photo(browser, app_url, tmp_path):
    from test_cyclegan import example_horses

    import generative

    if "horse-zebra-classifier" not in generative.available():
        pytest.skip("no classifier weights")
    horses = example_horses(240)
    Image.fromarray(horses).save(tmp_path / "horses.png")
    page = _open(browser, app_url)
    _select_tab(page, "Horse to zebra")
    expect(page.locator("#cyclegan-summary")).to_contain_text("cycle error", timeout=30_000)  # the worked example
    page.locator("#cyclegan-upload input[type=file]").set_input_files(str(tmp_path / "horses.png"))
    expect(page.locator("#cyclegan-summary")).to_contain_text(f"input 240 x {horses.shape[0]}", timeout=30_000)
    assert np.abs(_shown(page, "#cyclegan-cycle img", 0).astype(int) - horses).mean() < 3  # x as uploaded
    fake = _shown(page, "#cyclegan-cycle img", 1)  # G(x), as the user sees it
    classifier = generative.load("horse-zebra-classifier", device="cpu")
    assert classifier.prob_zebra([horses])[0] < 0.1 < 0.9 < classifier.prob_zebra([fake])[0]
    page.close()


@pytest.mark.skipif(not {"sr-x2-psnr", "sr-x2-gan"} <= set(__import__("generative").available()),
                    reason="no super-resolution weights in weights/")
def test_sr_upload_shows_three_results(browser, app_url, tmp_path):
    photo = Image.new("RGB", (96, 72), (200, 220, 240))
    ImageDraw.Draw(photo).polygon([(10, 60), (50, 8), (90, 60)], fill=(30, 90, 40))
    photo.save(tmp_path / "hill.png")
    page = _open(browser, app_url)
    _select_tab(page, "2x super-resolution")
    expect(page.locator("#sr-out-2 img")).to_be_visible(timeout=30_000)  # the worked example first, as above
    page.locator("#sr-upload input[type=file]").set_input_files(str(tmp_path / "hill.png"))
    for i in range(3):
        expect(page.locator(f"#sr-out-{i} img")).to_be_visible(timeout=30_000)
    expect(page.locator("#sr-note")).to_contain_text("192 × 144", timeout=30_000)
    from test_sr import _detail

    bicubic, *nets = (_shown(page, f"#sr-out-{i} img") for i in range(3))
    assert bicubic.shape == (144, 192, 3)
    assert all(_detail(net) > 1.05 * _detail(bicubic) for net in nets)  # the nets add detail that bicubic lacks
    page.locator("#sr-restore").click()
    expect(page.locator("#sr-scores")).to_contain_text("PSNR net", timeout=30_000)
    _screenshot_and_close(page, "sr")


@pytest.mark.skipif(not {"sr-x2-psnr", "sr-x2-gan"} <= set(__import__("generative").available()),
                    reason="no super-resolution weights in weights/")
def test_sr_long_upscale_shows_one_progress_bar_over_the_slider(browser, app_url, tmp_path):
    """A big photo takes seconds: the slider counts the tiles, and the other results are not greyed out meanwhile."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (1000, 1400, 3), dtype=np.uint8)).save(tmp_path / "big.png")
    page = _open(browser, app_url)
    _select_tab(page, "2x super-resolution")
    expect(page.locator("#sr-out-2 img")).to_be_visible(timeout=30_000)
    page.locator("#sr-upload input[type=file]").set_input_files(str(tmp_path / "big.png"))
    expect(page.locator("#sr-slider .progress-level")).to_contain_text(re.compile(r"tile \d+ of \d+"), timeout=30_000)
    for box in ("#sr-out-0", "#sr-out-1", "#sr-out-2", "#sr-diff"):
        assert page.locator(f"{box} .wrap:not(.hide)").count() == 0, f"{box} shows a loading overlay"
    expect(page.locator("#sr-note")).to_contain_text("2800 × 2000", timeout=60_000)
    page.close()
