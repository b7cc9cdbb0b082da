"""2x super-resolution: a compact re-parameterisable CNN (RepVGG / ECBSR style) and a tiled upscaler.

Training form: every 3x3 conv has a parallel 1x1 conv and, where shapes allow, an identity branch;
:meth:`SRNet.reparameterised` merges the branches into one plain 3x3 conv each (exactly: all
branches are linear and see the same zero-padded input), so inference costs a plain 3x3 CNN. The
collapsed training form does that merge differentiably at every step, so training costs one conv per layer too.
Net: 3x3 head, ``blocks`` 3x3 body convs with PReLU, a 3x3 tail to 3 x 2 x 2 channels, pixel
shuffle, plus the bilinear upsampling of the input (the net learns the residual).

    up = generative.load("sr-x2-psnr")    # an Upscaler, deploy (merged) form
    big = up(img)                         # (H, W, 3) uint8 -> (2H, 2W, 3) uint8, tiled
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from generative.device import inference_precision
from generative.images import to_tensor, to_uint8

SCALE = 2


class RepConv(nn.Module):
    """A 3x3 conv; in training form plus a parallel 1x1 conv and an identity (when c_in == c_out).

    A ``collapsed`` training form (SESR's collapsed training) runs one 3x3 conv whose kernel :meth:`kernel` builds
    from the branch parameters at each call: the same function, and the same gradients for every branch parameter,
    for the cost of one plain conv."""

    def __init__(self, c_in: int, c_out: int, deploy: bool = False, collapsed: bool = False) -> None:
        super().__init__()
        self.conv3 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.deploy = deploy
        if not deploy:
            self.conv1 = nn.Conv2d(c_in, c_out, 1)
            self.identity = c_in == c_out
            self.collapsed = collapsed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy:
            return self.conv3(x)
        if self.collapsed:
            return F.conv2d(x, *self.kernel(), padding=1)
        y = self.conv3(x) + self.conv1(x)
        return y + x if self.identity else y

    def kernel(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(weight, bias) of the single 3x3 conv equal to the sum of the branches, differentiable in their parameters."""
        if self.deploy:
            return self.conv3.weight, self.conv3.bias
        weight = self.conv3.weight + F.pad(self.conv1.weight, (1, 1, 1, 1))
        if self.identity:
            eye = torch.eye(weight.shape[0], dtype=weight.dtype, device=weight.device)
            weight = weight + F.pad(eye[:, :, None, None], (1, 1, 1, 1))
        return weight, self.conv3.bias + self.conv1.bias

    @torch.no_grad()
    def merged(self) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`kernel`'s (weight, bias) as new tensors outside autograd."""
        weight, bias = self.kernel()
        return weight.clone(), bias.clone()


class SRNet(nn.Module):
    """(N, 3, h, w) RGB in [0, 1] -> (N, 3, 2h, 2w); ``deploy=True`` builds the merged inference form, ``collapsed=True``
    the training form that runs each RepConv as one conv (same parameters and state dict as the branch form)."""

    def __init__(self, channels: int = 32, blocks: int = 4, deploy: bool = False, collapsed: bool = False) -> None:
        super().__init__()
        self.config = {"channels": channels, "blocks": blocks}
        self.head = RepConv(3, channels, deploy, collapsed)
        self.body = nn.ModuleList(RepConv(channels, channels, deploy, collapsed) for _ in range(blocks))
        self.acts = nn.ModuleList(nn.PReLU(channels) for _ in range(blocks + 1))
        self.tail = RepConv(channels, 3 * SCALE * SCALE, deploy, collapsed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.acts[0](self.head(x))
        for conv, act in zip(self.body, self.acts[1:]):
            y = act(conv(y))
        skip = F.interpolate(x, scale_factor=SCALE, mode="bilinear", align_corners=False)
        return F.pixel_shuffle(self.tail(y), SCALE) + skip

    @property
    def receptive_radius(self) -> int:
        """LR pixels each side that an output pixel depends on (overlap needed for exact tiling)."""
        return len(self.body) + 3

    @torch.no_grad()
    def reparameterised(self) -> SRNet:
        """The deploy form: each RepConv merged into one 3x3 conv; same outputs up to float rounding."""
        deploy = SRNet(**self.config, deploy=True).to(self.head.conv3.weight.device)
        for src, dst in zip([self.head, *self.body, self.tail], [deploy.head, *deploy.body, deploy.tail]):
            weight, bias = src.merged()
            dst.conv3.weight.copy_(weight)
            dst.conv3.bias.copy_(bias)
        deploy.acts.load_state_dict(self.acts.state_dict())
        return deploy.eval()


class Upscaler(nn.Module):
    """The public model: ``up(img)`` upscales an (H, W, 3) uint8 image 2x in overlapping tiles."""

    def __init__(self, channels: int = 32, blocks: int = 4, deploy: bool = True) -> None:
        super().__init__()
        # channels-last weights and tiles: oneDNN's fast convolution path on CPU, about 1.5-2x faster here
        self.net = SRNet(channels, blocks, deploy).to(memory_format=torch.channels_last)

    @torch.no_grad()
    def forward(self, img: np.ndarray, tile: int = 256, overlap: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """(H, W, 3) uint8 -> (2H, 2W, 3) uint8, in :func:`generative.device.current_precision`. ``tile`` and
        ``overlap`` are in input pixels; ``overlap`` defaults to the net's receptive radius, with which tiled output
        equals untiled up to float rounding.
        ``progress(done, total)`` is called after each tile."""
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 image, got {img.shape} {img.dtype}")
        overlap = self.net.receptive_radius if overlap is None else overlap
        if tile < 1 or overlap < 0:
            raise ValueError("tile must be >= 1 and overlap >= 0")
        device = next(self.parameters()).device
        h, w = img.shape[:2]
        x = to_tensor(img, device)
        out = np.empty((SCALE * h, SCALE * w, 3), dtype=np.uint8)
        corners = [(y, x0) for y in range(0, h, tile) for x0 in range(0, w, tile)]
        for i, (y0, x0) in enumerate(corners):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            py0, px0 = max(y0 - overlap, 0), max(x0 - overlap, 0)
            py1, px1 = min(y1 + overlap, h), min(x1 + overlap, w)
            with inference_precision(device):
                sr = self.net(x[:, :, py0:py1, px0:px1].contiguous(memory_format=torch.channels_last))[0]
            core = sr[:, SCALE * (y0 - py0): SCALE * (y1 - py0), SCALE * (x0 - px0): SCALE * (x1 - px0)]
            out[SCALE * y0: SCALE * y1, SCALE * x0: SCALE * x1] = to_uint8(core.float())
            if progress is not None:
                progress(i + 1, len(corners))
        return out


class PatchDiscriminator(nn.Module):
    """A small PatchGAN critic for the GAN fine-tune: (N, 3, H, W) in [0, 1] -> (N, 1, H/4, W/4) logits."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.layers = nn.Sequential(
            sn(nn.Conv2d(3, width, 3, padding=1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(2 * width, 4 * width, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(4 * width, 4 * width, 3, padding=1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(4 * width, 1, 3, padding=1)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(2 * x - 1)
