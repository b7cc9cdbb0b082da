"""The "Horse to zebra" tab: the CycleGAN trained here in both directions, with the cycle F(G(x)) shown."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
from matplotlib import colormaps

from generative.cyclegan import MAX_SIDE, resize, working_size
from generative.metric_names import HORSE_SHARE, ZEBRA_SHARE
from generative.ui import links, models
from generative.ui.gpu import gpu
from generative.ui.progress import one_light_bar, patient
from generative.ui.uploads import image_upload, read_upload
from generative.weights import training_record

NAMES = {"horse → zebra": ("cyclegan-horse2zebra", "cyclegan-zebra2horse"),
         "zebra → horse": ("cyclegan-zebra2horse", "cyclegan-horse2zebra")}
FAST, FULL = "Fast (256 px)", f"Full size (up to {MAX_SIDE} px)"
SIDES = {FAST: 256, FULL: MAX_SIDE}
MIN_SIDE = 16
PANEL_PX = 384
PHOTO_FORMAT = "jpeg"  # photos in, photos out: JPEG at quality 95 encodes about 10x faster than lossless WebP
ASSETS = Path(__file__).resolve().parents[2] / "assets"
EXAMPLES = [ASSETS / "horses_nokota.jpg", ASSETS / "zebra_tuxpaint.png", ASSETS / "chelsea_cat.jpg"]  # opens on the first
EXAMPLE_DIRECTIONS = ["horse → zebra", "zebra → horse", "horse → zebra"]
INTRO = """
**CycleGAN** learns two translators from *unpaired* photos: **G** turns horses into zebras and **F** zebras into
horses. Adversarial losses make G(x) look like a zebra to a zebra critic; the **cycle loss** asks that
F(G(x)) gives back x, so G must keep the pose and background and change only what makes a horse a horse.

**Photos that work best:** one horse (or zebra) filling much of the frame, side view, outdoors in daylight, like the
photos it was trained on. Any photo is accepted — the examples have horses, a zebra, and a cat to see what the cycle
does with something it never saw.
"""
CYCLE_NOTE = ("**Cycle consistency:** translating there and back should return the input, F(G(x)) ≈ x; the last "
              "heatmap shows where it does not (bright = large |x − F(G(x))|). "
              "In the zebra → horse direction F goes first and G brings the photo back.  \n"
              "**What changed:** |x − G(x)| is bright where the translation altered your photo; a good translator "
              "lights up the animal and leaves the sky, grass and walls dark.")


def _models(direction: str) -> tuple:
    if direction not in NAMES:
        raise gr.Error(f"Pick a direction: {' or '.join(NAMES)}.")
    return tuple(models.load(name) for name in NAMES[direction])


def _thumb(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    scale = PANEL_PX / max(h, w)
    if scale >= 1:
        return image
    return resize(image, max(1, round(w * scale)), max(1, round(h * scale)))


def heatmap(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|x - y| averaged over channels as an inferno-coloured image (full scale = 128 grey levels)."""
    diff = np.abs(x.astype(np.float32) - y.astype(np.float32)).mean(axis=2)
    colours = colormaps["inferno"](np.clip(diff / 128, 0, 1))[..., :3]
    return (colours * 255).round().astype(np.uint8)


def mean_difference(x: np.ndarray, y: np.ndarray) -> float:
    """The mean of |x - y| in grey levels [0, 255]."""
    return float(np.abs(x.astype(np.int16) - y.astype(np.int16)).mean())


@gpu
def translate(path: str | None, direction: str, resolution: str, progress: gr.Progress = gr.Progress()) -> tuple:
    """Upload -> (before/after pair, x, G(x), change map |x - G(x)|, F(G(x)), cycle-error heatmap, summary) for the
    chosen direction. The cycle runs at the working size: F sees G's output as G made it."""
    x = read_upload(path, missing="Upload a photo first (a horse or a zebra works best).", min_side=MIN_SIDE)
    h, w = x.shape[:2]
    if resolution not in SIDES:
        raise gr.Error(f"Pick a resolution: {FAST} or {FULL}.")
    there, back = _models(direction)
    first = direction.split(" → ")[0]
    report = patient(progress)
    small_x = resize(x, *working_size(w, h, SIDES[resolution]))
    small_y = there.at_size(small_x)
    report(0.45, f"back to {first}")
    small_back = back.at_size(small_y)
    report(0.9, "cycle error")
    panel_x, panel_y, panel_back = _thumb(small_x), _thumb(small_y), _thumb(small_back)
    changed, error = mean_difference(small_x, small_y), mean_difference(small_x, small_back)
    work_h, work_w = small_x.shape[:2]
    summary = (f"{direction}, processed at {work_w} x {work_h} px (input {w} x {h}). "
               f"Mean change |x − G(x)| = {changed:.1f} and mean cycle error |x − F(G(x))| = **{error:.1f}** "
               "grey levels of 255, both at that size.")
    return ((x, resize(small_y, w, h)), panel_x, panel_y, heatmap(panel_x, panel_y), panel_back,
            heatmap(panel_x, panel_back), summary)


def open_example(photo: str, direction: str, resolution: str) -> tuple:
    """An example photo in the upload box and its translation: how the first visit (or a link) opens the tab."""
    return photo, *translate(photo, direction, resolution, progress=lambda *args, **kwargs: None)


def _quality_line() -> str:
    steps, metrics = training_record(NAMES["horse → zebra"][0])
    if ZEBRA_SHARE not in metrics:
        return f"Trained for {steps:,} iterations on the CPU at low resolution; not evaluated yet."
    return (f"Trained for {steps:,} iterations on the CPU at low resolution. "
            f"On held-out photos a small classifier calls {100 * metrics[ZEBRA_SHARE]:.0f} % of "
            f"G(horse) zebras and {100 * metrics[HORSE_SHARE]:.0f} % of F(zebra) horses; "
            "expect rough stripes, best on photos like the training ones.")


def build(tab: gr.Tab) -> None:
    """Lay out the tab; the two generators load on the first translation."""
    if not models.trained(*NAMES["horse → zebra"]):
        models.not_trained("a CycleGAN turning horses into zebras and back, with the cycle reconstruction F(G(x))")
        return
    gr.Markdown(INTRO)
    gr.Markdown(_quality_line())
    with gr.Row():
        with gr.Column(scale=1):
            upload = image_upload(label="Your photo", height=300, elem_id="cyclegan-upload")
            direction = gr.Radio(list(NAMES), value="horse → zebra", label="Direction")
            resolution = gr.Radio(list(SIDES), value=FAST, label="Resolution",
                                  info="Full size takes longer; larger photos are processed at "
                                       f"{MAX_SIDE} px and resized back")
            go = gr.Button("Translate", variant="primary", elem_id="cyclegan-go")
            examples = gr.Examples([[str(p), d] for p, d in zip(EXAMPLES, EXAMPLE_DIRECTIONS)], [upload, direction],
                                   label="Examples: Nokota horses (public domain), a zebra (Tux Paint, GPL), a cat (CC0)")
        with gr.Column(scale=2):
            slider = gr.ImageSlider(label="Before / after (drag)", elem_id="cyclegan-slider", interactive=False,
                                    format=PHOTO_FORMAT)
            summary = gr.Markdown(elem_id="cyclegan-summary")
            copy_link = links.copy_link_row("cyclegan")
    gr.Markdown(CYCLE_NOTE)
    with gr.Row(elem_id="cyclegan-cycle"):
        x_box = gr.Image(label="x (your photo)", interactive=False, format=PHOTO_FORMAT)
        y_box = gr.Image(label="G(x) (translated)", interactive=False, format=PHOTO_FORMAT)
        change_box = gr.Image(label="|x − G(x)|", interactive=False, format=PHOTO_FORMAT, elem_id="cyclegan-change")
        back_box = gr.Image(label="F(G(x)) (translated back)", interactive=False, format=PHOTO_FORMAT)
        heat_box = gr.Image(label="|x − F(G(x))|", interactive=False, format=PHOTO_FORMAT, elem_id="cyclegan-heatmap")
    outputs = [slider, x_box, y_box, change_box, back_box, heat_box, summary]
    one_bar = one_light_bar(slider)
    go.click(translate, [upload, direction, resolution], outputs, api_name="cyclegan_translate", **one_bar)
    links.share("cyclegan", tab, [links.photo("photo", EXAMPLES),
                                  links.choice("direction", list(NAMES), direction,
                                               slugs={"horse → zebra": "horse-to-zebra", "zebra → horse": "zebra-to-horse"}),
                                  links.choice("size", list(SIDES), resolution, slugs={FAST: "fast", FULL: "full"})],
                show=open_example, outputs=[upload, *outputs], place=copy_link, cache_example=True,
                describe=links.example_photo_state(EXAMPLES), describe_inputs=[upload])
    upload.upload(translate, [upload, direction, resolution], outputs, api_visibility="private", **one_bar)
    examples.load_input_event.then(translate, [upload, direction, resolution], outputs, api_visibility="private",
                                   **one_bar)
