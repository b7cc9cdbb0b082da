"""The trained VAEs: API, determinism, and behaviour that untrained weights could not show."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import generative
from generative.digits import preprocess_digit
from generative.ui import vae as tab
from generative.vae import VAE

TRAINED = [name for name in ("vae-mnist-2d", "vae-mnist", "vae-fashion-2d") if name in generative.available()]
pytestmark = pytest.mark.skipif(not TRAINED, reason="no VAE weights in weights/")


def _drawn(strokes: list[tuple], width: int = 20) -> np.ndarray:
    """A digit drawn in black on white with PIL lines and arcs, as a user would draw it."""
    image = Image.new("RGB", (200, 200), "white")
    pen = ImageDraw.Draw(image)
    for kind, *args in strokes:
        getattr(pen, kind)(*args, fill="black", width=width)
    return np.asarray(image)


DIGITS = {
    "1": [("line", [(100, 30), (100, 170)])],
    "0": [("arc", [55, 30, 145, 170], 0, 360)],
    "7": [("line", [(50, 35), (150, 35)]), ("line", [(150, 35), (80, 170)])],
    "4": [("line", [(120, 30), (50, 120)]), ("line", [(50, 120), (160, 120)]), ("line", [(130, 60), (130, 175)])],
}


@pytest.fixture(scope="module", params=TRAINED)
def model(request):
    return generative.load(request.param, device="cpu")


def test_api_shapes_and_ranges(model):
    x = torch.rand(5, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, model.latent_dim)
    out = model.decode(mu)
    assert out.shape == (5, 1, 28, 28) and out.min() >= 0 and out.max() <= 1
    assert not model.training


def test_decoding_is_deterministic(model):
    z = torch.randn(3, model.latent_dim, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(model.decode(z), model.decode(z))


@pytest.mark.skipif("vae-mnist" not in TRAINED, reason="vae-mnist not trained")
@pytest.mark.parametrize("digit", list(DIGITS))
def test_drawn_digits_are_reconstructed_closely(digit):
    """A trained MNIST VAE reproduces a digit drawn here; an untrained one cannot."""
    trained = generative.load("vae-mnist", device="cpu")
    untrained = VAE(**{"latent_dim": 32, "hidden": 512, "depth": 2}).eval()
    x = torch.from_numpy(preprocess_digit(_drawn(DIGITS[digit])))[None, None]
    with torch.no_grad():
        error = (trained.decode(trained.encode(x)[0]) - x).abs().mean().item()
        baseline = (untrained.decode(untrained.encode(x)[0]) - x).abs().mean().item()
    assert error < 0.1 and error < baseline / 3


@pytest.mark.skipif("vae-mnist-2d" not in TRAINED, reason="vae-mnist-2d not trained")
def test_elbo_prefers_a_digit_to_noise():
    model = generative.load("vae-mnist-2d", device="cpu")
    digit = torch.from_numpy(preprocess_digit(_drawn(DIGITS["7"])))[None, None]
    noise = (torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0)) < 0.15).float()
    with torch.no_grad():
        gen = torch.Generator().manual_seed(0)
        digit_cost = sum(t.item() for t in model.elbo_terms(digit, gen))
        noise_cost = sum(t.item() for t in model.elbo_terms(noise, gen))
    assert digit_cost + 50 < noise_cost


@pytest.mark.parametrize("name", [n for n in ("vae-mnist-2d", "vae-mnist") if n in TRAINED])
def test_elbo_of_digits_drawn_here_is_near_the_test_set_figure(name):
    """Digits drawn here (and the tab's examples) cost about what MNIST test digits cost in the manifest: an
    encoder that ignored its input (every μ = 0) would make them cost two to four times more."""
    from generative.images import load_rgb

    model = generative.load(name, device="cpu")
    drawn = [preprocess_digit(_drawn(strokes)) for strokes in DIGITS.values()]
    drawn += [preprocess_digit(load_rgb(path)) for path in tab.EXAMPLES]
    x = torch.from_numpy(np.stack(drawn))[:, None]
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        recon, kl = zip(*(model.elbo_terms(x, gen) for _ in range(16)))
    neg_elbo = (torch.stack(recon).mean(dim=0) + kl[0]).mean().item()
    assert neg_elbo < 1.25 * generative.weights.training_record(name)[1]["test_neg_elbo_nats"]


def test_class_prototypes_decode_to_different_images(model):
    with torch.no_grad():
        images = model.decode(model.class_means).reshape(10, -1)
    distances = torch.cdist(images, images) + torch.eye(10) * 1e3
    assert distances.min() > 1.0  # no two classes decode to the same picture
    assert model.map_labels.max() == 9 and model.map_points.abs().sum() > 0


def test_tab_encodes_a_drawing_and_reports_the_elbo():
    name = TRAINED[0]
    session = tab.VaeSession()
    drawing = {"composite": np.dstack([_drawn(DIGITS["0"]), np.full((200, 200), 255, np.uint8)])}
    seen, recon, samples, latent_map, text, *sliders = tab.encode(session, name, drawing, None, 0)
    assert seen.shape == recon.shape == (224, 224) and samples.shape == (224, 8 * 224)
    assert latent_map.shape == (560, 560, 3) and "ELBO of this input" in text and "μ" in text
    assert len(session.drawings) == 1 and len(sliders) == tab.N_SLIDERS
    assert tab.interpolate(session, name, "your drawing", tab._labels(name)[7]).shape == (224, 10 * 224)
    with pytest.raises(gr.Error, match="two drawings"):
        tab.interpolate(session, name, "your drawing", "your previous drawing")
    tab.encode(session, name, None, tab.EXAMPLES[0], 0)
    assert tab.interpolate(session, name, "your drawing", "your previous drawing").shape == (224, 10 * 224)


def _grey(path: str) -> np.ndarray:
    """A digit panel as the browser receives it, back at 28 x 28 in [0, 1] (the tab zooms by repeating pixels)."""
    return np.asarray(Image.open(path).convert("L"), dtype=np.float64)[::tab.ZOOM, ::tab.ZOOM] / 255


@pytest.mark.parametrize("name", [n for n in ("vae-mnist", "vae-mnist-2d") if n in TRAINED][:1])
def test_encode_endpoint_reconstructs_each_example_and_tells_them_apart(app_url, name):
    """Through the server, as the Encode button: each example digit comes back close to itself and far from the
    others, and different digits get different codes."""
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    empty_pad = {"background": None, "layers": [], "composite": None}
    seen, recon, codes = [], [], []
    for path in tab.EXAMPLES:
        outputs = client.predict(name, empty_pad, handle_file(path), 0, api_name="/vae_encode")
        seen.append(_grey(outputs[0]))
        recon.append(_grey(outputs[1]))
        codes.append(np.array(outputs[5:], dtype=float))
    error = np.array([[np.abs(r - s).mean() for s in seen] for r in recon])  # reconstruction i vs input j
    assert error.diagonal().max() < 0.1
    assert (error.diagonal() < 0.5 * (error + np.eye(len(seen))).min(axis=1)).all()
    assert min(np.abs(a - b).sum() for i, a in enumerate(codes) for b in codes[i + 1:]) > 1.0


def test_an_upload_is_encoded_at_once_and_a_cleared_box_changes_nothing():
    session, name = tab.VaeSession(), TRAINED[0]
    assert all(isinstance(out, type(tab.gr.skip())) for out in tab.encode_upload(session, name, None, 0))
    assert session.drawings == []
    outputs = tab.encode_upload(session, name, tab.EXAMPLES[1], 0)
    assert "ELBO of this input" in outputs[4] and len(session.drawings) == 1


@pytest.mark.parametrize(
    "drawing, upload_bytes, message",
    [
        (None, None, "Draw a digit first"),
        ({"composite": np.zeros((200, 200, 4), np.uint8)}, None, "Draw a digit first"),
        (None, b"", "empty"),
        (None, b"not an image", "not an image"),
    ],
)
def test_tab_bad_input_gives_a_clear_message(tmp_path, drawing, upload_bytes, message):
    import gradio as gr

    upload = None
    if upload_bytes is not None:
        upload = str(tmp_path / "upload.png")
        (tmp_path / "upload.png").write_bytes(upload_bytes)
    with pytest.raises(gr.Error, match=message):
        tab.encode(tab.VaeSession(), TRAINED[0], drawing, upload, 0)


def test_a_colour_photo_is_refused_with_a_reason(tmp_path):
    import gradio as gr

    rng = np.random.default_rng(0)
    photo = (rng.random((120, 160, 3)) * 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.jpg")
    with pytest.raises(gr.Error, match="plain background"):
        tab.encode(tab.VaeSession(), TRAINED[0], None, str(tmp_path / "photo.jpg"), 0)


def test_sliders_decode_and_resample(model):
    name = next(n for n in TRAINED if generative.load(n, device="cpu") is model)
    session = tab.VaeSession()
    a = tab.decode_sliders(session, name, *[0.0] * tab.N_SLIDERS)
    b = tab.decode_sliders(session, name, 2.0, -2.0, *[0.0] * (tab.N_SLIDERS - 2))
    assert a.shape == (224, 224) and np.abs(a.astype(int) - b.astype(int)).mean() > 5
    assert tab.manifold(session, name, *[0.0] * tab.N_SLIDERS).shape == (15 * 56, 15 * 56)
    assert tab.prior_samples(name, 3).shape == (2 * 112, 8 * 112)
