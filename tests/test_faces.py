"""The face GAN: API, determinism, and face statistics that untrained weights could not show."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from PIL import Image

import generative
from generative.faces import Generator, to_uint8

pytestmark = pytest.mark.skipif(not {"faces-gan", "faces-gan-d"} <= set(generative.available()),
                                reason="no face GAN weights in weights/")

# The average holdout face (CelebA 64 x 64 crops) pooled to 4 x 4 cells, RGB in [0, 1]: bright skin in
# the middle, darker hair and background around it. Measured once on faces_64_holdout.npy.
MEAN_FACE_4X4 = np.array([
    [[0.45, 0.41, 0.39], [0.41, 0.33, 0.28], [0.41, 0.33, 0.28], [0.45, 0.41, 0.38]],
    [[0.43, 0.37, 0.33], [0.67, 0.51, 0.42], [0.67, 0.51, 0.43], [0.43, 0.36, 0.32]],
    [[0.48, 0.39, 0.34], [0.70, 0.52, 0.44], [0.71, 0.53, 0.44], [0.49, 0.39, 0.34]],
    [[0.45, 0.38, 0.33], [0.64, 0.46, 0.39], [0.65, 0.47, 0.40], [0.45, 0.38, 0.33]],
])


@pytest.fixture(scope="module")
def g():
    return generative.load("faces-gan", device="cpu")


@pytest.fixture(scope="module")
def d():
    return generative.load("faces-gan-d", device="cpu")


def test_same_seed_same_face_and_different_seeds_differ(g):
    a, b = g.generate([5, 6]), g.generate([5, 6])
    assert a.shape == (2, 64, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert np.abs(a[0].astype(int) - a[1].astype(int)).mean() > 5


def _spread(faces: np.ndarray) -> float:
    """Per-pixel standard deviation across faces, averaged over pixels (grey levels)."""
    return float(faces.astype(np.float64).std(axis=0).mean())


def test_truncation_zero_gives_the_average_w_face_for_every_seed(g):
    faces = g.generate([1, 2, 3], truncation=0.0)
    assert (faces == faces[0]).all()
    with torch.no_grad():  # the same batch size: a batch of 1 may take another convolution path, and round otherwise
        np.testing.assert_array_equal(faces, to_uint8(g.synthesis(g.w_avg[None].expand(3, -1))))


def test_stored_average_w_is_the_mean_of_w_over_z(g):
    z = torch.randn(4000, g.z_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        w = g.mapping(z)
    # in units of each coordinate's spread, so that the check does not depend on the scale of w: the sampling error of a
    # 4,000-draw mean is 1/63 of it; measured at most 0.06 (generator of step 19,697) and 0.04 (step 54,768)
    off = (w.mean(0) - g.w_avg).abs() / w.std(0)
    assert off.max() < 0.1
    assert (w.mean(0).abs() / w.std(0)).max() > 0.5  # a w_avg of zeros would be this far off


def test_truncation_trades_variety_for_typicality(g):
    seeds = list(range(32))
    spread = {psi: _spread(g.generate(seeds, truncation=psi)) for psi in (0.5, 1.0, 1.5)}
    # measured 37 vs 54 grey levels (33 vs 52 for the generator before the mapping blocks): ψ = 0.5 varies
    # clearly less, yet its faces still differ
    assert spread[0.5] < 0.75 * spread[1.0] and spread[0.5] > 15
    assert spread[1.5] > spread[1.0]
    half = g.generate(seeds[:2], truncation=0.5).astype(int)
    assert np.abs(half[0] - half[1]).mean() > 10
    np.testing.assert_array_equal(g.generate([7, 8], 0.5), g.generate([7, 8], 0.5))


def test_truncation_one_is_the_trained_generator(g):
    z = Generator.noise([3, 4], g.z_dim)
    with torch.no_grad():
        untruncated = to_uint8(g.synthesis(g.mapping(z)))
    np.testing.assert_array_equal(g.generate([3, 4], truncation=1.0), untruncated)


def test_interpolation_runs_from_one_seed_to_the_other(g):
    frames = g.interpolate(3, 9, 5, truncation=0.7)
    assert frames.shape == (5, 64, 64, 3) and frames.dtype == np.uint8
    # the end frames are the seeds' faces, up to float rounding between batch sizes (at most 1 grey level)
    assert np.abs(frames[0].astype(int) - g.generate([3], 0.7)[0]).max() <= 1
    assert np.abs(frames[-1].astype(int) - g.generate([9], 0.7)[0]).max() <= 1
    steps = np.abs(np.diff(frames.astype(int), axis=0)).mean(axis=(1, 2, 3))
    assert steps.max() < np.abs(frames[-1].astype(int) - frames[0]).mean()  # a path, not a jump


def test_generated_faces_look_like_the_average_face(g):
    faces = g.generate(list(range(64))).astype(np.float64) / 255
    mean = faces.mean(0).reshape(4, 16, 4, 16, 3).mean((1, 3))
    correlation = np.corrcoef(mean.ravel(), MEAN_FACE_4X4.ravel())[0, 1]
    assert correlation > 0.8 and np.abs(mean - MEAN_FACE_4X4).mean() < 0.1
    assert faces.std(axis=(1, 2, 3)).mean() > 0.12  # faces have contrast, not a flat colour


def test_discriminator_probabilities(d, g):
    noise = np.random.default_rng(0).integers(0, 256, (16, 64, 64, 3), dtype=np.uint8)
    flat = np.full((4, 64, 64, 3), 128, dtype=np.uint8)
    p = d.prob_real(np.concatenate([noise, flat, g.generate(list(range(16)))]))
    assert p.shape == (36,) and ((0 <= p) & (p <= 1)).all()
    # An untrained discriminator (spectral norm, tiny logits) says about 0.5 to everything (0.48-0.51 measured);
    # the trained one has opinions.
    assert p.max() - p.min() > 0.2


def test_tab_handlers(tmp_path):
    import gradio as gr

    from generative.ui import faces as tab

    grid = tab.generate_grid(3, 0.8)
    assert len(grid) == tab.GRID and "P(real)" in grid[0][1]
    strip, gif = tab.interpolate(0, 1, 0.8)
    assert strip.shape == (tab.SHOW_PX, tab.FRAMES * tab.SHOW_PX, 3) and gif.endswith("/faces-seed-0-to-1.gif")
    for bad in (-1, 2.5, None, 2**40):
        with pytest.raises(gr.Error, match="whole number"):
            tab.generate_grid(bad, 0.8)
    with pytest.raises(gr.Error, match="Upload a face photo"):
        tab.judge_upload(None, 0.8, 0.5, 0.5)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(gr.Error, match="not an image"):
        tab.judge_upload(str(tmp_path / "bad.png"), 0.8, 0.5, 0.5)
    Image.new("RGB", (300, 200), "tan").save(tmp_path / "face.jpg")
    crop, verdict = tab.judge_upload(str(tmp_path / "face.jpg"), 0.8, 0.5, 0.45)
    assert crop.shape == (tab.SHOW_PX, tab.SHOW_PX, 3) and "P(real)" in verdict


def test_enhance_a_chosen_face():
    import gradio as gr

    from generative.ui import faces as tab

    if "sr-x2-psnr" not in generative.available():
        with pytest.raises(gr.Error, match="not trained yet"):
            tab.enhance(3, 2, 0.8)
        return
    (bicubic, sharp), note = tab.enhance(3, 2, 0.8)
    assert bicubic.shape == sharp.shape == (128, 128, 3) and sharp.dtype == np.uint8 and "Seed 4" in note
    for bad in (0, 9, 2.5, None, float("nan")):
        with pytest.raises(gr.Error, match="Pick a face"):
            tab.enhance(3, bad, 0.8)


def test_variety_figure_fails_a_collapsed_set_and_passes_a_fresh_sample():
    pytest.importorskip("prdc")
    from bench.faces import variety

    rng = np.random.default_rng(0)
    real = rng.normal(size=(500, 16))
    fresh = variety(real, rng.normal(size=(500, 16)))
    collapsed = variety(real, np.repeat(rng.normal(size=(10, 16)), 50, axis=0))  # 10 modes, each 50 times
    assert fresh["coverage"] > 0.9 and fresh["recall"] > 0.5
    assert collapsed["coverage"] < 0.2 and collapsed["recall"] < fresh["recall"] / 2


def _gallery_faces(gallery: list[dict]) -> np.ndarray:
    paths = [item["image"]["path"] if isinstance(item["image"], dict) else item["image"] for item in gallery]
    return np.stack([np.asarray(Image.open(path).convert("RGB")) for path in paths])


def _p_real(text: str) -> float:
    return float(re.search(r"P\(real\)\W*([0-9.]+)", text).group(1))


def test_psi_through_the_app(app_url):
    """What a user sees when moving ψ: one face at 0, clearly less variety at 0.5 than at 1."""
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    faces = {psi: _gallery_faces(client.predict(0, psi, api_name="/faces_generate")) for psi in (0.0, 0.5, 1.0)}
    assert (faces[0.0] == faces[0.0][0]).all()
    assert _spread(faces[0.5]) < 0.75 * _spread(faces[1.0])  # measured 28 vs 48 grey levels (seeds 0-7, 192 px)
    assert np.abs(faces[0.5].astype(int) - faces[1.0]).mean() > 5
    with pytest.raises(Exception, match="1.5"):
        client.predict(0, 1.6, api_name="/faces_generate")


def test_discriminator_verdicts_through_the_app(app_url, tmp_path):
    """A real photo cropped to its detected face is judged more real than noise, and noise less real than the GAN's
    faces (measured: astronaut 0.53, noise 0.30, generated faces 0.43 on average)."""
    from gradio_client import Client, handle_file

    from generative.ui.faces import DEFAULT_CROP, EXAMPLE_FACE

    client = Client(app_url, verbose=False)
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)).save(tmp_path / "n.png")
    *crop_noise, _, noise_verdict = client.predict(handle_file(str(tmp_path / "n.png")), api_name="/faces_judge_new")
    assert tuple(crop_noise) == DEFAULT_CROP  # no face found: the centre
    *crop_photo, _, photo_verdict = client.predict(handle_file(str(EXAMPLE_FACE)), api_name="/faces_judge_new")
    size, cx, cy = crop_photo  # the astronaut's face: about a third of the picture, above its centre
    assert 0.2 < size < 0.4 and 0.35 < cx < 0.5 and 0.1 < cy < 0.3
    generated = [_p_real(item["caption"]) for item in client.predict(0, 1.0, api_name="/faces_generate")]
    p_noise, p_photo = _p_real(noise_verdict), _p_real(photo_verdict)
    assert p_photo > p_noise + 0.1
    assert p_noise < np.mean(generated) - 0.05


def test_typing_psi_in_its_box_redraws_the_faces(app_url):
    """Typing a value in ψ's number box (not only dragging the slider) shows new faces."""
    from pathlib import Path

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        page.get_by_role("tab", name="This person does not exist").click()
        first = page.locator("#faces-gallery img").first
        expect(first).to_be_visible(timeout=30_000)
        before = first.get_attribute("src")
        box = page.locator("#faces-psi input[type=number]")
        box.fill("0")
        box.press("Enter")
        expect(first).not_to_have_attribute("src", before, timeout=15_000)
        sources = {page.locator("#faces-gallery img").nth(i).get_attribute("src") for i in range(2)}
        browser.close()
    assert len(sources) == 1  # ψ = 0: the same face for every seed


def test_the_verdict_says_when_the_discriminator_is_older_than_the_generator(monkeypatch):
    from generative.ui import faces as tab

    steps = {"faces-gan": 17925, "faces-gan-d": 11201}
    monkeypatch.setattr(tab, "training_record", lambda name: (steps[name], {}))
    assert "step 11,201" in tab._verdict_note() and "step 17,925" in tab._verdict_note()
    steps["faces-gan-d"] = 17925
    assert tab._verdict_note() == tab.VERDICT_NOTE
