"""Atomic writes for Gradio's output-image cache.

Gradio 6.31 saves every output image to ``<cache>/<hash of its bytes>/image.<fmt>`` with a plain
``write_bytes``, even when that file already exists. When two users get the same image at the same time
(the same example clicked twice), one request truncates and rewrites the file while the other's browser
is downloading it, which then fails ("peer closed connection without sending complete message body").
Writing to a temporary name and renaming it into place means a reader always sees a complete file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradio import processing_utils
from PIL import Image


def save_pil_to_cache(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Same contract as ``gradio.processing_utils.save_pil_to_cache``, but the file appears atomically."""
    data = processing_utils.encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    target = (folder / f"{name}.{format}").resolve()
    if not target.exists():
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-")
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return str(target)


def install() -> None:
    """Route Gradio's image caching through :func:`save_pil_to_cache`."""
    processing_utils.save_pil_to_cache = save_pil_to_cache
