"""MNIST and Fashion-MNIST from their standard idx ``.gz`` files, and the binarisations used with them."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

DATASETS = {"mnist": "mnist", "fashion": "fashion_mnist"}
CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "fashion": ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"],
}


def read_idx(path: Path) -> np.ndarray:
    """An idx file (optionally gzipped) as a uint8 array: magic, big-endian sizes, raw bytes."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(data_dir: str | Path, dataset: str = "mnist", split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) of ``dataset`` ('mnist' or 'fashion'), split 'train' or 'test'."""
    folder = Path(data_dir) / "digits" / DATASETS[dataset]
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")
    return images, labels


def binarize_static(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """A fixed Bernoulli draw of every pixel (probability = intensity / 255), float32 (N, 1, 28, 28)."""
    probs = images.astype(np.float32)[:, None] / 255.0
    return (np.random.default_rng(seed).random(probs.shape, dtype=np.float32) < probs).astype(np.float32)


def preprocess_digit(rgb: np.ndarray) -> np.ndarray:
    """Turn a drawing or photo of one digit into an MNIST-like (28, 28) float32 image in [0, 1].

    As MNIST was made: grey, light ink on a dark background, the digit scaled to fit a 20 x 20 box
    and placed in 28 x 28 so that its centre of mass is at the centre. Raises ValueError when there is
    no ink, or when the picture does not look like one digit on a plain background.
    """
    from PIL import Image

    grey = np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float32) / 255.0
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    if border.std() > 0.2 or _colourfulness(rgb) > 0.25:
        raise ValueError("This does not look like one digit on a plain background (it looks like a photo): "
                         "draw a digit, or upload a picture of a single digit cropped close to it.")
    ink = grey - background if background < 0.5 else background - grey
    ink = np.clip(ink / max(float(ink.max()), 1e-6), 0.0, 1.0) if ink.max() > 0.15 else np.zeros_like(ink)
    mask = ink > 0.2
    if mask.sum() < 3:
        raise ValueError("No digit found: the image is blank. Draw a digit first.")
    rows, cols = np.nonzero(mask)
    crop = ink[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS),
                       dtype=np.float32) / 255.0
    canvas = np.zeros((28, 28), dtype=np.float32)
    top, left = (28 - size[1]) // 2, (28 - size[0]) // 2
    canvas[top: top + size[1], left: left + size[0]] = np.clip(small, 0, 1)
    yy, xx = np.mgrid[:28, :28]
    mass = canvas.sum()
    dy, dx = round(13.5 - (yy * canvas).sum() / mass), round(13.5 - (xx * canvas).sum() / mass)
    return np.roll(canvas, (dy, dx), axis=(0, 1))


def _colourfulness(rgb: np.ndarray) -> float:
    """Mean saturation-like spread between the colour channels, 0 for grey images."""
    channels = rgb.astype(np.float32) / 255.0
    return float((channels.max(axis=2) - channels.min(axis=2)).mean())
