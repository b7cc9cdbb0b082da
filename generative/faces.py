"""A face GAN for 64 x 64 RGB images: a generator and a discriminator sized for CPU training and serving.

The generator maps noise z ~ N(0, I) to an image; the discriminator outputs the probability that an
image is real. A GAN is an implicit model: it samples, but gives no density p(x).
Generator: a mapping z -> w (pixel-normalised z, optionally through residual MLP blocks, then a linear layer
to a 4 x 4 x 256 feature map) and a synthesis w -> image of upsample + 3x3 conv blocks with pixel normalisation
(no running statistics, so an EMA copy of its weights needs no re-estimation). Truncation, as in StyleGAN,
pulls w toward the average w (estimated from many z and stored with the weights).
Discriminator: strided convs, with spectral normalisation unless turned off, and optionally a minibatch
standard deviation feature map before the last conv (ProGAN), which lets it see a group of faces vary too little.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrizations

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


class MappingBlock(nn.Module):
    """x + fc2(LeakyReLU(fc1(x))), with fc2 starting at zero: a new block is the identity, so blocks can be added
    to a trained generator without changing its faces."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, dim), nn.Linear(dim, dim)
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(nn.functional.leaky_relu(self.fc1(x), 0.2))


class MinibatchStd(nn.Module):
    """Append one feature map: the standard deviation of each feature across a group of consecutive images,
    averaged over features and pixels (ProGAN/StyleGAN). A group holds ``group_size`` images, or fewer when the
    batch size is not a multiple of it: the largest size that divides the batch. A lone image has no spread of its
    own; it gets ``lone_spread`` (a typical value for groups of real faces, measured at export), so that it is
    judged as if it came in a group of real photos."""

    def __init__(self, group_size: int = 4, lone_spread: float = 0.0) -> None:
        super().__init__()
        self.group_size, self.lone_spread = group_size, lone_spread

    def spread(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Each group's spread (one value per group) and the group size."""
        n, c, h, w = x.shape
        g = max(k for k in range(1, min(self.group_size, n) + 1) if n % k == 0)
        if g == 1:
            return torch.full((n,), self.lone_spread, dtype=x.dtype, device=x.device), 1
        groups = x.reshape(n // g, g, c, h, w)
        groups = groups - groups.mean(dim=1, keepdim=True)  # explicit: 4x faster than var() here on the CPU
        return (groups.square().mean(dim=1) + 1e-8).sqrt().mean(dim=(1, 2, 3)), g

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        spread, g = self.spread(x)
        layout = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
        spread_map = spread.repeat_interleave(g)[:, None, None, None].expand(n, 1, h, w).contiguous(memory_format=layout)
        return torch.cat([x, spread_map], dim=1)  # in x's memory layout (channels_last trains faster on the CPU)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Images (N, 3, H, W) in [-1, 1] -> (N, H, W, 3) uint8."""
    return images_to_uint8(images, signed=True)


class Generator(nn.Module):
    """z (N, z_dim) -> images (N, 3, 64, 64) in [-1, 1]; ``generate`` gives uint8 images by seed."""

    def __init__(self, z_dim: int = 128, width: int = 32, mapping_blocks: int = 0) -> None:
        super().__init__()
        self.z_dim = z_dim
        channels = [8 * width, 8 * width, 4 * width, 2 * width, width]  # at 4, 8, 16, 32, 64 px
        self.mapping_net = nn.Sequential(*[MappingBlock(z_dim) for _ in range(mapping_blocks)])
        self.stem = nn.Sequential(nn.Linear(z_dim, channels[0] * 16), nn.LeakyReLU(0.2))
        self.blocks = nn.Sequential(*[_up_block(a, b) for a, b in zip(channels[:-1], channels[1:])])
        self.to_rgb = nn.Conv2d(channels[-1], 3, 1)
        self.register_buffer("w_avg", torch.zeros(channels[0] * 16))  # set by estimate_w_avg after training

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, z_dim) -> w (N, 16 x channels): the mapping blocks, then the first layer, before the 4 x 4 pixel norm."""
        return self.stem(self.mapping_net(PixelNorm()(z[:, :, None, None])[:, :, 0, 0]))

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

    def __init__(self, width: int = 32, minibatch_std: bool = False, spectral_norm: bool = True,
                 lone_spread: float = 0.0) -> None:
        super().__init__()
        channels = [3, width, 2 * width, 4 * width, 8 * width]  # at 64, 32, 16, 8, 4 px
        norm = parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)

        def down(c_in: int, c_out: int) -> list[nn.Module]:
            return [norm(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]

        layers = [layer for a, b in zip(channels[:-2], channels[1:-1]) for layer in down(a, b)]
        if minibatch_std:
            layers.append(MinibatchStd(lone_spread=lone_spread))
        self.features = nn.Sequential(*layers, *down(channels[-2] + int(minibatch_std), channels[-1]))
        self.head = norm(nn.Linear(channels[-1] * 16, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))[:, 0]

    @torch.no_grad()
    def prob_real(self, images: np.ndarray) -> np.ndarray:
        """P(real) = sigmoid(logit) for (N, 64, 64, 3) uint8 images (with a minibatch-std layer, each verdict also
        depends on how much the images of its group of consecutive images vary; a lone image is judged as if in
        a group of real faces)."""
        x = to_tensor(np.asarray(images), next(self.parameters()).device, signed=True)
        return torch.sigmoid(self(x)).cpu().numpy()

    @torch.no_grad()
    def real_group_spread(self, faces: np.ndarray) -> float:
        """The minibatch-std layer's mean spread over groups of these (real) uint8 faces: the ``lone_spread`` that
        makes a lone image's verdict match its verdict among real faces."""
        layers = list(self.features)
        std = next(i for i, layer in enumerate(layers) if isinstance(layer, MinibatchStd))
        x = to_tensor(np.asarray(faces), next(self.parameters()).device, signed=True)
        spread, _ = layers[std].spread(nn.Sequential(*layers[:std])(x))
        return float(spread.mean())
