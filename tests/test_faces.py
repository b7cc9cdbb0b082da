"""The face GAN: API, determinism, and face statistics that untrained weights could not show."""

from __future__ import annotations

import numpy as np
import pytest

import generative

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


def test_truncation_zero_gives_the_mean_face_for_every_seed(g):
    faces = g.generate([1, 2, 3], truncation=0.0)
    assert (faces == faces[0]).all()


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
    assert strip.shape == (tab.SHOW_PX, tab.FRAMES * tab.SHOW_PX, 3) and gif.endswith(".gif")
    for bad in (-1, 2.5, None, 2**40):
        with pytest.raises(gr.Error, match="whole number"):
            tab.generate_grid(bad, 0.8)
    with pytest.raises(gr.Error, match="Upload a face photo"):
        tab.judge_upload(None, 0.8, 0.5, 0.5)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(gr.Error, match="not an image"):
        tab.judge_upload(str(tmp_path / "bad.png"), 0.8, 0.5, 0.5)
    from PIL import Image

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
