"""The FID / KID arithmetic and the TF1-style resize used by bench/inception.py."""

from __future__ import annotations

import numpy as np
import pytest

from bench.inception import _tf1_bilinear_matrix, fid, kid


def test_fid_of_shifted_gaussians_is_the_squared_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 8))
    assert fid(a, a) == pytest.approx(0.0, abs=1e-6)
    assert fid(a, a + 2.0) == pytest.approx(8 * 4.0, rel=1e-6)  # covariances equal: only the means differ


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(500, 16)), rng.normal(size=(500, 16))
    same, shifted = kid(a, b, subsets=10, subset_size=400), kid(a, b + 1.0, subsets=10, subset_size=400)
    assert abs(same) < 0.01 and shifted > 10 * abs(same)


def test_tf1_bilinear_resize_has_no_half_pixel_offset():
    w = _tf1_bilinear_matrix(4, 8).numpy()
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    np.testing.assert_allclose(w[0], [1, 0, 0, 0])  # destination 0 samples source 0 exactly
    np.testing.assert_allclose(w[1], [0.5, 0.5, 0, 0])  # destination 1 -> source 0.5
    np.testing.assert_allclose(w[-1], [0, 0, 0, 1])  # past the last pixel: clamped
