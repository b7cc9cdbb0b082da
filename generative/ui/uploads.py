"""Image upload boxes that hand handlers the raw file, so that generative.images gives the error messages."""

from __future__ import annotations

import gradio as gr
import numpy as np
from gradio.data_classes import FileData

from generative.images import MAX_PIXELS, ImageError, load_rgb


def _raw_path(payload: FileData | None) -> str | None:
    return None if payload is None else payload.path


def image_upload(**kwargs) -> gr.Image:
    """A ``gr.Image`` input whose handler receives the uploaded file's path, undecoded.

    Gradio's own preprocessing opens the file first and fails with a bare "Error" on a corrupt one;
    here every upload reaches :func:`generative.images.load_rgb`, which says what is wrong.
    """
    box = gr.Image(type="filepath", image_mode=None, sources=["upload", "clipboard"], **kwargs)
    box.preprocess = _raw_path  # this instance only: the frontend still sees a plain gr.Image
    return box


# Gradio's sketchpad starts with no tool, so a first drag would select text: pick the brush once it is shown.
_PICK_BRUSH_JS = """
const timer = setInterval(() => {
  const pad = document.querySelector('#ELEM_ID');
  const brush = pad && pad.querySelector('button[aria-label="Brush"]');
  if (brush && brush.offsetParent) { pad.style.userSelect = 'none'; brush.click(); clearInterval(timer); }
}, 250);
"""


def digit_inputs(prefix: str, examples: list[str], examples_label: str) -> tuple[gr.Sketchpad, gr.Image]:
    """Draw and Upload tabs for one digit: a 280 x 280 black-ink sketchpad ``#<prefix>-pad`` whose brush is already
    picked (so the first drag draws), and an upload ``#<prefix>-upload`` with clickable example drawings."""
    with gr.Tabs():
        with gr.Tab("Draw"):
            pad = gr.Sketchpad(label="Draw one digit", type="numpy", image_mode="RGBA", canvas_size=(280, 280),
                               fixed_canvas=True, layers=False, transforms=(), elem_id=f"{prefix}-pad",
                               brush=gr.Brush(default_size=22, colors=["#000000"], color_mode="fixed"))
            gr.HTML("", js_on_load=_PICK_BRUSH_JS.replace("ELEM_ID", f"{prefix}-pad"), padding=False)
        with gr.Tab("Upload"):
            upload = image_upload(label="Upload a picture of one digit", height=280, elem_id=f"{prefix}-upload")
            gr.Examples([[path] for path in examples], inputs=[upload], elem_id=f"{prefix}-examples",
                        label=examples_label)
    return pad, upload


def read_upload(path: str | None, *, missing: str, what: str = "a photo", min_side: int = 16,
                max_pixels: int = MAX_PIXELS, hint: str = "") -> np.ndarray:
    """The uploaded file as an (H, W, 3) uint8 RGB array, or a ``gr.Error`` that says what to upload instead.

    ``missing`` is the message when nothing was uploaded; ``what`` names the upload in the size message;
    ``hint`` follows a decoding error (e.g. the size limits).
    """
    if not path:
        raise gr.Error(missing)
    try:
        rgb = load_rgb(path, max_pixels=max_pixels)
    except ImageError as exc:
        raise gr.Error(f"{exc} {hint}".strip()) from None
    h, w = rgb.shape[:2]
    if min(h, w) < min_side:
        raise gr.Error(f"The image is {w} × {h} pixels: upload {what} at least {min_side} pixels on each side.")
    return rgb
