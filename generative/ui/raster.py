"""Fast canvas drawing for animations: PIL and numpy on the cached matplotlib axes of :mod:`generative.ui.plots`.

A matplotlib redraw costs tens of milliseconds; drawing dots, lines and a heat map straight into the pixels of a
cached frame costs a few, which is what lets a tab redraw several times a second.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from PIL import Image, ImageDraw

from generative.ui.plots import View, axes_background


def colour_table(name: str) -> np.ndarray:
    """A matplotlib colour map as a (256, 3) float table."""
    return matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3].astype(np.float32)


class Canvas:
    """A picture of a :class:`View`: its axes, then layers drawn in data coordinates."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.image = Image.fromarray(axes_background(view))
        self.draw = ImageDraw.Draw(self.image)
        corners = view.data_to_pixel(np.array([[view.x0, view.y1], [view.x1, view.y0]]))
        (self.left, self.top), (self.right, self.bottom) = np.rint(corners).astype(int)

    def grid_points(self, n: int) -> np.ndarray:
        """An (n * n, 2) grid over the window, row by row from the top: the layout :meth:`heat_map` expects."""
        xx, yy = np.meshgrid(np.linspace(self.view.x0, self.view.x1, n), np.linspace(self.view.y1, self.view.y0, n))
        return np.stack([xx.ravel(), yy.ravel()], axis=1)

    def heat_map(self, values: np.ndarray, table: np.ndarray, alpha: float = 0.55,
                 contour: float | None = None) -> None:
        """Blend an (n, n) field of values in [0, 1] (from :meth:`grid_points`) over the axes, with one contour."""
        width, height = self.right - self.left, self.bottom - self.top
        field = np.asarray(Image.fromarray(values.astype(np.float32), mode="F").resize((width, height),
                                                                                       Image.BILINEAR))
        colours = table[np.clip((field * 255).astype(np.int32), 0, 255)]
        pixels = np.asarray(self.image, dtype=np.float32)
        box = pixels[self.top:self.bottom, self.left:self.right]
        box[:] = box * (1 - alpha) + colours * 255 * alpha
        if contour is not None:
            above = field > contour
            edge = np.zeros_like(above)
            edge[:-1] |= above[:-1] != above[1:]
            edge[:, :-1] |= above[:, :-1] != above[:, 1:]
            edge[1:] |= edge[:-1].copy()  # two pixels wide
            box[edge] = (30, 30, 30)
        self.image = Image.fromarray(pixels.round().astype(np.uint8))
        self.draw = ImageDraw.Draw(self.image)

    def dots(self, xy: np.ndarray, fill: str, outline: str = "white", radius: float = 3.5) -> None:
        """A filled circle at each point."""
        for x, y in self.view.data_to_pixel(xy):
            self.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill, outline=outline)

    def polylines(self, lines: np.ndarray, colour: str, width: int = 1) -> None:
        """Lines (L, P, 2) through P points each."""
        for line in self.view.data_to_pixel(lines):
            self.draw.line([tuple(p) for p in line], fill=colour, width=width)

    def arrows(self, starts: np.ndarray, vectors: np.ndarray, colour: str, max_px: float = 45.0) -> None:
        """An arrow from each start along its vector (data units), at most ``max_px`` long."""
        a = self.view.data_to_pixel(starts)
        d = self.view.data_to_pixel(starts + vectors) - a
        length = np.linalg.norm(d, axis=1, keepdims=True)
        d = d * np.minimum(1.0, max_px / np.maximum(length, 1e-9))
        for (x, y), (dx, dy) in zip(a, d):
            self.draw.line((x, y, x + dx, y + dy), fill=colour, width=2)
            n = np.hypot(dx, dy)
            if n > 4:
                ux, uy = dx / n, dy / n
                head = [(x + dx, y + dy), (x + dx - 6 * ux + 3.5 * uy, y + dy - 6 * uy - 3.5 * ux),
                        (x + dx - 6 * ux - 3.5 * uy, y + dy - 6 * uy + 3.5 * ux)]
                self.draw.polygon(head, fill=colour)

    def caption(self, text: str, colour: str = "#666") -> None:
        """Centred text in the middle of the axes."""
        self.draw.text(((self.left + self.right) / 2, (self.top + self.bottom) / 2), text, fill=colour,
                       anchor="mm", font_size=20, align="center")

    def array(self) -> np.ndarray:
        """The picture as an (H, W, 3) uint8 array."""
        return np.asarray(self.image)
