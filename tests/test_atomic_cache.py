"""Gradio's output-image cache, as the app installs it: complete files, never rewritten in place."""

from __future__ import annotations

import numpy as np
from gradio import processing_utils
from PIL import Image

import generative.ui  # noqa: F401 - installs the atomic cache


def test_the_app_routes_gradio_image_caching_through_atomic_writes(tmp_path):
    assert processing_utils.save_pil_to_cache.__module__ == "generative.ui.atomic_cache"
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8))
    path = processing_utils.save_img_array_to_cache(np.asarray(image), str(tmp_path), format="png")
    assert np.array_equal(np.asarray(Image.open(path)), np.asarray(image))
    inode = (tmp_path / path).stat().st_ino
    assert processing_utils.save_img_array_to_cache(np.asarray(image), str(tmp_path), format="png") == path
    assert (tmp_path / path).stat().st_ino == inode  # the second identical image left the file alone
    assert not list(tmp_path.rglob(".partial-*"))
