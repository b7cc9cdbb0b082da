"""The Autoregressive (PixelCNN) tab: its handlers as functions, its endpoints through the real server."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

import generative
from generative.ui import pixelcnn as tab

pytestmark = pytest.mark.skipif("pixelcnn-mnist" not in generative.available(), reason="no trained PixelCNN")
EMPTY_PAD = {"background": None, "layers": [], "composite": None}


def _read(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), dtype=np.int16)


def test_sampling_streams_every_row_and_counts_the_network_evaluations():
    frames = list(tab.sample_digits(0))
    assert len(frames) == 28
    first, last = frames[0][0], frames[-1][0]
    assert first.shape == last.shape == (4 * 30 * tab.ZOOM, 4 * 30 * tab.ZOOM)
    assert (first == tab.UNKNOWN).mean() > 0.5 and (last == tab.UNKNOWN).sum() == 0  # it fills in
    assert "row 1 of 28" in frames[0][1] and "784 network evaluations" in frames[-1][1] and "done" in frames[-1][1]
    ink = (last == 255).mean()
    assert 0.03 < ink < 0.4  # digits: some ink on a dark background, not noise


def test_the_seed_changes_the_samples_through_the_server(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    a, status = client.predict(0, api_name="/pixelcnn_sample")
    b, _ = client.predict(1, api_name="/pixelcnn_sample")
    again, _ = client.predict(0, api_name="/pixelcnn_sample")
    assert "784 network evaluations" in status
    assert np.abs(_read(a) - _read(b)).mean() > 5 and np.array_equal(_read(a), _read(again))


def test_each_control_of_the_completion_changes_it_through_the_server(app_url):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)

    def complete(example: int, rows: int, seed: int) -> np.ndarray:
        image, status = client.predict(EMPTY_PAD, handle_file(tab.EXAMPLES[example]), rows, seed,
                                       api_name="/pixelcnn_complete")
        assert f"the {rows} rows kept" in status
        return _read(image)

    base = complete(0, 14, 0)
    for changed in (complete(1, 14, 0), complete(0, 20, 0), complete(0, 14, 1)):
        assert np.abs(base - changed).mean() > 2
    cell = 30 * tab.ZOOM
    first_completion = base[:cell, cell: 2 * cell]
    assert (first_completion[: 15 * tab.ZOOM] == base[:cell, :cell][: 15 * tab.ZOOM]).all()  # the kept top stays


def test_surprise_heat_map_and_likelihoods_through_the_server(app_url):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    outputs = [client.predict(EMPTY_PAD, handle_file(path), api_name="/pixelcnn_surprise") for path in tab.EXAMPLES[:2]]
    (seen_a, heat_a, text_a), (seen_b, heat_b, _) = outputs
    assert "nats" in text_a and "bits per pixel" in text_a and "VAE" in text_a and "importance-weighted" in text_a
    assert np.abs(_read(heat_a) - _read(heat_b)).mean() > 2 and np.abs(_read(seen_a) - _read(seen_b)).mean() > 2


def test_exact_nll_in_the_text_is_the_sum_of_the_heat_map():
    seen, heat, text = tab.surprise(None, tab.EXAMPLES[0])
    x = tab._binary_digit(None, tab.EXAMPLES[0])
    with torch.no_grad():
        nll = float(-generative.load("pixelcnn-mnist").log_prob(x))
    assert f"{nll:.1f} nats" in text and heat.shape == (224, 224, 3) and seen.shape == (224, 224)


@pytest.mark.parametrize("drawing, upload_bytes, message", [
    (None, None, "Draw a digit first"),
    ({"composite": np.zeros((200, 200, 4), np.uint8)}, None, "Draw a digit first"),
    (None, b"", "empty"),
    (None, b"not an image", "not an image"),
])
def test_bad_input_gives_a_clear_message(tmp_path, drawing, upload_bytes, message):
    upload = None
    if upload_bytes is not None:
        upload = str(tmp_path / "upload.png")
        (tmp_path / "upload.png").write_bytes(upload_bytes)
    with pytest.raises(gr.Error, match=message):
        tab.surprise(drawing, upload)
    with pytest.raises(gr.Error, match=message):
        next(tab.complete(drawing, upload, 14, 0))


@pytest.mark.parametrize("rows, seed, message", [(0, 0, "Rows kept"), (2.5, 0, "Rows kept"), (28, 0, "Rows kept"),
                                                 (14, -1, "seed"), (14, "abc", "seed"), (14, 2**40, "seed")])
def test_impossible_rows_or_seeds_are_refused(rows, seed, message):
    with pytest.raises(gr.Error, match=message):
        next(tab.complete(None, tab.EXAMPLES[0], rows, seed))


@pytest.mark.parametrize("seed", [-3, 1.5, None])
def test_impossible_sampling_seeds_are_refused(seed):
    with pytest.raises(gr.Error, match="seed"):
        next(tab.sample_digits(seed))


def test_the_likelihood_table_lists_every_family():
    table = tab.likelihood_table()
    for words in ("Bernoullis", "PixelCNN", "VAE", "GAN", "exact", "upper bound", "implicit"):
        assert words in table
