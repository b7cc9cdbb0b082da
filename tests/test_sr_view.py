"""The super-resolution tab opens zoomed where the three methods differ, and shows values a person can read."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

import generative
from generative.ui import sr as tab

needs_nets = pytest.mark.skipif(not set(tab.MODELS) <= set(generative.available()), reason="no SR weights")


def _window_difference(a: np.ndarray, b: np.ndarray, cx: float, cy: float, side: int) -> float:
    ca, cb = tab.zoom([a, b], cx, cy, side)
    return float(np.abs(ca.astype(int) - cb.astype(int)).mean())


def test_busiest_centre_finds_the_only_window_that_differs():
    a = np.zeros((200, 300, 3), np.uint8)
    b = a.copy()
    b[140:172, 30:62] = 200  # a 32-pixel square centred at x = 46, y = 156
    assert tab.busiest_centre(a, b, 32) == (round(46 / 300, 2), round(156 / 200, 2))
    cx, cy = tab.busiest_centre(a, b, 1000)  # larger than the image: a window of its shorter side, on the square
    assert abs(cx * 300 - 46) <= 100 - 16 and cy == 0.5


def test_a_click_gives_a_rounded_centre():
    bicubic = np.zeros((300, 451, 3), np.uint8)
    assert tab.pick_centre(bicubic, SimpleNamespace(index=[100, 33])) == (0.22, 0.11)


@needs_nets
def test_the_first_view_is_a_window_where_gan_and_bicubic_differ():
    bicubic, psnr, gan, *_ = tab.upscale(str(tab.EXAMPLES[0]), "GAN net", *tab.FIRST_VIEW, 64)
    assert tab.busiest_centre(gan, bicubic, 64) == tab.FIRST_VIEW
    whole = float(np.abs(gan.astype(int) - bicubic.astype(int)).mean())
    assert _window_difference(gan, bicubic, *tab.FIRST_VIEW, 64) > 3 * whole
    assert _window_difference(psnr, bicubic, *tab.FIRST_VIEW, 64) > 3 * whole


@needs_nets
def test_an_upload_is_zoomed_where_the_compared_net_differs_most(tmp_path):
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (120, 90), (200, 210, 220))
    ImageDraw.Draw(photo).rectangle([80, 10, 110, 40], fill=(20, 30, 40))  # the only edges: top right
    photo.save(tmp_path / "corner.png")
    *outputs, cx, cy = tab.upscale_and_focus(str(tmp_path / "corner.png"), "PSNR net", 32)
    assert cx > 0.6 and cy < 0.5
    zooms = outputs[5:8]
    assert np.ptp(zooms[0]) > 100  # the zoom shows the dark square's edge, not flat sky


def test_the_quality_line_names_the_gan_net_as_a_fine_tune():
    from generative.ui import sr as tab

    line = tab._quality_line()
    assert "CPU training steps" in line.split("\n")[0] and "GAN steps from the PSNR net" in line.split("\n")[1]


def test_the_three_results_are_bicubic_and_each_nets_own_output():
    """The two nets may run side by side on one thread each: each result is still that net's upscale (up to a
    rounding step where a thread count changes the float sums)."""
    import generative
    from generative.srmetrics import bicubic_x2
    from generative.ui import sr as tab

    img = np.random.default_rng(0).integers(0, 256, (300, 280, 3), dtype=np.uint8)
    results = tab._three(img, lambda fraction, desc=None: None)
    assert np.array_equal(results[0], bicubic_x2(img))
    for name, result in zip(tab.MODELS, results[1:]):
        own = generative.load(name)(img, tile=tab.TILE)
        diff = np.abs(result.astype(int) - own)
        assert diff.max() <= 1 and diff.mean() < 0.01
    assert not np.array_equal(results[1], results[2])


def test_progress_from_the_side_by_side_nets_reaches_the_event(monkeypatch):
    """Gradio finds the event a progress update belongs to in context variables: the nets' tile reports, made in
    worker threads, must still see them (else the bar silently stays empty)."""
    from gradio.context import LocalContext

    from generative.ui import sr as tab

    seen = []
    monkeypatch.setattr(tab, "patient", lambda progress: lambda *args: seen.append(LocalContext.event_id.get(None)))
    token = LocalContext.event_id.set("event-1")
    try:
        tab._three(np.zeros((600, 600, 3), dtype=np.uint8), None)
    finally:
        LocalContext.event_id.reset(token)
    tiles = math.ceil(600 / tab.TILE) ** 2  # per net
    assert len(seen) == 2 * tiles and set(seen) == {"event-1"}
