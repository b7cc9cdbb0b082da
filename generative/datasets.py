"""Training images read from ``--data`` (default ``../shared/data``; see its README), resized once and cached as
``.npy`` in the checkpoint folder: the loaders that the training scripts and benchmarks share.

MNIST and Fashion-MNIST are read by :func:`generative.digits.load_digits`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

FACE_BOX = (9.5, 19.5, 79.5, 89.5)  # the standard CelebA-64 face box on the 89 x 109 images


def _cached(path: Path, build: Callable[[], np.ndarray]) -> np.ndarray:
    if path.exists():
        return np.load(path)
    array = build()
    np.save(path, array)
    return array


def load_faces(data: str, cache: Path) -> np.ndarray:
    """The 9,000 training faces cropped and resized to 64 x 64 (uint8, N x 64 x 64 x 3), cached as .npy."""
    files = sorted((Path(data) / "faces" / "train_src").glob("*.jpg"))
    return _cached(cache / "faces_64_train.npy", lambda: np.stack([
        np.asarray(Image.open(f).convert("RGB").resize((64, 64), Image.Resampling.LANCZOS, box=FACE_BOX))
        for f in files]))


def load_domain(data: str, folder: str, size: int, cache: Path) -> np.ndarray:
    """All images of ``horse2zebra/<folder>`` resized to size x size (uint8, N x size x size x 3), cached."""
    files = sorted((Path(data) / "horse2zebra" / folder).glob("*.jpg"))
    return _cached(cache / f"horse2zebra_{folder}_{size}.npy", lambda: np.stack([
        np.asarray(Image.open(f).convert("RGB").resize((size, size), Image.Resampling.BICUBIC)) for f in files]))


def _landscape(img: np.ndarray) -> np.ndarray:
    return img.transpose(1, 0, 2) if img.shape[0] > img.shape[1] else img


def load_bsd200(data: str, cache: Path) -> np.ndarray:
    """The 200 SR training images as one (200, 321, 481, 3) uint8 array (portrait ones transposed), cached."""
    files = sorted((Path(data) / "sr" / "train" / "BSD200").glob("*.jpg"))
    return _cached(cache / "sr_bsd200_train.npy", lambda: np.stack([
        _landscape(np.asarray(Image.open(f).convert("RGB"))) for f in files]))
