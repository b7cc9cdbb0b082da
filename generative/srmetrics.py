"""The super-resolution evaluation protocol: degrade, bicubic baseline, PSNR and SSIM on Y.

HR is cropped to even size, LR = Pillow bicubic x1/2 (Pillow's resize antialiases when reducing;
it differs slightly from MATLAB's imresize, see the README). PSNR and SSIM are measured on the Y
channel (ITU-R BT.601, 16-235) with ``shave`` border pixels removed; SSIM is Wang et al. (2004):
11 x 11 Gaussian window, sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, population statistics. Sharpness: mean Sobel
gradient magnitude of Y relative to the HR image (1.0 = as much edge contrast as the original).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

SHAVE = 2


def crop_even(img: np.ndarray) -> np.ndarray:
    """Drop the last row / column so that both sides are even."""
    h, w = img.shape[:2]
    return img[: h - h % 2, : w - w % 2]


def resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pillow bicubic resize of an (H, W, 3) uint8 image (antialiased when reducing)."""
    return np.asarray(Image.fromarray(img).resize((width, height), Image.Resampling.BICUBIC))


def downscale_x2(img: np.ndarray) -> np.ndarray:
    """The LR image of the protocol: crop to even size, Pillow bicubic x1/2."""
    img = crop_even(img)
    return resize(img, img.shape[1] // 2, img.shape[0] // 2)


def bicubic_x2(img: np.ndarray) -> np.ndarray:
    """The baseline: Pillow bicubic x2."""
    return resize(img, 2 * img.shape[1], 2 * img.shape[0])


def luma(img: np.ndarray) -> np.ndarray:
    """BT.601 Y (16-235 range, float64) of an (H, W, 3) uint8 RGB image."""
    rgb = img.astype(np.float64)
    return 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0


def _shaved_y(a: np.ndarray, b: np.ndarray, shave: int) -> tuple[np.ndarray, np.ndarray]:
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    ya, yb = luma(a), luma(b)
    if shave:
        ya, yb = ya[shave:-shave, shave:-shave], yb[shave:-shave, shave:-shave]
    return ya, yb


def psnr_y(a: np.ndarray, b: np.ndarray, shave: int = SHAVE) -> float:
    """PSNR in dB between two uint8 RGB images on Y, ``shave`` pixels removed at each border."""
    ya, yb = _shaved_y(a, b, shave)
    mse = float(np.mean((ya - yb) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def ssim_y(a: np.ndarray, b: np.ndarray, shave: int = SHAVE) -> float:
    """Mean SSIM (Wang et al. 2004, Gaussian window, valid region) on Y, borders shaved."""
    ya, yb = (torch.from_numpy(y)[None, None] for y in _shaved_y(a, b, shave))
    g = torch.exp(-((torch.arange(11, dtype=torch.float64) - 5) ** 2) / (2 * 1.5**2))
    g = g / g.sum()
    window = (g[:, None] * g[None, :])[None, None]

    def blur(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, window)

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = blur(ya), blur(yb)
    var_a = blur(ya * ya) - mu_a**2
    var_b = blur(yb * yb) - mu_b**2
    cov = blur(ya * yb) - mu_a * mu_b
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(ssim.mean())


def sharpness(img: np.ndarray, hr: np.ndarray) -> float:
    """Mean Sobel gradient magnitude of ``img``'s Y over that of ``hr``'s Y (borders shaved)."""
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=torch.float64)
    kernels = torch.stack([sobel, sobel.T])[:, None]

    def energy(a: np.ndarray) -> float:
        y = torch.from_numpy(luma(a)[SHAVE:-SHAVE, SHAVE:-SHAVE])[None, None]
        return float(F.conv2d(y, kernels).square().sum(1).sqrt().mean())

    return energy(img) / energy(hr)
