"""Validation of point clouds given to the density estimators."""

from __future__ import annotations

import numpy as np


def check_points(X: np.ndarray, name: str = "X") -> np.ndarray:
    """X as a finite float64 (n_samples, n_features) array, or a ValueError that says what is wrong."""
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no rows: give at least one point")
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).any(axis=1).sum())
        raise ValueError(f"{name} contains NaN or infinite values in {bad} row(s): remove or fix them")
    return arr
