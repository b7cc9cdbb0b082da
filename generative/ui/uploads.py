"""Image upload boxes that hand handlers the raw file, so that generative.images gives the error messages."""

from __future__ import annotations

import gradio as gr
from gradio.data_classes import FileData


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
