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
