"""The app through its real server, driven with gradio_client as an API user would."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client, handle_file

from generative.ui.gmm import EXAMPLE_CSV

STEP_ARGS = (3, "full", 0, "1e-6", False)


@pytest.fixture()
def client(app_url: str) -> Client:
    """A fresh client: its own session, so its own playground state."""
    return Client(app_url, verbose=False)


def test_api_lists_the_gmm_endpoints(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    expected = {"/gmm_preset", "/gmm_csv", "/gmm_step", "/gmm_run", "/gmm_reset", "/gmm_undo", "/gmm_clear",
                "/gmm_bic", "/gmm_restarts", "/gmm_kde"}
    assert expected <= names


def test_preset_step_and_run_to_convergence(client):
    canvas, status, *_ = client.predict("blobs", 0, False, api_name="/gmm_preset")
    assert "300 points" in status
    _, first, params, history = client.predict(*STEP_ARGS, api_name="/gmm_step")
    assert "Iteration 1" in first and len(params["data"]) == 3
    _, final, _, history = client.predict(*STEP_ARGS, api_name="/gmm_run")
    assert "converged" in final
    values = [row[1] for row in history["data"]]
    assert len(values) > 2 and values[-1] > values[0]


def test_sessions_do_not_share_points(app_url):
    one, two = Client(app_url, verbose=False), Client(app_url, verbose=False)
    one.predict("ring", 0, False, api_name="/gmm_preset")
    with pytest.raises(Exception, match="Add points first"):
        two.predict(*STEP_ARGS, api_name="/gmm_step")


def test_example_csv_then_bic_restarts_and_kde(client):
    *_, status, _, _, _ = client.predict(handle_file(str(EXAMPLE_CSV)), False, api_name="/gmm_csv")
    assert "200 points" in status
    plot, text = client.predict("full", 0, "1e-6", api_name="/gmm_bic")
    assert "BIC prefers K = 2" in text
    table, text = client.predict(2, "full", 0, "1e-6", 4, api_name="/gmm_restarts")
    assert len(table["data"]) == 4
    image, text = client.predict(2, "full", 0, "1e-6", 1.5, api_name="/gmm_kde")
    assert "held-out" in text and image


def _mixture(params: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights, means and full covariances from the parameter table (k, π, μ x, μ y, Σ xx, Σ xy, Σ yy)."""
    rows = np.array(params["data"], dtype=float)
    cov = np.stack([[[r[4], r[5]], [r[5], r[6]]] for r in rows])
    return rows[:, 1], rows[:, 2:4], cov


def test_each_em_step_moves_the_shown_parameters_as_em_does(client):
    """Two Step clicks on the example CSV with K = 3: the second table is one E and M step from the first,
    recomputed here with NumPy; frozen covariances (or means, or weights) would not match."""
    points = np.loadtxt(EXAMPLE_CSV, delimiter=",", skiprows=1)
    client.predict(handle_file(str(EXAMPLE_CSV)), False, api_name="/gmm_csv")
    tables = [_mixture(client.predict(*STEP_ARGS, api_name="/gmm_step")[2]) for _ in range(2)]
    weights, means, cov = tables[0]
    diff = points[:, None, :] - means[None]  # (N, K, 2)
    mahalanobis = np.einsum("nki,kij,nkj->nk", diff, np.linalg.inv(cov), diff)
    density = weights * np.exp(-0.5 * mahalanobis) / (2 * np.pi * np.sqrt(np.linalg.det(cov)))
    resp = density / density.sum(axis=1, keepdims=True)
    nk = resp.sum(axis=0)
    new_means = resp.T @ points / nk[:, None]
    centred = points[:, None, :] - new_means[None]
    new_cov = np.einsum("nk,nki,nkj->kij", resp, centred, centred) / nk[:, None, None]
    shown_weights, shown_means, shown_cov = tables[1]
    np.testing.assert_allclose(shown_weights, nk / len(points), atol=2e-3)
    np.testing.assert_allclose(shown_means, new_means, atol=2e-3)
    np.testing.assert_allclose(shown_cov, new_cov, atol=5e-3)
    assert np.abs(shown_cov - cov).max() > 0.05  # the step did move the covariances


@pytest.mark.parametrize(
    "content, message",
    [(b"x,y\n1,two\n", "is not a number"), (b"", "empty"), (b"x,y\n" + b"1,2\n" * 50_001, "limit is 50,000")],
)
def test_bad_csv_is_reported_and_the_server_keeps_answering(client, tmp_path, content, message):
    path = tmp_path / "points.csv"
    path.write_bytes(content)
    with pytest.raises(Exception, match=message):
        client.predict(handle_file(str(path)), False, api_name="/gmm_csv")
    _, status, *_ = client.predict("moons", 0, False, api_name="/gmm_preset")
    assert "300 points" in status


def test_impossible_parameters_are_reported(client):
    client.predict("blobs", 0, False, api_name="/gmm_preset")
    with pytest.raises(Exception, match="seed must be a whole number"):
        client.predict(3, "full", -5, "1e-6", False, api_name="/gmm_step")
    client.predict(False, api_name="/gmm_clear")
    with pytest.raises(Exception, match="Add points first"):
        client.predict(*STEP_ARGS, api_name="/gmm_step")


def test_vae_endpoints(client, tmp_path):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (120, 120), "white")
    ImageDraw.Draw(image).line([(60, 15), (60, 105)], fill="black", width=12)
    image.save(tmp_path / "one.png")
    decoded = client.predict("vae-mnist-2d", 1.0, -1.0, 0, 0, 0, 0, 0, 0, api_name="/vae_decode")
    assert decoded
    empty_pad = {"background": None, "layers": [], "composite": None}
    seen, recon, samples, latent_map, text, *sliders = client.predict(
        "vae-mnist-2d", empty_pad, handle_file(str(tmp_path / "one.png")), 0, api_name="/vae_encode")
    assert "ELBO of this input" in text and sliders[0] != 0
    assert client.predict("vae-mnist-2d", 0, api_name="/vae_prior")
    with pytest.raises(Exception, match="Draw a digit first"):
        client.predict("vae-mnist-2d", empty_pad, None, 0, api_name="/vae_encode")


@pytest.mark.skipif(not {"faces-gan", "faces-gan-d"} <= set(__import__("generative").available()),
                    reason="no face GAN weights in weights/")
def test_faces_endpoints(client):
    gallery = client.predict(7, 0.8, api_name="/faces_generate")
    assert len(gallery) == 8 and "P(real)" in gallery[0]["caption"]
    seed, gallery = client.predict(0.8, api_name="/faces_new")
    assert isinstance(seed, (int, float)) and len(gallery) == 8
    strip, gif = client.predict(0, 1, 0.8, api_name="/faces_interpolate")
    assert str(gif).endswith(".gif")
    with pytest.raises(Exception, match="whole number"):
        client.predict(-3, 0.8, api_name="/faces_generate")


def test_the_latency_bench_fetches_every_output_file_of_a_call(app_url):
    """``bench.latency`` times a call plus its outputs over one connection: it must find every file in a result,
    however nested (a gallery's pictures, a slider's pair), and each must be served."""
    import os

    from bench.actions import ACTIONS, Served, output_urls

    gallery = [{"image": {"path": "/a.webp", "url": "http://x/a.webp"}, "caption": "P(real) 0.5"},
               {"image": {"path": "/b.webp", "url": "http://x/b.webp"}, "caption": None}]
    slider = ({"path": "/c.jpeg", "url": "http://x/c.jpeg"}, {"path": "/d.jpeg", "url": "http://x/d.jpeg"})
    assert output_urls((gallery, slider, "summary", 3, None)) == [f"http://x/{n}" for n in
                                                                 ("a.webp", "b.webp", "c.jpeg", "d.jpeg")]
    app = Served(app_url, os.getpid())
    preset = next(a for a in ACTIONS if a.api_name == "/gmm_preset")
    urls = output_urls(app.lean.predict(*preset.arguments(), api_name=preset.api_name))
    assert len(urls) == 1 and app.files.get(urls[0]).content.startswith((b"\x89PNG", b"RIFF"))


def test_the_app_keeps_no_run_history_unless_the_host_asks(app_url, monkeypatch):
    """Each click is a run; the browser is not asked to save them (/gradio_api/runs is off, no footer link),
    while a host's GRADIO_RUN_HISTORY decides if it is set."""
    import httpx

    from generative.ui import launch_options

    config = httpx.get(f"{app_url}config").json()
    assert config["run_history"] is False and "runs" not in config["footer_links"]
    assert httpx.get(f"{app_url}gradio_api/runs").status_code == 404
    monkeypatch.setenv("GRADIO_RUN_HISTORY", "true")
    assert launch_options()["run_history"] is None
