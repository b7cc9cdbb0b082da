"""Gradio's output-image cache: atomic writes, fast encoders, each image encoded once.

Gradio 6.31 saves every output image to ``<cache>/<hash of its bytes>/image.<fmt>`` with a plain
``write_bytes``, even when that file already exists. When two users get the same image at the same time
(the same example clicked twice), one request truncates and rewrites the file while the other's browser
is downloading it, which then fails ("peer closed connection without sending complete message body").
Writing to a temporary name and renaming it into place means a reader always sees a complete file.

Encoding is what a click waits for with large outputs (a 1200 × 800 PNG at Pillow's default level 6 takes 0.5-0.8 s
on one core), so PNG is written at compression level 1 (4-5x faster, about 10 % larger) and WebP losslessly at its
fastest effort (about 10x faster than that PNG and smaller): a demo about pixels adds no compression artefacts.
An image array already encoded (the same result shown twice, e.g. in a results box and a before/after slider)
is not encoded again. Gradio encodes a call's outputs one after another; a handler with several large outputs calls
:func:`encode_ahead` to encode them side by side on two threads first (Pillow releases the GIL while it encodes:
the SR tab's four 1024 x 1024 WebPs in 133 ms instead of 277 ms on 2 cores, ``python -m bench.sr_speed --only
encode``), and Gradio then finds each one encoded. Small outputs gain nothing from it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import numpy as np
from gradio import processing_utils
from gradio.utils import get_upload_folder
from PIL import Image

ENCODER_OPTIONS = {"png": {"compress_level": 1}, "webp": {"lossless": True, "method": 0, "quality": 0},
                   "jpeg": {"quality": 95}}
ENCODED_KEPT = 256  # arrays whose file is remembered

_gradio_encode = processing_utils.encode_pil_to_bytes
_encoded: OrderedDict[tuple, str] = OrderedDict()
_encoded_lock = threading.Lock()
_encoders = ThreadPoolExecutor(max_workers=2, thread_name_prefix="encode")


def encode(img: Image.Image, format: str) -> bytes:
    """``img`` as a file of ``format``, with the fast options above (other formats as Gradio writes them)."""
    options = ENCODER_OPTIONS.get(format.lower())
    if options is None:
        return _gradio_encode(img, format)
    with BytesIO() as out:
        extra = {"pnginfo": processing_utils.get_pil_metadata(img)} if format.lower() == "png" else {}
        img.save(out, format, **options, **extra)
        return out.getvalue()


def save_pil_to_cache(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Same contract as ``gradio.processing_utils.save_pil_to_cache``, but the file appears atomically."""
    data = encode(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    target = (folder / f"{name}.{format}").resolve()
    if not target.exists():
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-")
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return str(target)


def save_img_array_to_cache(arr: np.ndarray, cache_dir: str, format: str = "webp") -> str:
    """Same contract as ``gradio.processing_utils.save_img_array_to_cache``; an identical uint8 array is encoded
    once (its file is found again by a hash of its pixels)."""
    if arr.dtype != np.uint8:
        return save_pil_to_cache(Image.fromarray(processing_utils._convert(arr, np.uint8, force_copy=False)),
                                 cache_dir, format=format)
    arr = np.ascontiguousarray(arr)
    key = (hashlib.blake2b(arr.data, digest_size=16).hexdigest(), arr.shape, format, cache_dir)
    with _encoded_lock:
        path = _encoded.get(key)
    if path is not None and os.path.exists(path):
        return path
    path = save_pil_to_cache(Image.fromarray(arr), cache_dir, format=format)
    with _encoded_lock:
        _encoded[key] = path
        while len(_encoded) > ENCODED_KEPT:
            _encoded.popitem(last=False)
    return path


def encode_ahead(images: Iterable[np.ndarray | None], format: str, cache_dir: str | None = None) -> None:
    """Encode the uint8 ``images`` (None skipped) as ``format`` into Gradio's cache (or ``cache_dir``) now, two at a
    time, so that the outputs' postprocessing, which encodes one image after another, finds them done."""
    cache_dir = cache_dir or get_upload_folder()
    arrays = [image for image in images if image is not None]
    list(_encoders.map(lambda image: save_img_array_to_cache(image, cache_dir, format), arrays))


def install() -> None:
    """Route Gradio's image caching through :func:`save_pil_to_cache` and :func:`save_img_array_to_cache`."""
    processing_utils.save_pil_to_cache = save_pil_to_cache
    processing_utils.save_img_array_to_cache = save_img_array_to_cache
