"""The "This person does not exist" tab: faces from the GAN trained here, and its discriminator's verdict."""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from generative.metric_names import FID, FID_FLOOR
from generative.ui import inputs, links, models
from generative.ui.gpu import gpu
from generative.ui.inputs import number_box, seed_value, whole_number
from generative.ui.progress import one_light_bar
from generative.ui.uploads import image_upload, read_upload
from generative.weights import training_record

GRID = 8
EXAMPLE_FACE = Path(__file__).resolve().parents[2] / "assets" / "astronaut.jpg"
FRAMES = 8
MAX_SEED = inputs.MAX_SEED - GRID  # the grid shows seed .. seed + 7
SHOW_PX = 192
INTRO = """
A **GAN** is an *implicit* generative model: its generator turns random noise z into a face, but unlike the GMM tab
it gives no density p(x) — it can only sample. Its **discriminator** was trained against it to output the
**probability that an image is real**; every face below carries that verdict. Each seed always gives the same face.
"""
PSI_MAX = 1.5
PSI_INFO = ("ψ < 1 pulls each face toward the average face (ψ = 0): cleaner, more alike; ψ > 1 pushes away from it: "
            "more varied, rougher")
DEFAULT_CROP = (0.8, 0.5, 0.45)  # crop size, centre x, centre y: the centre, when no face is detected
# On the CelebA crops the GAN learned from, yuface's face box is 1/1.28 of the crop's side, its centre 0.1 of the side
# below the crop's centre (median over 200 holdout faces).
CROP_PER_FACE_BOX, BOX_BELOW_CENTRE = 1.28, 0.1
VERDICT_NOTE = (
    "The discriminator only learned to tell the generator's faces from 64 × 64 CelebA crops during training: a "
    "high P(real) means \"looks like those training photos\", not \"this photo is authentic\", and a low one is no "
    "proof of a fake."
)


def _verdict_note() -> str:
    """:data:`VERDICT_NOTE`, and when D's weights are older than G's, which generator D last played against."""
    g_steps, _ = training_record("faces-gan")
    d_steps, _ = training_record("faces-gan-d")
    if g_steps is None or d_steps is None or d_steps == g_steps:
        return VERDICT_NOTE
    return (f"{VERDICT_NOTE} This discriminator's weights are from step {d_steps:,} of the training, the "
            f"generator's from step {g_steps:,}: it judges faces it never saw in training.")


def _models() -> tuple:
    return models.load("faces-gan"), models.load("faces-gan-d")


def _psi(truncation: float | None) -> float:
    if truncation is None or not np.isfinite(truncation) or not 0 <= truncation <= PSI_MAX:
        raise gr.Error(f"ψ (truncation) must be between 0 and {PSI_MAX}.")
    return float(truncation)


def _big(face: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(face).resize((SHOW_PX, SHOW_PX), Image.Resampling.BICUBIC))


@gpu
def generate_grid(seed: float, truncation: float) -> list[tuple[np.ndarray, str]]:
    """Eight faces for seeds seed..seed+7, each captioned with D's P(real)."""
    g, d = _models()
    first = seed_value(seed, maximum=MAX_SEED)
    seeds = list(range(first, first + GRID))
    faces = g.generate(seeds, truncation=_psi(truncation))
    probs = d.prob_real(faces)
    return [(_big(f), f"P(real) {p:.2f} · seed {s}") for f, s, p in zip(faces, seeds, probs)]


def new_faces(truncation: float) -> tuple[int, list[tuple[np.ndarray, str]]]:
    """A random seed and its faces."""
    seed = int(np.random.default_rng().integers(0, MAX_SEED))
    return seed, generate_grid(seed, truncation)


@gpu
def interpolate(seed_a: float, seed_b: float, truncation: float) -> tuple[np.ndarray, str]:
    """Eight frames on the straight line between two seeds' latents, as a strip and an animated GIF."""
    g, _ = _models()
    a, b = seed_value(seed_a, "Seed A", MAX_SEED), seed_value(seed_b, "Seed B", MAX_SEED)
    big = [_big(f) for f in g.interpolate(a, b, FRAMES, _psi(truncation))]
    path = Path(tempfile.mkdtemp()) / f"faces-seed-{a}-to-{b}.gif"
    loop = [Image.fromarray(f) for f in big + big[-2:0:-1]]
    loop[0].save(path, save_all=True, append_images=loop[1:], duration=120, loop=0)
    return np.concatenate(big, axis=1), str(path)


def _picked(evt: gr.SelectData) -> int:
    """The grid place (1..8) of the face the user clicked."""
    return int(evt.index) + 1


@gpu
def enhance(seed: float, index: float, truncation: float) -> tuple[tuple[np.ndarray, np.ndarray], str]:
    """Face ``index`` (1..8) of the grid at ``seed``, upscaled to 128 x 128 by bicubic and by the 2x SR net."""
    if not models.trained("sr-x2-psnr"):
        raise gr.Error("The 2x super-resolution model is not trained yet: `python -m generative.train.sr` builds it.")
    index = whole_number(index, "Pick a face: its place in the grid", 1, GRID)
    g, _ = _models()
    chosen = seed_value(seed, maximum=MAX_SEED) + index - 1
    face = g.generate([chosen], truncation=_psi(truncation))[0]
    sharp = models.load("sr-x2-psnr")(face)
    bicubic = np.asarray(Image.fromarray(face).resize((2 * 64, 2 * 64), Image.Resampling.BICUBIC))
    return (bicubic, sharp), f"Seed {chosen}: bicubic (left) vs the super-resolution network (right), 128 × 128."


@gpu
def judge_upload(path: str | None, size: float, centre_x: float, centre_y: float) -> tuple[np.ndarray, str]:
    """Crop a square around (centre_x, centre_y) of side ``size`` x the shorter side, resize to 64, ask D."""
    rgb = read_upload(path, missing="Upload a face photo first.", what="a face photo")
    h, w = rgb.shape[:2]
    side = max(8, round(float(np.clip(size, 0.1, 1.0)) * min(h, w)))
    cx, cy = float(np.clip(centre_x, 0, 1)) * w, float(np.clip(centre_y, 0, 1)) * h
    left = int(np.clip(round(cx - side / 2), 0, w - side))
    top = int(np.clip(round(cy - side / 2), 0, h - side))
    face = np.asarray(Image.fromarray(rgb[top: top + side, left: left + side]).resize((64, 64), Image.Resampling.LANCZOS))
    _, d = _models()
    p = float(d.prob_real(face[None])[0])
    return _big(face), f"**P(real) = {p:.2f}** for this 64 × 64 crop.\n\n{_verdict_note()}"


def crop_around_face(rgb: np.ndarray) -> tuple[float, float, float]:
    """Crop size and centre (as the sliders give them) framing the largest face yuface finds like the training
    crops, or the centre crop when none is found or yuface (an optional package) is not installed."""
    try:
        import yuface
    except ImportError:
        return DEFAULT_CROP
    h, w = rgb.shape[:2]
    scale = min(1.0, 640 / max(h, w))  # detection on at most 640 px is enough and fast
    small = np.asarray(Image.fromarray(rgb).resize((max(1, round(w * scale)), max(1, round(h * scale)))))
    confs, boxes, _ = yuface.detect(np.ascontiguousarray(small[:, :, ::-1]), conf=0.5)
    if len(confs) == 0:
        return DEFAULT_CROP
    x, y, bw, bh = (float(v) / scale for v in boxes[int(np.argmax([b[2] * b[3] for b in boxes]))][:4])
    side = CROP_PER_FACE_BOX * max(bw, bh)
    size = float(np.clip(side / min(h, w), 0.2, 1.0))
    return round(size, 2), round((x + bw / 2) / w, 2), round((y + bh / 2 - BOX_BELOW_CENTRE * side) / h, 2)


@gpu
def judge_new_upload(path: str | None) -> tuple[float, float, float, np.ndarray, str]:
    """A fresh upload: reset the crop to the detected face (or the centre), then ask D."""
    size, centre_x, centre_y = crop_around_face(read_upload(path, missing="Upload a face photo first.",
                                                            what="a face photo"))
    return size, centre_x, centre_y, *judge_upload(path, size, centre_x, centre_y)


def _quality_line() -> str:
    steps, metrics = training_record("faces-gan")
    if FID not in metrics:
        return f"Generator trained for {steps} steps; not evaluated yet."
    return (f"Generator trained for {steps:,} steps on the CPU. FID {metrics[FID]:.1f} "
            f"against 1,000 holdout faces (real-vs-real floor {metrics[FID_FLOOR]:.1f}; "
            "lower is better): expect rough faces.")


def build(tab: gr.Tab) -> None:
    """Lay out the tab; the GAN loads when the tab is first opened."""
    if not models.trained("faces-gan", "faces-gan-d"):
        models.not_trained("faces from a GAN trained here (`python -m generative.train.faces`)")
        return
    gr.Markdown(INTRO)
    gr.Markdown(_quality_line())
    with gr.Row():
        seed = number_box(value=0, label="Seed", scale=1, step=1, elem_id="faces-seed")
        psi = gr.Slider(0.0, PSI_MAX, value=0.8, step=0.05, label="Truncation ψ", info=PSI_INFO, scale=2,
                        elem_id="faces-psi")
        with gr.Column(scale=1, min_width=160):
            show_btn = gr.Button("Show these seeds", variant="secondary")
            new_btn = gr.Button("New faces", variant="primary", elem_id="faces-new")
    gr.Markdown("**Generated faces**, each captioned with the discriminator's P(real) and its seed")
    gallery = gr.Gallery(label="Generated faces", show_label=False, columns=GRID // 2, rows=2,
                         height="auto", object_fit="contain", elem_id="faces-gallery", allow_preview=True)
    copy_link = links.copy_link_row("faces")
    with gr.Accordion("Interpolate between two seeds", open=False):
        with gr.Row():
            seed_a = number_box(value=0, label="Seed A", step=1)
            seed_b = number_box(value=1, label="Seed B", step=1)
            interp_btn = gr.Button("Interpolate")
        strip = gr.Image(label=f"{FRAMES} frames along the straight line from z(A) to z(B)", interactive=False,
                         format="png")
        gif = gr.File(label="Animated GIF (download)")
    with gr.Accordion("Enhance 2x: one face at 128 × 128 with the super-resolution network", open=False):
        with gr.Row():
            pick = number_box(value=1, label=f"Face (1–{GRID}, or click one in the grid)", step=1,
                              elem_id="faces-pick")
            enhance_btn = gr.Button("Enhance 2x", elem_id="faces-enhance")
        enhanced = gr.ImageSlider(label="Bicubic | super-resolution (drag)", interactive=False, max_height=384,
                                  elem_id="faces-enhanced")
        enhanced_note = gr.Markdown()
    with gr.Accordion("Ask the discriminator about your photo", open=False):
        with gr.Row():
            with gr.Column():
                upload = image_upload(label="A face photo", height=280)
                size = gr.Slider(0.2, 1.0, value=0.8, step=0.05, label="Crop size (share of the shorter side)")
                cx = gr.Slider(0.0, 1.0, value=0.5, step=0.01, label="Crop centre, left to right")
                cy = gr.Slider(0.0, 1.0, value=0.45, step=0.01, label="Crop centre, top to bottom")
            with gr.Column():
                crop = gr.Image(label="The 64 × 64 crop the discriminator sees", interactive=False, format="png")
                verdict = gr.Markdown()
        gr.Examples([[str(EXAMPLE_FACE), 0.32, 0.46, 0.25]], [upload, size, cx, cy], [crop, verdict], judge_upload,
                    cache_examples=True, cache_mode="lazy", label="Example: a NASA portrait (scikit-image's astronaut)")

    links.share("faces", tab, [links.integer("seed", seed, 0, MAX_SEED), links.number("psi", psi, digits=2)],
                show=generate_grid, outputs=[gallery], place=copy_link, cache_example=True)
    light = one_light_bar(gallery)
    show_btn.click(generate_grid, [seed, psi], gallery, api_name="faces_generate", **light)
    seed.submit(generate_grid, [seed, psi], gallery, api_visibility="private", **light)
    psi.change(generate_grid, [seed, psi], gallery, api_visibility="private", trigger_mode="always_last", **light)
    new_btn.click(new_faces, psi, [seed, gallery], api_name="faces_new", **light)
    interp_btn.click(interpolate, [seed_a, seed_b, psi], [strip, gif], api_name="faces_interpolate")
    gallery.select(_picked, None, pick, api_visibility="private")
    enhance_btn.click(enhance, [seed, pick, psi], [enhanced, enhanced_note], api_name="faces_enhance")
    judge_inputs = [upload, size, cx, cy]
    upload.upload(judge_new_upload, upload, [size, cx, cy, crop, verdict], api_name="faces_judge_new")
    size.release(judge_upload, judge_inputs, [crop, verdict], api_name="faces_judge")
    for control in (cx, cy):
        control.release(judge_upload, judge_inputs, [crop, verdict], api_visibility="private")
