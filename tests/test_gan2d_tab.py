"""The GAN lab tab: its handlers as plain functions, then every control through the real server."""

from __future__ import annotations

import io
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from generative.ui import gan2d as tab
from generative.ui.atomic_cache import ENCODER_OPTIONS
from generative.ui.gmm import Playground
from generative.ui.plots import SIZE_PX
from generative.ui.raster import band_colours, bands

SHOW = tab.SHOW_CHOICES
CONTROLS = dict(loss="hinge", lr_g="1.5e-3", lr_d="3e-3", d_steps=1, noise_dim=4, seed=0, iterations=50, show=SHOW)


def _pixels(image: str | np.ndarray) -> np.ndarray:
    """An image returned by a handler (an array) or by the server (a file), as signed integers."""
    return np.asarray(Image.open(image).convert("RGB") if isinstance(image, str) else image, dtype=np.int16)


def _ring_lab() -> tab.Lab:
    lab = tab.Lab()
    tab.load_preset(lab, tab.RING, SHOW)
    return lab


def test_a_step_trains_and_redraws_everything():
    lab = _ring_lab()
    _, before, status, curves_before = tab.reset(lab, SHOW)
    before = _pixels(before)
    assert "320 training points, 80 held out" in status
    _, after, status, curves = tab.step(lab, **CONTROLS)
    after = _pixels(after)
    assert after.shape == (SIZE_PX, SIZE_PX, 3) and np.abs(after - before).sum() > 0
    assert "Iteration 50" in status and "D loss" in status
    assert np.abs(_pixels(curves) - _pixels(curves_before)).sum() > 0  # the loss and D(x) curves appear
    x, means = tab._curves(lab)
    assert x[0] == 1 and x[-1] == 50 and set(means) == {"d_loss", "g_loss", "d_real", "d_fake"}


def test_the_heat_map_is_drawn_in_bands_with_an_edge_at_one_half():
    levels = tab.HEAT_LEVELS
    numbers = bands(np.linspace(0, 1, 1001), levels)
    assert np.array_equal(np.unique(numbers), np.arange(levels)) and np.all(np.diff(numbers.astype(int)) >= 0)
    below, above = bands(np.array([0.5 - 1e-6, 0.5 + 1e-6]), levels)
    assert below == levels // 2 - 1 and above == levels // 2  # the 0.5 contour is a band edge
    assert np.array_equal(bands(np.array([-0.2, 1.3]), levels), [0, levels - 1])
    colours = band_colours(tab.HEAT, levels).astype(int)
    assert colours.shape == (levels, 3) and colours[0, 1] < colours[0, 0] and colours[-1, 1] > colours[-1, 0]
    assert np.array_equal(colours[0], np.round(tab.HEAT[round(0.5 * 255 / levels)] * 255))  # a band's centre


def test_a_canvas_frame_is_small_enough_to_stream():
    """Bands compress: the trained example's canvas, encoded as the app sends it, stays far below the 170 KB that
    the smooth heat map took (Run sends up to 8 frames a second)."""
    lab = _ring_lab()
    canvas = tab.step(lab, **{**CONTROLS, "iterations": 300})[1]
    with io.BytesIO() as out:
        Image.fromarray(canvas).save(out, "webp", **ENCODER_OPTIONS["webp"])
        assert out.tell() < 60_000


def test_run_yields_frames_until_stopped_and_a_reset_ends_it():
    lab = _ring_lab()
    frames = tab.run(lab, **{**CONTROLS, "iterations": 20})
    first, second = next(frames), next(frames)
    assert "Iteration 20" in first[2] and "Iteration 40" in second[2]
    tab.reset(lab, SHOW)
    assert list(frames) == []  # the run notices that its GAN is gone


def test_a_changed_setting_starts_a_new_gan():
    lab = _ring_lab()
    tab.step(lab, **CONTROLS)
    tab.step(lab, **{**CONTROLS, "loss": "non-saturating"})
    assert lab.gan.iterations == 50 and lab.gan.settings.loss == "non-saturating"


def test_clicks_add_points_and_the_gmm_points_can_be_taken():
    lab = tab.Lab()
    for px, py in [(200, 200), (300, 250), (320, 400)]:
        tab.add_point(lab, SHOW, SimpleNamespace(index=[px, py]))
    assert len(lab.points) == 3 and not lab.held_out.any()
    tab.undo_point(lab, SHOW)
    assert len(lab.points) == 2
    playground = Playground(points=np.random.default_rng(0).normal(size=(50, 2)))
    tab.take_gmm_points(lab, playground, SHOW)
    assert len(lab.points) == 50 and lab.held_out.sum() == 10
    with pytest.raises(gr.Error, match="GMM playground has no points"):
        tab.take_gmm_points(lab, Playground(), SHOW)


def test_a_scenario_loads_the_ring_and_sets_the_controls():
    lab = tab.Lab()
    *_, data, loss, lr_g, lr_d, d_steps, noise_dim = tab.choose_scenario(lab, "mode collapse", SHOW)
    settings = tab.SCENARIOS["mode collapse"]
    assert data == tab.RING and len(lab.points) == 400
    assert (loss, float(lr_g), float(lr_d), d_steps, noise_dim) == (
        settings.loss, settings.lr_g, settings.lr_d, settings.d_steps, settings.noise_dim)
    assert lr_g in tab.LR_CHOICES and lr_d in tab.LR_CHOICES


def test_the_comparison_scores_three_models_and_says_why_the_gan_has_no_likelihood():
    lab = _ring_lab()
    tab.step(lab, **{**CONTROLS, "iterations": 200})
    image, text = tab.compare(lab, 8, 0)
    assert image.shape == (SIZE_PX, 3 * SIZE_PX, 3)
    assert "GAN (iteration 200)" in text and "GMM, K = 8" in text and "KDE" in text
    assert "none: implicit" in text and "Why the GAN has no log-likelihood" in text


@pytest.mark.parametrize(
    "points, controls, message",
    [
        (np.empty((0, 2)), CONTROLS, "at least 2 training points"),
        (np.ones((30, 2)), CONTROLS, "identical"),
        (None, {**CONTROLS, "seed": -1}, "seed must be a whole number"),
        (None, {**CONTROLS, "seed": 2.5}, "seed must be a whole number"),
        (None, {**CONTROLS, "noise_dim": 9}, "noise dimension must be a whole number from 2 to 8"),
        (None, {**CONTROLS, "d_steps": 0}, "D steps per G step"),
        (None, {**CONTROLS, "iterations": 0}, "Iterations per step"),
        (None, {**CONTROLS, "lr_g": "7"}, "G's learning rate must be one of"),
        (None, {**CONTROLS, "loss": "least squares"}, "Unknown loss"),
    ],
)
def test_impossible_requests_give_a_clear_message(points, controls, message):
    lab = _ring_lab()
    if points is not None:
        tab._set_points(lab, points)
    with pytest.raises(gr.Error, match=message):
        tab.step(lab, **controls)


def test_the_comparison_needs_a_trained_gan_and_enough_points():
    lab = _ring_lab()
    with pytest.raises(gr.Error, match="Train the GAN first"):
        tab.compare(lab, 8, 0)
    tab._set_points(lab, np.random.default_rng(0).normal(size=(12, 2)))
    tab.step(lab, **CONTROLS)
    with pytest.raises(gr.Error, match="at least 20 points"):
        tab.compare(lab, 3, 0)


def test_bad_csv_gets_the_gmm_tabs_message(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x,y\n1,hello\n")
    with pytest.raises(gr.Error, match="is not a number"):
        tab.load_csv(tab.Lab(), str(path), SHOW)


# ---------------------------------------------------------------------------------- through the server
STEP_ORDER = ["loss", "lr_g", "lr_d", "d_steps", "noise_dim", "seed", "iterations", "show"]


def _step(client: Client, **changes) -> tuple[np.ndarray, str]:
    """Reset, then one Step with the default controls except ``changes``; the canvas and the status."""
    client.predict(SHOW, api_name="/gan2d_reset")
    values = {**CONTROLS, **changes}
    canvas, status, _ = client.predict(*[values[k] for k in STEP_ORDER], api_name="/gan2d_step")
    return _pixels(canvas), status


def test_every_control_changes_the_output_through_the_server(app_url, tmp_path):
    client = Client(app_url, verbose=False)
    client.predict(tab.RING, SHOW, api_name="/gan2d_preset")
    base, status = _step(client)
    assert "Iteration 50" in status
    again, _ = _step(client)
    np.testing.assert_array_equal(base, again)  # the same controls draw the same picture
    for name, value in [("loss", "non-saturating"), ("lr_g", "1e-4"), ("lr_d", "1e-4"), ("d_steps", 3),
                        ("noise_dim", 2), ("seed", 1), ("iterations", 10), ("show", [SHOW[0]])]:
        changed, _ = _step(client, **{name: value})
        assert np.abs(changed - base).sum() > 0, f"{name} = {value!r} did not change the canvas"

    # the data controls: another preset, a CSV, the GMM tab's points, a settings preset, undo and clear
    _, status, _ = client.predict("spiral", SHOW, api_name="/gan2d_preset")
    assert "320 training points" in status
    path = tmp_path / "points.csv"
    np.savetxt(path, np.random.default_rng(0).normal(size=(30, 2)), delimiter=",", header="x,y", comments="")
    _, status, _ = client.predict(handle_file(str(path)), SHOW, api_name="/gan2d_csv")
    assert "24 training points, 6 held out" in status
    _, status, _ = client.predict(SHOW, api_name="/gan2d_undo")
    assert "23 training points, 6 held out" in status
    client.predict("moons", 0, False, api_name="/gmm_preset")
    _, status, _ = client.predict(SHOW, api_name="/gan2d_from_gmm")
    assert "240 training points, 60 held out" in status
    *_, loss, lr_g, lr_d, d_steps, noise_dim = client.predict("mode collapse", SHOW, api_name="/gan2d_scenario")
    assert loss == tab.SCENARIOS["mode collapse"].loss
    _, status, _ = client.predict(SHOW, api_name="/gan2d_clear")
    assert "No points yet" in status

    # K and the seed change the comparison
    client.predict(tab.RING, SHOW, api_name="/gan2d_preset")
    _step(client, iterations=100)
    texts = {(k, seed): client.predict(k, seed, api_name="/gan2d_compare")[1] for k, seed in [(8, 0), (3, 0), (8, 1)]}
    assert len(set(texts.values())) == 3


def test_bad_input_through_the_server_is_reported(app_url, tmp_path):
    client = Client(app_url, verbose=False)
    path = tmp_path / "points.csv"
    path.write_bytes(b"x,y\n" + b"1,2\n" * 50_001)
    with pytest.raises(Exception, match="limit is 50,000"):
        client.predict(handle_file(str(path)), SHOW, api_name="/gan2d_csv")
    client.predict(SHOW, api_name="/gan2d_clear")
    with pytest.raises(Exception, match="at least 2 training points"):
        client.predict(*[CONTROLS[k] for k in STEP_ORDER], api_name="/gan2d_step")


@pytest.mark.parametrize("scenario, expected", [("mode collapse", "collaps"),
                                                ("too-strong D, minimax loss: vanishing gradient", "D is winning")])
def test_the_status_line_names_what_a_settings_preset_shows(scenario, expected):
    lab = tab.Lab()
    *_, loss, lr_g, lr_d, d_steps, noise_dim = tab.choose_scenario(lab, scenario, SHOW)
    _, _, status, _ = tab.step(lab, loss, lr_g, lr_d, d_steps, noise_dim, 0, 500, SHOW)
    assert expected in status
