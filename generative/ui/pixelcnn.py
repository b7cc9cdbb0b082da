"""The Autoregressive (PixelCNN) tab: sample pixel by pixel, complete a digit, see where the model is surprised.

Handlers are plain functions of the control values; :func:`build` lays them out. The likelihood table
and the family tree come from ``python -m bench.likelihood``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import matplotlib
import numpy as np
import torch

import generative
from generative.metric_names import EXACT_NLL
from generative.pixelcnn import PIXELS, SIZE
from generative.ui import links, models
from generative.ui.gpu import gpu
from generative.ui.inputs import MAX_SEED, number_box, seed_value, whole_number
from generative.ui.uploads import digit_inputs
from generative.ui.vae import EXAMPLES, check_digit, digit_from
from generative.weights import training_record

NAME, VAE = "pixelcnn-mnist", "vae-mnist"
N_SAMPLES, N_COMPLETIONS = 16, 8
ZOOM = 4
UNKNOWN = 128  # grey: pixels not drawn yet, or hidden from the model
HEAT_MAX = 4.0  # nats: the top of the heat map's colour scale
FRAME_RATE = 15  # rows shown per second at most: 16 digits fill in over about 2 s
ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "bench" / "results" / "likelihood.json"
TREE = ROOT / "assets" / "family_tree.png"
INTRO = """
A **fully visible belief network** writes p(x) = ∏ᵢ p(xᵢ | x₁ … xᵢ₋₁) by the chain rule: no latent code, an **exact**
likelihood, but one network evaluation per pixel to sample (O(n)). Here a gated PixelCNN predicts each pixel of a
binarised 28 × 28 digit from the pixels above it and to its left.
"""


def _model() -> torch.nn.Module:
    return models.load(NAME)


def _tiles(images: torch.Tensor, known: torch.Tensor, columns: int) -> np.ndarray:
    """Binary images (N, 1, 28, 28) as one uint8 grid, unknown pixels grey, zoomed, with thin gaps."""
    pixels = torch.where(known, images * 255, torch.full_like(images, UNKNOWN))
    pixels = pixels.to(torch.uint8).cpu().numpy()[:, 0]
    pixels = np.pad(pixels, ((0, (-len(pixels)) % columns), (1, 1), (1, 1)), constant_values=60)
    rows = [np.concatenate(list(pixels[i: i + columns]), axis=1) for i in range(0, len(pixels), columns)]
    grid = np.concatenate(rows, axis=0)
    return np.repeat(np.repeat(grid, ZOOM, axis=0), ZOOM, axis=1)


def _rows_known(r: int, shape: torch.Size) -> torch.Tensor:
    known = torch.zeros(shape, dtype=torch.bool)
    known[:, :, : r + 1] = True
    return known


def _status(r: int, evaluations: int, seconds: float, n: int) -> str:
    done = "done" if r == SIZE - 1 else f"row {r + 1} of {SIZE}"
    return (f"**{done}** · {evaluations:,} network evaluations (one per pixel, each for all {n} digits at once) "
            f"· {seconds:.2f} s of computing")


def _paced(rows: Iterator[tuple[torch.Tensor, int]], first: int = 0) -> Iterator[tuple[int, torch.Tensor, int, float]]:
    """(row, images, evaluations, computing seconds) from row ``first`` on, at most FRAME_RATE rows a second, so
    that the picture visibly fills in even when the network is fast; the seconds count the computing only."""
    computing, shown = 0.0, 0.0
    for r in range(SIZE):
        start = time.perf_counter()
        images, evaluations = next(rows)
        computing += time.perf_counter() - start
        if r < first:
            continue
        time.sleep(max(0.0, shown + 1 / FRAME_RATE - time.perf_counter()))
        shown = time.perf_counter()
        yield r, images, evaluations, computing


@torch.no_grad()
@gpu
def sample_digits(seed: float) -> Iterator[tuple[np.ndarray, str]]:
    """16 digits drawn pixel by pixel, streamed after every row with the evaluations so far and the time."""
    seed_int, model = seed_value(seed), _model()
    for r, images, evaluations, seconds in _paced(model.sample_rows(N_SAMPLES, seed=seed_int)):
        yield _tiles(images, _rows_known(r, images.shape), 4), _status(r, evaluations, seconds, N_SAMPLES)


def sampled(seed: int) -> tuple[np.ndarray, str]:
    """The 16 digits of ``seed`` once drawn (the last frame of :func:`sample_digits`): what a link or the first
    visit shows."""
    return list(sample_digits(seed))[-1]


def _binary_digit(drawing: dict | None, upload: str | None) -> torch.Tensor:
    """The drawn or uploaded digit as the VAE tab prepares it, thresholded at 0.5: (1, 1, 28, 28)."""
    return torch.from_numpy((digit_from(drawing, upload) > 0.5).astype(np.float32))[None, None]


@torch.no_grad()
@gpu
def complete(drawing: dict | None, upload: str | None, rows: float, seed: float) -> Iterator[tuple[np.ndarray, str]]:
    """Keep the digit's top ``rows`` rows and draw 8 bottoms from p(bottom | top), streamed row by row."""
    kept = whole_number(rows, "Rows kept", 1, SIZE - 1)
    seed_int = seed_value(seed)
    x, model = _binary_digit(drawing, upload), _model()
    mask = torch.zeros_like(x)
    mask[:, :, :kept] = 1
    shown_input = _tiles(x, mask.bool(), 1)
    for r, images, evaluations, seconds in _paced(model.sample_rows(N_COMPLETIONS, seed=seed_int, given=(x, mask)),
                                                  first=kept - 1):
        known = _rows_known(r, images.shape)
        grid = _tiles(torch.cat([x, images]), torch.cat([mask.bool(), known]), 3)
        grid[: shown_input.shape[0], : shown_input.shape[1]] = shown_input
        yield grid, (_status(r, evaluations, seconds, N_COMPLETIONS)
                     + f" · top left: the {kept} rows kept, the rest hidden from the model")


def _heat(nll: np.ndarray) -> np.ndarray:
    colours = matplotlib.colormaps["inferno"](np.clip(nll / HEAT_MAX, 0, 1))[..., :3]
    return np.repeat(np.repeat((colours * 255).astype(np.uint8), 8, axis=0), 8, axis=1)


@torch.no_grad()
@gpu
def surprise(drawing: dict | None, upload: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """The input as the model sees it, the per-pixel -log p(x_i | x_<i) heat map, and the likelihoods."""
    model = _model()
    x = _binary_digit(drawing, upload).to(next(model.parameters()).device)
    nll = model.pixel_nll(x)[0, 0].cpu().numpy()
    total = float(nll.sum())
    text = (f"**Exact −log p(x) = {total:.1f} nats = {total / PIXELS / math.log(2):.3f} bits per pixel** "
            f"(the sum of the heat map, dark 0 to bright ≥ {HEAT_MAX:g} nats per pixel; the most surprising pixel "
            f"costs {nll.max():.1f} nats).")
    if VAE in generative.available():
        vae = generative.load(VAE)
        x = x.to(next(vae.parameters()).device)
        gen = torch.Generator(x.device).manual_seed(0)
        recon, kl = vae.elbo_terms(x, gen)
        iwae = float(vae.importance_nll(x, k=1000, generator=gen)[0])
        text += (f" The 32-D VAE only bounds it: −ELBO {float(recon[0] + kl[0]):.1f} nats, importance-weighted "
                 f"(k = 1000) {iwae:.1f} nats — upper bounds on its own −log p(x).")
    seen = (x[0, 0] * 255).to(torch.uint8).cpu().numpy()
    return np.repeat(np.repeat(seen, 8, axis=0), 8, axis=1), _heat(nll), text


def likelihood_table() -> str:
    """The bench's table of every model's likelihood, as markdown (or how to make it)."""
    if not TABLE.exists():
        return "The table appears once `python -m bench.likelihood` has run."
    return json.loads(TABLE.read_text())["markdown"]


def build(tab: gr.Tab) -> None:
    """Lay out the tab (or say how to train its model)."""
    if not models.trained(NAME):
        models.not_trained("a PixelCNN trained here (`python -m generative.train.pixelcnn --data ../shared/data`)")
        return
    steps, metrics = training_record(NAME)
    gr.Markdown(INTRO + (f"\nThis one trained {steps:,} steps on the CPU; exact test NLL "
                         f"**{metrics[EXACT_NLL]:.2f} nats** on 10,000 binarised MNIST test digits."
                         if EXACT_NLL in metrics else ""))
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            seed = number_box(value=0, label="Seed", elem_id="pixelcnn-seed")
            sample_btn = gr.Button("Sample 16 digits pixel by pixel", variant="primary", elem_id="pixelcnn-sample")
            status = gr.Markdown(elem_id="pixelcnn-status")
            copy_link = links.copy_link_row("pixelcnn")
        with gr.Column(scale=2, min_width=300):
            samples = gr.Image(label="Samples (grey: not drawn yet)", interactive=False, format="png", height=460,
                               elem_id="pixelcnn-samples", elem_classes=["pixelated"])
    gr.Markdown("### Your digit: complete it, and see where the model is surprised")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            pad, upload = digit_inputs("pixelcnn", EXAMPLES, "Example drawings")
            rows = gr.Slider(1, SIZE - 1, value=SIZE // 2, step=1, label="Rows kept (the top of the digit)",
                             elem_id="pixelcnn-rows")
            go_btn = gr.Button("Complete and explain", variant="primary", elem_id="pixelcnn-go")
        with gr.Column(scale=2, min_width=300):
            completions = gr.Image(label="Completions from p(bottom | top)", interactive=False, format="png",
                                   height=340, elem_id="pixelcnn-completions", elem_classes=["pixelated"])
            completion_status = gr.Markdown()
            with gr.Row():
                seen = gr.Image(label="Input as the model sees it", interactive=False, format="png",
                                elem_classes=["pixelated"])
                heat = gr.Image(label="Surprise: −log p(xᵢ | x<ᵢ) per pixel",
                                interactive=False, format="png", elem_id="pixelcnn-heat", elem_classes=["pixelated"])
            verdict = gr.Markdown(elem_id="pixelcnn-nll")
    with gr.Accordion("One yardstick for every model: test likelihood", open=False):
        gr.Markdown("Lower is better; nats per digit on the same 10,000 binarised MNIST test images. "
                    "A GAN defines no density, so it has no entry.")
        if TREE.exists():
            gr.Image(str(TREE), label="Family tree of generative models (leaves name their tab)", interactive=False,
                     show_label=True, format="png")
        gr.Markdown(likelihood_table(), elem_id="pixelcnn-table")

    sample_btn.click(sample_digits, seed, [samples, status], api_name="pixelcnn_sample")
    links.share("pixelcnn", tab, [links.integer("seed", seed, 0, MAX_SEED)], show=sampled, outputs=[samples, status],
                place=copy_link, cache_example=True)
    analysed = go_btn.click(check_digit, [pad, upload], None, api_visibility="private")
    analysed.success(surprise, [pad, upload], [seen, heat, verdict], api_name="pixelcnn_surprise")
    analysed.success(complete, [pad, upload, rows, seed], [completions, completion_status], api_name="pixelcnn_complete")
