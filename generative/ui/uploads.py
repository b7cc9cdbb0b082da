"""Image upload boxes that hand handlers the raw file, so that generative.images gives the error messages."""

from __future__ import annotations

import gradio as gr


class ImageUpload(gr.Image):
    """A ``gr.Image`` input whose handler receives the uploaded file's path, undecoded.

    Gradio's own preprocessing opens the file first and fails with a bare "Error" on a corrupt one;
    here every upload reaches :func:`generative.images.load_rgb`, which says what is wrong.
    """

    is_template = True  # rendered by the frontend's Image component

    def __init__(self, **kwargs) -> None:
        super().__init__(type="filepath", image_mode=None, sources=["upload", "clipboard"], **kwargs)

    def preprocess(self, payload) -> str | None:
        """The path of the uploaded file, or None."""
        return None if payload is None else payload.path
