"""A face GAN for 64 x 64 RGB images: a generator and a discriminator sized for CPU training and serving.

The generator maps noise z ~ N(0, I) to an image; the discriminator outputs the probability that an
image is real. A GAN is an implicit model: it samples, but gives no density p(x).
Generator: a mapping z -> w (the first layer: pixel-normalised z through a linear layer, a 4 x 4 x 256
feature map) and a synthesis w -> image of upsample + 3x3 conv blocks with pixel normalisation (no
running statistics, so an EMA copy of its weights needs no re-estimation). Truncation, as in StyleGAN,
pulls w toward the average w (estimated from many z and stored with the weights).
Discriminator: strided convs with spectral normalisation.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from generative.images import to_tensor
from generative.images import to_uint8 as images_to_uint8

RESOLUTION = 64


class PixelNorm(nn.Module):
    """Normalise each pixel's feature vector to unit mean square (as in ProGAN/StyleGAN)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


def _up_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(c_in, c_out, 3, padding=1), nn.LeakyReLU(0.2), PixelNorm(),
    )


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Images (N, 3, H, W) in [-1, 1] -> (N, H, W, 3) uint8."""
    return images_to_uint8(images, signed=True)


class Generator(nn.Module):
    """z (N, z_dim) -> images (N, 3, 64, 64) in [-1, 1]; ``generate`` gives uint8 images by seed."""

    def __init__(self, z_dim: int = 128, width: int = 32) -> None:
        super().__init__()
        self.z_dim = z_dim
        channels = [8 * width, 8 * width, 4 * width, 2 * width, width]  # at 4, 8, 16, 32, 64 px
        self.stem = nn.Sequential(nn.Linear(z_dim, channels[0] * 16), nn.LeakyReLU(0.2))
        self.blocks = nn.Sequential(*[_up_block(a, b) for a, b in zip(channels[:-1], channels[1:])])
        self.to_rgb = nn.Conv2d(channels[-1], 3, 1)
        self.register_buffer("w_avg", torch.zeros(channels[0] * 16))  # set by estimate_w_avg after training

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, z_dim) -> w (N, 16 x channels): the first layer's output, before the 4 x 4 pixel norm."""
        return self.stem(PixelNorm()(z[:, :, None, None])[:, :, 0, 0])

    def synthesis(self, w: torch.Tensor) -> torch.Tensor:
        """w -> images (N, 3, 64, 64) in [-1, 1]."""
        x = w.reshape(len(w), -1, 4, 4)
        return torch.tanh(self.to_rgb(self.blocks(PixelNorm()(x))))

    def forward(self, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Images for latents z; truncation ψ < 1 moves w toward the average w (ψ = 0: the average face)."""
        w = self.mapping(z)
        if truncation != 1:
            w = self.w_avg.lerp(w, truncation)
        return self.synthesis(w)

    @torch.no_grad()
    def estimate_w_avg(self, n: int = 20_000, seed: int = 0) -> None:
        """Store the average w over ``n`` draws of z (the centre that truncation pulls toward)."""
        z = torch.randn(n, self.z_dim, generator=torch.Generator().manual_seed(seed)).to(self.w_avg.device)
        self.w_avg.copy_(torch.cat([self.mapping(chunk) for chunk in z.split(1000)]).mean(0))

    @staticmethod
    def noise(seeds: list[int], z_dim: int) -> torch.Tensor:
        """The latent of each seed: the same seed always gives the same z."""
        return torch.stack([torch.randn(z_dim, generator=torch.Generator().manual_seed(int(s))) for s in seeds])

    @torch.no_grad()
    def generate(self, seeds: list[int], truncation: float = 1.0) -> np.ndarray:
        """Faces for the given seeds, (N, 64, 64, 3) uint8; truncation ψ < 1 pulls w toward the average w."""
        return to_uint8(self(self.noise(seeds, self.z_dim).to(self.w_avg.device), truncation))

    @torch.no_grad()
    def interpolate(self, seed_a: int, seed_b: int, frames: int, truncation: float = 1.0) -> np.ndarray:
        """``frames`` faces, (frames, 64, 64, 3) uint8, on the straight line from z(seed_a) to z(seed_b)."""
        za, zb = self.noise([seed_a, seed_b], self.z_dim).to(self.w_avg.device)
        t = torch.linspace(0, 1, frames, device=za.device)[:, None]
        return to_uint8(self((1 - t) * za + t * zb, truncation))


class Discriminator(nn.Module):
    """images (N, 3, 64, 64) in [-1, 1] -> logits; ``prob_real`` takes uint8 images."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        channels = [3, width, 2 * width, 4 * width, 8 * width]  # at 64, 32, 16, 8, 4 px
        layers: list[nn.Module] = []
        for a, b in zip(channels[:-1], channels[1:]):
            layers += [spectral_norm(nn.Conv2d(a, b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.head = spectral_norm(nn.Linear(channels[-1] * 16, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))[:, 0]

    @torch.no_grad()
    def prob_real(self, images: np.ndarray) -> np.ndarray:
        """P(real) = sigmoid(logit) for (N, 64, 64, 3) uint8 images."""
        x = to_tensor(np.asarray(images), next(self.parameters()).device, signed=True)
        return torch.sigmoid(self(x)).cpu().numpy()
