"""The two conversions between uint8 images and the float tensors networks take (generative.images)."""

from __future__ import annotations

import numpy as np
import torch

from generative.images import to_tensor, to_uint8


def test_round_trip_in_both_ranges():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 5, 7, 3), dtype=np.uint8)
    for signed, (low, high) in ((False, (0.0, 1.0)), (True, (-1.0, 1.0))):
        x = to_tensor(images, signed=signed)
        assert x.shape == (2, 3, 5, 7) and x.dtype == torch.float32
        assert float(x.min()) >= low and float(x.max()) <= high
        np.testing.assert_array_equal(to_uint8(x, signed=signed), images)


def test_one_image_and_the_ends_of_the_range():
    image = np.array([[[0, 128, 255]]], dtype=np.uint8)
    x = to_tensor(image, signed=True)
    assert x.shape == (1, 3, 1, 1)
    assert torch.allclose(x.flatten(), torch.tensor([-1.0, 128 / 127.5 - 1, 1.0]), atol=1e-6)
    assert to_uint8(x[0], signed=True).shape == (1, 1, 3)  # (C, H, W) -> (H, W, C)


def test_out_of_range_values_are_clipped_and_rounded():
    x = torch.tensor([-0.2, 0.0019, 0.0021, 1.3]).reshape(1, 4, 1, 1)
    assert to_uint8(x).ravel().tolist() == [0, 0, 1, 255]


def test_a_read_only_array_is_converted_without_a_warning():
    import warnings

    image = np.zeros((4, 4, 3), np.uint8)
    image.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert to_tensor(image).shape == (1, 3, 4, 4)
