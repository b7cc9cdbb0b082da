"""Gaussian kernel density estimation: the non-parametric explicit density beside the GMM.

p(x) = 1/n sum_i N(x | x_i, h^2 I). Like a GMM with one component per training point, equal
weights and a shared spherical covariance h^2 I; nothing is fitted except the choice of h.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from generative.points import check_points

_CHUNK_ELEMENTS = 4_000_000  # query x training pairs evaluated at once: bounds memory at ~32 MB


def scott_bandwidth(points: np.ndarray) -> float:
    """Scott's rule for a 2-D Gaussian kernel: sigma * n^(-1/6)."""
    points = check_points(points)
    return float(points.std(axis=0).mean() * len(points) ** (-1 / 6))


def leave_one_out_bandwidth(points: np.ndarray, n_candidates: int = 25, max_points: int = 2000,
                            seed: int = 0) -> float:
    """The bandwidth, among ``n_candidates`` from 0.05 to 2 times Scott's, with the best leave-one-out likelihood.

    Each point is scored by the KDE of the others (on a random subset of ``max_points`` points), so a tiny h that
    memorises the points gains nothing. Needs at least 3 points that are not all identical.
    """
    points = check_points(points)
    if len(points) < 3 or not points.std(axis=0).any():
        raise ValueError("choosing a bandwidth needs at least 3 points that are not all identical")
    if len(points) > max_points:
        points = points[np.random.default_rng(seed).choice(len(points), max_points, replace=False)]
    x = torch.from_numpy(points)
    n, d = x.shape
    sq = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist").square()
    sq.fill_diagonal_(math.inf)
    candidates = scott_bandwidth(points) * np.geomspace(0.05, 2.0, n_candidates)
    scores = [float(torch.logsumexp(-0.5 * sq / (h * h), dim=1).mean()) - d * math.log(h) for h in candidates]
    return float(candidates[int(np.argmax(scores))])


class KernelDensity:
    """Gaussian-kernel density estimate with scikit-learn's ``fit / score_samples / sample``."""

    def __init__(self, bandwidth: float = 1.0) -> None:
        self.bandwidth = bandwidth

    def fit(self, X: np.ndarray, y: object = None) -> KernelDensity:
        """Store the training points (the whole 'model' of a KDE)."""
        if not (isinstance(self.bandwidth, (int, float)) and self.bandwidth > 0 and math.isfinite(self.bandwidth)):
            raise ValueError(f"bandwidth must be a positive number, got {self.bandwidth!r}")
        self.tree_ = check_points(X)  # named as in scikit-learn, though no tree is needed here
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log p(x) for each row of X, computed in chunks so that memory stays bounded."""
        if not hasattr(self, "tree_"):
            raise ValueError("This KernelDensity is not fitted yet: call fit(X) first")
        queries = torch.from_numpy(check_points(X))
        train = torch.from_numpy(self.tree_)
        n, d = train.shape
        h = float(self.bandwidth)
        log_norm = -0.5 * d * math.log(2 * math.pi * h * h) - math.log(n)
        rows = max(1, _CHUNK_ELEMENTS // n)
        out = []
        for chunk in torch.split(queries, rows):
            dist = torch.cdist(chunk, train, compute_mode="donot_use_mm_for_euclid_dist")  # exact, not via x.y
            out.append(torch.logsumexp(-0.5 * dist.square() / (h * h), dim=1) + log_norm)
        return torch.cat(out).numpy()

    def score(self, X: np.ndarray, y: object = None) -> float:
        """Total log-likelihood of X (scikit-learn's convention for KernelDensity)."""
        return float(self.score_samples(X).sum())

    def sample(self, n_samples: int = 1, random_state: int | None = None) -> np.ndarray:
        """Draw points: pick a training point at random, add N(0, h^2 I) noise."""
        if not hasattr(self, "tree_"):
            raise ValueError("This KernelDensity is not fitted yet: call fit(X) first")
        rng = np.random.default_rng(random_state)
        idx = rng.integers(len(self.tree_), size=n_samples)
        return self.tree_[idx] + self.bandwidth * rng.standard_normal((n_samples, self.tree_.shape[1]))
