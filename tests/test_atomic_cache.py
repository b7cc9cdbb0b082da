"""Gradio's output-image cache, as the app installs it: complete files, never rewritten in place."""

from __future__ import annotations

import threading

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


def test_png_and_webp_outputs_are_lossless(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    for fmt in ("png", "webp"):
        path = processing_utils.save_img_array_to_cache(pixels, str(tmp_path), format=fmt)
        assert path.endswith(f".{fmt}")
        assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), pixels), fmt


def test_an_image_shown_twice_is_encoded_once(tmp_path, monkeypatch):
    from generative.ui import atomic_cache

    calls = []
    monkeypatch.setattr(atomic_cache, "encode", lambda img, fmt: calls.append(fmt) or b"encoded " + img.tobytes())
    pixels = np.random.default_rng(2).integers(0, 255, (40, 30, 3), dtype=np.uint8)
    first = processing_utils.save_img_array_to_cache(pixels, str(tmp_path), format="webp")
    assert processing_utils.save_img_array_to_cache(pixels.copy(), str(tmp_path), format="webp") == first
    assert calls == ["webp"]
    other = pixels.copy()
    other[0, 0, 0] ^= 1  # one changed pixel is another image
    assert processing_utils.save_img_array_to_cache(other, str(tmp_path), format="webp") != first
    assert calls == ["webp", "webp"]


def test_images_encoded_ahead_are_not_encoded_again_when_gradio_saves_them(tmp_path, monkeypatch):
    """``encode_ahead`` encodes a handler's outputs on two threads into Gradio's cache folder; Gradio's own save of
    the same arrays then finds them (no second encode), and skips None."""
    from generative.ui import atomic_cache

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    threads = set()
    real_encode = atomic_cache.encode

    def encode(img, fmt):
        threads.add(threading.current_thread().name)
        return real_encode(img, fmt)

    monkeypatch.setattr(atomic_cache, "encode", encode)
    images = [np.random.default_rng(seed).integers(0, 255, (64, 48, 3), dtype=np.uint8) for seed in range(4)]
    atomic_cache.encode_ahead([*images, None], "webp")
    assert threads and all(name.startswith("encode") for name in threads)
    threads.clear()
    paths = [processing_utils.save_img_array_to_cache(image, str(tmp_path), format="webp") for image in images]
    assert not threads  # found, not encoded again
    for path, image in zip(paths, images):
        assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), image)
