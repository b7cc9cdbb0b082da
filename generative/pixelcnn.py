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
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn import functional as F

from generative.device import one_cpu_thread

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
        # Rows above a pixel (and columns to its left) that can reach its logit: the receptive field.
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
        drawn from p(x_i | x_<i). Rows below the current one are never computed: each row advances the
        vertical stack by one row, then the horizontal stack runs once per pixel.
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
        rows = self._links_row_by_row(x)
        for r in range(SIZE):
            with _one_cpu_thread(device):
                links = next(rows)
                todo = [c for c in range(SIZE) if not bool(keep[:, :, r, c].all())]
                if todo:
                    logits = self._row_sampler(links, x[:, 0, r])
                    for c in range(todo[-1] + 1):
                        logit = next(logits)
                        if c in todo:
                            drawn = (uniform[:, 0, r, c] < torch.sigmoid(logit)).float()
                            x[:, 0, r, c] = torch.where(keep[:, 0, r, c], x[:, 0, r, c], drawn)
                            evaluations += 1
            yield x.clone(), evaluations

    def _links_row_by_row(self, x: torch.Tensor) -> Iterator[list[torch.Tensor]]:
        """For rows r = 0 .. 27 in turn, every layer's vertical link into row r, each (n, 2C, 28).

        Ask for row r only once rows < r of ``x`` are final: the vertical stack is advanced by the one
        row r - 1, from the rows above it that earlier steps kept.
        """
        n = len(x)
        kept = [x.new_zeros(n, layer.h_out.in_channels, SIZE, SIZE) for layer in self.layers]
        yield [layer.v_to_h(x.new_zeros(n, layer.v_to_h.in_channels, 1, SIZE))[:, :, 0] for layer in self.layers]
        for r in range(1, SIZE):
            v, links = 2 * x - 1, []
            for layer, rows in zip(self.layers, kept):
                a = layer.v_conv(v[:, :, max(0, r - layer.v_conv.kernel_size[0]): r])[:, :, -1:]  # row r - 1
                rows[:, :, r - 1: r] = _gate(a)
                links.append(layer.v_to_h(a)[:, :, 0])
                v = rows
            yield links

    def _row_sampler(self, links: list[torch.Tensor], row: torch.Tensor) -> Iterator[torch.Tensor]:
        """Logits of one row's pixels, left to right, while the caller writes each drawn pixel into ``row``.

        The horizontal stack is evaluated one column at a time as matrix products, keeping each layer's
        outputs at the columns to the left that the next column needs: one network evaluation per pixel
        without re-running convolutions over the row.
        """
        width = self.layers[0].h_conv.kernel_size[1]
        padded = F.pad(2 * row - 1, (width, 0))  # the row's image values, zero left of it; updated as drawn
        # Inputs of each later layer at the columns to the left of the current one that its kernel reaches.
        history = [[row.new_zeros(len(row), layer.h_conv.in_channels)] * (layer.h_conv.kernel_size[1] - 1)
                   for layer in self.layers]
        matrices = [layer.h_conv.weight[:, :, 0].permute(0, 2, 1).flatten(1).T for layer in self.layers]
        biased = [link + layer.h_conv.bias[None, :, None] for layer, link in zip(self.layers, links)]
        head = [m for m in self.head if isinstance(m, nn.Conv2d)]
        for c in range(SIZE):
            if c > 0:
                padded[:, width + c - 1] = 2 * row[:, c - 1] - 1
            h = padded[:, c: c + width]  # the first layer sees columns c - width .. c - 1 (mask type A)
            for i, layer in enumerate(self.layers):
                window = h if i == 0 else torch.cat([*history[i], h], dim=1)
                out = F.linear(_gate(torch.addmm(biased[i][:, :, c], window, matrices[i])),
                               layer.h_out.weight[:, :, 0, 0], layer.h_out.bias)
                if i > 0 and history[i]:
                    history[i] = [*history[i][1:], h]
                h = out if i == 0 else out + h
            hidden = F.relu(F.linear(F.relu(h), head[0].weight[:, :, 0, 0], head[0].bias))
            yield F.linear(hidden, head[1].weight[:, :, 0, 0], head[1].bias)[:, 0]

    def sample(self, n: int, seed: int = 0, given: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """``n`` images (n, 1, 28, 28) of 0/1, the same for the same seed (see :meth:`sample_rows`)."""
        for images, _ in self.sample_rows(n, seed, given):
            pass
        return images


@contextmanager
def _one_cpu_thread(device: torch.device) -> Iterator[None]:
    """Run torch on one thread inside (on the CPU): the sampler's operations are tiny, and splitting them over
    threads only adds waiting (16 digits on the busy 2 cores: about 65 s with 2 threads, 0.7 s with 1)."""
    with one_cpu_thread(device.type == "cpu"):
        yield


def _check_images(x: torch.Tensor) -> None:
    """Raise ValueError unless x is an (N, 1, 28, 28) tensor of zeros and ones."""
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, SIZE, SIZE):
        raise ValueError(f"expected images of shape (N, 1, 28, 28), got {tuple(x.shape)}")
    if not bool(((x == 0) | (x == 1)).all()):
        raise ValueError("expected binary images: every pixel 0 or 1")
