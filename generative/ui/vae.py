"""The VAE latent slider tab: steer a trained VAE's latent code, encode a digit you draw.

Handlers are plain functions of the model name and control values; :func:`build` lays them out.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from matplotlib.colors import ListedColormap

from generative import digits
from generative.images import ImageError, load_rgb, to_uint8
from generative.ui import links, models
from generative.ui.gpu import gpu
from generative.ui.inputs import MAX_SEED, number_box, seed_value
from generative.ui.plots import PALETTE, View, composite, ellipse, figure, overlay, set_view, to_array
from generative.ui.progress import one_light_bar
from generative.ui.uploads import digit_inputs
from generative.weights import read_manifest

MODELS = {"vae-mnist-2d": "MNIST, 2-D latent", "vae-mnist": "MNIST, 32-D latent", "vae-fashion-2d": "Fashion-MNIST, 2-D latent"}
N_SLIDERS = 8
SLIDER_RANGE = 3.0
MAP_VIEW = View(-4.0, 4.0, -4.0, 4.0)
ZOOM = 8  # 28 px digits are shown at 224 px
DRAWINGS = ["your drawing", "your previous drawing"]
ASSETS = Path(__file__).resolve().parents[2] / "assets"
EXAMPLES = [str(ASSETS / f"digit_{n}.png") for n in ("two", "five", "nine")]
INTRO = """
A **variational autoencoder** squeezes each image through a small latent code. Its encoder outputs a **mean μ and a
standard deviation σ** for every latent dimension; a sample z = μ + σ·ε passes this bottleneck and the decoder turns z
back into pixel probabilities. Training maximises the ELBO: reconstruction log-likelihood minus KL(q(z|x) ‖ N(0, I)),
which keeps the codes near the prior so that every point of the latent space decodes to something digit-like.
"""


class VaeSession:
    """The latent dimensions beyond the sliders (resampled on demand) and the last encoded drawing."""

    def __init__(self) -> None:
        self.rest: dict[str, np.ndarray] = {}
        self.drawings: list[np.ndarray] = []  # latent means of the last two encoded inputs, newest last


def _model(name: str, device: str | None = None) -> torch.nn.Module:
    """The VAE ``name`` on the app's device, or on ``device`` ("cpu" where only its stored buffers are read)."""
    if name not in MODELS:
        raise gr.Error(f"Unknown model {name!r}; choose one of {', '.join(MODELS)}.")
    return models.load(name, device)


def _labels(name: str) -> list[str]:
    return digits.CLASS_NAMES["fashion" if "fashion" in name else "mnist"]


def _show(batch: torch.Tensor, zoom: int = ZOOM) -> np.ndarray:
    """Bernoulli means (N, 1, 28, 28) -> one uint8 strip, zoomed with nearest neighbours."""
    tiles = to_uint8(batch)[..., 0]
    strip = np.concatenate(list(tiles), axis=1)
    return np.repeat(np.repeat(strip, zoom, axis=0), zoom, axis=1)


def _grid(batch: torch.Tensor, columns: int, zoom: int) -> np.ndarray:
    rows = [_show(batch[i: i + columns], zoom) for i in range(0, len(batch), columns)]
    return np.concatenate(rows, axis=0)


def _z(session: VaeSession, name: str, sliders: tuple[float, ...]) -> torch.Tensor:
    model = _model(name)
    d = model.latent_dim
    z = np.zeros(d, dtype=np.float32)
    shown = min(d, N_SLIDERS)
    z[:shown] = np.nan_to_num(np.asarray(sliders[:shown], dtype=np.float32))
    if d > N_SLIDERS:
        z[N_SLIDERS:] = session.rest.setdefault(name, np.zeros(d - N_SLIDERS, dtype=np.float32))
    return torch.from_numpy(z)[None]


@torch.no_grad()
@gpu
def decode_sliders(session: VaeSession, name: str, *sliders: float) -> np.ndarray:
    """The digit that the slider values (and the resampled rest) decode to."""
    return _show(_model(name).decode(_z(session, name, sliders)))


@gpu
def resample_rest(session: VaeSession, name: str, seed: float, *sliders: float) -> np.ndarray:
    """Draw the latent dimensions beyond the sliders from the prior N(0, I)."""
    d = _model(name).latent_dim
    if d > N_SLIDERS:
        rng = np.random.default_rng(seed_value(seed))
        session.rest[name] = rng.standard_normal(d - N_SLIDERS).astype(np.float32)
    return decode_sliders(session, name, *sliders)


@lru_cache(maxsize=8)
def _map_base(name: str) -> np.ndarray:
    """Test-set latent means (dims 1-2) coloured by class: drawn once per model."""
    model = _model(name, "cpu")
    points, labels = model.map_points.cpu().numpy(), model.map_labels.cpu().numpy()
    fig, (ax,) = figure()
    set_view(ax, MAP_VIEW)
    ax.scatter(points[:, 0], points[:, 1], c=labels, cmap=ListedColormap(PALETTE), vmin=-0.5, vmax=9.5,
               s=4, linewidths=0, alpha=0.6)
    for c, label in enumerate(_labels(name)):
        ax.scatter([], [], color=PALETTE[c], label=label, s=20)
    ax.legend(loc="upper left", fontsize=7, ncol=5, framealpha=0.85, handletextpad=0.1, columnspacing=0.6)
    ax.set_xlabel("z₁", fontsize=9)
    ax.set_ylabel("z₂", fontsize=9)
    return to_array(fig)


def latent_map(name: str, z: tuple[float, float] | None = None, mu: np.ndarray | None = None,
               sigma: np.ndarray | None = None) -> np.ndarray:
    """The map with the current z (black cross) and a drawing's μ with its 1σ and 2σ ellipses."""
    fig, ax = overlay(MAP_VIEW)
    if z is not None:
        ax.plot(*z, marker="X", markersize=12, color="black", markeredgecolor="white", markeredgewidth=1.5)
    if mu is not None and sigma is not None:
        cov = np.diag(np.square(sigma[:2]))
        ellipse(ax, mu[:2], cov, 1.0, "#d62728", linewidth=2.0)
        ellipse(ax, mu[:2], cov, 2.0, "#d62728", linewidth=1.2, linestyle="--")
        ax.plot(*mu[:2], marker="o", markersize=7, color="#d62728", markeredgecolor="white")
    return composite(fig, _map_base(name))


def open_latent(name: str, seed: int, *values: object) -> tuple:
    """Model ``name`` with the sliders at ``values[:N_SLIDERS]`` (the last value is the session): how the
    first visit (all at 0) or a link opens the tab."""
    *z, session = values
    _, _, rest_btn, note, *_ = change_model(session, name)
    d = _model(name).latent_dim
    z = [float(v) if i < d else 0.0 for i, v in enumerate(z)]
    return (decode_sliders(session, name, *z), latent_map(name, (z[0], z[1])), rest_btn, note,
            *(gr.Slider(value=v, visible=i < d) for i, v in enumerate(z)), *class_choices(name))


@torch.no_grad()
def opening_view(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The digit at z = 0 and the latent map of model ``name``, drawn on the CPU as the app is built: the tab shows
    them from the start, whether or not its first visit's result reaches the page."""
    model = _model(name, "cpu")
    return _show(model.decode(torch.zeros(1, model.latent_dim))), latent_map(name, (0.0, 0.0))


def link_state(values: dict, session: VaeSession) -> str:
    """Copy link: only the model's own latent dimensions; a note when the 32-D model's other dimensions are set."""
    d = read_manifest()[values["model"]]["config"]["latent_dim"]
    for i in range(d, N_SLIDERS):
        values.pop(f"z{i + 1}", None)
    if d > N_SLIDERS and np.any(session.rest.get(values["model"], 0)):
        return f"Dimensions {N_SLIDERS + 1}–{d} are not in the link: it opens with them at 0."
    return ""


def class_choices(name: str) -> list[gr.Dropdown]:
    """Interpolation end points for the model's classes."""
    labels = _labels(name)
    return [gr.Dropdown(choices=[*DRAWINGS, *labels], value=labels[i]) for i in (3, 8)]


@torch.no_grad()
def change_model(session: VaeSession, name: str) -> tuple:
    """Switch model: sliders back to 0, only as many sliders as latent dimensions, a fresh map."""
    d = _model(name, "cpu").latent_dim
    sliders = [gr.Slider(value=0.0, visible=i < d) for i in range(N_SLIDERS)]
    session.drawings = []
    note = (f"{MODELS[name]}: {d} latent dimensions" +
            (f"; the sliders set the first {N_SLIDERS}, the rest are fixed until resampled." if d > N_SLIDERS else "."))
    return (decode_sliders(session, name, *[0.0] * N_SLIDERS), latent_map(name, (0.0, 0.0)),
            gr.Button(visible=d > N_SLIDERS), note, *sliders)


def forget_old_model(name: str) -> tuple:
    """After a model switch: the new model's classes as interpolation end points, and every picture and text
    that the old model made (encoding, interpolation, prior samples, manifold) cleared."""
    return (*class_choices(name), *[None] * 6, "")


def click_map(session: VaeSession, name: str, evt: gr.SelectData, *sliders: float) -> tuple:
    """A click on the map sets z₁, z₂ there and decodes."""
    xy = MAP_VIEW.pixel_to_data(*evt.index)
    values = list(sliders)
    if xy is not None:
        values[0], values[1] = (round(float(np.clip(v, -SLIDER_RANGE, SLIDER_RANGE)), 2) for v in xy)
    return (decode_sliders(session, name, *values), latent_map(name, (values[0], values[1])), values[0], values[1])


def slider_map(name: str, z1: float, z2: float) -> np.ndarray:
    """Move the map's cross when z₁ or z₂ change."""
    return latent_map(name, (z1, z2))


def digit_from(drawing: dict | None, upload: str | None) -> np.ndarray:
    """The MNIST-like (28, 28) input from the sketchpad (preferred if it has strokes) or the upload."""
    composite_rgba = drawing.get("composite") if isinstance(drawing, dict) else None
    sources = []
    if composite_rgba is not None and np.asarray(composite_rgba).size:
        from PIL import Image

        sources.append(Image.fromarray(np.asarray(composite_rgba, dtype=np.uint8)))
    if upload:
        sources.append(upload)
    if not sources:
        raise gr.Error("Draw a digit first (or upload a picture of one).")
    last_error = "Draw a digit first."
    for source in sources:
        try:
            return digits.preprocess_digit(load_rgb(source))
        except (ImageError, ValueError) as exc:
            last_error = str(exc)
    raise gr.Error(last_error)


def check_digit(drawing: dict | None, upload: str | None) -> None:
    """Raise the message for unusable input before anything is encoded."""
    digit_from(drawing, upload)


@torch.no_grad()
@gpu
def encode(session: VaeSession, name: str, drawing: dict | None, upload: str | None, seed: float) -> tuple:
    """Encode a drawn or uploaded digit: μ and σ on the map, reconstruction, samples of q(z|x), the ELBO."""
    model = _model(name)
    x = torch.from_numpy(digit_from(drawing, upload))[None, None]
    gen = torch.Generator().manual_seed(seed_value(seed))
    mu, sigma, z = model.posterior(x, 8, gen)
    recon, kl = model.elbo_estimate(x, 64, gen)
    mu_np, sigma_np = mu.numpy(), sigma.numpy()
    session.drawings = [*session.drawings[-1:], mu_np]
    shown = min(model.latent_dim, N_SLIDERS)
    table = "| | " + " | ".join(f"z{i + 1}" for i in range(shown)) + " |\n|---|" + "---|" * shown + "\n"
    table += "| μ | " + " | ".join(f"{v:.2f}" for v in mu_np[:shown]) + " |\n"
    table += "| σ | " + " | ".join(f"{v:.2f}" for v in sigma_np[:shown]) + " |\n"
    text = (
        f"{table}\n**ELBO of this input: {-(recon + kl):.1f} nats** = reconstruction log-likelihood {-recon:.1f} "
        f"(mean of 64 samples z ~ q(z|x)) − KL(q(z|x) ‖ N(0, I)) {kl:.1f}. The red dot is μ, the ellipses 1σ and 2σ: "
        "the encoder's uncertainty about the code."
        + (f" Only the first {shown} of {model.latent_dim} dimensions are listed." if model.latent_dim > shown else "")
    )
    sliders = [round(float(np.clip(v, -SLIDER_RANGE, SLIDER_RANGE)), 2) for v in mu_np[:shown]]
    if model.latent_dim > N_SLIDERS:
        session.rest[name] = mu_np[N_SLIDERS:].astype(np.float32)
    sliders += [0.0] * (N_SLIDERS - shown)
    return (_show(x), _show(model.decode(mu[None])), _show(model.decode(z)),
            latent_map(name, (sliders[0], sliders[1]), mu_np, sigma_np), text, *sliders)


def encode_upload(session: VaeSession, name: str, upload: str | None, seed: float) -> tuple:
    """Encode a picture as soon as it is uploaded or picked from the examples, whatever the pad holds."""
    if not upload:  # the upload box was cleared
        return tuple(gr.skip() for _ in range(5 + N_SLIDERS))
    return encode(session, name, None, upload, seed)


@torch.no_grad()
@gpu
def interpolate(session: VaeSession, name: str, start: str, end: str) -> np.ndarray:
    """Decode 10 points on the straight line between two latent codes (class prototypes or your drawing)."""
    model = _model(name)
    codes = []
    for choice in (start, end):
        if choice in DRAWINGS:
            back = DRAWINGS.index(choice) + 1
            if len(session.drawings) < back:
                raise gr.Error(f"Encode {'a' if back == 1 else 'two'} drawing{'s' * (back > 1)} first, or pick a class.")
            codes.append(torch.from_numpy(session.drawings[-back]))
        elif choice in _labels(name):
            codes.append(model.class_means[_labels(name).index(choice)])
        else:
            raise gr.Error(f"Pick a class of this model ({', '.join(_labels(name))}) or one of your drawings.")
    t = torch.linspace(0, 1, 10)[:, None]
    return _show(model.decode((1 - t) * codes[0][None] + t * codes[1][None]))


@torch.no_grad()
@gpu
def prior_samples(name: str, seed: float) -> np.ndarray:
    """16 digits decoded from z ~ N(0, I)."""
    model = _model(name)
    gen = torch.Generator().manual_seed(seed_value(seed))
    return _grid(model.decode(torch.randn((16, model.latent_dim), generator=gen)), 8, 4)


@torch.no_grad()
@gpu
def manifold(session: VaeSession, name: str, *sliders: float) -> np.ndarray:
    """A 15 x 15 grid of digits decoded over z₁, z₂ in [-3, 3] (other dimensions as set)."""
    base = _z(session, name, sliders)
    axis = torch.linspace(SLIDER_RANGE, -SLIDER_RANGE, 15)
    z = base.repeat(225, 1)
    z[:, 0] = axis.flip(0).repeat(15)
    z[:, 1] = axis.repeat_interleave(15)
    return _grid(_model(name).decode(z), 15, 2)


def build(tab: gr.Tab) -> None:
    """Lay out the tab, opening on the first model's digit at z = 0 and its latent map."""
    trained = [name for name in MODELS if models.trained(name)]
    if not trained:
        models.not_trained("a VAE trained here (`python -m generative.train.vae --model vae-mnist-2d`)")
        return
    gr.Markdown(INTRO)
    session = gr.State(VaeSession())
    first = trained[0]
    digit, latent_view = opening_view(first)
    with gr.Row():
        model_dd = gr.Dropdown(trained, value=first, label="Model", scale=2,
                               info="2-D models draw a full map; the 32-D model reconstructs far better")
        seed = number_box(value=0, label="Seed (sampling)", scale=1, step=1, elem_id="vae-seed")
    note = gr.Markdown(f"{MODELS[first]}: {read_manifest()[first]['config']['latent_dim']} latent dimensions.")
    copy_link = links.copy_link_row("vae")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            sliders = [gr.Slider(-SLIDER_RANGE, SLIDER_RANGE, value=0.0, step=0.05, label=f"z{i + 1}",
                                 visible=i < 2, elem_id=f"vae-z{i + 1}") for i in range(N_SLIDERS)]
            rest_btn = gr.Button("Resample the other dimensions", visible=False, size="sm")
            decoded = gr.Image(digit, label="Decoded digit", interactive=False, format="png", height=240,
                               elem_id="vae-decoded", elem_classes=["pixelated"])
        with gr.Column(scale=1, min_width=300):
            latent = gr.Image(latent_view, label="Latent map: μ of 5,000 test images by class, dims z₁ and z₂ (click to decode)",
                              interactive=False, format="png", elem_id="vae-map")
    gr.Markdown("### Encode your own digit")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            pad, upload = digit_inputs("vae", EXAMPLES, "Example drawings (click one to encode it)")
            encode_btn = gr.Button("Encode", variant="primary", elem_id="vae-encode")
        with gr.Column(scale=2, min_width=300):
            with gr.Row():
                seen = gr.Image(label="Input as the model sees it (28 × 28)", interactive=False, format="png",
                                elem_classes=["pixelated"], elem_id="vae-seen")
                recon = gr.Image(label="Reconstruction: decode(μ)", interactive=False, format="png",
                                 elem_classes=["pixelated"])
            samples = gr.Image(label="8 samples z ~ q(z|x), decoded", interactive=False, format="png",
                               elem_classes=["pixelated"])
            elbo = gr.Markdown(elem_id="vae-elbo")
    with gr.Accordion("Interpolation, samples from the prior, the manifold", open=False):
        with gr.Row():
            start = gr.Dropdown([*DRAWINGS, *_labels(first)], value=_labels(first)[3], label="From", scale=1)
            end = gr.Dropdown([*DRAWINGS, *_labels(first)], value=_labels(first)[8], label="To", scale=1)
            interp_btn = gr.Button("Interpolate (10 steps)", scale=1)
        gr.Markdown("Decoded along the straight line between two codes (a class = its mean μ over the test set; "
                    "a drawing = its μ):")
        interp = gr.Image(label="Interpolation", show_label=False, interactive=False, format="png",
                          elem_classes=["pixelated"], elem_id="vae-interp", buttons=["download"])
        with gr.Row():
            prior_btn = gr.Button("16 samples from the prior N(0, I)")
            grid_btn = gr.Button("Manifold: decode a 15 × 15 grid over z₁, z₂")
        prior = gr.Image(label="Samples from the prior", show_label=False, interactive=False, format="png",
                         elem_classes=["pixelated"], elem_id="vae-prior", buttons=["download"])
        grid = gr.Image(label="Manifold", show_label=False, interactive=False, format="png",
                        elem_classes=["pixelated"], elem_id="vae-grid", buttons=["download"])

    shown = [decoded, latent, rest_btn, note, *sliders]
    links.share("vae", tab, [links.choice("model", trained, model_dd, slugs={m: m for m in trained}),
                             links.integer("seed", seed, 0, MAX_SEED),
                             *(links.number(f"z{i + 1}", s, digits=2) for i, s in enumerate(sliders))],
                show=open_latent, inputs=[session], outputs=[*shown, start, end], place=copy_link,
                describe=link_state, describe_inputs=[session])
    model_dd.input(change_model, [session, model_dd], shown, api_name="vae_model").then(
        forget_old_model, model_dd, [start, end, seen, recon, samples, interp, prior, grid, elbo],
        api_visibility="private")
    for i, s in enumerate(sliders):
        s.change(decode_sliders, [session, model_dd, *sliders], decoded, trigger_mode="always_last",
                 show_progress="hidden", **({"api_name": "vae_decode"} if i == 0 else {"api_visibility": "private"}))
    for s in sliders[:2]:
        s.release(slider_map, [model_dd, sliders[0], sliders[1]], latent, show_progress="hidden",
                  api_visibility="private")
    latent.select(click_map, [session, model_dd, *sliders], [decoded, latent, sliders[0], sliders[1]],
                  api_visibility="private")
    rest_btn.click(resample_rest, [session, model_dd, seed, *sliders], decoded, api_name="vae_resample")
    # Bad input is caught by a check with no outputs first, so its message does not blank the sliders and map.
    encoded = [seen, recon, samples, latent, elbo, *sliders]
    encode_btn.click(check_digit, [pad, upload], None, api_visibility="private").success(
        encode, [session, model_dd, pad, upload, seed], encoded, api_name="vae_encode", **one_light_bar(seen))
    upload.change(encode_upload, [session, model_dd, upload, seed], encoded, api_visibility="private",
                  **one_light_bar(seen))
    interp_btn.click(interpolate, [session, model_dd, start, end], interp, api_name="vae_interpolate")
    prior_btn.click(prior_samples, [model_dd, seed], prior, api_name="vae_prior")
    grid_btn.click(manifold, [session, model_dd, *sliders], grid, api_name="vae_manifold")
