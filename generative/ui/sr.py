"""The "2x super-resolution" tab: bicubic, the PSNR-trained net and the GAN-trained net side by side."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image

from generative.device import current_device, one_cpu_thread
from generative.metric_names import BICUBIC, SR_SETS, per_set
from generative.srmetrics import bicubic_x2, crop_even, downscale_x2, psnr_y, ssim_y
from generative.ui import atomic_cache, links, models
from generative.ui.gpu import gpu
from generative.ui.progress import one_light_bar, patient
from generative.ui.uploads import image_upload, read_upload
from generative.weights import read_manifest, training_record

MODELS = ("sr-x2-psnr", "sr-x2-gan")
LABELS = ("Bicubic", "PSNR net", "GAN net")
_SIDE_BY_SIDE = ThreadPoolExecutor(max_workers=len(MODELS), thread_name_prefix="sr-net")
MAX_PIXELS = 2_000_000  # input; the outputs are 4x that, shown as lossless WebP (see ui.atomic_cache: fast to write)
MIN_SIDE = 8
TILE = 128  # input pixels per tile (the overlap is the net's receptive radius); 128 beat 256 by 15 % on 2 cores
ZOOM_PX = 256
# Where the shipped GAN net differs most from bicubic on the first example (busiest_centre, 64-pixel window): the
# tab opens zoomed there; a new photo gets its own.
FIRST_VIEW = (0.08, 0.54)
ASSETS = Path(__file__).resolve().parents[2] / "assets"
EXAMPLES = [ASSETS / "sr_coffee.png", ASSETS / "chelsea_cat.jpg", ASSETS / "astronaut.jpg"]
INTRO = """
Three ways to double the resolution of a photo. **Bicubic** interpolation; a small CNN trained here to minimise the
pixel error (**PSNR net**, `sr-x2-psnr`): the best average guess, hence smooth; the same net fine-tuned against a
discriminator (**GAN net**, `sr-x2-gan`): it trades a little PSNR for sharper edges and texture. Zoom in to compare.
"""
LIMIT = f"Up to {MAX_PIXELS / 1e6:.0f} megapixels in (e.g. 1600 × 1250), processed in tiles."


def _nets() -> list:
    return [models.load(name) for name in MODELS]


def _image(path: str | None, what: str = "the image to upscale") -> np.ndarray:
    return read_upload(path, missing=f"Upload a photo first ({what}).", min_side=MIN_SIDE, max_pixels=MAX_PIXELS,
                       hint=LIMIT)


def _three(img: np.ndarray, progress: gr.Progress) -> list[np.ndarray]:
    """Bicubic, PSNR net and GAN net results for ``img``, with a progress bar over the tiles (when it takes a while).

    On a CPU with no more threads than nets, the two nets run side by side on one thread each: on 2 cores that took
    403 ms against 500 ms for two 2-thread runs in turn (512 x 512 in)."""
    bar, nets, lock, done = patient(progress), _nets(), threading.Lock(), [0]

    def run(net: torch.nn.Module, alone: bool) -> np.ndarray:
        def report(_: int, total: int) -> None:
            with lock:
                done[0] += 1
                bar(done[0] / (len(nets) * total), f"tile {done[0]} of {len(nets) * total}")
        with one_cpu_thread(when=alone):
            return net(img, tile=TILE, progress=report)

    if current_device().type == "cpu" and torch.get_num_threads() <= len(nets):
        # each worker runs in a copy of this context: Gradio finds the event that progress belongs to there
        futures = [_SIDE_BY_SIDE.submit(contextvars.copy_context().run, run, net, True) for net in nets]
        return [bicubic_x2(img), *(future.result() for future in futures)]
    return [bicubic_x2(img), *(run(net, False) for net in nets)]


def _channel_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| summed over RGB per pixel, (H, W) int16 (at most 765): exact, and far cheaper than through signed
    copies of both images (max - min stays in uint8)."""
    d = np.maximum(a, b) - np.minimum(a, b)
    return d[..., 0].astype(np.int16) + d[..., 1] + d[..., 2]


def difference(a: np.ndarray, b: np.ndarray, gain: float = 4.0) -> np.ndarray:
    """|a - b| per pixel (mean over RGB), amplified ``gain`` times, as a greyscale RGB image."""
    grey = np.minimum(_channel_sum(a, b) * gain / 3, 255).astype(np.uint8)
    return np.stack([grey, grey, grey], axis=2)


def busiest_centre(a: np.ndarray, b: np.ndarray, size: float) -> tuple[float, float]:
    """Centre (fractions of width and height, 2 decimals) of the ``size`` x ``size`` window where a and b differ most."""
    diff = _channel_sum(a, b)
    h, w = diff.shape
    side = int(np.clip(size, 8, min(h, w)))
    total = np.pad(diff.cumsum(axis=0, dtype=np.int64).cumsum(axis=1), ((1, 0), (1, 0)))
    sums = total[side:, side:] - total[:-side, side:] - total[side:, :-side] + total[:-side, :-side]
    top, left = np.unravel_index(int(sums.argmax()), sums.shape)
    return round((left + side / 2) / w, 2), round((top + side / 2) / h, 2)


def zoom(images: list[np.ndarray | None], centre_x: float, centre_y: float, size: float) -> list[np.ndarray | None]:
    """The same square (side ``size`` output pixels around the centre, as fractions) of each image,
    enlarged to ZOOM_PX with nearest neighbour so that single pixels stay visible."""
    crops = []
    for img in images:
        if img is None:
            crops.append(None)
            continue
        h, w = img.shape[:2]
        side = int(np.clip(size, 8, min(h, w)))
        left = int(np.clip(round(float(centre_x) * w - side / 2), 0, w - side))
        top = int(np.clip(round(float(centre_y) * h - side / 2), 0, h - side))
        crop = Image.fromarray(np.ascontiguousarray(img[top: top + side, left: left + side]))
        crops.append(np.asarray(crop.resize((ZOOM_PX, ZOOM_PX), Image.Resampling.NEAREST)))
    return crops


def _compare(results: list[np.ndarray], against: str) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    net = results[LABELS.index(against)]
    return (results[0], net), difference(net, results[0])


def _shown(img: np.ndarray, results: list[np.ndarray], against: str, centre_x: float, centre_y: float,
           size: float) -> tuple:
    """The three results, the slider and difference map comparing bicubic with ``against``, the zoom at the centre
    given, and a note; the large pictures already encoded for Gradio (:func:`atomic_cache.encode_ahead`)."""
    slider, diff = _compare(results, against)
    zooms = zoom(results, centre_x, centre_y, size)
    atomic_cache.encode_ahead([*results, diff], "webp")
    h, w = img.shape[:2]
    note = f"{w} × {h} → {2 * w} × {2 * h} pixels. Download each result with its ⤓ button."
    return (*results, slider, diff, *zooms, note)


@gpu
def upscale(path: str | None, against: str, centre_x: float, centre_y: float, size: float,
            progress: gr.Progress = gr.Progress()) -> tuple:
    """2x with all three methods; the slider and difference map compare bicubic with ``against``; the zoom shows
    the window at the centre given."""
    img = _image(path)
    return _shown(img, _three(img, progress), against, centre_x, centre_y, size)


@gpu
def upscale_and_focus(path: str | None, against: str, size: float, progress: gr.Progress = gr.Progress()) -> tuple:
    """:func:`upscale`, with the zoom centred where ``against`` differs most from bicubic; also gives that centre."""
    img = _image(path)
    results = _three(img, progress)
    centre = busiest_centre(results[LABELS.index(against)], results[0], size)
    return (*_shown(img, results, against, *centre, size), *centre)


def recompare(bicubic: np.ndarray | None, psnr: np.ndarray | None, gan: np.ndarray | None,
              against: str) -> tuple:
    """Slider and difference map again for another net, from the results already shown."""
    if bicubic is None or psnr is None or gan is None:
        raise gr.Error("Upscale a photo first.")
    return _compare([bicubic, psnr, gan], against)


@gpu
def degrade_restore(path: str | None, against: str, progress: gr.Progress = gr.Progress()) -> tuple:
    """Downscale the upload x1/2 (Pillow bicubic), restore it three ways, score each against the original."""
    original = crop_even(_image(path, "the original to degrade"))
    if min(original.shape[:2]) < 2 * MIN_SIDE:
        raise gr.Error(f"Degrade then restore needs at least {2 * MIN_SIDE} pixels on each side.")
    results = _three(downscale_x2(original), progress)
    rows = "\n".join(f"| {label} | {psnr_y(out, original):.2f} dB | {ssim_y(out, original):.4f} |"
                     for label, out in zip(LABELS, results))
    table = ("PSNR and SSIM on luma (BT.601), 2 border pixels shaved; higher is closer to your original.\n\n"
             f"| method | PSNR | SSIM |\n|---|---|---|\n{rows}")
    return (*results, *_compare(results, against), table)


def zoom_shown(bicubic: np.ndarray | None, psnr: np.ndarray | None, gan: np.ndarray | None,
               centre_x: float, centre_y: float, size: float) -> list[np.ndarray | None]:
    """Zoom on the results already shown."""
    return zoom([bicubic, psnr, gan], centre_x, centre_y, size)


def pick_centre(bicubic: np.ndarray | None, evt: gr.SelectData) -> tuple[float, float]:
    """A click on the bicubic result moves the zoom centre there."""
    if bicubic is None:
        raise gr.Error("Upscale a photo first.")
    x, y = evt.index
    return round(x / bicubic.shape[1], 2), round(y / bicubic.shape[0], 2)


def open_example(photo: str, against: str, centre_x: float, centre_y: float, size: float) -> tuple:
    """An example photo in the upload box and its three upscales: how the first visit (or a link) opens the tab."""
    return photo, *upscale(photo, against, centre_x, centre_y, size, progress=lambda *args, **kwargs: None)


def _quality_line() -> str:
    lines = []
    for name, label in zip(MODELS, LABELS[1:]):
        steps, metrics = training_record(name)
        psnr = [per_set(s, "psnr") for s in SR_SETS]
        figures = (", ".join(f"{s} {metrics[k]:.2f} dB" for s, k in zip(SR_SETS, psnr))
                   + " (bicubic: " + " / ".join(f"{metrics[BICUBIC][k]:.2f}" for k in psnr) + ")"
                   if all(k in metrics for k in psnr) else "not evaluated yet")
        trained = f"{steps:,} CPU training steps" if name == MODELS[0] else f"{steps:,} GAN steps from the PSNR net"
        lines.append(f"{label}: {read_manifest()[name]['parameters']:,} parameters, {trained}; {figures}.")
    return "  \n".join(lines)


def build(tab: gr.Tab) -> None:
    """Lay out the tab; the nets load on the first upscale."""
    if not models.trained(*MODELS):
        models.not_trained("bicubic, a PSNR-trained network and a GAN-trained network side by side on your photo "
                      "(`python -m generative.train.sr`)")
        return
    gr.Markdown(INTRO)
    gr.Markdown(_quality_line())
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            upload = image_upload(label="Your photo", height=260, elem_id="sr-upload")
            go = gr.Button("Upscale 2x", variant="primary", elem_id="sr-go")
            restore_btn = gr.Button("Degrade then restore", elem_id="sr-restore")
            gr.Markdown(f"{LIMIT} *Degrade then restore* halves your photo first and scores each method "
                        "against the original.")
        with gr.Column(scale=2):
            against = gr.Radio(list(LABELS[1:]), value="GAN net", label="Compare bicubic with")
            slider = gr.ImageSlider(label="Bicubic | net (drag)", interactive=False, elem_id="sr-slider",
                                    format="webp", max_height=420)
            copy_link = links.copy_link_row("sr")
    note = gr.Markdown(elem_id="sr-note")
    with gr.Row():
        outs = [gr.Image(label=f"{label} (2x)", interactive=False, format="webp", buttons=["download", "fullscreen"],
                         elem_id=f"sr-out-{i}") for i, label in enumerate(LABELS)]
    with gr.Accordion("Zoom: it opens where the nets differ most from bicubic (click the bicubic result or the "
                      "difference map to move it)", open=True):
        with gr.Row():
            cx = gr.Slider(0.0, 1.0, value=FIRST_VIEW[0], step=0.01, label="Centre, left to right")
            cy = gr.Slider(0.0, 1.0, value=FIRST_VIEW[1], step=0.01, label="Centre, top to bottom")
            size = gr.Slider(16, 256, value=64, step=8, label="Window (output pixels)")
        with gr.Row():
            zooms = [gr.Image(label=label, interactive=False, format="png", elem_classes=["pixelated"],
                              height=ZOOM_PX) for label in LABELS]
            diff = gr.Image(label="|net − bicubic| × 4 (click to zoom)",
                            interactive=False, format="webp", height=ZOOM_PX, elem_id="sr-diff")
    scores = gr.Markdown(elem_id="sr-scores")
    main_inputs = [upload, against, cx, cy, size]
    main_outputs = [*outs, slider, diff, *zooms, note]
    gr.Examples([[str(p), "GAN net", 64] for p in EXAMPLES], [upload, against, size], [*main_outputs, cx, cy],
                upscale_and_focus, cache_examples=True, cache_mode="lazy",
                label="Examples: CC0 / public-domain photos from scikit-image (coffee, Chelsea the cat, astronaut)")
    one_bar = one_light_bar(slider)
    go.click(upscale, main_inputs, main_outputs, api_name="sr_upscale", **one_bar)
    links.share("sr", tab, [links.photo("photo", EXAMPLES),
                            links.choice("vs", list(LABELS[1:]), against, slugs={"PSNR net": "psnr", "GAN net": "gan"}),
                            links.number("x", cx, digits=2), links.number("y", cy, digits=2),
                            links.integer("zoom", size)],
                show=open_example, outputs=[upload, *main_outputs], place=copy_link, cache_example=True,
                describe=links.example_photo_state(EXAMPLES), describe_inputs=[upload])
    upload.upload(upscale_and_focus, [upload, against, size], [*main_outputs, cx, cy], api_visibility="private",
                  **one_bar)
    restore_btn.click(degrade_restore, [upload, against], [*outs, slider, diff, scores], api_name="sr_degrade_restore",
                      **one_bar)
    against.change(recompare, [*outs, against], [slider, diff], api_visibility="private")
    for control in (cx, cy, size):
        control.release(zoom_shown, [*outs, cx, cy, size], zooms, api_visibility="private")
    for clickable in (outs[0], diff):
        clickable.select(pick_centre, outs[0], [cx, cy], api_visibility="private").then(
            zoom_shown, [*outs, cx, cy, size], zooms, api_visibility="private")
