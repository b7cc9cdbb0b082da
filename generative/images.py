"""The one place that turns any uploaded image into a clean RGB uint8 array, or a clear error, and that converts
uint8 images to the float tensors networks take and back (:func:`to_tensor`, :func:`to_uint8`).

Handles EXIF orientation, every Pillow mode (1, L, LA, P, PA, RGBA, I;16, I, F, CMYK, YCbCr...),
animated files (first frame), empty, corrupt and truncated files, and decompression bombs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 x 5000; larger images are refused before decoding
READABLE = "PNG, JPEG, WebP, BMP, GIF or TIFF"


class ImageError(ValueError):
    """An upload that cannot be used; the message says what to do instead."""


def _open(source: str | os.PathLike[str]) -> Image.Image:
    path = Path(source)
    if not path.is_file():
        raise ImageError("No image was received: upload a file again.")
    size = path.stat().st_size
    if size == 0:
        raise ImageError(f"The file is empty (0 bytes): upload a {READABLE} image.")
    if size > MAX_UPLOAD_BYTES:
        raise ImageError(f"The file is {size / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    try:
        return Image.open(path)
    except Image.DecompressionBombError:
        raise ImageError(f"The image declares more than {2 * Image.MAX_IMAGE_PIXELS / 1e6:.0f} megapixels; the limit "
                         f"is {MAX_PIXELS / 1e6:.0f} megapixels: downscale it first.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ImageError(f"This file is not an image that can be read (corrupt or unsupported format): "
                         f"upload a {READABLE} image.") from None


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and float greyscale to 8-bit L, scaled by the file's own range."""
    values = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16") or (image.mode == "I" and values.max(initial=0) > 255):
        scaled = values / 257.0 if values.max(initial=0) > 255 else values
    elif image.mode == "F":
        low, high = float(values.min(initial=0)), float(values.max(initial=0))
        scaled = (values - low) / (high - low) * 255.0 if high > low else np.zeros_like(values)
    else:
        scaled = values
    return Image.fromarray(np.clip(np.round(scaled), 0, 255).astype(np.uint8), mode="L")


def load_rgb(source: str | os.PathLike[str] | Image.Image, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """An (H, W, 3) uint8 RGB array from a file path or PIL image.

    Transparent pixels are composited onto white; EXIF rotation is applied; an animation gives its
    first frame. Raises :class:`ImageError` with a message that says what to do.
    """
    image = source if isinstance(source, Image.Image) else _open(source)
    width, height = image.size
    if width * height > max_pixels:
        raise ImageError(f"The image is {width} x {height} = {width * height / 1e6:.0f} megapixels; the limit is "
                         f"{max_pixels / 1e6:.0f} megapixels: downscale it first.")
    if width == 0 or height == 0:
        raise ImageError("The image has no pixels.")
    try:
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image)
        if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
            image = _to_8bit(image)
        if image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        if image.mode in ("LA", "PA", "RGBa", "La"):
            image = image.convert("RGBA")
        if image.mode == "RGBA":
            white = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(white, image)
        rgb = image.convert("RGB")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageError(f"The image file is truncated or corrupt ({exc}): upload it again or "
                         f"save it as PNG or JPEG.") from None
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def to_tensor(images: np.ndarray, device: torch.device | str | None = None, signed: bool = False) -> torch.Tensor:
    """uint8 images, (H, W, C) or (N, H, W, C), as float (N, C, H, W) on ``device``: in [0, 1], or in [-1, 1]
    when ``signed``."""
    x = torch.from_numpy(np.array(images, dtype=np.uint8)).to(device)  # a copy: uploads may be read-only
    x = (x[None] if x.ndim == 3 else x).permute(0, 3, 1, 2).float()
    return x / 127.5 - 1 if signed else x / 255


def to_uint8(x: torch.Tensor, signed: bool = False) -> np.ndarray:
    """Float images, (N, C, H, W) or (C, H, W), in [0, 1] (or [-1, 1] when ``signed``) as uint8 (N, H, W, C) or
    (H, W, C) on the CPU, rounded and clipped."""
    scaled = (x + 1) * 127.5 if signed else x * 255
    return scaled.movedim(-3, -1).round().clamp(0, 255).to(torch.uint8).cpu().numpy()
