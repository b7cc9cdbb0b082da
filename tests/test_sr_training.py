"""The 2x super-resolution training script (generative.train.sr) on photos made here: data, GAN step choice, resuming."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from generative import datasets
from generative.sr import SRNet
from generative.srmetrics import bicubic_x2, crop_even, downscale_x2, psnr_y
from generative.train import sr as train


@pytest.fixture
def data(tmp_path):
    """A data folder with 2 + 2 training photos and the 20 held-out ones, smooth enough to upscale."""
    yy, xx = np.mgrid[0:321, 0:481] / 321
    names = {"BSD200": ["1", "2"], "BSDS500test": ["3", "4", *datasets.SR_HELD_OUT]}
    for folder, stems in names.items():
        (tmp_path / "data" / "sr" / "train" / folder).mkdir(parents=True)
        for i, stem in enumerate(stems):
            img = np.stack([128 + 100 * np.sin((3 + i % 5) * xx + c + i * yy) for c in range(3)], axis=-1)
            Image.fromarray(img.astype(np.uint8)).save(tmp_path / "data" / "sr" / "train" / folder / f"{stem}.jpg")
    return tmp_path / "data"


def test_gan_step_score_needs_a_gain_over_bicubic_then_prefers_natural_sharpness():
    assert train.gan_step_score(30.4, 29.5, 1.0) is None  # sharp but under bicubic + 1 dB: not eligible
    assert train.gan_step_score(30.5, 29.5, 0.9) == pytest.approx(0.1)
    assert train.gan_step_score(31.0, 29.5, 1.05) == pytest.approx(0.05)  # closer to the originals' sharpness wins
    assert train.gan_step_score(31.0, 29.5, 1.2) == pytest.approx(0.2)  # over-sharpened is as bad as blurred


def test_held_out_scores(data, tmp_path):
    _, held_out = datasets.load_sr_photos(str(data), tmp_path)
    torch.manual_seed(0)
    psnr, bicubic, sharp = train.held_out_scores(SRNet(channels=8, blocks=1), held_out[:3])
    expected = np.mean([psnr_y(bicubic_x2(downscale_x2(hr)), hr) for hr in map(crop_even, held_out[:3])])
    assert bicubic == pytest.approx(expected)
    assert 10 < psnr < 60 and 0.2 < sharp < 2
