"""Fast canvas drawing for animations: PIL and numpy on the cached matplotlib axes of :mod:`generative.ui.plots`.

A matplotlib redraw costs tens of milliseconds; drawing dots, lines and a heat map straight into the pixels of a
cached frame costs a few, which is what lets a tab redraw several times a second.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib
import numpy as np
from matplotlib.ticker import MaxNLocator
from PIL import Image, ImageDraw, ImageFont

from generative.ui.plots import View, axes_background


def colour_table(name: str) -> np.ndarray:
    """A matplotlib colour map as a (256, 3) float table."""
    return matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3].astype(np.float32)


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's default font at ``size`` px, made once (``font_size=`` would decode the font again on every call)."""
    return ImageFont.load_default(size)


def bands(field: np.ndarray, levels: int) -> np.ndarray:
    """Each value in [0, 1] as the number (uint8) of its band, one of ``levels`` bands of equal width (values
    outside [0, 1] join the end bands)."""
    return np.clip(field * levels, 0, levels - 1).astype(np.uint8)  # truncation = floor for values >= 0


def band_colours(table: np.ndarray, levels: int) -> np.ndarray:
    """The (levels, 3) uint8 colours of a (256, 3) colour table at the centre of each band."""
    centres = ((np.arange(levels) + 0.5) * (255 / levels)).round().astype(np.int32)
    return (table[centres] * 255).round().astype(np.uint8)


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

    def heat_map(self, values: np.ndarray, table: np.ndarray, levels: int, alpha: float = 0.55,
                 contour: float | None = None) -> None:
        """Blend an (n, n) field of values in [0, 1] (from :meth:`grid_points`) over the axes in ``levels`` bands of
        equal width (a filled contour plot), with one contour line.

        Bands read as levels of the field, and they compress: a GAN-lab Step sends 44 KB of pictures instead of
        178 KB with a smooth gradient (``python -m bench.gan2d``), less for a remote browser at each frame of Run.
        """
        size = (self.right - self.left, self.bottom - self.top)
        box = (self.left, self.top, self.right, self.bottom)
        field = np.asarray(Image.fromarray(values.astype(np.float32), mode="F").resize(size, Image.BILINEAR))
        colours = Image.fromarray(bands(field, levels), mode="P")
        colours.putpalette(band_colours(table, levels).ravel())
        colours = colours.convert("RGB")
        self.image.paste(Image.blend(self.image.crop(box), colours, alpha), box[:2])
        if contour is not None:
            above = field > contour
            edge = np.zeros_like(above)
            edge[:-1] |= above[:-1] != above[1:]
            edge[:, :-1] |= above[:, :-1] != above[:, 1:]
            edge[1:] |= edge[:-1].copy()  # two pixels wide
            self.image.paste((30, 30, 30), box, Image.fromarray(edge.astype(np.uint8) * 255))

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
                       anchor="mm", font=font(20), align="center")

    def array(self) -> np.ndarray:
        """The picture as an (H, W, 3) uint8 array; what was drawn outside the axes is clipped away."""
        frame = Image.fromarray(axes_background(self.view))
        box = (self.left, self.top, self.right, self.bottom)
        frame.paste(self.image.crop(box), box[:2])
        return np.asarray(frame)


def line_chart(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], x: np.ndarray,
               series: dict[str, tuple[np.ndarray, str]], title: str) -> None:
    """Lines y(x) in the pixel box (left, top, right, bottom): axes, ticks, a title and a coloured legend."""
    left, top, right, bottom = box
    x0, y_top = left + 46, top + 24
    x1, y_bottom = right - 8, bottom - 20
    draw.text((left + 8, top + 4), title, fill="#333", font=font(13))
    legend_x = left + 8 + int(draw.textlength(title, font=font(13))) + 18
    for name, (_, colour) in series.items():
        draw.line((legend_x, top + 12, legend_x + 14, top + 12), fill=colour, width=3)
        draw.text((legend_x + 17, top + 5), name, fill="#333", font=font(12))
        legend_x += int(draw.textlength(name, font=font(12))) + 30
    draw.rectangle((x0, y_top, x1, y_bottom), outline="#999")
    if len(x) == 0:
        draw.text(((x0 + x1) / 2, (y_top + y_bottom) / 2), "press Step or Run", fill="#888", anchor="mm",
                  font=font(13))
        return
    values = np.concatenate([y for y, _ in series.values()])
    lo, hi = float(values.min()), float(values.max())
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    lo, hi = lo - pad, hi + pad
    xs = (float(x.min()), float(x.max()) if x.max() > x.min() else float(x.min()) + 1)

    def px(u: np.ndarray) -> np.ndarray:
        return x0 + (u - xs[0]) / (xs[1] - xs[0]) * (x1 - x0)

    def py(v: np.ndarray) -> np.ndarray:
        return y_bottom - (v - lo) / (hi - lo) * (y_bottom - y_top)

    for tick in MaxNLocator(4).tick_values(lo, hi):
        if lo <= tick <= hi:
            y = float(py(tick))
            draw.line((x0, y, x1, y), fill="#eee")
            draw.text((x0 - 4, y), f"{tick:g}", fill="#444", anchor="rm", font=font(11))
    for tick in MaxNLocator(5, integer=True).tick_values(*xs):
        if xs[0] <= tick <= xs[1]:
            draw.text((float(px(tick)), y_bottom + 4), f"{int(tick):,}", fill="#444", anchor="mt", font=font(11))
    for y, colour in series.values():
        draw.line(list(zip(px(x).tolist(), py(y).tolist())), fill=colour, width=2)
