"""A gated PixelCNN (van den Oord et al., 2016) for 28 x 28 binarised images.

A fully visible belief network: p(x) = prod_i p(x_i | x_<i) in raster order, each factor a Bernoulli
whose logit a causal convolutional net computes. Two stacks remove the blind spot of masked 3 x 3
convolutions: the vertical stack sees every row above the pixel (through convolutions over the rows
up to the current one, shifted down by one row before it reaches the horizontal stack), and the
horizontal stack sees the pixels to the left in the current row. Both stacks use gated units
tanh(a) * sigmoid(b). The likelihood is exact; sampling needs one network evaluation per pixel.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn
from torch.nn import functional as F

SIZE = 28
PIXELS = SIZE * SIZE


def _gate(a: torch.Tensor) -> torch.Tensor:
    """tanh of the first half of the channels times sigmoid of the second half."""
    value, gate = a.chunk(2, dim=1)
    return torch.tanh(value) * torch.sigmoid(gate)


def _shift_down(a: torch.Tensor) -> torch.Tensor:
    """Move every row down by one (row 0 becomes zeros), so that row i sees only rows < i."""
    return F.pad(a, (0, 0, 1, 0))[:, :, :-1]


def _shift_right(a: torch.Tensor) -> torch.Tensor:
    """Move every column right by one (column 0 becomes zeros), so that column j sees only columns < j."""
    return F.pad(a, (1, 0))[..., :-1]


class VerticalConv(nn.Conv2d):
    """A k-wide convolution over the rows up to and including the output's row (padded above only)."""

    def __init__(self, c_in: int, c_out: int, k: int) -> None:
        super().__init__(c_in, c_out, (k // 2 + 1, k))
        self.pad = (k // 2, k // 2, k // 2, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pad))


class HorizontalConv(nn.Conv2d):
    """A convolution over the output's row, from k // 2 columns to the left up to the output's column."""

    def __init__(self, c_in: int, c_out: int, k: int) -> None:
        super().__init__(c_in, c_out, (1, k // 2 + 1))
        self.pad = (k // 2, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pad))


class GatedLayer(nn.Module):
    """One gated layer: vertical stack, its shifted link into the horizontal stack, horizontal stack."""

    def __init__(self, c_in: int, channels: int, k: int, first: bool) -> None:
        super().__init__()
        self.first = first
        self.v_conv = VerticalConv(c_in, 2 * channels, k)
        self.v_to_h = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.h_conv = HorizontalConv(c_in, 2 * channels, k)
        self.h_out = nn.Conv2d(channels, channels, 1)

    def vertical(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The next vertical-stack features and this layer's contribution to the horizontal stack."""
        a = self.v_conv(v)
        return _gate(a), self.v_to_h(_shift_down(a))

    def horizontal(self, h: torch.Tensor, link: torch.Tensor) -> torch.Tensor:
        """The next horizontal-stack features from the previous ones and the vertical link."""
        # The first layer reads the image itself: its column j must not see pixel j (a type A mask).
        out = self.h_out(_gate(self.h_conv(_shift_right(h) if self.first else h) + link))
        return out if self.first else out + h


class PixelCNN(nn.Module):
    """Gated PixelCNN: a first layer of ``first_kernel``, then ``layers - 1`` of ``kernel``, a 1 x 1 head."""

    def __init__(self, channels: int = 32, layers: int = 8, kernel: int = 3, first_kernel: int = 7,
                 head: int = 64) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [GatedLayer(1, channels, first_kernel, first=True)]
            + [GatedLayer(channels, channels, kernel, first=False) for _ in range(layers - 1)])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, head, 1), nn.ReLU(), nn.Conv2d(head, 1, 1))
        # Rows above a pixel that can reach its logit: the sampler crops everything higher.
        self.reach = first_kernel // 2 + (layers - 1) * (kernel // 2) + 1

    def links(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's vertical link into the horizontal stack; the one at row i depends on rows < i."""
        v, out = 2 * x - 1, []
        for layer in self.layers:
            v, link = layer.vertical(v)
            out.append(link)
        return out

    def row_logits(self, x: torch.Tensor, links: list[torch.Tensor]) -> torch.Tensor:
        """Logits of every pixel of ``x`` (N, 1, R, W) from the horizontal stack and the vertical links."""
        h = 2 * x - 1
        for layer, link in zip(self.layers, links):
            h = layer.horizontal(h, link)
        return self.head(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits (N, 1, 28, 28) of p(x_i = 1 | x_<i) for images x of 0/1."""
        return self.row_logits(x, self.links(x))

    def pixel_nll(self, x: torch.Tensor) -> torch.Tensor:
        """-log p(x_i | x_<i) of every pixel in nats, (N, 1, 28, 28)."""
        _check_images(x)
        return F.binary_cross_entropy_with_logits(self(x), x, reduction="none")

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) in nats of each image (N,)."""
        return -self.pixel_nll(x).flatten(1).sum(dim=1)

    @torch.no_grad()
    def sample_rows(self, n: int, seed: int = 0,
                    given: tuple[torch.Tensor, torch.Tensor] | None = None) -> Iterator[tuple[torch.Tensor, int]]:
        """Draw ``n`` images pixel by pixel, yielding (images so far, network evaluations) after each row.

        ``given`` = (image, mask), each (1 or n, 1, 28, 28): pixels where mask is 1 are kept, the others
        drawn from p(x_i | x_<i). Rows below the current one are never computed: each row needs one pass
        of the vertical stack over the rows above it, then one pass of the horizontal stack per pixel.
        """
        if not 1 <= n <= 1024:
            raise ValueError(f"n must be between 1 and 1024, got {n}")
        device = next(self.parameters()).device
        uniform = torch.rand(n, 1, SIZE, SIZE, generator=torch.Generator().manual_seed(int(seed))).to(device)
        x = torch.zeros(n, 1, SIZE, SIZE, device=device)
        keep = torch.zeros_like(x, dtype=torch.bool)
        if given is not None:
            image, mask = (t.to(device).float().expand(n, 1, SIZE, SIZE) for t in given)
            keep = mask > 0.5
            x = torch.where(keep, (image > 0.5).float(), x)
        evaluations = 0
        for r in range(SIZE):
            todo = [c for c in range(SIZE) if not bool(keep[:, :, r, c].all())]
            if todo:
                top = max(0, r - self.reach)
                links = [link[:, :, -1:] for link in self.links(x[:, :, top: r + 1])]
            for c in todo:
                logit = self.row_logits(x[:, :, r: r + 1, : c + 1], [link[..., : c + 1] for link in links])
                drawn = (uniform[:, :, r, c] < torch.sigmoid(logit[:, :, 0, -1])).float()
                x[:, :, r, c] = torch.where(keep[:, :, r, c], x[:, :, r, c], drawn)
                evaluations += 1
            yield x.clone(), evaluations

    def sample(self, n: int, seed: int = 0, given: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """``n`` images (n, 1, 28, 28) of 0/1, the same for the same seed (see :meth:`sample_rows`)."""
        for images, _ in self.sample_rows(n, seed, given):
            pass
        return images


def _check_images(x: torch.Tensor) -> None:
    """Raise ValueError unless x is an (N, 1, 28, 28) tensor of zeros and ones."""
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, SIZE, SIZE):
        raise ValueError(f"expected images of shape (N, 1, 28, 28), got {tuple(x.shape)}")
    if not bool(((x == 0) | (x == 1)).all()):
        raise ValueError("expected binary images: every pixel 0 or 1")
