"""Matplotlib pictures for the tabs, and the map from clickable canvas pixels to data coordinates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse

SIZE_PX = 560
_DPI = 100
_AXES_RECT = (0.09, 0.07, 0.88, 0.88)  # left, bottom, width, height as figure fractions
PALETTE = np.array(matplotlib.colormaps["tab10"].colors)


@dataclass(frozen=True)
class View:
    """The square data window that the canvas shows."""

    x0: float = -6.0
    x1: float = 6.0
    y0: float = -6.0
    y1: float = 6.0

    @staticmethod
    def around(points: np.ndarray, pad: float = 0.12) -> View:
        """A square window that holds all points with a margin."""
        lo, hi = points.min(axis=0), points.max(axis=0)
        centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-3) * (1 + pad)
        return View(centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)

    def pixel_to_data(self, px: float, py: float) -> tuple[float, float] | None:
        """Data coordinates of a canvas pixel (origin top left), or None outside the axes."""
        left, bottom, width, height = (f * SIZE_PX for f in _AXES_RECT)
        u = (px - left) / width
        v = (SIZE_PX - py - bottom) / height
        if not (0 <= u <= 1 and 0 <= v <= 1):
            return None
        return self.x0 + u * (self.x1 - self.x0), self.y0 + v * (self.y1 - self.y0)

    def data_to_pixel(self, xy: np.ndarray) -> np.ndarray:
        """Canvas pixel coordinates (origin top left) of points (N, 2): the inverse of :meth:`pixel_to_data`."""
        left, bottom, width, height = (f * SIZE_PX for f in _AXES_RECT)
        u = (xy[..., 0] - self.x0) / (self.x1 - self.x0)
        v = (xy[..., 1] - self.y0) / (self.y1 - self.y0)
        return np.stack([left + u * width, SIZE_PX - bottom - v * height], axis=-1)

    def grid(self, n: int = 90) -> tuple[np.ndarray, np.ndarray]:
        """An n x n mesh over the window."""
        return np.meshgrid(np.linspace(self.x0, self.x1, n), np.linspace(self.y0, self.y1, n))


def figure(n_axes: int = 1) -> tuple[Figure, list]:
    """A figure of ``n_axes`` square axes side by side, each SIZE_PX wide."""
    fig = Figure(figsize=(SIZE_PX * n_axes / _DPI, SIZE_PX / _DPI), dpi=_DPI)
    FigureCanvasAgg(fig)
    left, bottom, width, height = _AXES_RECT
    axes = [fig.add_axes(((i + left) / n_axes, bottom, width / n_axes, height)) for i in range(n_axes)]
    for ax in axes:
        ax.tick_params(labelsize=8, colors="#444")
        for spine in ax.spines.values():
            spine.set_color("#999")
    return fig, axes


def to_array(fig: Figure) -> np.ndarray:
    """The rendered figure as an (H, W, 3) uint8 array."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def set_view(ax, view: View) -> None:
    """Limits, equal aspect and a light grid."""
    ax.set_xlim(view.x0, view.x1)
    ax.set_ylim(view.y0, view.y1)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True, color="#eee", linewidth=0.6)
    ax.set_axisbelow(True)


def ellipse(ax, mean: np.ndarray, cov: np.ndarray, n_sigma: float, colour: np.ndarray, **kw) -> None:
    """The n-sigma ellipse of a 2-D Gaussian."""
    values, vectors = np.linalg.eigh(cov)
    angle = float(np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])))
    width, height = 2 * n_sigma * np.sqrt(np.maximum(values[::-1], 0))
    ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, edgecolor=colour, **kw))


@lru_cache(maxsize=64)
def axes_background(view: View) -> np.ndarray:
    """The frame, ticks and grid of a view: drawing ticks is most of the cost, so it is done once per view."""
    fig, (ax,) = figure()
    set_view(ax, view)
    return to_array(fig)


def overlay(view: View) -> tuple[Figure, object]:
    """A transparent figure whose axes coincide with :func:`axes_background`, for the data layer."""
    fig = Figure(figsize=(SIZE_PX / _DPI, SIZE_PX / _DPI), dpi=_DPI, facecolor="none")
    FigureCanvasAgg(fig)
    ax = fig.add_axes(_AXES_RECT)
    ax.set_xlim(view.x0, view.x1)
    ax.set_ylim(view.y0, view.y1)
    ax.set_axis_off()
    return fig, ax


def composite(fig: Figure, background: np.ndarray) -> np.ndarray:
    """Render an :func:`overlay` figure and alpha-blend it onto a background of the same size."""
    fig.canvas.draw()
    layer = np.asarray(fig.canvas.buffer_rgba()).astype(np.float32)
    alpha = layer[..., 3:] / 255.0
    return (background * (1.0 - alpha) + layer[..., :3] * alpha).round().astype(np.uint8)


def draw_mixture(
    points: np.ndarray,
    view: View,
    resp: np.ndarray | None = None,
    means: np.ndarray | None = None,
    covariances: np.ndarray | None = None,
    samples: np.ndarray | None = None,
) -> np.ndarray:
    """The canvas: points coloured by responsibility, 1σ and 2σ ellipses, means, optional samples."""
    fig, ax = overlay(view)
    if len(points):
        colours = resp @ PALETTE[: resp.shape[1]] if resp is not None else "#555"
        size = 30 if len(points) < 300 else 12 if len(points) < 2000 else 3
        ax.scatter(points[:, 0], points[:, 1], c=colours, s=size, linewidths=0, alpha=0.85)
    if samples is not None:
        ax.scatter(samples[:, 0], samples[:, 1], marker="x", s=12, c="#222", linewidths=0.8, label="samples")
        ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    if means is not None and covariances is not None:
        for k, (mean, cov) in enumerate(zip(means, covariances)):
            colour = PALETTE[k % len(PALETTE)]
            ellipse(ax, mean, cov, 1.0, colour, linewidth=2.0)
            ellipse(ax, mean, cov, 2.0, colour, linewidth=1.2, linestyle="--")
            ax.plot(*mean, marker="X", markersize=11, color=colour, markeredgecolor="white", markeredgewidth=1.2)
    if not len(points):
        ax.text(0.5, 0.5, "click to add points\nor pick a preset", transform=ax.transAxes,
                ha="center", va="center", fontsize=14, color="#888")
    return composite(fig, axes_background(view))


def draw_density_comparison(
    train: np.ndarray,
    test: np.ndarray,
    view: View,
    log_densities: dict[str, Callable[[np.ndarray], np.ndarray]],
) -> np.ndarray:
    """Side-by-side log-density contours of each model, with training (dots) and held-out (rings) points."""
    fig, axes = figure(len(log_densities))
    xx, yy = view.grid()
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
    fields = {title: fn(grid).reshape(xx.shape) for title, fn in log_densities.items()}
    top = max(float(f.max()) for f in fields.values())
    levels = np.linspace(top - 8, top, 17)  # the same 8 nats of log-density in every panel
    for ax, (title, field) in zip(axes, fields.items()):
        set_view(ax, view)
        ax.contourf(xx, yy, np.maximum(field, levels[0]), levels=levels, cmap="Blues", extend="neither")
        ax.scatter(train[:, 0], train[:, 1], s=4, c="#333", linewidths=0)
        ax.scatter(test[:, 0], test[:, 1], s=16, facecolors="none", edgecolors="#d62728", linewidths=0.8)
        ax.set_title(title, fontsize=11)
    return to_array(fig)


def criteria_figure(table) -> Figure:
    """BIC and AIC against K (a frame of K, criterion, value): one line each, a legend, whole-number K ticks."""
    fig = Figure(figsize=(5.6, 3.2), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for k, (name, rows) in enumerate(table.groupby("criterion", sort=False)):
        ax.plot(rows.K, rows.value, marker="o", color=PALETTE[k], label=name)
        best = rows.loc[rows.value.idxmin()]
        ax.plot(best.K, best.value, marker="*", markersize=15, color=PALETTE[k], markeredgecolor="white")
    ax.set_xticks(sorted(table.K.unique()))
    ax.set_xlabel("K (components)")
    ax.set_ylabel("criterion (lower is better)")
    ax.grid(True, color="#eee", linewidth=0.6)
    fig.legend(loc="outside upper center", ncols=3, fontsize=9, frameon=False,
               handles=[*ax.get_lines()[::2], Line2D([], [], marker="*", linestyle="", color="#555", markersize=11)],
               labels=[*table.criterion.unique(), "lowest"])
    return fig


def draw_criteria(table) -> np.ndarray:
    """:func:`criteria_figure` as an (H, W, 3) uint8 array."""
    return to_array(criteria_figure(table))
