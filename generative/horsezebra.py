"""A small horse-vs-zebra classifier, trained here on horse2zebra trainA/trainB to judge the CycleGAN's outputs.

Images are resized to 104 x 104 and centre-cropped to 96 x 96; five strided 3x3 convs with batch norm,
global average pooling and one logit: P(zebra) = sigmoid(logit).
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch import nn

from generative.images import to_tensor

LOAD, CROP = 104, 96


def prepare(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> the (96, 96, 3) uint8 centre crop of its 104 x 104 resize that the classifier sees."""
    big = np.asarray(Image.fromarray(image).resize((LOAD, LOAD), Image.Resampling.BICUBIC))
    margin = (LOAD - CROP) // 2
    return big[margin: margin + CROP, margin: margin + CROP]


class HorseZebraClassifier(nn.Module):
    """Images (N, 3, 96, 96) in [-1, 1] -> zebra logits (N,); ``prob_zebra`` takes uint8 images of any size."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        channels = [3, width, 2 * width, 4 * width, 8 * width, 8 * width]  # at 48, 24, 12, 6, 3 px
        layers: list[nn.Module] = []
        for a, b in zip(channels[:-1], channels[1:]):
            layers += [nn.Conv2d(a, b, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))[:, 0]

    @torch.no_grad()
    def prob_zebra(self, images: list[np.ndarray] | np.ndarray) -> np.ndarray:
        """P(zebra) for each (H, W, 3) uint8 image (sizes may differ)."""
        batch = np.stack([prepare(np.asarray(image)) for image in images])
        x = to_tensor(batch, next(self.parameters()).device, signed=True)
        return torch.sigmoid(self(x)).cpu().numpy()
