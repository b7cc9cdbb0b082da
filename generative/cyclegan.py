"""CycleGAN networks (after pytorch-CycleGAN-and-pix2pix ``networks.py``) and an any-size image translator.

Two generators learn to map between unpaired photo sets: G (horse -> zebra) and F (zebra -> horse).
Adversarial losses make G(x) look like a zebra; the cycle loss keeps F(G(x)) close to x.
:class:`ResnetGenerator` builds exactly the official layer sequence, so its state-dict keys are the
official ones (``model.1.weight`` ... ``model.10.conv_block.1.weight`` ...) for any width and depth;
:class:`Translator` wraps one for ``generative.load`` (keys gain the prefix ``net.``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image
from torch import nn

from generative.device import inference_precision
from generative.images import to_tensor, to_uint8

MULTIPLE = 4  # two stride-2 downsamplings
MIN_SIDE = 32  # smaller inputs are upscaled first (reflection padding needs a few pixels at 1/4 scale)
MAX_SIDE = 1024  # larger inputs are processed downscaled to this long side, then resized back


class InstanceNorm(nn.InstanceNorm2d):
    """Instance norm (no affine, no running statistics) computed as a group norm with one group per channel: the
    same numbers, faster on the CPU than ``InstanceNorm2d``: 4-8x per layer without gradients, the tab's generator
    1.7x, a channels-last training iteration 1.3x (``python -m bench.cyclegan_speed --norms``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.group_norm(x, x.shape[1], eps=self.eps)


def _norm(channels: int) -> nn.InstanceNorm2d:
    return InstanceNorm(channels, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    """x + (reflect pad, 3x3 conv, IN, ReLU, reflect pad, 3x3 conv, IN)(x)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), _norm(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), _norm(dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


UPSAMPLING = ("transpose", "resize")
PADDING = ("zeros", "reflect")
SKIP_CLAMP = 0.999  # atanh(1) is infinite; tanh(atanh(0.999)) is 254.9 of 255 grey levels


class ColourFilm(nn.Module):
    """A scale and shift of a normalised feature map computed from the input photo's per-channel mean and std.

    Instance norm right after the first conv removes the photo's overall colour and contrast, so a generator
    without this cannot keep them (the cycle loses them). Zero-initialised: a generator given these layers
    computes exactly what it computed before, and learns from there how much of the colour to keep.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.linear = nn.Linear(6, 2 * channels)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, h: torch.Tensor, stats: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.linear(stats)[:, :, None, None].chunk(2, dim=1)
        return h * (1 + gamma) + beta


def colour_stats(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) -> (N, 6): each channel's mean and standard deviation."""
    return torch.cat([x.mean(dim=(2, 3)), x.std(dim=(2, 3))], dim=1)


def _upsample(channels_in: int, channels_out: int, kind: str) -> list[nn.Module]:
    """One x2 upsampling to ``channels_out``: a stride-2 transposed conv (the official layer, whose uneven
    kernel overlap leaves a period-2 pattern) or a resize-convolution (bilinear x2, then a 3x3 conv)."""
    if kind == "transpose":
        return [nn.ConvTranspose2d(channels_in, channels_out, 3, stride=2, padding=1, output_padding=1)]
    if kind == "resize":
        return [nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.ReflectionPad2d(1),
                nn.Conv2d(channels_in, channels_out, 3)]
    raise ValueError(f"upsample must be one of {UPSAMPLING}, got {kind!r}")


class ResnetGenerator(nn.Module):
    """Images (N, 3, H, W) in [-1, 1] -> same shape, H and W multiples of 4; fully convolutional.

    7x7 conv, two stride-2 convs, ``n_blocks`` residual blocks at 1/4 scale, two x2 upsamplings, 7x7
    conv, tanh. The original CycleGAN generator is ``ResnetGenerator(ngf=64, n_blocks=9)``: transposed convs
    up, zero padding in the stride-2 convs down (on even sizes it pads only the top and left, so a flat
    input gets an edge there). ``upsample="resize"`` uses resize-convolutions (Odena et al. 2016) and
    ``padding="reflect"`` reflects instead; the defaults are the official architecture and keys.
    ``skip=True`` adds the input to the output before the tanh (a global skip, same parameters): the net then
    learns a change, and where it outputs 0 the photo, flat sky included, keeps its own colours.
    ``colour=True`` adds :class:`ColourFilm` layers after the first and the two upsampling norms (keys
    ``film.<layer index>.*``): the photo's channel means and stds reach the layers that paint the output.
    """

    def __init__(self, ngf: int = 64, n_blocks: int = 9, upsample: str = "transpose", padding: str = "zeros",
                 skip: bool = False, colour: bool = False) -> None:
        super().__init__()
        if padding not in PADDING:
            raise ValueError(f"padding must be one of {PADDING}, got {padding!r}")
        self.ngf, self.n_blocks, self.upsample, self.padding, self.skip = ngf, n_blocks, upsample, padding, skip
        self.colour = colour
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), _norm(ngf), nn.ReLU(True)]
        for mult in (1, 2):
            layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, padding_mode=padding),
                       _norm(ngf * mult * 2), nn.ReLU(True)]
        layers += [ResnetBlock(ngf * 4) for _ in range(n_blocks)]
        for mult in (4, 2):
            layers += [*_upsample(ngf * mult, ngf * mult // 2, upsample), _norm(ngf * mult // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        norms = [i for i, layer in enumerate(layers) if isinstance(layer, nn.InstanceNorm2d)]
        self.film = nn.ModuleDict({str(i): ColourFilm(layers[i].num_features) for i in (norms[0], *norms[-2:])}
                                  if colour else {})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stats = colour_stats(x) if self.colour else None
        h = x
        for i, layer in enumerate(self.model[:-1]):
            h = layer(h)
            if stats is not None and str(i) in self.film:
                h = self.film[str(i)](h, stats)
        if self.skip:
            h = h + torch.atanh(x.clamp(-SKIP_CLAMP, SKIP_CLAMP))
        return torch.tanh(h)


class PatchDiscriminator(nn.Module):
    """The 70 x 70 PatchGAN: (N, 3, H, W) -> (N, 1, H/8 - 2, W/8 - 2) real/fake scores (LSGAN, no sigmoid)."""

    def __init__(self, ndf: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2 ** n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=stride, padding=1), _norm(ndf * mult),
                       nn.LeakyReLU(0.2, True)]
        layers += [nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def _checked(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or 0 in image.shape:
        raise ValueError(f"expected an (H, W, 3) uint8 image, got {image.shape} {image.dtype}")
    return image


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` resized (Lanczos) to ``width`` x ``height``; itself when it has that size."""
    if image.shape[1] == width and image.shape[0] == height:
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS))


def working_size(width: int, height: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """The size the network sees: long side at most ``max_side``, each side at least ``MIN_SIDE``."""
    scale = min(1.0, max_side / max(width, height))
    return (min(max_side, max(MIN_SIDE, round(width * scale))), min(max_side, max(MIN_SIDE, round(height * scale))))


class Translator(nn.Module):
    """One CycleGAN generator with an image-in, image-out call: ``g(img)`` for any (H, W, 3) uint8 array.

    The image is resized so that its long side is at most ``max_side`` (and each side at least 32 px),
    reflect-padded to a multiple of 4, translated, cropped back and resized to the input's size, so
    memory stays bounded however large the upload.
    """

    def __init__(self, ngf: int = 64, n_blocks: int = 9, upsample: str = "transpose", padding: str = "zeros",
                 skip: bool = False, colour: bool = False) -> None:
        super().__init__()
        self.net = ResnetGenerator(ngf, n_blocks, upsample, padding, skip, colour).to(memory_format=torch.channels_last)

    @torch.no_grad()
    def forward(self, image: np.ndarray, max_side: int = MAX_SIDE,
                progress: Callable[[float], None] | None = None) -> np.ndarray:
        """(H, W, 3) uint8 -> (H, W, 3) uint8, translated; ``progress`` gets fractions 0..1."""
        image = _checked(image)
        height, width = image.shape[:2]
        small = resize(image, *working_size(width, height, max_side))
        if progress:
            progress(0.1)
        result = resize(self.at_size(small), width, height)
        if progress:
            progress(1.0)
        return result

    @torch.no_grad()
    def at_size(self, image: np.ndarray) -> np.ndarray:
        """Translate (H, W, 3) uint8 at its own size (a working size: each side at least ``MIN_SIDE``), in
        :func:`generative.device.current_precision`."""
        image = _checked(image)
        height, width = image.shape[:2]
        if min(height, width) < MIN_SIDE:
            raise ValueError(f"each side must be at least {MIN_SIDE} px, got {width} x {height}")
        x = to_tensor(image, next(self.parameters()).device, signed=True)
        x = nn.functional.pad(x, (0, -width % MULTIPLE, 0, -height % MULTIPLE), mode="reflect")
        with inference_precision(x.device):
            y = self.net(x.contiguous(memory_format=torch.channels_last))[0, :, :height, :width]  # 1.2x on the CPU
        return to_uint8(y.float(), signed=True)
